//! Panics in tasks, in their destructors and in wakers: every healthy task completes, every
//! panicking task reports the panic through its handle, no worker dies, nothing leaks. And a
//! panic in the scheduler's own code aborts the process with a message instead of leaving a
//! dead loop behind.
//!
//! A binary of its own: it replaces the panic hook (to keep 200 expected panics quiet) and runs
//! itself as a child process.

mod support;

use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use runtime::time::sleep;
use support::{bounded, DropCounter, DropGuard};

const LIMIT: Duration = Duration::from_secs(60);

/// Held by each test: they count the process's threads and descriptors, so one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
const TASKS: usize = 10_000;

/// Marks the panics this file causes, so the hook keeps them quiet and only them.
const MARK: &str = "expected test panic";

fn quiet_expected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        if message != Some(MARK) {
            default(info);
        }
    }));
}

/// Panics when dropped, once its task has finished.
struct PanicOnDrop(#[allow(dead_code)] DropGuard);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", MARK);
    }
}

/// A waker that panics when woken.
struct PanicWaker;

impl Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("{}", MARK);
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Healthy,
    PanicsInPoll,
    PanicsInDrop,
    /// Registers a waker that panics with a timer (which the loop wakes) and with another
    /// task's handle (which that task's completion wakes), then finishes normally: the panics
    /// happen in the runtime's hands, not in this task.
    LeavesPanickingWakers,
}

fn kind(i: usize) -> Kind {
    match i % 100 {
        0 => Kind::PanicsInPoll,
        1 => Kind::PanicsInDrop,
        2 => Kind::LeavesPanickingWakers,
        _ => Kind::Healthy,
    }
}

async fn task(i: usize, guard: DropGuard) -> usize {
    runtime::yield_now().await;
    match kind(i) {
        Kind::Healthy => drop(guard),
        Kind::PanicsInPoll => {
            let _guard = guard;
            panic!("{}", MARK);
        }
        Kind::PanicsInDrop => {
            let _armed = PanicOnDrop(guard);
            runtime::yield_now().await;
        }
        Kind::LeavesPanickingWakers => {
            let _guard = guard;
            // Long enough to be pending still when polled below, on a loaded machine too.
            let mut timer = Box::pin(sleep(Duration::from_millis(50)));
            let mut other = runtime::spawn(async {
                sleep(Duration::from_millis(50)).await;
            });
            {
                let panicking = Waker::from(Arc::new(PanicWaker));
                let mut cx = Context::from_waker(&panicking);
                assert!(timer.as_mut().poll(&mut cx).is_pending());
                assert!(std::pin::Pin::new(&mut other).poll(&mut cx).is_pending());
            }
            // Both fire (and wake the panicking waker) while this task sleeps: the wheel fires
            // in deadline order, and this deadline is the later one.
            sleep(Duration::from_millis(100)).await;
            drop(timer);
            other.await.unwrap();
        }
    }
    i
}

#[test]
fn one_task_in_a_hundred_panicking_hurts_no_other() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    quiet_expected_panics();
    let threads = support::thread_count();
    let fds = support::fd_count();
    let drops = DropCounter::default();
    let rt = support::rt(2);
    rt.block_on(bounded(LIMIT, async {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| runtime::spawn(task(i, drops.guard())))
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            match (kind(i), handle.await) {
                (Kind::Healthy | Kind::LeavesPanickingWakers, Ok(n)) => assert_eq!(n, i),
                (Kind::PanicsInPoll | Kind::PanicsInDrop, Err(e)) => {
                    assert!(e.is_panic(), "task {i}: {e:?}")
                }
                (kind, result) => panic!("task {i} ({kind:?}) gave {result:?}"),
            }
        }
        // Both loops still serve tasks.
        let workers = runtime::on_each_worker(|_| async { runtime::worker_index() });
        for (i, w) in workers.into_iter().enumerate() {
            assert_eq!(w.await.unwrap(), Some(i));
        }
    }));
    assert_eq!(drops.dropped(), TASKS, "every task's future was dropped");
    drop(rt);
    // At most: the thread of a test that ran before this one may still be exiting.
    assert!(
        support::thread_count_settled(threads) <= threads,
        "threads left behind"
    );
    assert!(support::fd_count() <= fds, "file descriptors left open");
}

/// In the child process: breaks the loop's epoll instance under it, which the scheduler
/// cannot recover from.
fn break_the_event_loop() {
    // Without the tokio compatibility layer, whose own epoll instance would break first.
    let rt = runtime::Builder::new()
        .workers(1)
        .pin_workers(false)
        .tokio_compat(false)
        .build()
        .unwrap();
    rt.block_on(async {
        for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            if target.to_string_lossy().contains("eventpoll") {
                let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
                // SAFETY: closes an fd this process owns; the runtime's next use of it fails,
                // which is what this child is for. Nothing else here uses it.
                unsafe { libc::close(fd) };
            }
        }
        // Work for the worker: it wakes from the wait it may be in (a wait under way keeps
        // the instance alive) and, out of work again, parks: epoll_wait on the closed
        // descriptor fails.
        drop(runtime::spawn(async {}));
    });
    // The worker aborts the process meanwhile; a child still alive after this returns
    // normally, which the parent reports.
    std::thread::sleep(Duration::from_secs(30));
    std::mem::forget(rt);
}

#[test]
fn a_panic_in_the_scheduler_aborts_the_process() {
    const CHILD: &str = "RT_PANICS_BREAK_THE_LOOP";
    if std::env::var_os(CHILD).is_some() {
        break_the_event_loop();
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panic_in_the_scheduler_aborts_the_process",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "the child should abort; status {:?}, stderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("epoll_wait failed") && stderr.contains("dead event loop"),
        "stderr:\n{stderr}"
    );
}

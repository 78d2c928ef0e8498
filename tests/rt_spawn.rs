//! Spawning tasks, joining them, aborting them, and what happens when they panic.

mod support;

use support::Notify;

use std::any::Any;
use std::cell::RefCell;
use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};
use runtime::time::sleep;
use support::{bounded, DropCounter, DropGuard};

const LIMIT: Duration = Duration::from_secs(20);

/// The message of a panic payload (`&str` or `String`), or an empty string.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Waits (sleeping a millisecond at a time, so timers and I/O keep running) until `done`.
async fn until(mut done: impl FnMut() -> bool) {
    bounded(LIMIT, async {
        while !done() {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

rt_test! {
    async fn spawn_and_await() {
        let handle = runtime::spawn(async { 40 + 2 });
        assert_eq!(bounded(LIMIT, handle).await.unwrap(), 42);

        // A task that spawns and awaits a task of its own.
        let outer = runtime::spawn(async {
            let inner = runtime::spawn(async { "inner" });
            inner.await.unwrap()
        });
        assert_eq!(bounded(LIMIT, outer).await.unwrap(), "inner");
    }
}

rt_test! {
    async fn ten_thousand_tasks_all_complete() {
        const N: u64 = 10_000;
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let ran = ran.clone();
                runtime::spawn(async move {
                    if i % 2 == 0 {
                        runtime::yield_now().await;
                    }
                    ran.fetch_add(1, Ordering::Relaxed);
                    i
                })
            })
            .collect();
        let sum = bounded(LIMIT, async {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        })
        .await;
        assert_eq!(sum, N * (N - 1) / 2);
        assert_eq!(ran.load(Ordering::Relaxed), N as usize);
    }
}

#[test]
fn runtime_spawn_from_outside_then_block_on() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let handles: Vec<_> = (0..10u32)
            .map(|i| {
                rt.spawn(async move {
                    runtime::yield_now().await;
                    // Inside the task, the free functions work.
                    runtime::spawn(async move { i * 2 }).await.unwrap()
                })
            })
            .collect();
        let sum = rt.block_on(bounded(LIMIT, async {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        }));
        assert_eq!(sum, 90, "{workers} workers");
    }
}

#[test]
fn runtime_spawn_from_a_plain_thread_while_block_on_runs() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let done = Arc::new(Notify::default());
        thread::scope(|s| {
            let rt = &rt;
            let spawner = {
                let done = done.clone();
                s.spawn(move || {
                    let handle = rt.spawn(async move {
                        done.notify();
                        "spawned from a plain thread"
                    });
                    drop(handle);
                })
            };
            rt.block_on(bounded(LIMIT, done.wait()));
            spawner.join().unwrap();
        });
    }
}

rt_test! {
    async fn spawn_local_holds_rc_refcell() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let log = log.clone();
                runtime::spawn_local(async move {
                    runtime::yield_now().await;
                    log.borrow_mut().push(i);
                    runtime::yield_now().await;
                    // The output need not be `Send` either.
                    Rc::new(i)
                })
            })
            .collect();
        bounded(LIMIT, async {
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(*handle.await.unwrap(), i);
            }
        })
        .await;
        let mut seen = log.borrow().clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(Rc::strong_count(&log), 1, "every task dropped its clone");
    }
}

rt_test! {
    async fn spawn_local_from_inside_a_send_task() {
        let handle = runtime::spawn(async {
            let local = runtime::spawn_local(async {
                let shared = Rc::new(RefCell::new(0));
                for _ in 0..5 {
                    runtime::yield_now().await;
                    *shared.borrow_mut() += 1;
                }
                let value = *shared.borrow();
                value
            });
            local.await.unwrap()
        });
        assert_eq!(bounded(LIMIT, handle).await.unwrap(), 5);
    }
}

rt_test! {
    async fn yield_now_interleaves_local_tasks() {
        // Pinned tasks all run on this worker, so the order is fully determined: each yield
        // sends the task to the back of the queue.
        let log = Rc::new(RefCell::new(Vec::new()));
        let task = |name: &'static str| {
            let log = log.clone();
            runtime::spawn_local(async move {
                for step in 0..3 {
                    log.borrow_mut().push(format!("{name}{step}"));
                    runtime::yield_now().await;
                }
            })
        };
        let a = task("a");
        let b = task("b");
        let c = task("c");
        bounded(LIMIT, async {
            a.await.unwrap();
            b.await.unwrap();
            c.await.unwrap();
        })
        .await;
        assert_eq!(
            *log.borrow(),
            ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]
        );
    }
}

#[test]
fn yield_now_interleaves_send_tasks_on_one_worker() {
    support::rt(1).block_on_pinned(|| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = |name: &'static str| {
            let log = log.clone();
            runtime::spawn(async move {
                for step in 0..3 {
                    log.lock().unwrap().push(format!("{name}{step}"));
                    runtime::yield_now().await;
                }
            })
        };
        let a = task("a");
        let b = task("b");
        bounded(LIMIT, async {
            a.await.unwrap();
            b.await.unwrap();
        })
        .await;
        // Each round of both before the next (the one spawned last may start first: it
        // takes the LIFO slot).
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 6, "{log:?}");
        for (step, round) in log.chunks(2).enumerate() {
            let mut round = round.to_vec();
            round.sort();
            assert_eq!(round, [format!("a{step}"), format!("b{step}")], "{log:?}");
        }
    });
}

rt_test! {
    async fn yield_now_lets_a_task_waiting_on_another_make_progress() {
        let flag = Arc::new(AtomicBool::new(false));
        let spinner = runtime::spawn({
            let flag = flag.clone();
            async move {
                let mut spins = 0u64;
                while !flag.load(Ordering::SeqCst) {
                    spins += 1;
                    assert!(spins < 1_000_000, "the setter never ran");
                    runtime::yield_now().await;
                }
            }
        });
        let setter = runtime::spawn(async move { flag.store(true, Ordering::SeqCst) });
        bounded(LIMIT, async {
            spinner.await.unwrap();
            setter.await.unwrap();
        })
        .await;
    }
}

#[test]
fn yield_now_in_block_on_lets_tasks_run() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let ran = rt.block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let _task = runtime::spawn({
                let flag = flag.clone();
                async move { flag.store(true, Ordering::SeqCst) }
            });
            // The task runs on a worker while this thread yields.
            let start = std::time::Instant::now();
            while start.elapsed() < LIMIT {
                if flag.load(Ordering::SeqCst) {
                    return true;
                }
                runtime::yield_now().await;
            }
            false
        });
        assert!(
            ran,
            "{workers} workers: a task spawned from `block_on` never ran while the `block_on` \
             future yielded"
        );
    }
}

rt_test! {
    async fn abort_drops_the_future() {
        let drops = DropCounter::default();
        let handle = support::spawn_started(drops.guard()).await;
        assert!(!handle.is_finished());
        assert_eq!(drops.dropped(), 0);
        handle.abort();
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!err.is_panic());
        assert_eq!(err.to_string(), format!("task {} was cancelled", err.id()));
        assert_eq!(drops.dropped(), 1, "the aborted future was dropped");
    }
}

rt_test! {
    async fn abort_before_the_first_poll() {
        let drops = DropCounter::default();
        let polled = Arc::new(AtomicBool::new(false));
        let handle = runtime::spawn({
            let guard = drops.guard();
            let polled = polled.clone();
            async move {
                let _guard = guard;
                polled.store(true, Ordering::SeqCst);
            }
        });
        handle.abort();
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!polled.load(Ordering::SeqCst), "an aborted task was polled");
        assert_eq!(drops.dropped(), 1);
    }
}

rt_test! {
    async fn abort_a_local_task_from_a_plain_thread() {
        let drops = DropCounter::default();
        let started = Arc::new(Notify::default());
        let handle = runtime::spawn_local({
            let guard = drops.guard();
            let started = started.clone();
            // Not `Send`: the future must be dropped on this worker's thread.
            let not_send = Rc::new(());
            async move {
                let _guard = guard;
                let _not_send = not_send;
                started.notify();
                pending::<()>().await;
            }
        });
        bounded(LIMIT, started.wait()).await;
        let handle = thread::spawn(move || {
            handle.abort();
            handle
        })
        .join()
        .unwrap();
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(drops.dropped(), 1);
    }
}

rt_test! {
    async fn a_task_aborting_itself() {
        let drops = DropCounter::default();
        let slot: Arc<Mutex<Option<runtime::JoinHandle<()>>>> = Arc::default();
        let after_abort = Arc::new(AtomicUsize::new(0));
        let go = Arc::new(Notify::default());
        let handle = runtime::spawn({
            let guard = drops.guard();
            let slot = slot.clone();
            let after_abort = after_abort.clone();
            let go = go.clone();
            async move {
                let _guard = guard;
                go.wait().await;
                slot.lock().unwrap().as_ref().unwrap().abort();
                // The abort takes effect at the next scheduling: the task does not resume.
                runtime::yield_now().await;
                after_abort.fetch_add(1, Ordering::SeqCst);
            }
        });
        *slot.lock().unwrap() = Some(handle);
        go.notify();
        until(|| drops.dropped() == 1).await;
        let handle = slot.lock().unwrap().take().unwrap();
        assert!(bounded(LIMIT, handle).await.unwrap_err().is_cancelled());
        assert_eq!(after_abort.load(Ordering::SeqCst), 0);
    }
}

rt_test! {
    async fn abort_racing_with_completion() {
        // Whichever wins, the handle gives the output or a cancellation, and the future is
        // dropped exactly once.
        let drops = DropCounter::default();
        let handles: Vec<_> = (0..500u32)
            .map(|i| {
                let guard = drops.guard();
                runtime::spawn(async move {
                    let _guard = guard;
                    if i % 2 == 0 {
                        runtime::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        let handles = thread::spawn(move || {
            for handle in &handles {
                handle.abort();
            }
            handles
        })
        .join()
        .unwrap();
        for (i, handle) in handles.into_iter().enumerate() {
            match bounded(LIMIT, handle).await {
                Ok(output) => assert_eq!(output as usize, i),
                Err(e) => assert!(e.is_cancelled(), "{e:?}"),
            }
        }
        until(|| drops.dropped() == 500).await;
    }
}

rt_test! {
    async fn abort_of_a_finished_task_keeps_its_output() {
        let handle = runtime::spawn(async { String::from("output") });
        until(|| handle.is_finished()).await;
        handle.abort();
        assert!(handle.is_finished());
        assert_eq!(bounded(LIMIT, handle).await.unwrap(), "output");
    }
}

rt_test! {
    async fn is_finished_follows_the_task() {
        let go = Arc::new(Notify::default());
        let handle = runtime::spawn({
            let go = go.clone();
            async move { go.wait().await }
        });
        // Give the task a chance to run and block.
        sleep(Duration::from_millis(5)).await;
        assert!(!handle.is_finished());
        go.notify();
        until(|| handle.is_finished()).await;
        bounded(LIMIT, handle).await.unwrap();

        // An aborted task is finished too, once its future is dropped.
        let handle = runtime::spawn(pending::<()>());
        handle.abort();
        until(|| handle.is_finished()).await;
        assert!(bounded(LIMIT, handle).await.unwrap_err().is_cancelled());
    }
}

rt_test! {
    async fn a_panicking_task_gives_its_payload_and_the_runtime_keeps_serving() {
        let code = Arc::new(AtomicUsize::new(42));
        let handle = runtime::spawn(async move {
            sleep(Duration::from_millis(1)).await;
            let code = code.load(Ordering::SeqCst);
            if code != 0 {
                panic!("task failed on purpose: {code}");
            }
            7
        });
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert!(!err.is_cancelled());
        assert!(err.to_string().contains("task failed on purpose: 42"), "{err}");
        assert_eq!(panic_message(&*err.into_panic()), "task failed on purpose: 42");

        // A `&str` payload, from a local task.
        let err = bounded(LIMIT, runtime::spawn_local(async { panic!("local boom") }))
            .await
            .unwrap_err();
        assert_eq!(panic_message(&*err.into_panic()), "local boom");

        // The loops that ran the panicking tasks go on serving.
        let handles: Vec<_> = (0..100u32)
            .map(|i| {
                runtime::spawn(async move {
                    sleep(Duration::from_millis(u64::from(i % 3))).await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += bounded(LIMIT, handle).await.unwrap();
        }
        assert_eq!(sum, 4950);
    }
}

rt_test! {
    async fn accept_loop_keeps_answering_after_a_handler_panics() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                runtime::spawn(async move {
                    let mut byte = [0u8; 1];
                    stream.read_exact(&mut byte).await.unwrap();
                    if byte[0] == b'!' {
                        panic!("handler panicked on purpose");
                    }
                    stream.write_all(&byte).await.unwrap();
                });
            }
        });
        bounded(LIMIT, async {
            for round in 0..3 {
                // This client's handler panics: its connection is closed.
                let mut doomed = TcpStream::connect(addr).await.unwrap();
                doomed.write_all(b"!").await.unwrap();
                let mut buf = [0u8; 1];
                match doomed.read(&mut buf).await {
                    Ok(0) | Err(_) => {}
                    Ok(n) => panic!("round {round}: the panicked handler answered {n} bytes"),
                }
                // The server still answers.
                for byte in [b'a', b'b'] {
                    let mut client = TcpStream::connect(addr).await.unwrap();
                    client.write_all(&[byte]).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                    assert_eq!(buf[0], byte, "round {round}");
                }
            }
        })
        .await;
        assert!(!server.is_finished(), "the accept loop died");
        server.abort();
        assert!(bounded(LIMIT, server).await.unwrap_err().is_cancelled());
    }
}

/// Panics when dropped, after counting the drop.
struct PanicOnDrop(#[allow(dead_code)] DropGuard);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("PanicOnDrop dropped");
    }
}

rt_test! {
    async fn a_task_panicking_in_drop_while_aborted_does_not_take_the_runtime_down() {
        let drops = DropCounter::default();
        let started = Arc::new(Notify::default());
        let send = runtime::spawn({
            let bomb = PanicOnDrop(drops.guard());
            let started = started.clone();
            async move {
                let _bomb = bomb;
                started.notify();
                pending::<()>().await;
            }
        });
        let local = runtime::spawn_local({
            let bomb = PanicOnDrop(drops.guard());
            async move {
                let _bomb = bomb;
                pending::<()>().await;
            }
        });
        bounded(LIMIT, started.wait()).await;
        send.abort();
        local.abort();
        // As in tokio, the destructor's panic is the aborted task's outcome.
        assert!(bounded(LIMIT, send).await.unwrap_err().is_panic());
        assert!(bounded(LIMIT, local).await.unwrap_err().is_panic());
        assert_eq!(drops.dropped(), 2);

        // A bomb that goes off when a task completes is a panic of that task.
        let err = bounded(LIMIT, runtime::spawn({
            let bomb = PanicOnDrop(drops.guard());
            async move {
                let _bomb = bomb;
            }
        }))
        .await
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(&*err.into_panic()), "PanicOnDrop dropped");

        // Still serving.
        let handles: Vec<_> = (0..50).map(|i| runtime::spawn(async move { i })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += bounded(LIMIT, handle).await.unwrap();
        }
        assert_eq!(sum, 1225);
    }
}

/// Set in the child process that runs a scenario which may abort the process.
const CHILD_ENV: &str = "RT_SPAWN_TEST_CHILD";

/// Runs the test `name` of this binary in a child process (where the test runs its scenario,
/// seeing `CHILD_ENV`) and fails if the child does not exit successfully. For scenarios whose
/// failure mode is a process abort, which would take every other test down with it.
fn run_in_child(name: &str) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--include-ignored", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("the test binary runs");
    assert!(
        output.status.success(),
        "the child process failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_detached_output_that_panics_in_drop_does_not_take_the_runtime_down() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return run_in_child(
            "a_detached_output_that_panics_in_drop_does_not_take_the_runtime_down",
        );
    }
    for workers in [1, 2] {
        support::rt(workers).block_on(async {
            let drops = DropCounter::default();
            let done = Arc::new(Notify::default());
            let handle = runtime::spawn({
                let bomb = PanicOnDrop(drops.guard());
                let done = done.clone();
                async move {
                    done.wait().await;
                    bomb
                }
            });
            // Detached: the output is dropped by the runtime once the task completes.
            drop(handle);
            done.notify();
            until(|| drops.dropped() == 1).await;
            let answer = bounded(LIMIT, runtime::spawn(async { 1 + 1 }))
                .await
                .unwrap();
            assert_eq!(answer, 2);
        });
    }
}

rt_test! {
    async fn dropping_the_join_handle_detaches_the_task() {
        let done = Arc::new(Notify::default());
        let steps = Arc::new(AtomicUsize::new(0));
        let handle = runtime::spawn({
            let done = done.clone();
            let steps = steps.clone();
            async move {
                for _ in 0..3 {
                    sleep(Duration::from_millis(2)).await;
                    steps.fetch_add(1, Ordering::SeqCst);
                }
                done.notify();
            }
        });
        drop(handle);
        bounded(LIMIT, done.wait()).await;
        assert_eq!(steps.load(Ordering::SeqCst), 3);

        // The same for a local task.
        let done = Rc::new(RefCell::new(false));
        drop(runtime::spawn_local({
            let done = done.clone();
            async move {
                sleep(Duration::from_millis(2)).await;
                *done.borrow_mut() = true;
            }
        }));
        until(|| *done.borrow()).await;
    }
}

rt_test! {
    async fn a_plain_thread_wakes_a_task_through_a_stored_waker() {
        let (tx, rx) = mpsc::channel::<u64>();
        let waker_slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let consumer = runtime::spawn({
            let waker_slot = waker_slot.clone();
            async move {
                let mut sum = 0;
                poll_fn(move |cx| loop {
                    match rx.try_recv() {
                        Ok(v) => sum += v,
                        Err(mpsc::TryRecvError::Disconnected) => return Poll::Ready(sum),
                        Err(mpsc::TryRecvError::Empty) => {
                            // Store the waker, then look again: either this look sees the
                            // value, or the sender sees the waker.
                            *waker_slot.lock().unwrap() = Some(cx.waker().clone());
                            match rx.try_recv() {
                                Ok(v) => sum += v,
                                Err(mpsc::TryRecvError::Disconnected) => return Poll::Ready(sum),
                                Err(mpsc::TryRecvError::Empty) => return Poll::Pending,
                            }
                        }
                    }
                })
                .await
            }
        });
        let producer = thread::spawn(move || {
            let wake = || {
                if let Some(waker) = waker_slot.lock().unwrap().take() {
                    waker.wake();
                }
            };
            for i in 1..=100 {
                tx.send(i).unwrap();
                wake();
                if i % 10 == 0 {
                    thread::yield_now();
                }
            }
            drop(tx);
            wake();
        });
        assert_eq!(bounded(LIMIT, consumer).await.unwrap(), 5050);
        producer.join().unwrap();
    }
}

rt_test! {
    async fn a_plain_thread_wakes_send_and_local_tasks() {
        let send_go = Arc::new(Notify::default());
        let local_go = Arc::new(Notify::default());
        let send = runtime::spawn({
            let go = send_go.clone();
            async move {
                go.wait().await;
                "send"
            }
        });
        let local = runtime::spawn_local({
            let go = local_go.clone();
            async move {
                go.wait().await;
                "local"
            }
        });
        // Let both block first.
        sleep(Duration::from_millis(2)).await;
        let waker = thread::spawn(move || {
            send_go.notify();
            local_go.notify();
        });
        assert_eq!(bounded(LIMIT, send).await.unwrap(), "send");
        assert_eq!(bounded(LIMIT, local).await.unwrap(), "local");
        waker.join().unwrap();
    }
}

/// Runs `f`, which must panic, and returns its panic message.
fn panic_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    panic_message(&*payload)
}

fn assert_mentions_runtime(message: &str, api: &str) {
    assert!(
        message.contains(api) && message.to_lowercase().contains("runtime"),
        "the panic message should name `{api}` and the runtime, got: {message:?}"
    );
}

#[test]
fn spawn_outside_a_runtime_panics() {
    let message = panic_of(|| {
        drop(runtime::spawn(async {}));
    });
    assert_mentions_runtime(&message, "spawn");

    // After a runtime has come and gone, and on a plain thread started by a task.
    let rt = support::rt(1);
    rt.block_on(async {
        let message = thread::spawn(|| {
            panic_of(|| {
                drop(runtime::spawn(async {}));
            })
        })
        .join()
        .unwrap();
        assert_mentions_runtime(&message, "spawn");
    });
    let message = panic_of(|| {
        drop(runtime::spawn(async {}));
    });
    assert_mentions_runtime(&message, "spawn");
}

#[test]
fn spawn_local_outside_a_runtime_panics() {
    let message = panic_of(|| {
        drop(runtime::spawn_local(async {}));
    });
    assert_mentions_runtime(&message, "spawn_local");
}

#[test]
fn polling_a_sleep_outside_a_runtime_panics() {
    // Creating it is fine; polling it needs a timer wheel.
    let mut sleep = runtime::time::sleep(Duration::from_secs(60));
    let message = panic_of(|| {
        let _ = Pin::new(&mut sleep).poll(&mut Context::from_waker(Waker::noop()));
    });
    assert_mentions_runtime(&message, "sleep");

    // A sleep made outside works once it is awaited inside.
    let sleep = runtime::time::sleep(Duration::from_millis(1));
    support::rt(1).block_on(sleep);
}

#[test]
fn nested_block_on_panics() {
    for workers in [1, 2] {
        let rt = Arc::new(support::rt(workers));
        let other = support::rt(1);
        let message = rt.block_on(async {
            let same = panic_of(|| rt.block_on(async {}));
            let different = panic_of(|| other.block_on(async {}));
            assert_eq!(same, different);
            same
        });
        assert!(
            message.contains("block_on") && message.contains("inside a runtime"),
            "unclear message: {message:?}"
        );

        // From a task, possibly on another worker.
        let task = rt.spawn({
            let rt = rt.clone();
            async move { panic_of(|| rt.block_on(async {})) }
        });
        let message = rt.block_on(bounded(LIMIT, task)).unwrap();
        assert!(message.contains("block_on"), "unclear message: {message:?}");

        // The runtime still works.
        let answer = rt.block_on(async { runtime::spawn(async { 3 }).await.unwrap() });
        assert_eq!(answer, 3);
    }
}

#[test]
fn block_on_after_a_panicking_block_on() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let drops = DropCounter::default();
        let guard = drops.guard();
        let message = panic_of(|| {
            rt.block_on(async {
                let _guard = guard;
                sleep(Duration::from_millis(1)).await;
                panic!("block_on future panicked");
            })
        });
        assert_eq!(message, "block_on future panicked");
        assert_eq!(drops.dropped(), 1);
        let answer = rt.block_on(bounded(LIMIT, async {
            sleep(Duration::from_millis(1)).await;
            runtime::spawn(async { 5 }).await.unwrap()
        }));
        assert_eq!(answer, 5);
    }
}

#[test]
fn block_on_from_a_second_thread() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let value = support::block_on_second_thread(&rt, || async {
            let spawned = runtime::spawn(async {
                sleep(Duration::from_millis(2)).await;
                7
            });
            let value = bounded(LIMIT, spawned).await.unwrap();
            // A timer set from this thread goes on a worker's wheel.
            let start = std::time::Instant::now();
            sleep(Duration::from_millis(20)).await;
            assert!(start.elapsed() >= Duration::from_millis(20));
            // This thread is no worker: nothing can be pinned to it.
            let message = panic_of(|| {
                drop(runtime::spawn_local(async {}));
            });
            assert!(message.contains("spawn_local"), "{message:?}");
            value
        });
        assert_eq!(value, 7, "{workers} workers");
    }
}

/// Polls `future` on this thread, parking between wakes: an executor that is no runtime.
fn block_on_plain_thread<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

#[test]
fn a_join_handle_awaited_outside_the_runtime() {
    // Worker 1 runs the task while this thread, outside the runtime, waits on its handle.
    let rt = support::rt(2);
    let handle = rt.spawn(async {
        sleep(Duration::from_millis(5)).await;
        "from worker 1"
    });
    assert_eq!(block_on_plain_thread(handle).unwrap(), "from worker 1");
}

/// Races `future` against `gave_up`: `None` if `gave_up` came first.
async fn unless<F: Future>(future: F, gave_up: &Notify) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut gave_up = std::pin::pin!(gave_up.wait());
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        gave_up.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// `block_on` on a second thread while the first caller of `block_on` stays outside it (that
/// thread ran worker 0 in an earlier thread model): spawns a task and sleeps. `None` if it did
/// not finish within `LIMIT`.
fn block_on_from_a_second_thread_while_home_idles(workers: usize) -> Option<u32> {
    let rt = support::rt(workers);
    // This thread calls `block_on` first, then stays out of it.
    rt.block_on(async {});
    thread::scope(|s| {
        s.spawn(|| {
            // A watchdog makes the test fail instead of hanging.
            let gave_up = Arc::new(Notify::default());
            let (stop_tx, stop_rx) = mpsc::channel::<()>();
            let watchdog = {
                let gave_up = gave_up.clone();
                thread::spawn(move || {
                    if stop_rx.recv_timeout(LIMIT) == Err(mpsc::RecvTimeoutError::Timeout) {
                        gave_up.notify();
                    }
                })
            };
            let outcome = rt.block_on(unless(
                async {
                    let value = runtime::spawn(async { 1 }).await.unwrap();
                    // On a worker's wheel.
                    sleep(Duration::from_millis(5)).await;
                    value
                },
                &gave_up,
            ));
            drop(stop_tx);
            watchdog.join().unwrap();
            outcome
        })
        .join()
        .unwrap()
    })
}

#[test]
fn block_on_from_a_second_thread_while_the_home_thread_is_idle_two_workers() {
    assert_eq!(
        block_on_from_a_second_thread_while_home_idles(2),
        Some(1),
        "`block_on` on a second thread hung while the home thread idled"
    );
}

#[test]
fn block_on_from_a_second_thread_while_the_home_thread_is_idle_one_worker() {
    assert_eq!(
        block_on_from_a_second_thread_while_home_idles(1),
        Some(1),
        "`block_on` on a second thread hung while the home thread idled"
    );
}

#[test]
fn tasks_waking_each_other_forever_do_not_starve_the_run_queue() {
    // Each wake puts the woken task in the loop's LIFO slot, ahead of the run queue; a pair
    // that wakes each other would keep that slot forever if its streak were not bounded.
    support::rt(1).block_on(async {
        let (ping, pong) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let a = runtime::spawn({
            let (ping, pong) = (ping.clone(), pong.clone());
            async move {
                loop {
                    ping.notify_one();
                    pong.notified().await;
                }
            }
        });
        let b = runtime::spawn(async move {
            loop {
                ping.notified().await;
                pong.notify_one();
            }
        });
        // Queued behind the pair, on the same worker.
        let third = runtime::spawn(async {});
        bounded(LIMIT, third).await.unwrap();
        a.abort();
        b.abort();
    });
}

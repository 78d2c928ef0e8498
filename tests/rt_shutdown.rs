//! Shutdown: dropping the runtime drops every task it still holds, wherever the task waits,
//! without deadlocking on destructors that wake or spawn tasks.
//!
//! Every test runs its body on a thread of its own and fails if that thread does not finish in
//! time, so a shutdown that deadlocks fails the test instead of hanging the run.

mod support;

use support::Notify;

use std::future::pending;
use std::io::Read;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};
use runtime::time::sleep;
use runtime::{JoinHandle, Runtime};
use support::{bounded, DropCounter, DropGuard, NotifyOnDrop};

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `body` on a thread of its own; fails if it panics or does not finish within `LIMIT`.
fn within_limit<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(body));
        let _ = tx.send(());
        result
    });
    match rx.recv_timeout(LIMIT) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            match thread.join().expect("the result is caught") {
                Ok(value) => value,
                Err(payload) => resume_unwind(payload),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("the test did not finish within {LIMIT:?}: a shutdown deadlocked?")
        }
    }
}

/// Waits (a millisecond at a time) until `counter` reaches `n`.
async fn until_count(counter: &AtomicUsize, n: usize) {
    bounded(LIMIT, async {
        while counter.load(Ordering::SeqCst) < n {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// What the tests count.
#[derive(Clone, Default)]
struct Counters {
    /// Guards held by the tasks: dropped with them.
    drops: DropCounter,
    /// Tasks that reached the point where they wait.
    started: Arc<AtomicUsize>,
    /// Tasks polled after what they waited for happened during shutdown: must stay zero,
    /// since a closing runtime drops the tasks it wakes instead of polling them.
    polled_late: Arc<AtomicUsize>,
}

impl Counters {
    fn assert_none_polled_late(&self) {
        assert_eq!(
            self.polled_late.load(Ordering::SeqCst),
            0,
            "a task was polled during shutdown"
        );
    }
}

/// Tasks spawned by [`spawn_blocked_tasks`], and how to reach them afterwards.
struct Blocked {
    tasks: usize,
    /// Handles of some of the tasks, to await after the runtime is gone.
    handles: Vec<JoinHandle<()>>,
}

/// Spawns tasks on the current worker that wait forever: on `pending()`, an hour's sleep, a
/// socket read and a `JoinHandle`, as `Send` and as pinned tasks. Each holds a guard and counts
/// itself in `started` once it is waiting.
async fn spawn_blocked_tasks(counters: &Counters) -> Blocked {
    let mut handles = Vec::new();
    macro_rules! blocked {
        ($spawn_fn:path, |$guard:ident| $wait:expr) => {{
            let $guard = counters.drops.guard();
            let started = counters.started.clone();
            $spawn_fn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                $wait.await;
            })
        }};
    }
    for _ in 0..3 {
        handles.push(blocked!(runtime::spawn, |g| async move {
            let _g = g;
            pending::<()>().await
        }));
        handles.push(blocked!(runtime::spawn_local, |g| async move {
            let _g = g;
            pending::<()>().await
        }));
        handles.push(blocked!(runtime::spawn, |g| async move {
            let _g = g;
            sleep(Duration::from_secs(3600)).await
        }));
        handles.push(blocked!(runtime::spawn_local, |g| async move {
            let _g = g;
            sleep(Duration::from_secs(86_400)).await
        }));
    }

    // Socket reads: each side of a connection waits for the other, which never writes; the
    // side dropped second sees the first close, but only during shutdown.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    for local in [false, true] {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        for mut stream in [client, server] {
            let polled_late = counters.polled_late.clone();
            let read = |g: DropGuard| async move {
                let _g = g;
                let mut buf = [0u8; 16];
                let _ = stream.read(&mut buf).await;
                polled_late.fetch_add(1, Ordering::SeqCst);
            };
            handles.push(if local {
                blocked!(runtime::spawn_local, |g| read(g))
            } else {
                blocked!(runtime::spawn, |g| read(g))
            });
        }
    }

    // Tasks awaiting tasks.
    let inner = blocked!(runtime::spawn, |g| async move {
        let _g = g;
        pending::<()>().await
    });
    let inner_local = blocked!(runtime::spawn_local, |g| async move {
        let _g = g;
        pending::<()>().await
    });
    let polled_late = counters.polled_late.clone();
    handles.push(blocked!(runtime::spawn, |g| async move {
        let _g = g;
        let _ = inner.await;
        polled_late.fetch_add(1, Ordering::SeqCst);
    }));
    let polled_late = counters.polled_late.clone();
    handles.push(blocked!(runtime::spawn_local, |g| async move {
        let _g = g;
        let _ = inner_local.await;
        polled_late.fetch_add(1, Ordering::SeqCst);
    }));

    // A task that never stops yielding: always runnable, never waiting.
    handles.push(blocked!(runtime::spawn, |g| async move {
        let _g = g;
        loop {
            runtime::yield_now().await;
        }
    }));
    Blocked {
        tasks: handles.len() + 2,
        handles,
    }
}

/// Blocks tasks on every worker (on worker 1 through a task spawned from outside, when there
/// are two), drops the runtime and checks every one of them was dropped.
fn dropping_the_runtime_drops_blocked_tasks(workers: usize) {
    let rt = support::rt(workers);
    let counters = Counters::default();
    let (tx, rx) = mpsc::channel();
    drop(rt.spawn({
        let counters = counters.clone();
        async move {
            let blocked = spawn_blocked_tasks(&counters).await;
            tx.send((blocked.tasks, thread::current().id())).unwrap();
            pending::<()>().await
        }
    }));
    // Tasks holding a guard; the spawner above holds none.
    let mut expected = 0;
    if workers > 1 {
        let (tasks, thread) = rx.recv_timeout(LIMIT).expect("worker 1 runs the task");
        assert_ne!(thread, thread::current().id());
        expected += tasks;
    }
    let (handles, expected) = rt.block_on_pinned({
        let counters = counters.clone();
        move || async move {
            let blocked = spawn_blocked_tasks(&counters).await;
            expected += blocked.tasks;
            if workers == 1 {
                let (tasks, _) = bounded(LIMIT, async {
                    loop {
                        if let Ok(message) = rx.try_recv() {
                            return message;
                        }
                        sleep(Duration::from_millis(1)).await;
                    }
                })
                .await;
                expected += tasks;
            }
            until_count(&counters.started, expected).await;
            (blocked.handles, expected)
        }
    });
    assert_eq!(
        counters.drops.dropped(),
        0,
        "a blocked task was dropped early"
    );
    drop(rt);
    assert_eq!(
        counters.drops.dropped(),
        expected,
        "some tasks were not dropped"
    );
    counters.assert_none_polled_late();

    // Their handles report them cancelled, on another runtime.
    let other = support::rt(1);
    other.block_on(async {
        for handle in handles {
            assert!(handle.is_finished());
            let err = bounded(LIMIT, handle).await.unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
        }
    });
}

#[test]
fn dropping_the_runtime_drops_blocked_tasks_one_worker() {
    within_limit(|| dropping_the_runtime_drops_blocked_tasks(1));
}

#[test]
fn dropping_the_runtime_drops_blocked_tasks_two_workers() {
    within_limit(|| dropping_the_runtime_drops_blocked_tasks(2));
}

#[test]
fn shutdown_method_drops_blocked_tasks() {
    within_limit(|| {
        for workers in [1, 2] {
            let rt = support::rt(workers);
            let counters = Counters::default();
            let tasks = rt.block_on_pinned({
                let counters = counters.clone();
                move || async move {
                    let blocked = spawn_blocked_tasks(&counters).await;
                    until_count(&counters.started, blocked.tasks).await;
                    blocked.tasks
                }
            });
            rt.shutdown();
            assert_eq!(counters.drops.dropped(), tasks, "{workers} workers");
            counters.assert_none_polled_late();
        }
    });
}

#[test]
fn tasks_never_polled_are_dropped() {
    within_limit(|| {
        for workers in [1, 2] {
            let rt = support::rt(workers);
            let drops = DropCounter::default();
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    let guard = drops.guard();
                    rt.spawn(async move {
                        let _guard = guard;
                        pending::<()>().await
                    })
                })
                .collect();
            drop(rt);
            assert_eq!(drops.dropped(), 100, "{workers} workers");
            support::rt(1).block_on(async {
                for handle in handles {
                    assert!(bounded(LIMIT, handle).await.unwrap_err().is_cancelled());
                }
            });
        }
    });
}

#[test]
fn dropping_the_runtime_closes_the_sockets_of_dropped_tasks() {
    within_limit(|| {
        for workers in [1, 2] {
            let rt = support::rt(workers);
            let drops = DropCounter::default();
            let mut peer = rt.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let peer = std::net::TcpStream::connect(addr).unwrap();
                let (mut stream, _) = bounded(LIMIT, listener.accept()).await.unwrap();
                let started = Arc::new(Notify::default());
                drop(runtime::spawn({
                    let guard = drops.guard();
                    let started = started.clone();
                    async move {
                        let _guard = guard;
                        started.notify();
                        let mut buf = [0u8; 1];
                        let _ = stream.read(&mut buf).await;
                        pending::<()>().await
                    }
                }));
                bounded(LIMIT, started.wait()).await;
                peer
            });
            drop(rt);
            assert_eq!(drops.dropped(), 1);
            // The task's socket was closed with it: its peer reads end-of-file.
            peer.set_read_timeout(Some(LIMIT)).unwrap();
            let mut buf = [0u8; 1];
            match peer.read(&mut buf) {
                Ok(0) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                other => panic!("{workers} workers: the peer read {other:?}"),
            }
        }
    });
}

/// Spawns tasks when dropped, and records that the spawns returned.
struct SpawnOnDrop {
    drops: DropCounter,
    spawned: Arc<AtomicUsize>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let guard = self.drops.guard();
        let send = runtime::spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
        let guard = self.drops.guard();
        let local = runtime::spawn_local(async move {
            let _guard = guard;
            pending::<()>().await
        });
        // Too late to run: both were cancelled at once.
        assert!(send.is_finished() && local.is_finished());
        self.spawned.fetch_add(2, Ordering::SeqCst);
    }
}

/// Spawns, on the current worker, tasks whose destructors wake other tasks (pinned and not,
/// spawned before or after them) and spawn new ones. Returns the number of guards made.
async fn spawn_tasks_with_busy_destructors(
    counters: &Counters,
    spawned: &Arc<AtomicUsize>,
) -> usize {
    let mut guards = 0;
    for local in [false, true] {
        for waker_first in [false, true] {
            let notify = Arc::new(Notify::default());
            let waiter = {
                let guard = counters.drops.guard();
                let notify = notify.clone();
                let started = counters.started.clone();
                let polled_late = counters.polled_late.clone();
                async move {
                    let _guard = guard;
                    started.fetch_add(1, Ordering::SeqCst);
                    notify.wait().await;
                    polled_late.fetch_add(1, Ordering::SeqCst);
                }
            };
            let waking = {
                let guard = counters.drops.guard();
                let wake = NotifyOnDrop(notify);
                let started = counters.started.clone();
                async move {
                    let _guard = guard;
                    let _wake = wake;
                    started.fetch_add(1, Ordering::SeqCst);
                    pending::<()>().await
                }
            };
            let spawn_waiter = || {
                if local {
                    drop(runtime::spawn_local(waiter));
                } else {
                    drop(runtime::spawn(waiter));
                }
            };
            if waker_first {
                drop(runtime::spawn(waking));
                spawn_waiter();
            } else {
                spawn_waiter();
                drop(runtime::spawn_local(waking));
            }
            guards += 2;
        }
    }
    for local in [false, true] {
        let spawner = SpawnOnDrop {
            drops: counters.drops.clone(),
            spawned: spawned.clone(),
        };
        let guard = counters.drops.guard();
        let started = counters.started.clone();
        let future = async move {
            let _guard = guard;
            let _spawner = spawner;
            started.fetch_add(1, Ordering::SeqCst);
            pending::<()>().await
        };
        if local {
            drop(runtime::spawn_local(future));
        } else {
            drop(runtime::spawn(future));
        }
        // Its own guard, and those of the two tasks it spawns when dropped.
        guards += 3;
    }
    guards
}

fn destructors_that_wake_or_spawn_during_shutdown(workers: usize) {
    let rt = support::rt(workers);
    let counters = Counters::default();
    let spawned = Arc::new(AtomicUsize::new(0));
    let mut guards = 0;
    if workers > 1 {
        // Spawned from outside: on worker 1 if worker 0 is busy with the test's main task.
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn({
            let (counters, spawned) = (counters.clone(), spawned.clone());
            async move {
                let guards = spawn_tasks_with_busy_destructors(&counters, &spawned).await;
                tx.send(guards).unwrap();
            }
        }));
        guards += rx.recv_timeout(LIMIT).expect("worker 1 runs the task");
    }
    let guards = rt.block_on_pinned({
        let (counters, spawned) = (counters.clone(), spawned.clone());
        move || async move {
            let guards = guards + spawn_tasks_with_busy_destructors(&counters, &spawned).await;
            // Every task counts itself but those spawned on drop, two per spawner, two
            // spawners per worker.
            until_count(&counters.started, guards - 4 * workers).await;
            guards
        }
    });
    assert_eq!(counters.drops.dropped(), 0);
    drop(rt);
    assert_eq!(
        counters.drops.dropped(),
        guards,
        "some tasks were not dropped"
    );
    assert_eq!(
        spawned.load(Ordering::SeqCst),
        4 * workers,
        "a spawn on drop failed"
    );
    counters.assert_none_polled_late();
}

#[test]
fn destructors_that_wake_or_spawn_during_shutdown_one_worker() {
    within_limit(|| destructors_that_wake_or_spawn_during_shutdown(1));
}

#[test]
fn destructors_that_wake_or_spawn_during_shutdown_two_workers() {
    within_limit(|| destructors_that_wake_or_spawn_during_shutdown(2));
}

#[test]
fn a_destructor_on_worker_1_wakes_a_task_pinned_to_worker_0() {
    within_limit(|| {
        let rt = support::rt(2);
        let counters = Counters::default();
        let drops = counters.drops.clone();
        let notify = Arc::new(Notify::default());
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn({
            let guard = drops.guard();
            let wake = NotifyOnDrop(notify.clone());
            async move {
                let _guard = guard;
                let _wake = wake;
                tx.send(thread::current().id()).unwrap();
                pending::<()>().await
            }
        }));
        let worker1 = rx.recv_timeout(LIMIT).expect("worker 1 runs the task");
        assert_ne!(worker1, thread::current().id());
        let guard = drops.guard();
        let polled_late = counters.polled_late.clone();
        rt.block_on_pinned(move || async move {
            let started = Arc::new(Notify::default());
            drop(runtime::spawn_local({
                let started = started.clone();
                async move {
                    let _guard = guard;
                    started.notify();
                    notify.wait().await;
                    polled_late.fetch_add(1, Ordering::SeqCst);
                }
            }));
            bounded(LIMIT, started.wait()).await;
        });
        drop(rt);
        assert_eq!(drops.dropped(), 2);
        counters.assert_none_polled_late();
    });
}

#[test]
fn a_join_handle_of_a_dropped_runtime_is_cancelled_on_another() {
    within_limit(|| {
        for workers in [1, 2] {
            let rt = support::rt(workers);
            let drops = DropCounter::default();
            let guards = (drops.guard(), drops.guard());
            let (pending_handle, finished_handle, local_handle) = rt.block_on_pinned(|| async {
                let guard = guards.0;
                let pending_handle = runtime::spawn(async move {
                    let _guard = guard;
                    sleep(Duration::from_secs(3600)).await;
                    "never"
                });
                let guard = guards.1;
                let local_handle = runtime::spawn_local(async move {
                    let _guard = guard;
                    pending::<()>().await;
                });
                let finished_handle = runtime::spawn(async { "done" });
                bounded(LIMIT, async {
                    while !finished_handle.is_finished() {
                        sleep(Duration::from_millis(1)).await;
                    }
                })
                .await;
                (pending_handle, finished_handle, local_handle)
            });
            drop(rt);
            assert_eq!(drops.dropped(), 2);
            let other: Runtime = support::rt(workers);
            other.block_on(async {
                let err = bounded(LIMIT, pending_handle).await.unwrap_err();
                assert!(err.is_cancelled(), "{err:?}");
                let err = bounded(LIMIT, local_handle).await.unwrap_err();
                assert!(err.is_cancelled(), "{err:?}");
                // A task that finished before the runtime went keeps its output.
                assert_eq!(bounded(LIMIT, finished_handle).await.unwrap(), "done");
            });
        }
    });
}

#[test]
fn a_task_spawned_after_the_last_block_on_resolves_once_the_runtime_is_dropped() {
    within_limit(|| {
        // A handle spawned from outside after the last `block_on` still resolves, whether or
        // not the task ran, once the runtime is dropped.
        for workers in [1, 2] {
            let rt = support::rt(workers);
            rt.block_on(async {});
            let handle = rt.spawn(async { 1 });
            drop(rt);
            let result = support::rt(1).block_on(bounded(LIMIT, handle));
            match result {
                Ok(1) => assert!(workers > 1, "a task ran without a worker"),
                Ok(other) => panic!("unexpected output {other}"),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
    });
}

#[test]
fn dropping_the_runtime_inside_its_own_task_finishes_the_shutdown_elsewhere() {
    within_limit(|| {
        let rt = Arc::new(support::rt(2));
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (ran_tx, ran_rx) = mpsc::channel();
        let drops = DropCounter::default();
        // A task that never finishes, on worker 1: the shutdown must drop it.
        rt.spawn({
            let guard = drops.guard();
            async move {
                let _guard = guard;
                std::future::pending::<()>().await
            }
        });
        // Spawned from outside: a worker runs it at once.
        let task = rt.spawn({
            let rt = rt.clone();
            async move {
                ran_tx.send(thread::current().id()).unwrap();
                go_rx.recv_timeout(LIMIT).unwrap();
                // The last handle: this runs the runtime's `Drop` on one of its own workers,
                // which cannot wait for itself.
                drop(rt);
                "returned"
            }
        });
        let worker = ran_rx.recv_timeout(LIMIT).expect("worker 1 runs the task");
        assert_ne!(worker, thread::current().id());
        drop(rt);
        go_tx.send(()).unwrap();
        // The task itself completes; its handle then reports it like any task that finished
        // before the shutdown dropped the rest.
        let result = support::rt(1).block_on(bounded(LIMIT, task));
        assert!(
            matches!(result, Ok("returned")) || result.as_ref().is_err_and(|e| e.is_cancelled()),
            "{result:?}"
        );
        // The shutdown finishes on its own thread: the pending task is dropped.
        let deadline = std::time::Instant::now() + LIMIT;
        while drops.dropped() == 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(drops.dropped(), 1, "the pending task was dropped");
    });
}

/// Runs a closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A destructor run during shutdown spawns a task; the closing runtime drops its future at
/// once, inside `spawn`, and that future owns another runtime, whose shutdown enters its own
/// workers on this thread. It must complete: the other runtime's pending task is dropped.
#[test]
fn a_spawn_during_shutdown_may_drop_a_future_that_owns_another_runtime() {
    within_limit(|| {
        let outer = support::rt(1);
        let inner = support::rt(1);
        let drops = DropCounter::default();
        let guard = drops.guard();
        inner.block_on(async move {
            drop(runtime::spawn(async move {
                let _guard = guard;
                pending::<()>().await
            }));
        });
        let mut inner = Some(inner);
        let spawn_on_drop = OnDrop(move || {
            let inner = inner.take();
            drop(runtime::spawn(async move { drop(inner) }));
        });
        outer.block_on(async move {
            drop(runtime::spawn(async move {
                let _spawn_on_drop = spawn_on_drop;
                pending::<()>().await
            }));
            runtime::yield_now().await;
        });
        drop(outer);
        assert_eq!(
            drops.dropped(),
            1,
            "the inner runtime's task was not dropped"
        );
    });
}

#[test]
fn shutdown_timeout_leaves_a_blocking_closure_that_outlasts_it() {
    // tokio's `shutdown_timeout`: a plain drop would wait for nothing here either, but the
    // call must return while the closure is still running, and not hold on to it.
    let (release, released) = mpsc::channel::<()>();
    let drops = DropCounter::default();
    let guard = drops.guard();
    within_limit(move || {
        let rt = support::rt(2);
        let (started, running) = mpsc::channel::<()>();
        let _blocked = rt.spawn_blocking(move || {
            started.send(()).unwrap();
            released.recv()
        });
        running.recv().unwrap();
        let _pending = rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
        rt.shutdown_timeout(Duration::from_millis(10));
    });
    release.send(()).unwrap();
    // The workers drop the pending task, in the background if not within the 10 ms.
    within_limit(move || {
        while drops.dropped() == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    });
}

#[test]
fn shutdown_timeout_waits_for_a_blocking_closure_that_returns_in_time() {
    let finished = Arc::new(AtomicUsize::new(0));
    let (release, released) = mpsc::channel::<()>();
    let seen = finished.clone();
    within_limit(move || {
        let rt = support::rt(1);
        let (started, running) = mpsc::channel::<()>();
        let _blocked = rt.spawn_blocking(move || {
            started.send(()).unwrap();
            released.recv().unwrap();
            seen.fetch_add(1, Ordering::SeqCst);
        });
        running.recv().unwrap();
        // Released from another thread once the shutdown is under way.
        thread::spawn(move || release.send(()).unwrap());
        rt.shutdown_timeout(LIMIT);
    });
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the closure ran to its end first"
    );
}

#[test]
fn shutdown_background_returns_at_once_even_inside_another_runtimes_task() {
    let drops = DropCounter::default();
    let guard = drops.guard();
    within_limit(move || {
        let outer = support::rt(1);
        outer.block_on_pinned(move || async move {
            let inner = support::rt(2);
            let _pending = inner.spawn(async move {
                let _guard = guard;
                pending::<()>().await
            });
            inner.shutdown_background();
        });
    });
    // The inner runtime's workers drop the task on their own time.
    within_limit(move || {
        while drops.dropped() == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    });
}

#[test]
fn thread_callbacks_run_on_every_thread_the_runtime_starts() {
    let counts: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let count = |i: usize| {
        let counts = counts.clone();
        move || {
            counts[i].fetch_add(1, Ordering::SeqCst);
        }
    };
    let rt = runtime::Builder::new()
        .workers(2)
        .pin_workers(false)
        .on_thread_start(count(0))
        .on_thread_stop(count(1))
        .on_thread_park(count(2))
        .on_thread_unpark(count(3))
        .build()
        .unwrap();
    rt.block_on(async {
        rt.spawn_blocking(|| ()).await.unwrap();
        // Idle for a while: the workers sleep and wake.
        sleep(Duration::from_millis(20)).await;
    });
    rt.shutdown_timeout(LIMIT);
    let [start, stop, park, unpark] = counts.each_ref().map(|c| c.load(Ordering::SeqCst));
    assert_eq!(start, 3, "two workers and one blocking thread");
    assert_eq!(stop, start, "each stopped");
    assert!(park >= 2, "each worker slept: {park}");
    assert!(
        unpark >= 1 && unpark <= park,
        "woke after sleeping: {unpark} of {park}"
    );
}

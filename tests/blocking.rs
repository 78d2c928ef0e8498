//! `spawn_blocking`: the pool's cap, panics, aborts, idle threads retiring, shutdown, and the
//! loops going on while closures block.
//!
//! Thread counts are process-wide and tests run side by side, so each test that counts threads
//! names its runtime's threads and counts only the pool threads with that name.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use runtime::future::FutureExt;
use runtime::net::{TcpListener, TcpStream};
use runtime::time::sleep;
use support::{bounded, DropCounter};

const LIMIT: Duration = Duration::from_secs(20);

/// A latch that blocking closures wait on until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    /// Blocks until the gate opens (true) or [`LIMIT`] passes (false).
    fn wait(&self) -> bool {
        let (open, opened) = &*self.0;
        let (open, _) = opened
            .wait_timeout_while(open.lock().unwrap(), LIMIT, |open| !*open)
            .unwrap();
        *open
    }
}

/// A runtime whose threads are named `name` (short: the kernel keeps 15 bytes of a name).
fn named_rt(
    name: &str,
    configure: impl FnOnce(runtime::Builder) -> runtime::Builder,
) -> runtime::Runtime {
    configure(
        runtime::Builder::new()
            .workers(1)
            .pin_workers(false)
            .thread_name(name),
    )
    .build()
    .expect("runtime builds")
}

/// The number of live blocking-pool threads of the runtime named `name`.
fn blocking_threads(name: &str) -> usize {
    let comm: String = format!("{name}-blocking").chars().take(15).collect();
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task is readable")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == comm)
        .count()
}

/// Blocks (sleeping a millisecond at a time) until `done`, or fails the test after [`LIMIT`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < give_up, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

rt_test! {
    async fn runs_on_a_pool_thread_inside_the_runtime() {
        let (name, worker, spawned) = bounded(
            LIMIT,
            runtime::spawn_blocking(|| {
                let name = std::thread::current().name().map(str::to_owned);
                // Inside the runtime: it may spawn a task, though it is no worker.
                (name, runtime::worker_index(), runtime::spawn(async { 7 }))
            }),
        )
        .await
        .unwrap();
        assert_eq!(name.as_deref(), Some("runtime-blocking"));
        assert_eq!(worker, None);
        assert_eq!(bounded(LIMIT, spawned).await.unwrap(), 7);
    }
}

rt_test! {
    async fn a_panic_becomes_a_join_error() {
        let err = bounded(LIMIT, runtime::spawn_blocking(|| panic!("boom")))
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
        // The pool goes on.
        let ok = runtime::spawn_blocking(|| "still here");
        assert_eq!(bounded(LIMIT, ok).await.unwrap(), "still here");
    }
}

#[test]
fn closures_beyond_the_cap_wait_and_all_complete() {
    const CAP: usize = 2;
    const N: usize = 64;
    let rt = named_rt("cap", |b| b.workers(2).max_blocking_threads(CAP));
    let gate = Gate::default();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let (gate, running, most, started) =
                (gate.clone(), running.clone(), most.clone(), started.clone());
            rt.spawn_blocking(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                started.fetch_add(1, Ordering::SeqCst);
                let opened = gate.wait();
                running.fetch_sub(1, Ordering::SeqCst);
                (i, opened)
            })
        })
        .collect();
    // The first closures hold every thread the pool may have; the rest wait in its queue.
    wait_until("the pool is full", || started.load(Ordering::SeqCst) == CAP);
    assert_eq!(blocking_threads("cap"), CAP);
    gate.open();
    let outputs = rt.block_on(async {
        let mut outputs = Vec::new();
        for handle in handles {
            outputs.push(bounded(LIMIT, handle).await.unwrap());
        }
        outputs
    });
    assert_eq!(outputs, (0..N).map(|i| (i, true)).collect::<Vec<_>>());
    assert_eq!(most.load(Ordering::SeqCst), CAP);
    assert!(blocking_threads("cap") <= CAP);
}

#[test]
fn abort_keeps_a_queued_closure_from_running() {
    let rt = named_rt("abort", |b| b.max_blocking_threads(1));
    let gate = Gate::default();
    let first = rt.spawn_blocking({
        let gate = gate.clone();
        move || gate.wait()
    });
    let ran = Arc::new(AtomicBool::new(false));
    let drops = DropCounter::default();
    let queued = rt.spawn_blocking({
        let (ran, guard) = (ran.clone(), drops.guard());
        move || {
            let _guard = guard;
            ran.store(true, Ordering::SeqCst);
        }
    });
    // The only thread is busy with `first`, so `queued` has not started.
    queued.abort();
    gate.open();
    rt.block_on(async {
        assert!(bounded(LIMIT, first).await.unwrap());
        assert!(bounded(LIMIT, queued).await.unwrap_err().is_cancelled());
    });
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(drops.dropped(), 1);
}

rt_test! {
    async fn abort_does_not_stop_a_running_closure() {
        let gate = Gate::default();
        let started = Arc::new(AtomicBool::new(false));
        let handle = runtime::spawn_blocking({
            let (gate, started) = (gate.clone(), started.clone());
            move || {
                started.store(true, Ordering::SeqCst);
                gate.wait()
            }
        });
        bounded(LIMIT, async {
            while !started.load(Ordering::SeqCst) {
                sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        handle.abort();
        gate.open();
        // It ran to the end, so its output is kept.
        assert!(bounded(LIMIT, handle).await.unwrap());
    }
}

/// Starts `n` closures on `rt`'s pool that wait for `gate`, and waits until all of them run.
fn run_behind(rt: &runtime::Runtime, gate: &Gate, n: usize) -> Vec<runtime::JoinHandle<bool>> {
    let started = Arc::new(AtomicUsize::new(0));
    let handles = (0..n)
        .map(|_| {
            let (gate, started) = (gate.clone(), started.clone());
            rt.spawn_blocking(move || {
                started.fetch_add(1, Ordering::SeqCst);
                gate.wait()
            })
        })
        .collect();
    wait_until("every closure runs", || started.load(Ordering::SeqCst) == n);
    handles
}

#[test]
fn idle_threads_retire_after_the_keep_alive() {
    const N: usize = 3;
    let rt = named_rt("retire", |b| {
        b.blocking_keep_alive(Duration::from_millis(10))
    });
    let gate = Gate::default();
    let handles = run_behind(&rt, &gate, N);
    assert_eq!(blocking_threads("retire"), N);
    gate.open();
    rt.block_on(async {
        for handle in handles {
            assert!(bounded(LIMIT, handle).await.unwrap());
        }
    });
    // The runtime lives on; its idle pool threads do not.
    wait_until("the idle threads exit", || blocking_threads("retire") == 0);
    // The pool starts a thread again when it needs one.
    let again = rt.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    let name = rt.block_on(bounded(LIMIT, again)).unwrap();
    assert_eq!(name.as_deref(), Some("retire-blocking"));
}

#[test]
fn dropping_the_runtime_ends_idle_threads() {
    const N: usize = 4;
    // A keep-alive no test waits for: only the shutdown can end these threads.
    let rt = named_rt("idle", |b| b.blocking_keep_alive(Duration::from_secs(3600)));
    let gate = Gate::default();
    let handles = run_behind(&rt, &gate, N);
    gate.open();
    rt.block_on(async {
        for handle in handles {
            assert!(bounded(LIMIT, handle).await.unwrap());
        }
    });
    assert_eq!(blocking_threads("idle"), N);
    drop(rt);
    wait_until("the pool's threads exit", || blocking_threads("idle") == 0);
}

#[test]
fn shutdown_drops_queued_closures_and_leaves_running_ones() {
    let rt = named_rt("shut", |b| b.max_blocking_threads(1));
    let gate = Gate::default();
    let started = Arc::new(AtomicBool::new(false));
    let running = rt.spawn_blocking({
        let (gate, started) = (gate.clone(), started.clone());
        move || {
            started.store(true, Ordering::SeqCst);
            gate.wait()
        }
    });
    let ran = Arc::new(AtomicBool::new(false));
    let drops = DropCounter::default();
    let queued = rt.spawn_blocking({
        let (ran, guard) = (ran.clone(), drops.guard());
        move || {
            let _guard = guard;
            ran.store(true, Ordering::SeqCst);
        }
    });
    wait_until("the first closure runs", || started.load(Ordering::SeqCst));

    // Returns while `running` still blocks: shutdown does not wait for it.
    drop(rt);
    assert_eq!(drops.dropped(), 1);
    assert!(queued
        .now_or_never()
        .expect("a dropped closure's handle is ready")
        .unwrap_err()
        .is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(blocking_threads("shut"), 1);

    // The detached closure finishes, and its thread ends after it.
    gate.open();
    wait_until("the closure finishes", || running.is_finished());
    assert!(running.now_or_never().expect("finished").unwrap());
    wait_until("the pool's thread exits", || blocking_threads("shut") == 0);
}

rt_test! {
    async fn a_blocking_closure_does_not_stall_the_loops() {
        let gate = Gate::default();
        let blocked = runtime::spawn_blocking({
            let gate = gate.clone();
            // Were it on this loop, nothing below could run until it gave up.
            move || gate.wait()
        });

        // A timer fires...
        bounded(LIMIT, sleep(Duration::from_millis(1))).await;
        // ...and a socket on this loop serves a connection.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
        });
        let mut client = bounded(LIMIT, TcpStream::connect(addr)).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        bounded(LIMIT, client.read_exact(&mut buf)).await.unwrap();
        assert_eq!(&buf, b"ping");
        bounded(LIMIT, server).await.unwrap();

        gate.open();
        assert!(bounded(LIMIT, blocked).await.unwrap(), "the closure gave up waiting");
    }
}

rt_test! {
    async fn many_concurrent_closures_from_many_tasks() {
        let tasks: Vec<_> = (0..16u64)
            .map(|i| {
                runtime::spawn(async move {
                    let mut sum = 0;
                    for j in 0..16u64 {
                        sum += runtime::spawn_blocking(move || i * 16 + j).await.unwrap();
                    }
                    sum
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += bounded(LIMIT, task).await.unwrap();
        }
        assert_eq!(total, 256 * 255 / 2);
    }
}

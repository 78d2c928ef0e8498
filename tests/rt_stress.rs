//! Stress: many tasks across workers, wakes from foreign threads, cross-worker ping-pong.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use support::{bounded, rt, DropCounter};

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn a_million_tasks_from_inside_and_outside_all_complete() {
    const OUTSIDE: usize = 500_000;
    const INSIDE: usize = 500_000;
    let runtime = rt(2);
    let done = Arc::new(AtomicUsize::new(0));
    let outside: Vec<_> = (0..OUTSIDE)
        .map(|_| {
            let done = done.clone();
            runtime.spawn(async move {
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    let inside_done = done.clone();
    runtime.block_on(bounded(LIMIT, async move {
        // Spawned from tasks on both workers, in chunks.
        let spawners: Vec<_> = (0..100)
            .map(|_| {
                let done = inside_done.clone();
                runtime::spawn(async move {
                    let handles: Vec<_> = (0..INSIDE / 100)
                        .map(|_| {
                            let done = done.clone();
                            runtime::spawn(async move {
                                done.fetch_add(1, Ordering::Relaxed);
                            })
                        })
                        .collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                })
            })
            .collect();
        for s in spawners {
            s.await.unwrap();
        }
        for h in outside {
            h.await.unwrap();
        }
    }));
    assert_eq!(done.load(Ordering::Relaxed), OUTSIDE + INSIDE);
}

/// A future that completes once a waker it handed out has been woken.
struct WokenOnce {
    woken: Arc<std::sync::atomic::AtomicBool>,
    waker_out: Option<mpsc::Sender<(Waker, Arc<std::sync::atomic::AtomicBool>)>>,
}

impl std::future::Future for WokenOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.woken.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if let Some(tx) = self.waker_out.take() {
            tx.send((cx.waker().clone(), self.woken.clone())).unwrap();
        }
        Poll::Pending
    }
}

#[test]
fn wakes_from_a_plain_thread_are_never_lost() {
    const TASKS: usize = 10_000;
    let runtime = rt(2);
    let (tx, rx) = mpsc::channel();
    let waker_thread = std::thread::spawn(move || {
        for _ in 0..TASKS {
            let (waker, flag): (Waker, Arc<std::sync::atomic::AtomicBool>) = rx.recv().unwrap();
            flag.store(true, Ordering::SeqCst);
            waker.wake();
        }
    });
    runtime.block_on(bounded(LIMIT, async move {
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                runtime::spawn(WokenOnce {
                    woken: Default::default(),
                    waker_out: Some(tx.clone()),
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    }));
    waker_thread.join().unwrap();
}

#[test]
fn aborts_racing_with_polls_on_another_worker_are_never_lost() {
    const ROUNDS: usize = 5_000;
    const TASKS: usize = 32;
    /// The bound on each round's wait, for the handles and for worker 1.
    const ROUND_LIMIT: Duration = Duration::from_secs(20);
    let runtime = rt(2);
    runtime.block_on_pinned(|| async {
        for _ in 0..ROUNDS {
            let drops = DropCounter::default();
            let spawned = Arc::new(Mutex::new(None));
            // Worker 1 spawns the tasks into its own queue and polls them as soon as this
            // thread, worker 0, has their handles and starts aborting them.
            let spawners = runtime::on_each_worker({
                let (drops, spawned) = (drops.clone(), spawned.clone());
                move |worker| {
                    if worker == 1 {
                        let handles: Vec<_> = (0..TASKS)
                            .map(|_| {
                                let guard = drops.guard();
                                // Polled once, then waiting for a wake that only the abort
                                // gives: an abort lost while the task was being polled leaves
                                // it waiting forever.
                                runtime::spawn(async move {
                                    let _guard = guard;
                                    std::future::pending::<()>().await
                                })
                            })
                            .collect();
                        *spawned.lock().unwrap() = Some(handles);
                    }
                    async {}
                }
            });
            // Spinning rather than awaiting, so the aborts start the moment worker 1 can poll.
            let given_up = std::time::Instant::now() + ROUND_LIMIT;
            let handles = loop {
                if let Some(handles) = spawned.lock().unwrap().take() {
                    break handles;
                }
                assert!(
                    std::time::Instant::now() < given_up,
                    "worker 1 never spawned"
                );
                std::hint::spin_loop();
            };
            for handle in &handles {
                handle.abort();
            }
            for handle in handles {
                let joined = bounded(ROUND_LIMIT, handle).await;
                assert!(joined.unwrap_err().is_cancelled());
            }
            assert_eq!(drops.dropped(), TASKS);
            for spawner in spawners {
                spawner.await.unwrap();
            }
        }
    });
}

#[test]
fn ping_pong_between_workers_completes() {
    const ROUNDS: usize = 100_000;
    let runtime = rt(2);
    runtime.block_on(bounded(LIMIT, async {
        // One pinned task per worker, so the ball crosses threads on every hit.
        let (to_1, from_0) = async_channel();
        let (to_0, from_1) = async_channel();
        let mut players = runtime::on_each_worker({
            let ends = Arc::new(slots::Slots::new([
                (to_1.clone(), from_1.clone()),
                (to_0.clone(), from_0.clone()),
            ]));
            move |worker| {
                let (tx, rx) = ends.take(worker);
                async move {
                    if worker == 0 {
                        tx.send(0);
                    }
                    loop {
                        let n = rx.recv().await;
                        if n >= ROUNDS {
                            tx.send(n + 1);
                            return n;
                        }
                        tx.send(n + 1);
                    }
                }
            }
        });
        let a = players.remove(0).await.unwrap();
        let b = players.remove(0).await.unwrap();
        assert!(a >= ROUNDS && b >= ROUNDS);
        assert_eq!(
            a.abs_diff(b),
            1,
            "the ball alternated between the two workers"
        );
    }));
}

/// A minimal unbounded channel for the ping-pong (tests must not pull in more crates than the
/// runtime's users would need to reproduce them).
fn async_channel() -> (Sender, Receiver) {
    let shared = Arc::new(std::sync::Mutex::new((
        std::collections::VecDeque::new(),
        None,
    )));
    (Sender(shared.clone()), Receiver(shared))
}

type Chan = Arc<std::sync::Mutex<(std::collections::VecDeque<usize>, Option<Waker>)>>;

#[derive(Clone)]
struct Sender(Chan);
#[derive(Clone)]
struct Receiver(Chan);

impl Sender {
    fn send(&self, n: usize) {
        let waker = {
            let mut chan = self.0.lock().unwrap();
            chan.0.push_back(n);
            chan.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Receiver {
    async fn recv(&self) -> usize {
        std::future::poll_fn(|cx| {
            let mut chan = self.0.lock().unwrap();
            match chan.0.pop_front() {
                Some(n) => Poll::Ready(n),
                None => {
                    chan.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

mod slots {
    /// Values handed out once each, by index, from a closure that is `Fn`.
    pub struct Slots<T, const N: usize>(std::sync::Mutex<[Option<T>; N]>);

    impl<T, const N: usize> Slots<T, N> {
        pub fn new(values: [T; N]) -> Self {
            Slots(std::sync::Mutex::new(values.map(Some)))
        }

        pub fn take(&self, i: usize) -> T {
            self.0.lock().unwrap()[i]
                .take()
                .expect("each slot is taken once")
        }
    }
}

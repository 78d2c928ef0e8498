//! Runtime-agnostic channels and locks (`tokio::sync`, `async-channel`) between tasks pinned
//! to different workers of a 2-worker runtime: every wake crosses from one loop to the other.

mod support;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::bounded;
use tokio::sync::{broadcast, mpsc, oneshot, Notify};

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `future` on worker `index` of the current runtime, pinned there, and returns its
/// output.
async fn on_worker<F>(index: usize, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let future = Mutex::new(Some(future));
    let handles = runtime::on_each_worker(move |worker| {
        let mine = (worker == index)
            .then(|| future.lock().unwrap().take())
            .flatten();
        async move {
            match mine {
                Some(future) => Some(future.await),
                None => None,
            }
        }
    });
    let mut output = None;
    for handle in handles {
        if let Some(out) = bounded(LIMIT, handle).await.unwrap() {
            output = Some(out);
        }
    }
    output.expect("the runtime has that worker")
}

/// Runs `test` on a 2-worker runtime, bounded in time.
fn on_two_workers(test: impl Future<Output = ()>) {
    support::rt(2).block_on(bounded(LIMIT, test));
}

#[test]
fn mpsc_across_workers() {
    on_two_workers(async {
        // A small buffer, so the sender waits for the receiver as often as the other way round.
        let (tx, mut rx) = mpsc::channel(4);
        let (sent, received) = runtime::join!(
            on_worker(1, async move {
                for i in 0..1_000u64 {
                    tx.send(i).await.unwrap();
                }
                runtime::worker_index()
            }),
            on_worker(0, async move {
                let mut sum = 0;
                while let Some(i) = rx.recv().await {
                    sum += i;
                }
                (sum, runtime::worker_index())
            }),
        );
        assert_eq!(received, (1_000 * 999 / 2, Some(0)));
        assert_eq!(sent, Some(1));
    });
}

#[test]
fn oneshot_ping_pong_across_workers() {
    on_two_workers(async {
        let (to_pong, mut pings) = mpsc::unbounded_channel::<(u32, oneshot::Sender<u32>)>();
        let ((), served) = runtime::join!(
            on_worker(0, async move {
                for i in 0..100 {
                    let (reply, answer) = oneshot::channel();
                    to_pong.send((i, reply)).unwrap();
                    assert_eq!(answer.await.unwrap(), i + 1);
                }
            }),
            on_worker(1, async move {
                let mut served = 0;
                while let Some((i, reply)) = pings.recv().await {
                    reply.send(i + 1).unwrap();
                    served += 1;
                }
                served
            }),
        );
        assert_eq!(served, 100);
    });
}

#[test]
fn mutex_held_across_awaits_on_both_workers() {
    on_two_workers(async {
        let count = Arc::new(tokio::sync::Mutex::new(0u64));
        let add = |worker| {
            let count = count.clone();
            on_worker(worker, async move {
                for _ in 0..500 {
                    let mut count = count.lock().await;
                    let seen = *count;
                    // Held across a suspension: the other worker must wait for it.
                    runtime::yield_now().await;
                    *count = seen + 1;
                }
            })
        };
        runtime::join!(add(0), add(1));
        assert_eq!(*count.lock().await, 1_000);
    });
}

#[test]
fn notify_ping_pong_across_workers() {
    on_two_workers(async {
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let player = |worker, serve: bool| {
            let (mine, theirs) = if serve {
                (pong.clone(), ping.clone())
            } else {
                (ping.clone(), pong.clone())
            };
            on_worker(worker, async move {
                for _ in 0..100 {
                    if serve {
                        theirs.notify_one();
                        mine.notified().await;
                    } else {
                        mine.notified().await;
                        theirs.notify_one();
                    }
                }
            })
        };
        runtime::join!(player(0, true), player(1, false));
    });
}

#[test]
fn broadcast_reaches_receivers_on_every_worker() {
    on_two_workers(async {
        const N: u64 = 100;
        // Room for every message, so no receiver lags behind.
        let (tx, _) = broadcast::channel(N as usize);
        let receiver = |worker| {
            let mut rx = tx.subscribe();
            on_worker(worker, async move {
                let mut sum = 0;
                while let Ok(i) = rx.recv().await {
                    sum += i;
                }
                sum
            })
        };
        let (a, b) = (receiver(0), receiver(1));
        let sender = on_worker(1, {
            let tx = tx.clone();
            async move {
                for i in 0..N {
                    tx.send(i).unwrap();
                    runtime::yield_now().await;
                }
            }
        });
        drop(tx);
        let (a, b, ()) = runtime::join!(a, b, sender);
        assert_eq!((a, b), (N * (N - 1) / 2, N * (N - 1) / 2));
    });
}

#[test]
fn async_channel_with_producers_and_consumers_on_both_workers() {
    on_two_workers(async {
        const PER_PRODUCER: u64 = 500;
        let (tx, rx) = async_channel::bounded(4);
        let producer = |worker, offset: u64| {
            let tx = tx.clone();
            on_worker(worker, async move {
                for i in 0..PER_PRODUCER {
                    tx.send(offset + i).await.unwrap();
                }
            })
        };
        let consumer = |worker| {
            let rx = rx.clone();
            on_worker(worker, async move {
                let mut sum = 0;
                while let Ok(i) = rx.recv().await {
                    sum += i;
                }
                sum
            })
        };
        let (p0, p1, c0, c1) = (
            producer(0, 0),
            producer(1, PER_PRODUCER),
            consumer(0),
            consumer(1),
        );
        drop((tx, rx));
        let ((), (), a, b) = runtime::join!(p0, p1, c0, c1);
        let n = 2 * PER_PRODUCER;
        assert_eq!(a + b, n * (n - 1) / 2);
    });
}

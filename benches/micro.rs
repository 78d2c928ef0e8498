//! Micro-benchmarks of the scheduler, timers and a TCP round trip, each case on this runtime
//! and on tokio's multi-thread runtime with the same number of workers, in one criterion
//! group, so a lead or a regression shows as a ratio.
//!
//! `cargo bench --bench micro` (add `-- <filter>` for one case).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};

const WORKERS: usize = 2;
const SPAWNS: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PING_PONGS: usize = 1_000;
const CHAIN: usize = 1_000;
const TIMERS: usize = 10_000;

/// The operations a case needs, implemented once per runtime.
trait Rt {
    const NAME: &'static str;
    fn new() -> Self;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F);
    fn spawn_outside<F: Future<Output = ()> + Send + 'static>(&self, f: F);
    fn yield_now() -> impl Future<Output = ()> + Send;
    /// Registers a timer far in the future and cancels it.
    fn set_and_cancel_timer() -> impl Future<Output = ()> + Send;
}

struct Ours(runtime::Runtime);
struct Tokio(tokio::runtime::Runtime);

impl Rt for Ours {
    const NAME: &'static str = "runtime";
    fn new() -> Self {
        Ours(runtime::Builder::new().workers(WORKERS).build().unwrap())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        drop(runtime::spawn(f));
    }
    fn spawn_outside<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        drop(self.0.spawn(f));
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        runtime::yield_now()
    }
    fn set_and_cancel_timer() -> impl Future<Output = ()> + Send {
        poll_once(runtime::time::sleep(Duration::from_secs(60)))
    }
}

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    fn new() -> Self {
        Tokio(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .enable_all()
                .build()
                .unwrap(),
        )
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        drop(tokio::spawn(f));
    }
    fn spawn_outside<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        drop(self.0.spawn(f));
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
    fn set_and_cancel_timer() -> impl Future<Output = ()> + Send {
        poll_once(tokio::time::sleep(Duration::from_secs(60)))
    }
}

/// Polls `f` once (registering whatever it waits for) and drops it.
async fn poll_once<F: Future>(f: F) {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let _ = Pin::as_mut(&mut f).poll(cx);
        Poll::Ready(())
    })
    .await
}

/// Counts completions and signals a std channel when `target` is reached.
fn countdown(target: usize) -> (Arc<AtomicUsize>, mpsc::Receiver<()>, mpsc::SyncSender<()>) {
    let (tx, rx) = mpsc::sync_channel(1);
    (Arc::new(AtomicUsize::new(target)), rx, tx)
}

fn done(left: &AtomicUsize, tx: &mpsc::SyncSender<()>) {
    if left.fetch_sub(1, Ordering::AcqRel) == 1 {
        tx.send(()).unwrap();
    }
}

fn spawn_many_local<R: Rt>(rt: &R) {
    let (left, rx, tx) = countdown(SPAWNS);
    rt.block_on(async move {
        R::spawn(async move {
            for _ in 0..SPAWNS {
                let (left, tx) = (left.clone(), tx.clone());
                R::spawn(async move { done(&left, &tx) });
            }
        });
    });
    wait(rt, rx);
}

fn spawn_many_remote<R: Rt>(rt: &R) {
    let (left, rx, tx) = countdown(SPAWNS);
    for _ in 0..SPAWNS {
        let (left, tx) = (left.clone(), tx.clone());
        rt.spawn_outside(async move { done(&left, &tx) });
    }
    wait(rt, rx);
}

fn yield_many<R: Rt>(rt: &R) {
    let (left, rx, tx) = countdown(YIELD_TASKS);
    rt.block_on(async move {
        for _ in 0..YIELD_TASKS {
            let (left, tx) = (left.clone(), tx.clone());
            R::spawn(async move {
                for _ in 0..YIELDS {
                    R::yield_now().await;
                }
                done(&left, &tx);
            });
        }
    });
    wait(rt, rx);
}

/// `PING_PONGS` task pairs exchanging oneshots, spawned from the thread in `block_on` (through
/// the runtime's injector) or, `in_task`, from a task on a worker (into its own queue).
fn ping_pong<R: Rt>(rt: &R, in_task: bool) {
    let (left, rx, tx) = countdown(PING_PONGS);
    let spawn_all = move || {
        for _ in 0..PING_PONGS {
            let (left, tx) = (left.clone(), tx.clone());
            R::spawn(async move {
                let (ping_tx, ping_rx) = tokio::sync::oneshot::channel::<()>();
                let (pong_tx, pong_rx) = tokio::sync::oneshot::channel::<()>();
                R::spawn(async move {
                    ping_rx.await.unwrap();
                    pong_tx.send(()).unwrap();
                });
                ping_tx.send(()).unwrap();
                pong_rx.await.unwrap();
                done(&left, &tx);
            });
        }
    };
    match in_task {
        true => rt.block_on(async move { R::spawn(async move { spawn_all() }) }),
        false => rt.block_on(async move { spawn_all() }),
    }
    wait(rt, rx);
}

fn ping_pong_outside<R: Rt>(rt: &R) {
    ping_pong(rt, false)
}

fn ping_pong_in_task<R: Rt>(rt: &R) {
    ping_pong(rt, true)
}

fn chained_spawn<R: Rt>(rt: &R) {
    fn link<R: Rt>(n: usize, tx: mpsc::SyncSender<()>) {
        if n == 0 {
            tx.send(()).unwrap();
        } else {
            R::spawn(async move { link::<R>(n - 1, tx) });
        }
    }
    let (tx, rx) = mpsc::sync_channel(1);
    rt.block_on(async move { R::spawn(async move { link::<R>(CHAIN, tx) }) });
    wait(rt, rx);
}

/// Timers set and cancelled by a task, as a connection's handler does, on a worker.
fn timer_churn<R: Rt>(rt: &R) {
    let (tx, rx) = mpsc::sync_channel(1);
    rt.block_on(async move {
        R::spawn(async move {
            for _ in 0..TIMERS {
                R::set_and_cancel_timer().await;
            }
            tx.send(()).unwrap();
        })
    });
    wait(rt, rx);
}

/// Waits for the signal on this thread, which is no worker of either runtime: it sleeps, and
/// the workers do all the work.
fn wait<R: Rt>(_: &R, rx: mpsc::Receiver<()>) {
    rx.recv().unwrap();
}

/// One round trip of 64 bytes over one loopback connection, `iters` times, driven from
/// `block_on` (the client's future on the calling thread, woken across threads) or from a task
/// on a worker (`in_task`): the difference is what the hand-off to a waiting thread costs.
fn tcp_round_trips_ours(rt: &Ours, iters: u64, in_task: bool) -> Duration {
    use runtime::net::{TcpListener, TcpStream};
    let client = async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0; 64];
            while s.read_exact(&mut buf).await.is_ok() {
                s.write_all(&buf).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let mut buf = [7; 64];
        let start = Instant::now();
        for _ in 0..iters {
            c.write_all(&buf).await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(c);
        server.await.unwrap();
        elapsed
    };
    match in_task {
        true => rt.block_on(rt.0.spawn(client)).unwrap(),
        false => rt.block_on(client),
    }
}

fn tcp_round_trips_tokio(rt: &Tokio, iters: u64, in_task: bool) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let client = async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0; 64];
            while s.read_exact(&mut buf).await.is_ok() {
                s.write_all(&buf).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let mut buf = [7; 64];
        let start = Instant::now();
        for _ in 0..iters {
            c.write_all(&buf).await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(c);
        server.await.unwrap();
        elapsed
    };
    match in_task {
        true => rt.block_on(rt.0.spawn(client)).unwrap(),
        false => rt.block_on(client),
    }
}

fn case<M: criterion::measurement::Measurement>(
    group: &mut BenchmarkGroup<'_, M>,
    ours: &Ours,
    tokio: &Tokio,
    run_ours: fn(&Ours),
    run_tokio: fn(&Tokio),
) {
    group.bench_function(Ours::NAME, |b| b.iter(|| run_ours(ours)));
    group.bench_function(Tokio::NAME, |b| b.iter(|| run_tokio(tokio)));
}

fn benches(c: &mut Criterion) {
    let ours = Ours::new();
    let tokio = Tokio::new();
    type Case = (&'static str, fn(&Ours), fn(&Tokio));
    let cases: [Case; 7] = [
        (
            "spawn_many_local",
            spawn_many_local::<Ours>,
            spawn_many_local::<Tokio>,
        ),
        (
            "spawn_many_remote",
            spawn_many_remote::<Ours>,
            spawn_many_remote::<Tokio>,
        ),
        ("yield_many", yield_many::<Ours>, yield_many::<Tokio>),
        (
            "ping_pong",
            ping_pong_outside::<Ours>,
            ping_pong_outside::<Tokio>,
        ),
        (
            "ping_pong_in_task",
            ping_pong_in_task::<Ours>,
            ping_pong_in_task::<Tokio>,
        ),
        (
            "chained_spawn",
            chained_spawn::<Ours>,
            chained_spawn::<Tokio>,
        ),
        ("timer_churn", timer_churn::<Ours>, timer_churn::<Tokio>),
    ];
    for (name, run_ours, run_tokio) in cases {
        let mut group = c.benchmark_group(name);
        case(&mut group, &ours, &tokio, run_ours, run_tokio);
        group.finish();
    }
    for (name, in_task) in [("tcp_round_trip", false), ("tcp_round_trip_in_task", true)] {
        let mut group = c.benchmark_group(name);
        group.bench_function(Ours::NAME, |b| {
            b.iter_custom(|iters| tcp_round_trips_ours(&ours, iters, in_task))
        });
        group.bench_function(Tokio::NAME, |b| {
            b.iter_custom(|iters| tcp_round_trips_tokio(&tokio, iters, in_task))
        });
        group.finish();
    }
}

criterion_group! {
    name = micro;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(micro);

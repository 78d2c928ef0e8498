//! What tokio compatibility costs: tokio's APIs called from this runtime's tasks (their
//! resources driven by the compat layer's tokio thread) against the same calls on tokio's
//! multi-thread runtime, side by side in one criterion group per case.
//!
//! - `tokio_spawn_join`: `tokio::spawn(async {}).await` from a task, a hop to the tokio
//!   thread and back: the crossing itself.
//! - `tokio_sleep_1ms`: `tokio::time::sleep(1 ms)` from a task: a tokio timer whose wake
//!   crosses to the worker.
//! - `reqwest_get`: one GET with a kept-alive reqwest client to a local HTTP server (the same
//!   server, on a runtime of its own, for both).
//!
//! `cargo bench --bench compat`.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};

const WORKERS: usize = 2;

/// Times `iters` rounds of `round`, one after another.
async fn rounds<F, Fut>(iters: u64, round: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    for _ in 0..iters {
        round().await;
    }
    start.elapsed()
}

/// Compares `round`, run in a task of each runtime (a task rather than `block_on`, whose
/// future tokio polls outside its workers).
fn compare<F, Fut>(c: &mut Criterion, name: &str, rts: &Runtimes, round: F)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut group = c.benchmark_group(name);
    group.bench_function("runtime+compat", |b| {
        b.iter_custom(|iters| {
            let round = round.clone();
            let task = rts.ours.spawn(async move { rounds(iters, round).await });
            rts.ours.block_on(task).unwrap()
        })
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let round = round.clone();
            let task = rts.tokio.spawn(async move { rounds(iters, round).await });
            rts.tokio.block_on(task).unwrap()
        })
    });
    group.finish();
}

struct Runtimes {
    ours: runtime::Runtime,
    tokio: tokio::runtime::Runtime,
}

fn benches(c: &mut Criterion) {
    let rts = Runtimes {
        ours: runtime::Builder::new()
            .workers(WORKERS)
            .tokio_compat(true)
            .build()
            .unwrap(),
        tokio: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()
            .unwrap(),
    };
    // The server both clients call: on a runtime of its own, with no compat layer.
    let server_rt = runtime::Builder::new()
        .workers(1)
        .tokio_compat(false)
        .build()
        .unwrap();
    let app = Router::new().route("/", get(|| async { "hello" }));
    let server = server_rt
        .block_on(async { runtime::hyper::serve("127.0.0.1:0", app) })
        .unwrap();
    let url = format!("http://{}/", server.local_addr());

    compare(c, "tokio_spawn_join", &rts, || async {
        tokio::spawn(async {}).await.unwrap();
    });
    compare(c, "tokio_sleep_1ms", &rts, || {
        tokio::time::sleep(Duration::from_millis(1))
    });
    let client = reqwest::Client::new();
    compare(c, "reqwest_get", &rts, move || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body = client.get(&url).send().await.unwrap().text().await.unwrap();
            assert_eq!(body, "hello");
        }
    });
    server.stop();
}

criterion_group! {
    name = compat;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(compat);

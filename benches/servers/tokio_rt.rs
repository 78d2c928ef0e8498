//! The tokio runtime the reference servers run on: multi-thread, with `RUNTIME_WORKERS`
//! worker threads (or one per available CPU), as this runtime's examples read it.

/// tokio's multi-thread runtime with the worker count the runtime's examples would use.
pub fn multi_thread() -> std::io::Result<tokio::runtime::Runtime> {
    let workers = std::env::var("RUNTIME_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
}

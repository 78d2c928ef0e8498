//! What the example servers share: reading their arguments.

/// The listen address: the first command-line argument that is not a `--flag`, or `default`.
pub fn listen_addr(default: &str) -> String {
    std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .unwrap_or_else(|| default.to_owned())
}

/// Whether `--<name>` is among the command-line arguments.
#[allow(dead_code)] // not every example has flags
pub fn flag(name: &str) -> bool {
    std::env::args()
        .skip(1)
        .any(|arg| arg.strip_prefix("--") == Some(name))
}

/// With `RUNTIME_METRICS_EVERY=<seconds>` set, prints the runtime's per-worker metrics to
/// stderr that often.
pub fn report_metrics() {
    let Some(every) = std::env::var("RUNTIME_METRICS_EVERY")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    else {
        return;
    };
    let every = std::time::Duration::from_secs_f64(every);
    drop(runtime::spawn(async move {
        loop {
            runtime::time::sleep(every).await;
            for (i, w) in runtime::metrics().workers.iter().enumerate() {
                eprintln!("worker {i}: {w:?}");
            }
        }
    }));
}

//! What the example servers share: reading their arguments, reporting and serving metrics,
//! and stopping gracefully on SIGINT or SIGTERM.

#[allow(dead_code)] // only the HTTP examples that build their own connections use it
pub mod http;
#[allow(dead_code)] // not every example closes idle connections
pub mod idle;
#[allow(dead_code)] // only the HTTPS example uses it
pub mod tls;

use std::convert::Infallible;
use std::fmt::Display;
use std::pin::pin;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use runtime::future::{self, Either};
use runtime::net::Server;
use runtime::signal::{signal, Signal, SignalKind};

/// How long a connection may stay idle before the example servers close it, in seconds, when
/// `IDLE_TIMEOUT_SECS` does not say otherwise.
const DEFAULT_IDLE_TIMEOUT_SECS: f64 = 60.0;

/// How long the connections being served get to finish after SIGINT or SIGTERM, in seconds,
/// when `SHUTDOWN_GRACE_SECS` does not say otherwise.
const DEFAULT_GRACE_SECS: f64 = 10.0;

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

/// The value of `--<name>=<value>` among the command-line arguments, if given.
#[allow(dead_code)] // not every example has options
pub fn option(name: &str) -> Option<String> {
    std::env::args().skip(1).find_map(|arg| {
        let value = arg
            .strip_prefix("--")?
            .strip_prefix(name)?
            .strip_prefix('=')?;
        Some(value.to_owned())
    })
}

/// With `RUNTIME_METRICS_EVERY=<seconds>` set, prints the runtime's per-worker metrics to
/// stderr that often; with `METRICS_ADDR=<addr>` set, serves them to Prometheus (see
/// [`serve_metrics`]).
pub fn report_metrics() {
    if let Ok(addr) = std::env::var("METRICS_ADDR") {
        serve_metrics(&addr);
    }
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

/// Serves the runtime's metrics at `http://<addr>/metrics` in Prometheus's text format, on the
/// runtime itself (its connections count among the workers' connections), until the process
/// ends. Exits with an error if `addr` cannot be listened on.
fn serve_metrics(addr: &str) {
    use prometheus_client::encoding::prometheus_text;
    use prometheus_client::registry::Registry;

    let mut registry = Registry::default();
    let collector = runtime::metrics::Collector::new(runtime::Handle::current());
    registry.register_collector(Box::new(collector));
    let registry = std::sync::Arc::new(registry);
    let metrics = tower::service_fn(move |request: Request<Incoming>| {
        let registry = registry.clone();
        async move {
            let response = if request.method() == Method::GET && request.uri().path() == "/metrics"
            {
                let mut text = String::new();
                prometheus_text::encode(&mut text, &registry).expect("a String takes any text");
                Response::builder()
                    .header(CONTENT_TYPE, prometheus_text::CONTENT_TYPE)
                    .body(text)
            } else {
                Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(String::new())
            };
            Ok::<_, Infallible>(response.expect("a valid response"))
        }
    });
    let server = runtime::hyper::serve(addr, metrics).unwrap_or_else(|e| {
        eprintln!("METRICS_ADDR={addr}: {e}");
        std::process::exit(1)
    });
    drop(runtime::spawn(async move {
        if let Err(e) = server.wait().await {
            eprintln!("metrics server: {e}");
        }
    }));
}

/// Runs `server` until SIGINT (Ctrl-C) or SIGTERM, then shuts it down gracefully: no new
/// connections, and those being served get `SHUTDOWN_GRACE_SECS` seconds (10 by default) to
/// finish before they are aborted. Prints `banner` to stderr once the signals are watched (so
/// whoever waits for it may signal the process), and the outcome when done:
/// `shutting down: N connections finished, M aborted`. A second signal during the shutdown
/// ends the process at once, with status 130.
#[allow(dead_code)] // not every example runs a `Server`
pub async fn serve_until_signal(server: Server, banner: impl Display) -> std::io::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    eprintln!("{banner}");
    next_signal(&mut interrupt, &mut terminate).await;
    let grace = grace();
    eprintln!("stopping: connections get {grace:?} to finish (signal again to exit now)");
    let shutdown = pin!(server.shutdown(grace));
    let again = pin!(next_signal(&mut interrupt, &mut terminate));
    match future::select(shutdown, again).await {
        Either::Left((report, _)) => {
            eprintln!(
                "shutting down: {} connections finished, {} aborted",
                report.finished, report.aborted
            );
            Ok(())
        }
        Either::Right(_) => {
            eprintln!("second signal: exiting now");
            std::process::exit(130)
        }
    }
}

/// Waits for whichever of the two signals comes first.
async fn next_signal(interrupt: &mut Signal, terminate: &mut Signal) {
    future::select(pin!(interrupt.recv()), pin!(terminate.recv())).await;
}

/// The grace period from `SHUTDOWN_GRACE_SECS`, or the default.
fn grace() -> Duration {
    env_secs("SHUTDOWN_GRACE_SECS", DEFAULT_GRACE_SECS)
}

/// How long a connection may stay idle before the server closes it, against clients that hold
/// connections open by sending nothing, or very slowly (slowloris): `IDLE_TIMEOUT_SECS`
/// seconds, 60 by default; `0` turns it off (no timer per operation, as in the benchmarks,
/// whose reference servers have none). What counts as idle is each server's to say.
#[allow(dead_code)] // not every example closes idle connections
pub fn idle_timeout() -> Option<Duration> {
    let idle = env_secs("IDLE_TIMEOUT_SECS", DEFAULT_IDLE_TIMEOUT_SECS);
    (!idle.is_zero()).then_some(idle)
}

/// The duration in seconds in the environment variable `name`, or `default`.
#[allow(dead_code)] // used here, and by the examples with settings of their own
pub fn env_secs(name: &str, default: f64) -> Duration {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .unwrap_or(Duration::from_secs_f64(default))
}

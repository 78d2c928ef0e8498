//! hyper's "hello world" on this runtime: every request is answered "Hello, World!" over
//! HTTP/1.1 (keep-alive, with a header read timeout), or over HTTP/2 (prior knowledge, no TLS)
//! with `--h2`. Listens on every loop with `SO_REUSEPORT` (see
//! `runtime::net::serve`); hyper gets the runtime's executor, timer and sockets from
//! `runtime::hyper`.
//!
//! `cargo run --release --example hyper_hello -- 127.0.0.1:3000`, then
//! `curl http://127.0.0.1:3000/`; with `-- 127.0.0.1:3000 --h2`,
//! `curl --http2-prior-knowledge http://127.0.0.1:3000/`. Ctrl-C (or SIGTERM) stops it
//! gracefully: open connections get `SHUTDOWN_GRACE_SECS` (10) to finish.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};
use runtime::hyper::{Executor, Io, Timer};
use runtime::net::TcpStream;

/// How long a client may take to send a request head, from the first poll for it (on a
/// keep-alive connection: from the end of the previous response).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let h2 = support::flag("h2");
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:3000"), move |stream, _| {
        serve(stream, h2)
    })?;
    support::report_metrics();
    let banner = format!("hyper_hello listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("Hello, World!".into()))
}

async fn serve(stream: TcpStream, h2: bool) {
    let io = Io::new(stream);
    // An error ends this connection only: the peer left, timed out or broke the protocol.
    let _ = if h2 {
        http2::Builder::new(Executor)
            .timer(Timer)
            .serve_connection(io, service_fn(hello))
            .await
    } else {
        http1::Builder::new()
            .timer(Timer)
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(io, service_fn(hello))
            .await
    };
}

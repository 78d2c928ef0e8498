//! hyper's "hello world" on this runtime: every request is answered "Hello, World!" over
//! HTTP/1.1 (keep-alive, with a header read timeout), or over HTTP/2 (prior knowledge, no TLS)
//! with `--h2`. Listens on every loop with `SO_REUSEPORT` (see
//! `runtime::net::serve`); hyper gets the runtime's executor, timer and sockets from
//! `runtime::hyper`.
//!
//! `cargo run --release --example hyper_hello -- 127.0.0.1:3000`, then
//! `curl http://127.0.0.1:3000/`; with `-- 127.0.0.1:3000 --h2`,
//! `curl --http2-prior-knowledge http://127.0.0.1:3000/`. Ctrl-C (or SIGTERM) stops it
//! gracefully: idle keep-alive connections close at once, HTTP/2 clients get `GOAWAY`, and
//! requests in flight get `SHUTDOWN_GRACE_SECS` (10) to finish.

mod support;

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper::{Request, Response};

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let h2 = support::flag("h2");
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:3000"), move |stream, _| {
        support::http::serve_connection(stream, h2, hello)
    })?;
    support::report_metrics();
    let banner = format!("hyper_hello listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("Hello, World!".into()))
}

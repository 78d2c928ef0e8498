//! Reference server: hyper's "hello world" on tokio, the usual way: tokio's multi-thread
//! runtime with `worker_threads(N)` (`N` from `RUNTIME_WORKERS`), one listener, a task per
//! connection, hyper-util's tokio adapters. Against it, the runtime's `hyper_hello` example
//! (the same service and HTTP/1.1 settings) shows what the runtime buys a hyper server.
//! With `--h2`, both serve HTTP/2 (prior knowledge, hyper's default settings), each stream a
//! task on its runtime's executor.
//!
//! `bench_hyper_tokio <addr> [--h2]`, e.g. `RUNTIME_WORKERS=2 bench_hyper_tokio 127.0.0.1:0`.

mod tokio_rt;

use std::convert::Infallible;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

/// As in `hyper_hello`.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("Hello, World!".into()))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let h2 = std::env::args().any(|arg| arg == "--h2");
    let rt = tokio_rt::multi_thread()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!("bench_hyper_tokio listening on {}", listener.local_addr()?);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (io, service) = (TokioIo::new(stream), service_fn(hello));
            tokio::spawn(async move {
                let _ = if h2 {
                    http2::Builder::new(TokioExecutor::new())
                        .timer(TokioTimer::new())
                        .serve_connection(io, service)
                        .await
                } else {
                    http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(io, service)
                        .await
                };
            });
        }
    })
}

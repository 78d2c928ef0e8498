//! Reference server: `tls_hello` on tokio, the usual way: tokio's multi-thread runtime with
//! `worker_threads(N)` (`N` from `RUNTIME_WORKERS`), one listener, a task per connection,
//! tokio-rustls with the same rustls configuration (the examples' `support/tls.rs`), hyper
//! over hyper-util's tokio adapters, HTTP/2 or HTTP/1.1 by ALPN.
//!
//! `bench_tls_tokio <addr> [--cert=cert.pem --key=key.pem]`.

#[allow(dead_code)] // the examples' helpers: this server uses the option and TLS ones
#[path = "../../examples/support/mod.rs"]
mod support;

mod tokio_rt;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio_rustls::TlsAcceptor;

/// As in `tls_hello`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

async fn hello(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new(format!(
        "Hello over TLS ({:?})!",
        request.version()
    )))
}

fn main() -> std::io::Result<()> {
    let addr = support::listen_addr("127.0.0.1:8443");
    let config = support::tls::server_config(support::option("cert"), support::option("key"))?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let rt = tokio_rt::multi_thread()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!("bench_tls_tokio listening on {}", listener.local_addr()?);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let accept = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                let Ok(Ok(tls)) = accept.await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let io = TokioIo::new(tls);
                let _ = if h2 {
                    http2::Builder::new(TokioExecutor::new())
                        .timer(TokioTimer::new())
                        .serve_connection(io, service_fn(hello))
                        .await
                } else {
                    http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(io, service_fn(hello))
                        .await
                };
            });
        }
    })
}

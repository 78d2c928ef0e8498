//! HTTPS on this runtime: rustls (through futures-rustls, over the sockets' `futures-io`
//! traits) in front of hyper, HTTP/2 or HTTP/1.1 as the client's ALPN chooses, on every loop's
//! `SO_REUSEPORT` listener.
//!
//! `cargo run --release --example tls_hello -- 127.0.0.1:8443 [--cert=cert.pem --key=key.pem]`:
//! with no certificate given, it makes a self-signed one for `localhost` and `127.0.0.1` at
//! start. Then `curl -k https://127.0.0.1:8443/` (HTTP/2) or `curl -k --http1.1 ...`.
//! A client that takes longer than 10 s (`TLS_HANDSHAKE_TIMEOUT_SECS`) to complete its
//! handshake is dropped. Ctrl-C (or
//! SIGTERM) drains: idle connections close at once, HTTP/2 clients get `GOAWAY`, requests in
//! flight get `SHUTDOWN_GRACE_SECS` (10) to finish.

mod support;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_rustls::TlsAcceptor;
use hyper::body::Incoming;
use hyper::{Request, Response};
use runtime::net::TcpStream;

/// How long a client may take to complete its TLS handshake, in seconds, when
/// `TLS_HANDSHAKE_TIMEOUT_SECS` does not say otherwise.
const HANDSHAKE_TIMEOUT_SECS: f64 = 10.0;

#[runtime::main]
async fn main() -> io::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(support::tls::server_config(
        support::option("cert"),
        support::option("key"),
    )?));
    let timeout = support::env_secs("TLS_HANDSHAKE_TIMEOUT_SECS", HANDSHAKE_TIMEOUT_SECS);
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:8443"), move |stream, _| {
        serve(acceptor.clone(), stream, timeout)
    })?;
    support::report_metrics();
    let banner = format!("tls_hello listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

async fn hello(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let body = format!("Hello over TLS ({:?})!", request.version());
    Ok(Response::new(body))
}

/// Completes the handshake (or gives up after `timeout`), then serves HTTP/2 or HTTP/1.1,
/// whichever ALPN settled on, draining once the server shuts down.
async fn serve(acceptor: TlsAcceptor, stream: TcpStream, timeout: Duration) {
    let Ok(Ok(tls)) = runtime::time::timeout(timeout, acceptor.accept(stream)).await else {
        return; // Too slow, or not TLS: nothing to answer.
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    support::http::serve_connection(tls, h2, hello).await;
}

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

use futures_rustls::rustls::pki_types::pem::PemObject;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use futures_rustls::rustls::{self, ServerConfig};
use futures_rustls::TlsAcceptor;
use hyper::body::Incoming;
use hyper::{Request, Response};
use runtime::net::TcpStream;

/// How long a client may take to complete its TLS handshake, in seconds, when
/// `TLS_HANDSHAKE_TIMEOUT_SECS` does not say otherwise.
const HANDSHAKE_TIMEOUT_SECS: f64 = 10.0;

#[runtime::main]
async fn main() -> io::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(server_config()?));
    let timeout = support::env_secs("TLS_HANDSHAKE_TIMEOUT_SECS", HANDSHAKE_TIMEOUT_SECS);
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:8443"), move |stream, _| {
        serve(acceptor.clone(), stream, timeout)
    })?;
    support::report_metrics();
    let banner = format!("tls_hello listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

/// The server's TLS configuration: the certificate chain and key in the PEM files named by
/// `--cert=` and `--key=`, or a
/// self-signed certificate made now; ALPN offering HTTP/2, then HTTP/1.1.
fn server_config() -> io::Result<ServerConfig> {
    let (chain, key) = match (support::option("cert"), support::option("key")) {
        (Some(cert), Some(key)) => (
            CertificateDer::pem_file_iter(&cert)
                .and_then(Iterator::collect)
                .map_err(|e| invalid(format!("{cert}: {e}")))?,
            PrivateKeyDer::from_pem_file(&key).map_err(|e| invalid(format!("{key}: {e}")))?,
        ),
        (None, None) => self_signed()?,
        _ => return Err(invalid("give both --cert and --key, or neither")),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| invalid(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A certificate for `localhost` and `127.0.0.1`, signed by its own key.
fn self_signed() -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| invalid(e.to_string()))?;
    eprintln!("note: serving a self-signed certificate (clients must skip verification)");
    let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    Ok((vec![certified.cert.der().clone()], key))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.into())
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

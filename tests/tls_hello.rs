//! The `tls_hello` example, run as a process with a certificate signed by a test CA: curl
//! (`-k`) gets its answer over HTTP/1.1 and HTTP/2, a rustls client that trusts the CA
//! negotiates each by ALPN and is answered by hyper's clients, a client that never completes
//! its handshake is dropped after the handshake timeout, and SIGTERM drains an idle
//! connection at once.

mod support;
#[allow(dead_code)] // the server side is the example's
#[path = "../examples/support/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_rustls::rustls::pki_types::{CertificateDer, ServerName};
use futures_rustls::TlsConnector;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::{http1, http2};
use hyper::{Request, StatusCode};
use runtime::hyper::{Executor, Io};
use runtime::net::TcpStream;
use support::http::curl;
use support::{bounded, rt, ExampleServer};

const LIMIT: Duration = Duration::from_secs(60);

/// A test CA and a certificate for `localhost` it signed, in PEM files of a directory of
/// their own.
struct Certificates {
    dir: PathBuf,
    ca: CertificateDer<'static>,
}

impl Certificates {
    fn new(test: &str) -> Certificates {
        let dir = std::env::temp_dir().join(format!("tls_hello-{}-{test}", std::process::id()));
        let ca = tls::write_test_certificate(&dir).unwrap();
        Certificates { dir, ca }
    }

    /// The example, serving this certificate.
    fn serve(&self, handshake_timeout: Option<&str>) -> ExampleServer {
        let mut command = ExampleServer::command("tls_hello");
        command.arg(format!("--cert={}", self.dir.join("cert.pem").display()));
        command.arg(format!("--key={}", self.dir.join("key.pem").display()));
        if let Some(secs) = handshake_timeout {
            command.env("TLS_HANDSHAKE_TIMEOUT_SECS", secs);
        }
        command.arg("127.0.0.1:0");
        ExampleServer::spawn(command)
    }

    /// A TLS client that trusts the CA and offers `alpn`.
    fn connector(&self, alpn: &[u8]) -> TlsConnector {
        TlsConnector::from(Arc::new(tls::client_config(self.ca.clone(), alpn)))
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn get(addr: SocketAddr) -> Request<Empty<Bytes>> {
    Request::get(format!("https://localhost:{}/", addr.port()))
        .header(hyper::header::HOST, "localhost")
        .body(Empty::new())
        .unwrap()
}

async fn body(response: hyper::Response<hyper::body::Incoming>) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn curl_gets_hello_over_http1_and_http2() {
    let certificates = Certificates::new("curl");
    let server = certificates.serve(None);
    let url = format!("https://127.0.0.1:{}/", server.addr.port());
    assert_eq!(
        curl(&["-k", "--http1.1"], &url),
        "Hello over TLS (HTTP/1.1)!"
    );
    assert_eq!(curl(&["-k", "--http2"], &url), "Hello over TLS (HTTP/2.0)!");
}

#[test]
fn a_rustls_client_negotiates_each_protocol_by_alpn() {
    let certificates = Certificates::new("rustls");
    let server = certificates.serve(None);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async {
        let name = ServerName::try_from("localhost").unwrap();
        for alpn in [&b"http/1.1"[..], b"h2"] {
            let stream = TcpStream::connect(addr).await.unwrap();
            let connector = certificates.connector(alpn);
            let tls = connector.connect(name.clone(), stream).await.unwrap();
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
            let answer = if alpn == b"h2" {
                let (mut sender, connection) =
                    http2::handshake(Executor, Io::new(tls)).await.unwrap();
                drop(runtime::spawn(connection));
                body(sender.send_request(get(addr)).await.unwrap()).await
            } else {
                let (mut sender, connection) = http1::handshake(Io::new(tls)).await.unwrap();
                drop(runtime::spawn(connection));
                body(sender.send_request(get(addr)).await.unwrap()).await
            };
            let version = if alpn == b"h2" {
                "HTTP/2.0"
            } else {
                "HTTP/1.1"
            };
            assert_eq!(answer, format!("Hello over TLS ({version})!"));
        }
    }));
}

#[test]
fn a_client_that_never_completes_its_handshake_is_dropped() {
    let certificates = Certificates::new("timeout");
    let server = certificates.serve(Some("0.2"));
    let addr = server.addr;
    rt(1).block_on(bounded(LIMIT, async {
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0; 16];
        // Closed by the server, with nothing said (no TLS record was ever received).
        assert_eq!(silent.read(&mut buf).await.unwrap_or(0), 0);
    }));
}

#[test]
fn sigterm_closes_an_idle_tls_connection_at_once() {
    let certificates = Certificates::new("drain");
    let mut server = certificates.serve(None);
    let addr = server.addr;
    let runtime = rt(1);
    runtime.block_on(bounded(LIMIT, async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let tls = certificates
            .connector(b"h2")
            .connect(ServerName::try_from("localhost").unwrap(), stream)
            .await
            .unwrap();
        let (mut sender, connection) = http2::handshake(Executor, Io::new(tls)).await.unwrap();
        let connection = runtime::spawn(connection);
        body(sender.send_request(get(addr)).await.unwrap()).await;
        // Idle now: the drain sends GOAWAY and the connection ends without an error.
        server.signal(libc::SIGTERM);
        connection.await.unwrap().unwrap();
    }));
    let (status, stderr) = server.wait_exit(LIMIT);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(
        stderr.contains("1 connections finished, 0 aborted"),
        "{stderr}"
    );
}

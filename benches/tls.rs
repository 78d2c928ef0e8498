//! TLS on this runtime against the same on tokio: handshakes per second and requests per
//! second, the `tls_hello` example against `bench_tls_tokio` (tokio-rustls with the same
//! rustls configuration and certificate, hyper over hyper-util's tokio adapters), each with
//! 2 workers, alternating rounds, medians and the ratio to tokio.
//!
//! - handshakes/s: `--conns` clients each connecting, completing a TLS 1.3 handshake,
//!   sending one HTTP/1.1 request with `connection: close` and reading the answer, again and
//!   again;
//! - requests/s: `--conns` kept-alive TLS connections, one HTTP/1.1 request after another.
//!
//! The clients run in this process on a 2-thread tokio runtime (tokio-rustls, hyper's
//! client), on the same two cores as the server: the figures are the pair's, the ratio is the
//! server's share. `cargo bench --bench tls -- [--rounds 3] [--secs 3] [--conns 32]`.

#[allow(dead_code)] // the server side is the servers'
#[path = "../examples/support/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{header, Request};
use hyper_util::rt::TokioIo;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

const SERVERS: [&str; 2] = ["tls_hello", "bench_tls_tokio"];

/// The value after `--<name>` among the arguments, or `default`.
fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a.strip_prefix("--") == Some(name))
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A CA and a certificate for `localhost` it signed, in a directory of their own.
struct Certificates {
    dir: PathBuf,
    ca: CertificateDer<'static>,
}

impl Certificates {
    fn new() -> Certificates {
        let dir = std::env::temp_dir().join(format!("tls-bench-{}", std::process::id()));
        let ca = tls::write_test_certificate(&dir).unwrap();
        Certificates { dir, ca }
    }

    fn connector(&self) -> TlsConnector {
        TlsConnector::from(Arc::new(tls::client_config(self.ca.clone(), b"http/1.1")))
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(examples: &Path, name: &str, certificates: &Certificates) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(examples.join(name))
            .env("RUNTIME_WORKERS", "2")
            .arg(format!(
                "--cert={}",
                certificates.dir.join("cert.pem").display()
            ))
            .arg(format!(
                "--key={}",
                certificates.dir.join("key.pem").display()
            ))
            .arg("127.0.0.1:0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut line = String::new();
        std::io::BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request with `connection: close` if `close`, over `sender`.
async fn get(sender: &mut http1::SendRequest<Empty<Bytes>>, close: bool) {
    let mut request = Request::get("/").header(header::HOST, "localhost");
    if close {
        request = request.header(header::CONNECTION, "close");
    }
    sender.ready().await.unwrap();
    let response = sender
        .send_request(request.body(Empty::new()).unwrap())
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.into_body().collect().await.unwrap();
}

/// A TLS connection to `addr` with an HTTP/1.1 client on it.
async fn connect(addr: SocketAddr, connector: &TlsConnector) -> http1::SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, stream).await.unwrap();
    let (sender, connection) = http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(connection);
    sender
}

/// Per second, over `secs`, of `conns` clients each running `round` in a loop: fresh
/// connections (`fresh`) or one kept alive each.
async fn rate(
    addr: SocketAddr,
    connector: TlsConnector,
    conns: u64,
    secs: u64,
    fresh: bool,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let clients: Vec<_> = (0..conns)
        .map(|_| {
            let (connector, done) = (connector.clone(), done.clone());
            tokio::spawn(async move {
                let mut kept = None;
                while Instant::now() < end {
                    if fresh {
                        get(&mut connect(addr, &connector).await, true).await;
                    } else {
                        let sender = match &mut kept {
                            Some(sender) => sender,
                            None => kept.insert(connect(addr, &connector).await),
                        };
                        get(sender, false).await;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let (rounds, secs, conns) = (arg("rounds", 3), arg("secs", 3), arg("conns", 32));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--example",
            "tls_hello",
            "--example",
            "bench_tls_tokio",
        ])
        .status()
        .unwrap();
    assert!(built.success(), "building the servers failed");
    // Benchmarks run from target/release/deps; examples live in target/release/examples.
    let examples = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples");
    let certificates = Certificates::new();
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut results: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); SERVERS.len()];
    for round in 0..rounds {
        for (i, name) in SERVERS.iter().enumerate() {
            let server = Server::start(&examples, name, &certificates);
            let connector = certificates.connector();
            let handshakes =
                client.block_on(rate(server.addr, connector.clone(), conns, secs, true));
            let requests = client.block_on(rate(server.addr, connector, conns, secs, false));
            eprintln!(
                "round {round} {name}: {handshakes:.0} handshakes/s, {requests:.0} requests/s"
            );
            results[i].0.push(handshakes);
            results[i].1.push(requests);
        }
    }
    let medians: Vec<(f64, f64)> = results
        .iter_mut()
        .map(|(h, r)| (median(h), median(r)))
        .collect();
    let (tokio_h, tokio_r) = medians[1];
    println!("| server | handshakes/s | ratio | requests/s | ratio |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, (h, r)) in SERVERS.iter().zip(&medians) {
        println!(
            "| {name} | {h:.0} | {:.2}x | {r:.0} | {:.2}x |",
            h / tokio_h,
            r / tokio_r
        );
    }
    println!("({rounds} rounds of {secs} s per phase, {conns} clients, medians)");
}

//! HTTP clients for the tests of the HTTP servers: hyper's, on this runtime, and curl.

use std::net::SocketAddr;

use hyper::body::Body;
use hyper::client::conn::{http1, http2};
use runtime::hyper::{Executor, Io};
use runtime::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP/1.1 client connection to `addr`, its connection task running on the runtime.
pub async fn http1_client<B>(
    addr: SocketAddr,
) -> (
    http1::SendRequest<B>,
    runtime::JoinHandle<hyper::Result<()>>,
)
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = http1::handshake(Io::new(stream)).await.unwrap();
    (sender, runtime::spawn(connection))
}

/// An HTTP/2 client connection to `addr` (prior knowledge), its connection task running on
/// the runtime.
pub async fn http2_client<B>(
    addr: SocketAddr,
) -> (
    http2::SendRequest<B>,
    runtime::JoinHandle<hyper::Result<()>>,
)
where
    B: Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = http2::handshake(Executor, Io::new(stream)).await.unwrap();
    (sender, runtime::spawn(connection))
}

/// Runs curl on `url` with `options`, bounded in time, and returns what it printed.
pub fn curl(options: &[&str], url: &str) -> String {
    let output = std::process::Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(options)
        .arg(url)
        .output()
        .expect("curl runs (benches/install-tools.sh installs it)");
    assert!(
        output.status.success(),
        "curl {options:?} {url}: {output:?}"
    );
    String::from_utf8(output.stdout).expect("a UTF-8 body")
}

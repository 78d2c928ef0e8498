//! Echo server: writes every byte it reads back to the sender. Listens on every loop with
//! `SO_REUSEPORT` (see `runtime::net::serve`).
//!
//! `cargo run --release --example echo -- 127.0.0.1:7000` (workers from `RUNTIME_WORKERS`).

mod support;

use runtime::net::TcpStream;

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:7000"), |stream, _| {
        echo(stream)
    })?;
    eprintln!("echo listening on {}", server.local_addr());
    support::report_metrics();
    server.wait().await
}

async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0; 4096];
    // Any error ends the connection; the peer is gone or misbehaving.
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        if stream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

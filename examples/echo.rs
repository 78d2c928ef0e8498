//! Echo server: writes every byte it reads back to the sender.
//!
//! `cargo run --release --example echo -- 127.0.0.1:7000` (workers from `RUNTIME_WORKERS`).

mod support;

use runtime::net::{TcpListener, TcpStream};

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(support::listen_addr("127.0.0.1:7000"))?;
    eprintln!("echo listening on {}", listener.local_addr()?);
    loop {
        let stream = support::accept(&listener).await;
        runtime::spawn(echo(stream));
    }
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

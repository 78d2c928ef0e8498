//! The tokio servers' accept loop and connection task, shared by `bench_tokio_mt` and
//! `bench_tokio_tpc` so that the two differ only in their runtime and listener layout.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::handler::{self, Action, Conn, Mode};

/// Accepts forever, spawning a task per connection on the current tokio runtime.
pub async fn accept_loop(listener: TcpListener, mode: Mode) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(tokio::spawn(serve(stream, mode))),
            Err(e) => handler::accept_failed(&e),
        }
    }
}

async fn serve(mut stream: TcpStream, mode: Mode) {
    let mut conn = Conn::new(mode);
    // Any error ends the connection; the peer is gone or misbehaving.
    while let Ok(n @ 1..) = stream.read(conn.unfilled()).await {
        match conn.process(n) {
            Action::Write(reply) => {
                if stream.write_all(reply).await.is_err() {
                    return;
                }
            }
            Action::Read => {}
            Action::Close => return,
        }
    }
}

//! The tokio servers' accept loop and connection task, shared by `bench_tokio_mt` and
//! `bench_tokio_tpc` so that the two differ only in their runtime and listener layout.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::handler::{self, Action, Conn, Mode};

/// Accepts forever, spawning a task per connection on the current tokio runtime.
pub async fn accept_loop(listener: TcpListener, mode: Mode) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) if matches!(mode, Mode::EchoUnbuffered) => {
                drop(tokio::spawn(echo_unbuffered(stream)))
            }
            Ok((stream, _)) => drop(tokio::spawn(serve(stream, mode))),
            Err(e) => handler::accept_failed(&e),
        }
    }
}

async fn serve(mut stream: TcpStream, mode: Mode) {
    if mode.nodelay() {
        let _ = stream.set_nodelay(true);
    }
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

/// Echo holding no buffer while idle, line for line the runtime's `echo --unbuffered` on
/// tokio's API (the comparison needs the same handler): wait for readability, read onto the
/// stack, write back what the socket takes at once, and copy to the heap only a reply it does
/// not take.
async fn echo_unbuffered(mut stream: TcpStream) {
    let mut pending = Vec::new();
    loop {
        if !pending.is_empty() {
            if stream.write_all(&pending).await.is_err() {
                return;
            }
            pending = Vec::new();
        }
        if stream.readable().await.is_err() {
            return;
        }
        let mut buf = [0; 4096];
        let mut rest = match stream.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => &buf[..n],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        while !rest.is_empty() {
            match stream.try_write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return,
            }
        }
        pending = rest.to_vec();
    }
}

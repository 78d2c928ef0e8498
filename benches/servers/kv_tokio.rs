//! Reference server: the `kv` example on tokio's multi-thread runtime, for
//! `benches/redis_compare.py`.
//!
//! The protocol, store, commands and per-connection buffers are the example's own modules
//! (included by path), so the two servers differ only in their runtime: here
//! `worker_threads(N)` work-stealing workers (`N` from `RUNTIME_WORKERS`), ONE listener with
//! the runtime's backlog of 4096, and a `tokio::spawn` per connection.
//!
//! `bench_kv_tokio <addr>`, e.g. `RUNTIME_WORKERS=2 bench_kv_tokio 127.0.0.1:0`.

#[path = "../../examples/kv/commands.rs"]
mod commands;
#[path = "../../examples/kv/resp.rs"]
mod resp;
#[path = "../../examples/kv/session.rs"]
mod session;
#[path = "../../examples/kv/store.rs"]
mod store;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use session::Session;
use store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

fn main() -> io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:6379")
        .parse()
        .map_err(io::Error::other)?;
    let workers = match std::env::var("RUNTIME_WORKERS") {
        Ok(n) => n.parse().map_err(io::Error::other)?,
        Err(_) => std::thread::available_parallelism()?.get(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = bind(addr)?;
        eprintln!("bench_kv_tokio listening on {}", listener.local_addr()?);
        // Accept on a worker too, so that the N workers are the only threads at work.
        tokio::spawn(accept_loop(listener, Arc::new(Store::new())))
            .await
            .map_err(io::Error::other)
    })
}

/// A listener with the options of the runtime's own.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Accepts forever, as `runtime::net::serve` does: a failed connection is skipped, any other
/// error (such as running out of file descriptors) pauses accepting for 100 ms.
async fn accept_loop(listener: TcpListener, store: Arc<Store>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(tokio::spawn(serve(stream, store.clone()))),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Line for line the example's `serve`, on tokio's API.
async fn serve(mut stream: TcpStream, store: Arc<Store>) {
    let _ = stream.set_nodelay(true);
    let mut session = Session::new();
    while let Ok(n @ 1..) = stream.read(session.unfilled()).await {
        let outcome = session.process(&store, n);
        if stream.write_all(outcome.reply).await.is_err() || outcome.close {
            return;
        }
    }
}

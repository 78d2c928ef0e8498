//! TCP: listeners (plain, or sharded across loops with `SO_REUSEPORT`), streams, and sockets to
//! configure before they connect or listen.

mod listener;
mod reuseport;
mod socket;
mod stream;

pub use listener::{ListenOptions, TcpListener};
pub use socket::TcpSocket;
pub use stream::TcpStream;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Runs `f` on each address `addr` resolves to until one succeeds, returning the last error
/// otherwise. Name resolution goes through the system resolver and blocks; literal addresses,
/// the common case for servers, do not.
async fn each_addr<A, T, Fut>(addr: A, mut f: impl FnMut(SocketAddr) -> Fut) -> io::Result<T>
where
    A: ToSocketAddrs,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

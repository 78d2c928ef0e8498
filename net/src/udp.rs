//! A UDP socket registered with the loop it was created on.

use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use crate::reactor::{Direction, Evented};

/// A UDP socket.
///
/// Its methods take `&self`, so several tasks may share it (in an `Arc`): every task waiting to
/// receive is woken by a datagram and tries again, and one of them gets it. Receivers on every
/// loop scale better with a socket each, bound with `SO_REUSEPORT`.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"hi", b.local_addr()?).await?;
/// let mut buf = [0; 8];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: Evented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to the first address `addr` resolves to that works, registered with the
    /// current event loop.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
    }

    /// Wraps a bound standard socket, switching it to non-blocking mode.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// // Options this crate does not offer are set on the standard socket first.
    /// std_socket.set_broadcast(true)?;
    /// let socket = runtime::net::UdpSocket::from_std(std_socket)?;
    /// assert!(socket.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Evented::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Sends `buf` to `target` as one datagram.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf` (the excess of a longer one is discarded), with the
    /// sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls [`recv_from`](Self::recv_from), for use in hand-written futures.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Sets the default peer for [`send`](Self::send) and keeps only its datagrams for
    /// [`recv`](Self::recv).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// client.connect(server.local_addr()?)?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    ///
    /// client.send(b"ping").await?;
    /// let mut buf = [0; 8];
    /// let (_, from) = server.recv_from(&mut buf).await?;
    /// server.send_to(b"pong", from).await?;
    /// let n = client.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"pong");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match self.io.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
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

    /// Sends `buf` to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// The local address of the socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

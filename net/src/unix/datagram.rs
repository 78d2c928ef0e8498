//! A Unix domain datagram socket registered with the loop it was created on.

use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{SockAddr, SockRef};

use crate::reactor::{Direction, Evented};
use crate::Interest;

/// A Unix domain datagram socket.
///
/// Like [`UdpSocket`](crate::UdpSocket), its methods take `&self`, and tasks sharing it are all
/// woken when it becomes ready. Unlike UDP, the kernel neither
/// drops nor reorders the datagrams between two Unix sockets.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"hi").await?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"hi");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    io: Evented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds a socket to `path`, which must not exist yet (or to an abstract name, for a path
    /// starting with a NUL byte), registered with the current event loop.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::UnixDatagram;
    ///
    /// let path = std::env::temp_dir().join(format!("doc-datagram-{}.sock", std::process::id()));
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.send_to(b"ping", &path).await?;
    /// let mut buf = [0; 8];
    /// let (n, _from) = server.recv_from(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"ping");
    ///
    /// // Connected, the client sends without naming the server.
    /// client.connect(&path)?;
    /// client.send(b"again").await?;
    /// let n = server.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"again");
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let addr = super::socket_addr(path.as_ref())?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind_addr(&addr)?)
    }

    /// A socket bound to no address: it can send, and [`connect`](Self::connect), but only a
    /// peer it is connected to, or a pair, can send to it.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// Creates a pair of unnamed sockets connected to each other.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Wraps a standard socket, switching it to non-blocking mode.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Evented::new(socket)?,
        })
    }

    /// Sets the default peer for [`send`](Self::send) and keeps only its datagrams for
    /// [`recv`](Self::recv).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).connect(&SockAddr::unix(path)?)
    }

    /// Sends `buf` to the socket bound at `target` as one datagram.
    pub async fn send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = SockAddr::unix(target)?;
        poll_fn(|cx| self.poll_send_addr(cx, buf, &target)).await
    }

    /// Polls a [`send_to`](Self::send_to), for use in hand-written futures.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: impl AsRef<Path>,
    ) -> Poll<io::Result<usize>> {
        match SockAddr::unix(target) {
            Ok(target) => self.poll_send_addr(cx, buf, &target),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_send_addr(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: &SockAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |s| {
            SockRef::from(s).send_to(buf, target)
        })
    }

    /// Sends `buf` to the socket bound at `target` without waiting: `WouldBlock` when the
    /// receiver's queue is full.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::io::ErrorKind::WouldBlock;
    /// use runtime::net::UnixDatagram;
    ///
    /// let name = format!("\0doc-try-send-to-{}", std::process::id());
    /// let server = UnixDatagram::bind(&name)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.try_send_to(b"hi", &name)?;
    /// let mut buf = [0; 8];
    /// let (n, _from) = loop {
    ///     server.readable().await?;
    ///     match server.try_recv_from(&mut buf) {
    ///         Err(e) if e.kind() == WouldBlock => continue,
    ///         result => break result?,
    ///     }
    /// };
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = SockAddr::unix(target)?;
        self.io.try_io(Interest::WRITABLE, |s| {
            SockRef::from(s).send_to(buf, &target)
        })
    }

    /// Receives a datagram and its sender's address without waiting: `WouldBlock` when none
    /// is queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Interest::READABLE, |s| s.recv_from(buf))
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

    /// The local address of the socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

crate::datagram::datagram_methods!(
    UnixDatagram,
    std::os::unix::net::UnixDatagram,
    SocketAddr,
    super::sender
);

//! A TCP listener registered with the loop it was created on.

use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use super::TcpStream;
use crate::reactor::{Direction, Evented};

/// A TCP socket server, listening for connections.
///
/// Accepted streams register with the event loop that accepts them, so a connection is served
/// by the loop its listener lives on. For one listener per loop, with the kernel spreading
/// connections among them, bind with [`ListenOptions::reuse_port`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let client = TcpStream::connect(addr).await?;
/// let (server, peer) = listener.accept().await?;
/// assert_eq!(peer, client.local_addr()?);
/// # drop(server);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: Evented<mio::net::TcpListener>,
}

/// How to create a listening socket: the accept backlog and whether to share the port.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::ListenOptions;
///
/// // Two listeners on one port: the kernel spreads incoming connections between them.
/// let opts = ListenOptions::new().reuse_port(true);
/// let a = opts.bind("127.0.0.1:0")?;
/// let b = opts.bind(a.local_addr()?)?;
/// assert_eq!(a.local_addr()?, b.local_addr()?);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ListenOptions {
    backlog: i32,
    reuse_port: bool,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions::new()
    }
}

impl ListenOptions {
    /// A backlog of 4096 (the kernel caps it at `net.core.somaxconn`) and no port sharing.
    pub fn new() -> ListenOptions {
        ListenOptions {
            backlog: 4096,
            reuse_port: false,
        }
    }

    /// The length of the queue of connections the kernel completes before they are accepted.
    pub fn backlog(mut self, backlog: u32) -> ListenOptions {
        self.backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self
    }

    /// Sets `SO_REUSEPORT`, so several sockets (one per event loop) can listen on one port and
    /// the kernel spreads connections among them by a hash of the connection's addresses.
    ///
    /// Off by default: [`TcpListener::bind`] and [`ListenOptions::new`] leave it unset, and the
    /// runtime sets it only where sharding is asked for (`runtime::net::serve`).
    ///
    /// # Security
    ///
    /// Any process of the same user can then bind the same port with `SO_REUSEPORT`, join
    /// the group and take a share of the connections (the kernel does not tell the sockets
    /// apart). Use it only where every process of that user is trusted.
    pub fn reuse_port(mut self, reuse_port: bool) -> ListenOptions {
        self.reuse_port = reuse_port;
        self
    }

    /// Binds a listener on the first address `addr` resolves to that works, and registers it
    /// with the current event loop.
    pub fn bind(&self, addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(self.bind_std(addr)?)
    }

    /// Binds a listening socket without registering it with any event loop, for handing to
    /// the loop that will accept on it ([`TcpListener::from_std`] there).
    ///
    /// ```
    /// # runtime::Builder::new().workers(2).build()?.block_on(async {
    /// use runtime::net::{ListenOptions, TcpListener, TcpStream};
    ///
    /// let std_listener = ListenOptions::new().backlog(128).bind_std("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// // Registered with the loop of the task that accepts on it.
    /// let accepting = runtime::spawn(async move {
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     listener.accept().await.map(|(_, peer)| peer)
    /// });
    /// let client = TcpStream::connect(addr).await?;
    /// assert_eq!(accepting.await.unwrap()?, client.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_std(&self, addr: impl ToSocketAddrs) -> io::Result<std::net::TcpListener> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match self.bind_addr(addr) {
                Ok(listener) => return Ok(listener),
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

    fn bind_addr(&self, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        // Lets a restarted server bind while old connections sit in TIME_WAIT.
        socket.set_reuse_address(true)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }
}

impl TcpListener {
    /// Binds a listener to `addr` with the default [`ListenOptions`] and registers it with the
    /// current event loop.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        ListenOptions::new().bind(addr)
    }

    /// Wraps a bound, listening standard listener, switching it to non-blocking mode.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Evented::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Waits for a connection and returns it with the peer's address. The stream is registered
    /// with the current event loop.
    ///
    /// Errors such as "too many open files" leave the connection queued: the caller decides
    /// whether to back off and retry.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection, for use in hand-written futures.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |l| l.accept())
            .map(|r| r.and_then(|(s, addr)| Ok((TcpStream::from_mio(s)?, addr))))
    }

    /// Accepts a connection already queued, without waiting: `WouldBlock` when the queue is
    /// empty. Unlike [`poll_accept`](Self::poll_accept), which trusts the readiness the reactor
    /// last reported, this always asks the kernel, so a `WouldBlock` proves the queue empty at
    /// that moment: the way to drain a listener before closing it.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::io::ErrorKind;
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// assert_eq!(listener.try_accept().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let mut accepted = listener.try_accept();
    /// # while matches!(&accepted, Err(e) if e.kind() == ErrorKind::WouldBlock) {
    /// #     runtime::yield_now().await;
    /// #     accepted = listener.try_accept();
    /// # }
    /// let (_stream, _peer) = accepted?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        loop {
            match self.io.get_ref().accept() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return result.and_then(|(s, addr)| Ok((TcpStream::from_mio(s)?, addr))),
            }
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

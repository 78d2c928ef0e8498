//! A Unix domain listener registered with the loop it was created on.

use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixStream;
use crate::reactor::{Direction, Evented};

/// A Unix domain socket server, listening for connections.
///
/// Accepted streams register with the event loop that accepts them. The socket file stays
/// when the listener is dropped: remove it to bind the same path again.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::{UnixListener, UnixStream};
///
/// let path = std::env::temp_dir().join(format!("doc-listener-{}.sock", std::process::id()));
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server, _peer) = listener.accept().await?;
/// client.write_all(b"hello").await?;
/// let mut got = [0; 5];
/// server.read_exact(&mut got).await?;
/// assert_eq!(&got, b"hello");
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: Evented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds a listener to `path`, which must not exist yet (or to an abstract name, for a path
    /// starting with a NUL byte), and registers it with the current event loop.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::os::linux::net::SocketAddrExt;
    /// use runtime::net::{UnixListener, UnixStream};
    ///
    /// // An abstract name: no file is made, so none is left to remove.
    /// let name = format!("\0doc-listener-{}", std::process::id());
    /// let listener = UnixListener::bind(&name)?;
    /// let addr = listener.local_addr()?;
    /// assert_eq!(addr.as_abstract_name(), Some(&name.as_bytes()[1..]));
    /// let _client = UnixStream::connect(&name).await?;
    /// let (_server, _peer) = listener.accept().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let addr = super::socket_addr(path.as_ref())?;
        UnixListener::from_mio(mio::net::UnixListener::bind_addr(&addr)?)
    }

    /// Wraps a bound, listening standard listener, switching it to non-blocking mode.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::from_mio(mio::net::UnixListener::from_std(listener))
    }

    fn from_mio(listener: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Evented::new(listener)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address (usually unnamed: a
    /// client seldom binds its socket). The stream is registered with the current event loop.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection, for use in hand-written futures.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |l| l.accept())
            .map(|r| r.and_then(|(s, addr)| Ok((UnixStream::from_mio(s)?, addr))))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

//! A Unix domain stream socket registered with the loop it was created on.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::reactor::{Direction, Evented};

/// A connection over a Unix domain stream socket.
///
/// It reads, writes and splits as [`TcpStream`](crate::TcpStream) does: reading and writing
/// take `&mut self`, one reader and one writer at a time; to read and write from two tasks at
/// once, [`split`](UnixStream::split) it or [`into_split`](UnixStream::into_split) it.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::UnixStream;
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping").await?;
/// let mut got = [0; 4];
/// b.read_exact(&mut got).await?;
/// assert_eq!(&got, b"ping");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct UnixStream {
    io: Evented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path` (or to an abstract name, for a path starting with a
    /// NUL byte), registered with the current event loop.
    ///
    /// A missing socket file is `NotFound`, one nobody listens on `ConnectionRefused`. A
    /// listener whose backlog is full makes the connect fail with `WouldBlock` rather than
    /// wait, as the kernel does for non-blocking Unix sockets.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = super::socket_addr(path.as_ref())?;
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect_addr(&addr)?)?;
        // The kernel finishes a Unix connect within the call; `SO_ERROR`, once the socket is
        // writable, tells of any failure it left there.
        stream
            .io
            .io(Direction::Write, |s| match s.take_error()? {
                Some(e) => Err(e),
                None => Ok(()),
            })
            .await?;
        Ok(stream)
    }

    /// Creates a connected pair of unnamed sockets, both registered with the current event
    /// loop.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Evented::movable(stream)?,
        })
    }

    /// Wraps a connected standard stream, switching it to non-blocking mode.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::UnixStream;
    ///
    /// let (a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let (mut a, mut b) = (UnixStream::from_std(a)?, UnixStream::from_std(b)?);
    /// a.write_all(b"hi").await?;
    /// let mut got = [0; 2];
    /// b.read_exact(&mut got).await?;
    /// assert_eq!(&got, b"hi");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    /// The credentials of the peer process, recorded when the connection was made.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let (a, _b) = runtime::net::UnixStream::pair()?;
    /// let cred = a.peer_cred()?;
    /// // The pair's other end is this process.
    /// assert_eq!(cred.pid(), Some(std::process::id() as i32));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        super::UCred::of_peer(self.io.get_ref())
    }
}

crate::connection::stream_methods!(
    UnixStream,
    mio::net::UnixStream,
    SocketAddr,
    std::os::unix::net::UnixStream
);

//! A TCP connection registered with the loop it was created on.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use socket2::SockRef;

use crate::reactor::{Direction, Evented};

/// A TCP connection.
///
/// Reading and writing take `&mut self`, one reader and one writer at a time; to read and write
/// from two tasks at once, [`split`](TcpStream::split) it or
/// [`into_split`](TcpStream::into_split) it.
///
/// ```no_run
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::TcpStream;
///
/// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
/// stream.write_all(b"ping").await?;
/// let mut reply = [0; 4];
/// stream.read_exact(&mut reply).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct TcpStream {
    io: Evented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each address it resolves to in turn. The connect
    /// is non-blocking; its outcome is read from `SO_ERROR` once the socket turns writable, so
    /// a refused connection is reported as `ConnectionRefused`.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        super::each_addr(addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?
            .connected()
            .await
    }

    /// Waits for the non-blocking connect under way on this stream to finish.
    pub(crate) async fn connected(self) -> io::Result<TcpStream> {
        self.io
            .io(Direction::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                // Writability can be spurious: connected only once there is a peer.
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(self)
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Evented::movable(stream)?,
        })
    }

    /// Wraps a connected standard stream, switching it to non-blocking mode.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let listener = runtime::net::TcpListener::bind("127.0.0.1:0")?;
    /// // Connected by a library that knows only std's sockets.
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let mut stream = runtime::net::TcpStream::from_std(std_stream)?;
    /// let (mut server, _) = listener.accept().await?;
    /// stream.write_all(b"hi").await?;
    /// let mut got = [0; 2];
    /// server.read_exact(&mut got).await?;
    /// assert_eq!(&got, b"hi");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of waiting to be coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`. With `Some(timeout)`, closing the stream waits up to `timeout` for
    /// unsent data to go out, and `Some(Duration::ZERO)` resets the connection instead of
    /// closing it gracefully; with `None`, the default, closing returns at once and the
    /// kernel sends the rest in the background.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::time::Duration;
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.linger()?, None);
    /// stream.set_linger(Some(Duration::ZERO))?;
    /// assert_eq!(stream.linger()?, Some(Duration::ZERO));
    /// stream.set_ttl(32)?;
    /// assert_eq!(stream.ttl()?, 32);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(linger)
    }

    /// The value of `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self.io.get_ref()).linger()
    }

    /// Sets `IP_TTL`, the time to live of the packets sent.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The value of `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

crate::connection::stream_methods!(
    TcpStream,
    mio::net::TcpStream,
    SocketAddr,
    std::net::TcpStream
);

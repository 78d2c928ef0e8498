//! A TCP connection registered with the loop it was created on.

use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
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
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        super::each_addr(addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        stream
            .io
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
        Ok(stream)
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Evented::new(stream)?,
        })
    }

    /// Wraps a connected standard stream, switching it to non-blocking mode.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Reads into `buf`, waiting until at least one byte is there. `Ok(0)` means the peer has
    /// closed its side (or `buf` is empty).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_shared(buf).await
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the peer closes first.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.read_exact_shared(buf).await
    }

    /// Writes some of `buf`, waiting until the socket takes at least one byte.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_shared(buf).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_shared(buf).await
    }

    /// Writes from several buffers in one system call (`writev`).
    pub async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_vectored_shared(bufs).await
    }

    /// Waits until the stream is readable: data, end of stream or an error is waiting. The
    /// readiness may be stale: [`try_read`](Self::try_read) then gives `WouldBlock`, and the
    /// next `readable` waits for new data. With this pair a handler needs no buffer while its
    /// connection is idle, which is what most connections of a busy server are.
    ///
    /// One task at a time should wait in each direction (a second waiter would take the first
    /// one's place).
    ///
    /// ```no_run
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::io::ErrorKind::WouldBlock;
    ///
    /// let stream = runtime::net::TcpStream::connect("127.0.0.1:7000").await?;
    /// loop {
    ///     stream.readable().await?;
    ///     let mut buf = [0; 4096]; // on the stack only while there is data
    ///     match stream.try_read(&mut buf) {
    ///         Ok(0) => break,
    ///         Ok(n) => println!("read {n} bytes"),
    ///         Err(e) if e.kind() == WouldBlock => continue,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Read)).await
    }

    /// Waits until the stream is writable; see [`readable`](Self::readable).
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Write)).await
    }

    /// Reads what is there without waiting: `WouldBlock` when nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut s| s.read(buf))
    }

    /// Writes what the socket takes without waiting: `WouldBlock` when it takes nothing.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut s| s.write(buf))
    }

    /// Polls a read, for use in hand-written futures and I/O trait implementations.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io
            .poll_stream_io(cx, Direction::Read, len, |mut s| s.read(buf))
    }

    /// Polls a write, for use in hand-written futures and I/O trait implementations.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_stream_io(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
    }

    /// Polls a vectored write.
    pub fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
    }

    /// Shuts down the read, write or both halves. After `Shutdown::Write` the peer reads end
    /// of stream, and this side can still read what the peer sends.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of waiting to be coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Splits the stream into a read half and a write half borrowed from it, usable at the
    /// same time (for example in `join`ed futures).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into owned halves that can move to two different tasks. Dropping the
    /// write half shuts down the write side.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self)
    }

    // The `*_shared` operations take `&self` so the halves can share them; the public API
    // takes `&mut self` so that each direction has one waiting task, the one its waker wakes.

    pub(crate) async fn read_shared(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    pub(crate) async fn read_exact_shared(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_shared(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) async fn write_shared(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    pub(crate) async fn write_all_shared(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_shared(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) async fn write_vectored_shared(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_vectored(cx, bufs)).await
    }
}

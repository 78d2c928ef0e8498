//! [`Io`]: hyper's I/O traits over the runtime's sockets, and over any stream with the
//! `futures-io` traits (a TLS stream from futures-rustls over one of them, say).
//!
//! hyper reads through `hyper::rt::Read`, into a `ReadBufCursor` whose bytes may be
//! uninitialized, where `futures-io` streams read into a `&mut [u8]`, which must never cover
//! uninitialized bytes. So `Io` zeroes the cursor's unfilled part first, as the standard
//! library's default `read_buf` does. hyper offers a fresh cursor over its buffer's spare
//! capacity for each read, so every read costs a `memset` of that (8 KiB for a typical HTTP/1
//! read), small beside the system call; skipping it would take a socket read into raw memory.
//! Writes go straight to the stream (vectored writes included), and flushes and the shutdown
//! to its `poll_flush` and `poll_close`: for the runtime's sockets, nothing and a shutdown of
//! the writing direction.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ::hyper::rt::{Read, ReadBufCursor, Write};

use futures_io::{AsyncRead, AsyncWrite};

/// A stream as hyper's I/O: implements `hyper::rt::Read` and `hyper::rt::Write` for any
/// stream with the `futures-io` traits: a [`TcpStream`](crate::net::TcpStream) or
/// [`UnixStream`](crate::net::UnixStream), or a TLS stream over one. Writes are offered to the
/// stream vectored, which the runtime's sockets do in one system call.
///
/// ```no_run
/// # runtime::Runtime::new()?.block_on(async {
/// use hyper::server::conn::http1;
/// use hyper::service::service_fn;
/// use hyper::{Request, Response};
/// use runtime::hyper::Io;
/// use runtime::net::TcpListener;
///
/// let listener = TcpListener::bind("127.0.0.1:3000")?;
/// let (stream, _) = listener.accept().await?;
/// let echo_path = service_fn(|req: Request<hyper::body::Incoming>| async move {
///     Ok::<_, std::convert::Infallible>(Response::new(req.uri().path().to_owned()))
/// });
/// if let Err(e) = http1::Builder::new().serve_connection(Io::new(stream), echo_path).await {
///     eprintln!("connection failed: {e}");
/// }
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct Io<T> {
    inner: T,
}

impl<T> Io<T> {
    /// Wraps `inner` for hyper.
    pub fn new(inner: T) -> Io<T> {
        Io { inner }
    }

    /// The wrapped socket.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped socket, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the socket.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> Read for Io<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, buf.initialize_unfilled()))?;
        // SAFETY: `initialize_unfilled` initialized every unfilled byte, and the read returns at
        // most the length of the slice it was given, so the `n` bytes advanced over are
        // initialized (and hold what was read).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> Write for Io<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

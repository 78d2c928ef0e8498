//! What the stream sockets have in common: a connected byte stream, read and written through
//! its [`Evented`](crate::Evented) registration.
//!
//! [`TcpStream`](crate::TcpStream) and [`UnixStream`](crate::UnixStream) differ in how they
//! connect and in their addresses, not in how they move bytes. [`stream_methods!`] writes the
//! byte-moving half of their API once for both, and [`Connection`] lets the split halves
//! ([`crate::split`]) and the I/O trait implementations ([`crate::io_traits`]) be written once
//! over either stream.
//!
//! Every operation here takes `&self`, so the halves of a split stream can share it. The
//! streams' own `read` and `write` take `&mut self`, so that each direction has one waiting
//! task, the one its waker wakes.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem;
use std::net::Shutdown;
use std::task::{ready, Context, Poll};

use bytes::BufMut;

use crate::{sys, Direction, Interest, Ready};

/// A connected stream socket: a [`TcpStream`](crate::TcpStream) or a
/// [`UnixStream`](crate::UnixStream). The split halves work on either.
///
/// The trait is sealed; it is implemented by the stream types of this crate only.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use runtime::net::{Connection, OwnedReadHalf, UnixStream};
///
/// // Reads a length-prefixed message from the read half of any stream.
/// async fn message<S: Connection>(r: &mut OwnedReadHalf<S>) -> std::io::Result<Vec<u8>> {
///     let mut len = [0; 1];
///     r.read_exact(&mut len).await?;
///     let mut msg = vec![0; len[0].into()];
///     r.read_exact(&mut msg).await?;
///     Ok(msg)
/// }
///
/// let (mut a, b) = UnixStream::pair()?;
/// a.write_all(b"\x05hello").await?;
/// let (mut r, _w) = b.into_split();
/// assert_eq!(message(&mut r).await?, b"hello");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub trait Connection: sealed::Ops {
    /// The type of the socket's addresses.
    type Addr;

    /// The address of the peer.
    fn peer_addr(&self) -> io::Result<Self::Addr>;

    /// The local address of this end.
    fn local_addr(&self) -> io::Result<Self::Addr>;
}

pub(crate) mod sealed {
    use crate::Evented;

    /// The registration of a connected stream, outside the public API so that no other type
    /// can be a [`Connection`](super::Connection). Every operation below works on it.
    pub trait Ops {
        /// The mio stream.
        type Source: mio::event::Source + std::os::fd::AsFd;

        /// The stream's registration with its event loop.
        fn io(&self) -> &Evented<Self::Source>;
    }
}

// The operations of a connected stream, once for both streams, their halves and the I/O
// traits. Each takes the stream by `&`, so that the halves can share it.

pub(crate) fn poll_read<C: Connection>(
    c: &C,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let len = buf.len();
    c.io()
        .poll_stream_io(cx, Direction::Read, len, |s| sys::recv(s, buf))
}

pub(crate) fn poll_write<C: Connection>(
    c: &C,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    c.io()
        .poll_stream_io(cx, Direction::Write, buf.len(), |s| sys::send(s, buf))
}

pub(crate) fn poll_write_vectored<C: Connection>(
    c: &C,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    c.io()
        .poll_io(cx, Direction::Write, |s| sys::send_vectored(s, bufs))
}

pub(crate) fn poll_peek<C: Connection>(
    c: &C,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    c.io().poll_io(cx, Direction::Read, |s| sys::peek(s, buf))
}

pub(crate) fn try_read<C: Connection>(c: &C, buf: &mut [u8]) -> io::Result<usize> {
    c.io().try_io(Interest::READABLE, |s| sys::recv(s, buf))
}

pub(crate) fn try_read_vectored<C: Connection>(
    c: &C,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<usize> {
    c.io()
        .try_io(Interest::READABLE, |s| sys::recv_vectored(s, bufs))
}

pub(crate) fn try_read_buf<C: Connection>(c: &C, buf: &mut impl BufMut) -> io::Result<usize> {
    c.io()
        .try_io(Interest::READABLE, |s| crate::buf::recv(s, buf))
}

pub(crate) fn try_write<C: Connection>(c: &C, buf: &[u8]) -> io::Result<usize> {
    c.io().try_io(Interest::WRITABLE, |s| sys::send(s, buf))
}

pub(crate) fn try_write_vectored<C: Connection>(c: &C, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    c.io()
        .try_io(Interest::WRITABLE, |s| sys::send_vectored(s, bufs))
}

pub(crate) fn shutdown<C: Connection>(c: &C, how: Shutdown) -> io::Result<()> {
    socket2::SockRef::from(c.io().get_ref()).shutdown(how)
}

pub(crate) fn ready<C: Connection>(
    c: &C,
    interest: Interest,
) -> impl Future<Output = io::Result<Ready>> + '_ {
    poll_fn(move |cx| c.io().poll_readiness(cx, interest))
}

pub(crate) fn ready_in<C: Connection>(
    c: &C,
    direction: Direction,
) -> impl Future<Output = io::Result<()>> + '_ {
    poll_fn(move |cx| c.io().poll_ready(cx, direction))
}

// The futures below are `poll_fn` closures over the borrowed stream and buffer, not `async fn`s:
// an `async fn` holds its arguments and, again, the future it awaits, and these are what an
// idle connection's task holds while it waits (24 bytes here, 144 for `write_all` as an
// `async fn` calling `write`).

/// Shuts down the write side, for the I/O traits' close and the write halves. A connection the
/// peer has reset is shut down already: `NotConnected` then is no failure, and reporting it
/// would make proxies and `copy_bidirectional` fail a normal end (tokio answers `Ok` too).
pub(crate) fn shutdown_write<C: Connection>(c: &C) -> io::Result<()> {
    match shutdown(c, Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        result => result,
    }
}

pub(crate) fn read<'a, C: Connection>(
    c: &'a C,
    buf: &'a mut [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_read(c, cx, buf))
}

pub(crate) fn read_exact<'a, C: Connection>(
    c: &'a C,
    mut buf: &'a mut [u8],
) -> impl Future<Output = io::Result<()>> + 'a {
    poll_fn(move |cx| {
        while !buf.is_empty() {
            match ready!(poll_read(c, cx, buf))? {
                0 => return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into())),
                n => buf = &mut mem::take(&mut buf)[n..],
            }
        }
        Poll::Ready(Ok(()))
    })
}

pub(crate) fn write<'a, C: Connection>(
    c: &'a C,
    buf: &'a [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_write(c, cx, buf))
}

pub(crate) fn write_all<'a, C: Connection>(
    c: &'a C,
    mut buf: &'a [u8],
) -> impl Future<Output = io::Result<()>> + 'a {
    poll_fn(move |cx| {
        while !buf.is_empty() {
            match ready!(poll_write(c, cx, buf))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => buf = &buf[n..],
            }
        }
        Poll::Ready(Ok(()))
    })
}

pub(crate) fn write_vectored<'a, C: Connection>(
    c: &'a C,
    bufs: &'a [IoSlice<'a>],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_write_vectored(c, cx, bufs))
}

pub(crate) fn peek<'a, C: Connection>(
    c: &'a C,
    buf: &'a mut [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_peek(c, cx, buf))
}

/// Writes the common socket methods (see [`crate::socket_methods`]) and the reading,
/// writing and splitting methods of a stream type `$stream` whose field
/// `io` is an `Evented<$mio>` with addresses of type `$addr` (the standard library's
/// stream is `$std`), and makes it a [`Connection`]. Each method is one of the functions
/// above, which the split halves call too.
macro_rules! stream_methods {
    ($stream:ident, $mio:ty, $addr:ty, $std:ty) => {
        $crate::socket_methods::socket_methods!(
            $stream,
            $std,
            "UnixStream",
            "try_write",
            "try_read",
            poll_read_ready,
            poll_write_ready
        );

        impl $stream {
            /// Reads into `buf`, waiting until at least one byte is there. `Ok(0)` means the
            /// peer has closed its side (or `buf` is empty).
            pub fn read<'a>(
                &'a mut self,
                buf: &'a mut [u8],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<usize>> + 'a {
                $crate::connection::read(&*self, buf)
            }

            /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the peer closes first.
            pub fn read_exact<'a>(
                &'a mut self,
                buf: &'a mut [u8],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + 'a {
                $crate::connection::read_exact(&*self, buf)
            }

            /// Writes some of `buf`, waiting until the socket takes at least one byte.
            pub fn write<'a>(
                &'a mut self,
                buf: &'a [u8],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<usize>> + 'a {
                $crate::connection::write(&*self, buf)
            }

            /// Writes all of `buf`.
            pub fn write_all<'a>(
                &'a mut self,
                buf: &'a [u8],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + 'a {
                $crate::connection::write_all(&*self, buf)
            }

            /// Writes from several buffers in one system call (`sendmsg`, so that a closed
            /// peer is an error rather than a `SIGPIPE`).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::io::IoSlice;
            ///
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            /// let parts = [IoSlice::new(b"head "), IoSlice::new(b"body")];
            /// let n = a.write_vectored(&parts).await?;
            /// let mut got = vec![0; n];
            /// b.read_exact(&mut got).await?;
            /// assert_eq!(got, &b"head body"[..n]);
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn write_vectored<'a>(
                &'a mut self,
                bufs: &'a [::std::io::IoSlice<'a>],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<usize>> + 'a {
                $crate::connection::write_vectored(&*self, bufs)
            }

            /// Reads what is there without waiting: `WouldBlock` when nothing is (see
            /// [`readable`](Self::readable)).
            pub fn try_read(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                $crate::connection::try_read(self, buf)
            }

            /// [`try_read`](Self::try_read) into the spare capacity of a `bytes::BufMut`,
            /// advancing it past the bytes read: a `Vec::with_capacity` or a `BytesMut` needs
            /// no zeroing first. `Ok(0)` means the peer has closed its side, or `buf` has no
            /// room left (a `Vec` grows instead).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::io::ErrorKind::WouldBlock;
            ///
            /// let (mut a, b) = runtime::net::UnixStream::pair()?;
            /// a.write_all(b"hello").await?;
            /// let mut buf = Vec::with_capacity(64);
            /// while buf.len() < 5 {
            ///     b.readable().await?;
            ///     match b.try_read_buf(&mut buf) {
            ///         Ok(_) => {}
            ///         Err(e) if e.kind() == WouldBlock => continue,
            ///         Err(e) => return Err(e),
            ///     }
            /// }
            /// assert_eq!(buf, b"hello");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_read_buf<B: ::bytes::BufMut>(
                &self,
                buf: &mut B,
            ) -> ::std::io::Result<usize> {
                $crate::connection::try_read_buf(self, buf)
            }

            /// Writes what the socket takes without waiting: `WouldBlock` when it takes
            /// nothing.
            pub fn try_write(&self, buf: &[u8]) -> ::std::io::Result<usize> {
                $crate::connection::try_write(self, buf)
            }

            /// [`try_read`](Self::try_read) into several buffers, filled in order, in one
            /// system call (`readv`).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::io::IoSliceMut;
            ///
            /// let (mut a, b) = runtime::net::UnixStream::pair()?;
            /// a.write_all(b"headbody").await?;
            /// b.readable().await?;
            /// let (mut head, mut body) = ([0; 4], [0; 4]);
            /// let n = b.try_read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])?;
            /// assert_eq!((n, &head, &body), (8, b"head", b"body"));
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_read_vectored(
                &self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                $crate::connection::try_read_vectored(self, bufs)
            }

            /// [`try_write`](Self::try_write) from several buffers, in order, in one system
            /// call (`sendmsg`).
            pub fn try_write_vectored(
                &self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                $crate::connection::try_write_vectored(self, bufs)
            }

            /// Reads into `buf` without taking the data from the socket: the next read or
            /// peek returns it again. Waits until at least one byte is there; `Ok(0)` means
            /// the peer has closed its side (or `buf` is empty).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            /// a.write_all(b"GET /").await?;
            /// let mut method = [0; 3];
            /// b.peek(&mut method).await?;
            /// assert_eq!(&method, b"GET");
            /// let mut all = [0; 5];
            /// b.read_exact(&mut all).await?;
            /// assert_eq!(&all, b"GET /");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn peek<'a>(
                &'a self,
                buf: &'a mut [u8],
            ) -> impl ::std::future::Future<Output = ::std::io::Result<usize>> + 'a {
                $crate::connection::peek(self, buf)
            }

            /// Polls a [`peek`](Self::peek), for use in hand-written futures.
            pub fn poll_peek(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::connection::poll_peek(self, cx, buf)
            }

            /// Polls a read, for use in hand-written futures and I/O trait implementations.
            pub fn poll_read(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::connection::poll_read(self, cx, buf)
            }

            /// Polls a write, for use in hand-written futures and I/O trait implementations.
            pub fn poll_write(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::connection::poll_write(self, cx, buf)
            }

            /// Polls a vectored write.
            pub fn poll_write_vectored(
                &self,
                cx: &mut ::std::task::Context<'_>,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::connection::poll_write_vectored(self, cx, bufs)
            }

            /// Shuts down the read, write or both halves. After `Shutdown::Write` the peer
            /// reads end of stream, and this side can still read what the peer sends.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::net::Shutdown;
            ///
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            /// a.shutdown(Shutdown::Write)?;
            /// let mut buf = [0; 8];
            /// assert_eq!(b.read(&mut buf).await?, 0, "b reads end of stream");
            /// // The other direction is still open.
            /// b.write_all(b"bye").await?;
            /// let n = a.read(&mut buf).await?;
            /// assert_eq!(&buf[..n], b"bye");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn shutdown(&self, how: ::std::net::Shutdown) -> ::std::io::Result<()> {
                $crate::connection::shutdown(self, how)
            }

            /// The address of the peer.
            pub fn peer_addr(&self) -> ::std::io::Result<$addr> {
                self.io.get_ref().peer_addr()
            }

            /// The local address of this end.
            pub fn local_addr(&self) -> ::std::io::Result<$addr> {
                self.io.get_ref().local_addr()
            }

            /// Splits the stream into a read half and a write half borrowed from it, usable at
            /// the same time (for example in `join`ed futures).
            ///
            /// With `futures_util::io::AsyncReadExt` in scope, `stream.split()` finds that
            /// trait's `split` first, which takes the stream by value; call this one by path
            /// there.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            /// b.write_all(b"pong").await?;
            ///
            /// // Send a request and read the reply at the same time.
            /// let (mut reader, mut writer) = a.split();
            /// let mut reply = [0; 4];
            /// let (sent, read) = runtime::join!(
            ///     writer.write_all(b"ping"),
            ///     reader.read_exact(&mut reply),
            /// );
            /// sent?;
            /// read?;
            /// assert_eq!(&reply, b"pong");
            ///
            /// let mut request = [0; 4];
            /// b.read_exact(&mut request).await?;
            /// assert_eq!(&request, b"ping");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn split(&mut self) -> ($crate::ReadHalf<'_, Self>, $crate::WriteHalf<'_, Self>) {
                $crate::split::split(self)
            }

            /// Splits the stream into owned halves that can move to two different tasks.
            /// Dropping the write half shuts down the write side.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (a, mut b) = runtime::net::UnixStream::pair()?;
            /// let (mut reader, mut writer) = a.into_split();
            ///
            /// // The write half goes to a task of its own, and its drop there ends the stream.
            /// runtime::spawn(async move { writer.write_all(b"ping").await }).await.unwrap()?;
            /// let mut request = Vec::new();
            /// let mut buf = [0; 64];
            /// loop {
            ///     match b.read(&mut buf).await? {
            ///         0 => break,
            ///         n => request.extend_from_slice(&buf[..n]),
            ///     }
            /// }
            /// assert_eq!(request, b"ping");
            ///
            /// b.write_all(b"pong").await?;
            /// let mut reply = [0; 4];
            /// reader.read_exact(&mut reply).await?;
            /// assert_eq!(&reply, b"pong");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn into_split(self) -> ($crate::OwnedReadHalf<Self>, $crate::OwnedWriteHalf<Self>) {
                $crate::split::into_split(self)
            }
        }

        impl $crate::connection::Connection for $stream {
            type Addr = $addr;

            fn peer_addr(&self) -> ::std::io::Result<$addr> {
                $stream::peer_addr(self)
            }

            fn local_addr(&self) -> ::std::io::Result<$addr> {
                $stream::local_addr(self)
            }
        }

        impl $crate::connection::sealed::Ops for $stream {
            type Source = $mio;

            fn io(&self) -> &$crate::Evented<$mio> {
                &self.io
            }
        }
    };
}

pub(crate) use stream_methods;

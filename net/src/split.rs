//! Read and write halves of a stream ([`TcpStream`] or [`UnixStream`](crate::UnixStream)), so
//! one task can read while another writes.
//!
//! A stream keeps its readers' and its writers' wakers apart, so a reader and a writer never
//! take each other's wake-ups; the halves make "one reader, one writer" a matter of types. They are generic over
//! the [`Connection`] they split and default to [`TcpStream`].
//!
//! Each half has the stream's operations of its direction, readiness included (`ready`,
//! `readable` or `writable`, the `try_` operations, and `peek` on the read half), as tokio's
//! halves do; every method is the stream's own, through the functions of
//! [`connection`](crate::connection).

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BufMut;

use crate::connection::{self, Connection};
use crate::{Direction, Interest, Ready, TcpStream};

/// The read half of a stream borrowed by [`TcpStream::split`] or
/// [`UnixStream::split`](crate::UnixStream::split).
#[derive(Debug)]
pub struct ReadHalf<'a, S: Connection = TcpStream>(pub(crate) &'a S);

/// The write half of a stream borrowed by [`TcpStream::split`] or
/// [`UnixStream::split`](crate::UnixStream::split).
#[derive(Debug)]
pub struct WriteHalf<'a, S: Connection = TcpStream>(pub(crate) &'a S);

/// The read half of a stream, owned, from [`TcpStream::into_split`] or
/// [`UnixStream::into_split`](crate::UnixStream::into_split).
#[derive(Debug)]
pub struct OwnedReadHalf<S: Connection = TcpStream>(pub(crate) Arc<S>);

/// The write half of a stream, owned, from [`TcpStream::into_split`] or
/// [`UnixStream::into_split`](crate::UnixStream::into_split). Dropping it shuts down the write
/// side, so the peer reads end of stream; [`forget`](Self::forget) drops it without.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: Connection = TcpStream>(pub(crate) Arc<S>, bool);

/// The halves given to [`OwnedReadHalf::reunite`] came from different streams; they are
/// handed back.
#[derive(Debug)]
pub struct ReuniteError<S: Connection = TcpStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: Connection> std::fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S: Connection + std::fmt::Debug> std::error::Error for ReuniteError<S> {}

pub(crate) fn split<S: Connection>(stream: &mut S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (ReadHalf(stream), WriteHalf(stream))
}

pub(crate) fn into_split<S: Connection>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Arc::new(stream);
    (OwnedReadHalf(stream.clone()), OwnedWriteHalf(stream, true))
}

/// What both halves have: readiness and the addresses. `$split` names the stream method that
/// makes the half, for the examples.
macro_rules! half {
    ($half:ty, $split:literal) => {
        impl<S: Connection> $half {
            /// Waits until the stream is ready in a direction of `interest`; see
            /// [`TcpStream::ready`]. A half may wait in either direction, as tokio's do, though
            /// its own operations go one way.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::Interest;
            ///
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            #[doc = concat!("let (reader, writer) = a.", $split, "();")]
            /// assert!(writer.ready(Interest::WRITABLE).await?.is_writable());
            /// b.write_all(b"hi").await?;
            /// assert!(reader.ready(Interest::READABLE).await?.is_readable());
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn ready(
                &self,
                interest: Interest,
            ) -> impl Future<Output = io::Result<Ready>> + '_ {
                connection::ready(&*self.0, interest)
            }

            /// The address of the peer.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let listener = runtime::net::TcpListener::bind("127.0.0.1:0")?;
            /// let mut a = runtime::net::TcpStream::connect(listener.local_addr()?).await?;
            /// let (local, peer) = (a.local_addr()?, a.peer_addr()?);
            #[doc = concat!("let (reader, writer) = a.", $split, "();")]
            /// assert_eq!((reader.local_addr()?, reader.peer_addr()?), (local, peer));
            /// assert_eq!((writer.local_addr()?, writer.peer_addr()?), (local, peer));
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn peer_addr(&self) -> io::Result<S::Addr> {
                self.0.peer_addr()
            }

            /// The local address of this end; see [`peer_addr`](Self::peer_addr).
            pub fn local_addr(&self) -> io::Result<S::Addr> {
                self.0.local_addr()
            }
        }
    };
}

/// The reading methods, the same on both kinds of read half.
macro_rules! read_half {
    ($half:ty, $split:literal) => {
        impl<S: Connection> $half {
            /// Reads into `buf`; see [`TcpStream::read`].
            pub fn read<'a>(
                &'a mut self,
                buf: &'a mut [u8],
            ) -> impl Future<Output = io::Result<usize>> + 'a {
                connection::read(&*self.0, buf)
            }

            /// Reads exactly `buf.len()` bytes; see [`TcpStream::read_exact`].
            pub fn read_exact<'a>(
                &'a mut self,
                buf: &'a mut [u8],
            ) -> impl Future<Output = io::Result<()>> + 'a {
                connection::read_exact(&*self.0, buf)
            }

            /// Waits until the stream is readable; see [`TcpStream::readable`].
            pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
                connection::ready_in(&*self.0, Direction::Read)
            }

            /// Reads what is there without waiting; see [`TcpStream::try_read`].
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::io::ErrorKind::WouldBlock;
            ///
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            #[doc = concat!("let (reader, _writer) = a.", $split, "();")]
            /// b.write_all(b"hi").await?;
            /// let mut buf = [0; 8];
            /// let n = loop {
            ///     reader.readable().await?;
            ///     match reader.try_read(&mut buf) {
            ///         Err(e) if e.kind() == WouldBlock => continue,
            ///         result => break result?,
            ///     }
            /// };
            /// assert_eq!(&buf[..n], b"hi");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                connection::try_read(&*self.0, buf)
            }

            /// Reads into several buffers without waiting; see
            /// [`TcpStream::try_read_vectored`].
            pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                connection::try_read_vectored(&*self.0, bufs)
            }

            /// Reads into a `bytes::BufMut` without waiting; see [`TcpStream::try_read_buf`].
            pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
                connection::try_read_buf(&*self.0, buf)
            }

            /// Reads without taking the data from the stream; see [`TcpStream::peek`].
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            #[doc = concat!("let (mut reader, _writer) = a.", $split, "();")]
            /// b.write_all(b"hi").await?;
            /// let mut peeked = [0; 2];
            /// reader.peek(&mut peeked).await?;
            /// let mut read = [0; 2];
            /// reader.read_exact(&mut read).await?;
            /// assert_eq!(peeked, read);
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn peek<'a>(
                &'a mut self,
                buf: &'a mut [u8],
            ) -> impl Future<Output = io::Result<usize>> + 'a {
                connection::peek(&*self.0, buf)
            }

            /// Polls a [`peek`](Self::peek), for use in hand-written futures.
            pub fn poll_peek(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                connection::poll_peek(&*self.0, cx, buf)
            }
        }
    };
}

/// The writing methods, the same on both kinds of write half.
macro_rules! write_half {
    ($half:ty, $split:literal) => {
        impl<S: Connection> $half {
            /// Writes some of `buf`; see [`TcpStream::write`].
            pub fn write<'a>(
                &'a mut self,
                buf: &'a [u8],
            ) -> impl Future<Output = io::Result<usize>> + 'a {
                connection::write(&*self.0, buf)
            }

            /// Writes all of `buf`; see [`TcpStream::write_all`].
            pub fn write_all<'a>(
                &'a mut self,
                buf: &'a [u8],
            ) -> impl Future<Output = io::Result<()>> + 'a {
                connection::write_all(&*self.0, buf)
            }

            /// Writes from several buffers at once; see [`TcpStream::write_vectored`].
            pub fn write_vectored<'a>(
                &'a mut self,
                bufs: &'a [IoSlice<'a>],
            ) -> impl Future<Output = io::Result<usize>> + 'a {
                connection::write_vectored(&*self.0, bufs)
            }

            /// Shuts down the write side: the peer reads end of stream. Succeeds on a
            /// connection the peer has reset.
            pub fn shutdown(&self) -> io::Result<()> {
                connection::shutdown_write(&*self.0)
            }

            /// Waits until the stream is writable; see [`TcpStream::writable`].
            pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
                connection::ready_in(&*self.0, Direction::Write)
            }

            /// Writes what the stream takes without waiting; see [`TcpStream::try_write`].
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (mut a, mut b) = runtime::net::UnixStream::pair()?;
            #[doc = concat!("let (_reader, writer) = a.", $split, "();")]
            /// writer.writable().await?;
            /// let n = writer.try_write(b"hi")?;
            /// let mut got = vec![0; n];
            /// b.read_exact(&mut got).await?;
            /// assert_eq!(got, &b"hi"[..n]);
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                connection::try_write(&*self.0, buf)
            }

            /// Writes from several buffers without waiting; see
            /// [`TcpStream::try_write_vectored`].
            pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                connection::try_write_vectored(&*self.0, bufs)
            }
        }
    };
}

half!(ReadHalf<'_, S>, "split");
half!(OwnedReadHalf<S>, "into_split");
half!(WriteHalf<'_, S>, "split");
half!(OwnedWriteHalf<S>, "into_split");
read_half!(ReadHalf<'_, S>, "split");
read_half!(OwnedReadHalf<S>, "into_split");
write_half!(WriteHalf<'_, S>, "split");
write_half!(OwnedWriteHalf<S>, "into_split");

impl<S: Connection> OwnedReadHalf<S> {
    /// Puts the stream back together; fails if the halves are from different streams.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let (a_read, a_write) = a.into_split();
    /// let (b_read, b_write) = b.into_split();
    ///
    /// // Halves of two streams are handed back in the error.
    /// let mismatch = a_read.reunite(b_write).unwrap_err();
    /// let (a_read, b_write) = (mismatch.0, mismatch.1);
    ///
    /// let _a: UnixStream = a_read.reunite(a_write).expect("halves of one stream");
    /// let _b: UnixStream = b_read.reunite(b_write).expect("halves of one stream");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &other.0) {
            return Err(ReuniteError(self, other));
        }
        // The write side goes back with the stream, so it must not be shut down.
        other.forget();
        match Arc::try_unwrap(self.0) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("both halves were consumed"),
        }
    }
}

impl<S: Connection> OwnedWriteHalf<S> {
    /// Drops the half without shutting down the write side, as tokio's `forget` does: the
    /// peer reads end of stream only once the read half is gone too and the socket closes.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::UnixStream;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let (a_read, a_write) = a.into_split();
    /// a_write.forget();
    /// // Still open: nothing to read yet, rather than end of stream.
    /// let mut buf = [0; 1];
    /// assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// drop(a_read);
    /// assert_eq!(b.read(&mut buf).await?, 0);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn forget(mut self) {
        self.1 = false;
    }
}

impl<S: Connection> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.1 {
            // The peer may be gone already; a destructor has no one to report that to.
            let _ = connection::shutdown(&*self.0, Shutdown::Write);
        }
    }
}

//! Read and write halves of a stream ([`TcpStream`] or [`UnixStream`](crate::UnixStream)), so
//! one task can read while another writes.
//!
//! A stream keeps its readers' and its writers' wakers apart, so a reader and a writer never
//! take each other's wake-ups; the halves make "one reader, one writer" a matter of types. They are generic over
//! the [`Connection`] they split and default to [`TcpStream`].

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::sync::Arc;

use crate::connection::{self, sealed::Ops, Connection};
use crate::TcpStream;

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
/// side, so the peer reads end of stream.
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

/// The reading methods, the same on both kinds of read half.
macro_rules! read_half {
    ($half:ty) => {
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

            /// The address of the peer.
            pub fn peer_addr(&self) -> io::Result<S::Addr> {
                self.0.peer_addr()
            }
        }
    };
}

/// The writing methods, the same on both kinds of write half.
macro_rules! write_half {
    ($half:ty) => {
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

            /// The address of the peer.
            pub fn peer_addr(&self) -> io::Result<S::Addr> {
                self.0.peer_addr()
            }
        }
    };
}

read_half!(ReadHalf<'_, S>);
read_half!(OwnedReadHalf<S>);
write_half!(WriteHalf<'_, S>);
write_half!(OwnedWriteHalf<S>);

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
    pub fn reunite(self, mut other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &other.0) {
            return Err(ReuniteError(self, other));
        }
        // The write side goes back with the stream, so it must not be shut down.
        other.1 = false;
        drop(other);
        match Arc::try_unwrap(self.0) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("both halves were consumed"),
        }
    }
}

impl<S: Connection> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.1 {
            // The peer may be gone already; a destructor has no one to report that to.
            let _ = Ops::shutdown(&*self.0, Shutdown::Write);
        }
    }
}

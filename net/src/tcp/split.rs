//! Read and write halves of a [`TcpStream`], so one task can read while another writes.
//!
//! A stream keeps one waker per direction, so a reader and a writer never take each other's
//! wake-ups; the halves make "one reader, one writer" a matter of types.

use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

use super::TcpStream;

/// The read half of a [`TcpStream`] borrowed by [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a TcpStream);

/// The write half of a [`TcpStream`] borrowed by [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a TcpStream);

/// The read half of a [`TcpStream`], owned, from [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf(Arc<TcpStream>);

/// The write half of a [`TcpStream`], owned, from [`TcpStream::into_split`]. Dropping it shuts
/// down the write side, so the peer reads end of stream.
#[derive(Debug)]
pub struct OwnedWriteHalf(Arc<TcpStream>, bool);

/// The halves given to [`OwnedReadHalf::reunite`] came from different streams; they are
/// handed back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl std::fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl std::error::Error for ReuniteError {}

pub(super) fn split(stream: &mut TcpStream) -> (ReadHalf<'_>, WriteHalf<'_>) {
    (ReadHalf(stream), WriteHalf(stream))
}

pub(super) fn into_split(stream: TcpStream) -> (OwnedReadHalf, OwnedWriteHalf) {
    let stream = Arc::new(stream);
    (OwnedReadHalf(stream.clone()), OwnedWriteHalf(stream, true))
}

/// The reading methods, the same on both kinds of read half.
macro_rules! read_half {
    ($half:ty) => {
        impl $half {
            /// Reads into `buf`; see [`TcpStream::read`].
            pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0.read_shared(buf).await
            }

            /// Reads exactly `buf.len()` bytes; see [`TcpStream::read_exact`].
            pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
                self.0.read_exact_shared(buf).await
            }

            /// The address of the peer.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                self.0.peer_addr()
            }
        }
    };
}

/// The writing methods, the same on both kinds of write half.
macro_rules! write_half {
    ($half:ty) => {
        impl $half {
            /// Writes some of `buf`; see [`TcpStream::write`].
            pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.write_shared(buf).await
            }

            /// Writes all of `buf`; see [`TcpStream::write_all`].
            pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                self.0.write_all_shared(buf).await
            }

            /// Writes from several buffers at once; see [`TcpStream::write_vectored`].
            pub async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                self.0.write_vectored_shared(bufs).await
            }

            /// Shuts down the write side: the peer reads end of stream.
            pub fn shutdown(&self) -> io::Result<()> {
                self.0.shutdown(Shutdown::Write)
            }

            /// The address of the peer.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                self.0.peer_addr()
            }
        }
    };
}

read_half!(ReadHalf<'_>);
read_half!(OwnedReadHalf);
write_half!(WriteHalf<'_>);
write_half!(OwnedWriteHalf);

impl OwnedReadHalf {
    /// Puts the stream back together; fails if the halves are from different streams.
    pub fn reunite(self, mut other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.0, &other.0) {
            return Err(ReuniteError(self, other));
        }
        // The write side goes back with the stream, so it must not be shut down.
        other.1 = false;
        drop(other);
        Ok(Arc::try_unwrap(self.0).expect("both halves were consumed"))
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.1 {
            // The peer may be gone already; a destructor has no one to report that to.
            let _ = self.0.shutdown(Shutdown::Write);
        }
    }
}

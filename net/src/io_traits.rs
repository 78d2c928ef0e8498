//! The standard async I/O traits on the streams and their split halves, so code written
//! against the traits runs on this runtime's sockets: `futures_io::AsyncRead`/`AsyncWrite`
//! always (`futures-util`'s extension methods, runtime-agnostic crates), and
//! `tokio::io::AsyncRead`/`AsyncWrite` with the `tokio-io` feature (the tokio ecosystem, hyper
//! through hyper-util). The feature brings in only tokio's trait definitions, no tokio runtime.
//!
//! Every implementation is the stream's own `poll_read`, `poll_write` or `poll_write_vectored`,
//! reached through [`Connection`]. Flushing has nothing to do: a write is in the kernel's hands
//! when it returns. Closing (`poll_close`, tokio's `poll_shutdown`) shuts down the write side,
//! so the peer reads end of stream while this side can still read; on a connection the peer has
//! reset it succeeds, as tokio's does.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::connection::{self, Connection};
use crate::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, TcpStream, UnixStream, WriteHalf};

/// Implements both reading traits for each type, given its generic parameters (each a
/// [`Connection`]) and how to reach the stream it reads from.
macro_rules! async_read {
    ($(impl<$($g:ident),*> for $ty:ty, |$this:ident| $stream:expr;)*) => {$(
        impl<$($g: Connection),*> futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let $this: &Self = &self;
                connection::poll_read($stream, cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($g: Connection),*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let $this: &Self = &self;
                poll_read_buf($stream, cx, buf)
            }
        }
    )*};
}

/// Implements both writing traits for each type, given its generic parameters (each a
/// [`Connection`]) and how to reach the stream it writes to.
macro_rules! async_write {
    ($(impl<$($g:ident),*> for $ty:ty, |$this:ident| $stream:expr;)*) => {$(
        impl<$($g: Connection),*> futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this: &Self = &self;
                connection::poll_write($stream, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this: &Self = &self;
                connection::poll_write_vectored($stream, cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                let $this: &Self = &self;
                Poll::Ready(connection::shutdown_write($stream))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($g: Connection),*> tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this: &Self = &self;
                connection::poll_write($stream, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this: &Self = &self;
                connection::poll_write_vectored($stream, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                let $this: &Self = &self;
                Poll::Ready(connection::shutdown_write($stream))
            }
        }
    )*};
}

async_read! {
    impl<> for TcpStream, |s| s;
    impl<> for UnixStream, |s| s;
    impl<S> for ReadHalf<'_, S>, |h| h.0;
    impl<S> for OwnedReadHalf<S>, |h| &*h.0;
}

async_write! {
    impl<> for TcpStream, |s| s;
    impl<> for UnixStream, |s| s;
    impl<S> for WriteHalf<'_, S>, |h| h.0;
    impl<S> for OwnedWriteHalf<S>, |h| &*h.0;
}

/// Reads into the unfilled part of a tokio `ReadBuf`.
#[cfg(feature = "tokio-io")]
fn poll_read_buf<C: Connection>(
    stream: &C,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // `initialize_unfilled` zeroes what was never initialized, once per buffer (the `ReadBuf`
    // remembers it), which keeps this free of `unsafe`.
    let n = std::task::ready!(connection::poll_read(stream, cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

//! The async I/O traits on [`File`]: `futures_io::{AsyncRead, AsyncWrite, AsyncSeek}` always,
//! and `tokio::io::{AsyncRead, AsyncWrite, AsyncSeek}` with the `tokio-io` feature, as the
//! sockets have them. Each method is the state machine's (see `state.rs`); tokio's writing
//! trait is `futures_io`'s under other names, and its reading and seeking traits differ only
//! in tokio's `ReadBuf` and in how a seek is asked for (one call in `futures_io`, `start_seek`
//! then `poll_complete` in tokio). Closing (tokio's shutdown) is a flush: a file has no write
//! side to shut.

use std::fs::File as StdFile;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::state::Inner;
use super::File;

impl File {
    /// The state machine, the file it works on and the buffer limit, for the trait methods
    /// (which, taking `&mut self`, need no lock).
    fn parts(self: Pin<&mut Self>) -> (&mut Inner, &Arc<StdFile>, usize) {
        let me = self.get_mut();
        (me.inner.get_mut(), &me.std, me.max_buf_size)
    }
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let (inner, std, max) = self.parts();
        inner.poll_read(std, max, cx, buf)
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (inner, std, max) = self.parts();
        inner.poll_write(std, max, cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let (inner, std, max) = self.parts();
        inner.poll_write(std, max, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.parts().0.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.parts().0.poll_flush(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let (inner, std, _) = self.parts();
        inner.poll_seek(std, cx, pos)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (inner, std, max) = self.parts();
        // `initialize_unfilled` zeroes what was never initialized, once per buffer (the
        // `ReadBuf` remembers it), which keeps this free of `unsafe`.
        let n = std::task::ready!(inner.poll_read(std, max, cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(self, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write_vectored(self, cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(self, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(self, cx)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let (inner, std, _) = self.parts();
        inner.start_seek(std, position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.parts().0.poll_complete(cx)
    }
}

//! The state machine under a [`File`](super::File)'s reads, writes and seeks.
//!
//! A file is idle (the task holds the buffer) or busy (one blocking task owns the buffer and
//! gives it back with the outcome of its [`Operation`]). At most one operation is in flight;
//! every method first waits for it ([`Inner::poll_done`], the only busy-to-idle transition),
//! then starts its own with [`Inner::start`], the only idle-to-busy one.
//!
//! - A read asks the pool for up to `min(len, max_buf_size)` bytes and serves the caller from
//!   the buffer; what is left is served by the next reads without a hop.
//! - A write copies up to `max_buf_size` bytes into the buffer and returns at once: the pool
//!   writes them in the background, and an error comes back from the next operation (or from
//!   `flush`, which waits for the write). Shutting the runtime down does not drop that write:
//!   it runs, and the shutdown waits for it (tokio's "mandatory" blocking tasks).
//! - Data read ahead moves the file's cursor past the caller's position: a seek or a write
//!   first moves it back.
//!
//! No transition panics: a blocking task that fails (a panic in it, or the runtime shutting
//! down) leaves the file idle with an empty buffer and reports an I/O error.

use std::fs::File as StdFile;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::buf::Buf;
use crate::blocking::AtShutdown;
use crate::JoinHandle;

/// tokio's default: the most a read asks for, or a write takes, in one blocking task.
pub(super) const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// What a blocking task did, and its outcome.
#[derive(Debug)]
enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    /// A seek, or a `set_len` (which reports the cursor's position too).
    Seek(io::Result<u64>),
}

#[derive(Debug)]
pub(super) struct Inner {
    /// The buffer while idle; empty (and unallocated) while busy.
    buf: Buf,
    /// The blocking task of the operation in flight, which owns the buffer until it returns.
    in_flight: Option<JoinHandle<(Operation, Buf)>>,
    /// The position the seek in flight was asked for: `poll_seek` called again with it waits
    /// for that seek instead of starting another.
    seek: Option<SeekFrom>,
    /// The error of a write that ended in the background, for the next write or flush.
    last_write_err: Option<io::ErrorKind>,
    /// Where the last seek left the cursor.
    pos: u64,
}

impl Inner {
    pub(super) fn new() -> Inner {
        Inner {
            buf: Buf::default(),
            in_flight: None,
            seek: None,
            last_write_err: None,
            pos: 0,
        }
    }

    /// Starts `op` on the blocking pool with the buffer. The file must be idle. A write is
    /// [`AtShutdown::Run`]: its caller was told it is done, so a shutdown must not drop it.
    fn start<F>(&mut self, std: &Arc<StdFile>, at_shutdown: AtShutdown, op: F)
    where
        F: FnOnce(&StdFile, &mut Buf) -> Operation + Send + 'static,
    {
        debug_assert!(self.in_flight.is_none());
        let std = Arc::clone(std);
        let mut buf = std::mem::take(&mut self.buf);
        self.in_flight = Some(crate::spawn_blocking_at_shutdown(at_shutdown, move || {
            (op(&std, &mut buf), buf)
        }));
    }

    /// Waits for the operation in flight, if any, and takes the buffer back: the file is idle
    /// once this is ready, even with an error.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Operation>>> {
        let Some(task) = &mut self.in_flight else {
            return Poll::Ready(Ok(None));
        };
        let done = ready!(Pin::new(task).poll(cx));
        self.in_flight = None;
        self.seek = None;
        let (op, buf) = done?;
        self.buf = buf;
        if let Operation::Seek(Ok(pos)) = op {
            self.pos = pos;
        }
        Poll::Ready(Ok(Some(op)))
    }

    /// Waits for the operation in flight, keeping a write's error for the next write or flush.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(Operation::Write(Err(e))) = ready!(self.poll_done(cx))? {
            self.keep_write_err(e);
        }
        Poll::Ready(Ok(()))
    }

    fn keep_write_err(&mut self, e: io::Error) {
        self.last_write_err.get_or_insert(e.kind());
    }

    /// Waits for the operation in flight, for a method that works on the file directly.
    pub(super) async fn complete_inflight(&mut self) {
        if let Err(e) = poll_fn(|cx| self.poll_settle(cx)).await {
            self.keep_write_err(e);
        }
    }

    pub(super) fn poll_read(
        &mut self,
        std: &Arc<StdFile>,
        max_buf_size: usize,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match ready!(self.poll_done(cx))? {
                Some(Operation::Read(res)) => {
                    res?;
                    return Poll::Ready(Ok(self.buf.copy_to(dst)));
                }
                Some(Operation::Write(Err(e))) => self.keep_write_err(e),
                _ => {}
            }
            if !self.buf.is_empty() || dst.is_empty() {
                return Poll::Ready(Ok(self.buf.copy_to(dst)));
            }
            let max = dst.len().min(max_buf_size);
            self.start(std, AtShutdown::Drop, move |file, buf| {
                Operation::Read(buf.read_from(file, max))
            });
        }
    }

    /// Takes what fits of `src` (slices written in order, as `write_vectored`) and starts
    /// writing it.
    pub(super) fn poll_write(
        &mut self,
        std: &Arc<StdFile>,
        max_buf_size: usize,
        cx: &mut Context<'_>,
        src: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(kind) = self.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        if let Some(Operation::Write(res)) = ready!(self.poll_done(cx))? {
            res?;
        }
        if src.iter().all(|slice| slice.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        let unread = self.buf.discard_read();
        let n = self.buf.copy_from(src, max_buf_size);
        self.start(std, AtShutdown::Run, move |mut file, buf| {
            let res = match unread {
                0 => buf.write_to(file),
                _ => file
                    .seek(SeekFrom::Current(unread))
                    .and_then(|_| buf.write_to(file)),
            };
            Operation::Write(res)
        });
        Poll::Ready(Ok(n))
    }

    /// Waits for the write in flight and reports its error, or that of one before it.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(kind) = self.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        match ready!(self.poll_done(cx))? {
            Some(Operation::Write(res)) => Poll::Ready(res),
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Starts a seek to `pos`, counting the data read ahead; tokio's `start_seek`, which
    /// fails while another operation is in flight.
    pub(super) fn start_seek(&mut self, std: &Arc<StdFile>, pos: SeekFrom) -> io::Result<()> {
        if self.in_flight.is_some() {
            return Err(io::Error::other(
                "other file operation is pending, call poll_complete before start_seek",
            ));
        }
        let target = match pos {
            SeekFrom::Current(offset) => offset
                .checked_add(self.buf.discard_read())
                .map(SeekFrom::Current)
                .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?,
            _ => {
                self.buf.discard_read();
                pos
            }
        };
        self.start(std, AtShutdown::Drop, move |mut file, _| {
            Operation::Seek(file.seek(target))
        });
        self.seek = Some(pos);
        Ok(())
    }

    /// Waits for the seek in flight and returns where it left the cursor; with none in
    /// flight, where the last seek left it (tokio's `poll_complete`).
    pub(super) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        match ready!(self.poll_done(cx))? {
            Some(Operation::Seek(res)) => Poll::Ready(res),
            Some(Operation::Write(Err(e))) => {
                self.keep_write_err(e);
                Poll::Ready(Ok(self.pos))
            }
            _ => Poll::Ready(Ok(self.pos)),
        }
    }

    /// Seeks to `pos` and returns the new position, in one call (`futures_io::AsyncSeek`).
    pub(super) fn poll_seek(
        &mut self,
        std: &Arc<StdFile>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        if self.seek != Some(pos) {
            ready!(self.poll_settle(cx))?;
            self.start_seek(std, pos)?;
        }
        self.poll_complete(cx)
    }

    /// Truncates or extends the file; the file must be idle (after `complete_inflight`).
    pub(super) async fn set_len(&mut self, std: &Arc<StdFile>, size: u64) -> io::Result<()> {
        let unread = self.buf.discard_read();
        self.start(std, AtShutdown::Drop, move |mut file, _| {
            let res = file.seek(SeekFrom::Current(unread));
            Operation::Seek(res.and_then(|pos| file.set_len(size).map(|()| pos)))
        });
        poll_fn(|cx| self.poll_complete(cx)).await.map(drop)
    }
}

//! The parent's ends of a child's standard I/O pipes: [`ChildStdin`], [`ChildStdout`],
//! [`ChildStderr`].
//!
//! Each end is made non-blocking and registered with the reactor of the loop that spawned the
//! child, like a socket, and is read or written like one: an operation that would block waits
//! for the reactor's next readiness event. Both I/O trait families are implemented:
//! `futures_io`'s always, tokio's with the `tokio-io` feature.
//!
//! A child that closes its end makes reads end (`Ok(0)`) and writes fail with `BrokenPipe`;
//! the process never gets `SIGPIPE` for it, as the Rust runtime ignores that signal.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use mio::unix::pipe::{Receiver, Sender};
use net::{Direction, Evented};

/// The child's standard input, written by the parent; from [`Child::stdin`](super::Child).
///
/// Dropping it closes the pipe, which the child reads as the end of its input.
/// [`Child::wait`](super::Child::wait) drops it first for that reason. Flushing and closing
/// through the I/O traits do nothing: a write is in the kernel's hands once it returns.
///
/// ```
/// use std::process::Stdio;
/// use futures_util::AsyncWriteExt;
/// use runtime::process::Command;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
/// let mut stdin = child.stdin.take().unwrap();
/// stdin.write_all(b"meow").await?;
/// drop(stdin);
/// let output = child.wait_with_output().await?;
/// assert_eq!(output.stdout, b"meow");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct ChildStdin {
    io: Evented<Sender>,
}

/// The child's standard output, read by the parent; from [`Child::stdout`](super::Child).
///
/// ```
/// use std::process::Stdio;
/// use futures_util::AsyncReadExt;
/// use runtime::process::Command;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut child = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn()?;
/// let mut text = String::new();
/// child.stdout.take().unwrap().read_to_string(&mut text).await?;
/// assert_eq!(text, "hello\n");
/// assert!(child.wait().await?.success());
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct ChildStdout {
    io: Evented<Receiver>,
}

/// The child's standard error, read by the parent; from [`Child::stderr`](super::Child).
///
/// ```
/// use std::process::Stdio;
/// use futures_util::AsyncReadExt;
/// use runtime::process::Command;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut child = Command::new("sh")
///     .args(["-c", "echo oops >&2"])
///     .stderr(Stdio::piped())
///     .spawn()?;
/// let mut text = String::new();
/// child.stderr.take().unwrap().read_to_string(&mut text).await?;
/// assert_eq!(text, "oops\n");
/// # child.wait().await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct ChildStderr {
    io: Evented<Receiver>,
}

impl ChildStdin {
    /// Registers a pipe end from `std::process` with the current loop's reactor, in
    /// non-blocking mode.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::ChildStdin;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = std::process::Command::new("cat").stdin(Stdio::piped()).spawn()?;
    /// let stdin = ChildStdin::from_std(child.stdin.take().unwrap())?;
    /// drop(stdin);
    /// assert!(child.wait()?.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            io: register(Sender::from(stdin))?,
        })
    }

    /// The pipe end as a blocking file descriptor, deregistered from the reactor: to hand to
    /// another child as its [`Stdio`], or to blocking code.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    /// let fd = child.stdin.take().unwrap().into_owned_fd()?;
    /// std::io::Write::write_all(&mut std::fs::File::from(fd), b"blocking\n")?;
    /// assert!(child.wait().await?.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_owned_fd(self.io)
    }
}

impl ChildStdout {
    /// Registers a pipe end from `std::process` with the current loop's reactor, in
    /// non-blocking mode.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use futures_util::AsyncReadExt;
    /// use runtime::process::ChildStdout;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = std::process::Command::new("echo").stdout(Stdio::piped()).spawn()?;
    /// let mut stdout = ChildStdout::from_std(child.stdout.take().unwrap())?;
    /// let mut text = String::new();
    /// stdout.read_to_string(&mut text).await?;
    /// assert_eq!(text, "\n");
    /// child.wait()?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            io: register(Receiver::from(stdout))?,
        })
    }

    /// The pipe end as a blocking file descriptor, deregistered from the reactor: to hand to
    /// another child as its [`Stdio`] (a shell pipeline), or to blocking code.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut echo = Command::new("echo").arg("piped").stdout(Stdio::piped()).spawn()?;
    /// let fd = echo.stdout.take().unwrap().into_owned_fd()?;
    /// let output = Command::new("cat").stdin(fd).output().await?;
    /// assert_eq!(output.stdout, b"piped\n");
    /// echo.wait().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_owned_fd(self.io)
    }
}

impl ChildStderr {
    /// Registers a pipe end from `std::process` with the current loop's reactor, in
    /// non-blocking mode.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::ChildStderr;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = std::process::Command::new("true").stderr(Stdio::piped()).spawn()?;
    /// let stderr = ChildStderr::from_std(child.stderr.take().unwrap())?;
    /// assert!(child.wait()?.success());
    /// # drop(stderr);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn from_std(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            io: register(Receiver::from(stderr))?,
        })
    }

    /// The pipe end as a blocking file descriptor, deregistered from the reactor.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("sh").args(["-c", "echo e >&2"]).stderr(Stdio::piped()).spawn()?;
    /// let fd = child.stderr.take().unwrap().into_owned_fd()?;
    /// let mut text = String::new();
    /// std::fs::File::from(fd).read_to_string(&mut text)?;
    /// assert_eq!(text, "e\n");
    /// child.wait().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_owned_fd(self.io)
    }
}

/// Makes `end` non-blocking and registers it with the current loop.
fn register<S: mio::event::Source + AsFd>(end: S) -> io::Result<Evented<S>> {
    rustix::io::ioctl_fionbio(&end, true)?;
    Evented::new(end)
}

/// A blocking duplicate of `io`'s descriptor; `io` itself is deregistered and closed.
fn into_owned_fd<S: mio::event::Source + AsFd>(io: Evented<S>) -> io::Result<OwnedFd> {
    let fd = io.get_ref().as_fd().try_clone_to_owned()?;
    drop(io);
    // The flag belongs to the open file, which the duplicate shares.
    rustix::io::ioctl_fionbio(&fd, false)?;
    Ok(fd)
}

fn poll_read(
    io: &Evented<Receiver>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    io.poll_stream_io(cx, Direction::Read, buf.len(), |mut end| end.read(buf))
}

/// Reads into the unfilled part of a tokio `ReadBuf`.
#[cfg(feature = "tokio-io")]
fn poll_read_buf(
    io: &Evented<Receiver>,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // `initialize_unfilled` zeroes what was never initialized, once per buffer, which keeps
    // this free of `unsafe`.
    let n = std::task::ready!(poll_read(io, cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

impl ChildStdin {
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_stream_io(cx, Direction::Write, buf.len(), |mut end| end.write(buf))
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.io
            .poll_stream_io(cx, Direction::Write, len, |mut end| {
                end.write_vectored(bufs)
            })
    }
}

/// One of the writing traits, given its name for closing (a no-op: see [`ChildStdin`]) and,
/// for tokio's, its query for vectored writes.
macro_rules! async_write {
    ($trait:path, $close:ident $(, $is_vectored:ident)?) => {
        impl $trait for ChildStdin {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                ChildStdin::poll_write(&self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                ChildStdin::poll_write_vectored(&self, cx, bufs)
            }

            $(fn $is_vectored(&self) -> bool {
                true
            })?

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn $close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    };
}

async_write!(futures_io::AsyncWrite, poll_close);
#[cfg(feature = "tokio-io")]
async_write!(tokio::io::AsyncWrite, poll_shutdown, is_write_vectored);

/// Both reading traits for each reading end.
macro_rules! async_read {
    ($($ty:ty),*) => {$(
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read(&self.io, cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_buf(&self.io, cx, buf)
            }
        }
    )*};
}

/// The descriptor traits, the conversion into a [`Stdio`] for another child, and `Debug`,
/// for each end.
macro_rules! pipe_end {
    ($($ty:ident),*) => {$(
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl TryFrom<$ty> for Stdio {
            type Error = io::Error;

            fn try_from(end: $ty) -> io::Result<Stdio> {
                end.into_owned_fd().map(Stdio::from)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    )*};
}

async_read!(ChildStdout, ChildStderr);
pipe_end!(ChildStdin, ChildStdout, ChildStderr);

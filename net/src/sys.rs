//! Socket reads and writes as direct system calls.
//!
//! glibc's `recv` and `send` are thread-cancellation points: in a process with more than one
//! thread, which every runtime is (its workers, and the thread waiting in `main`), each call
//! also enables and disables asynchronous cancellation around the system call. That is about
//! a tenth of a request's user-space instructions on an echo server. rustix makes the system
//! call itself, and nothing in the runtime uses thread cancellation.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsFd;

use rustix::buffer::Buffer;
pub(crate) use rustix::net::RecvFlags;
use rustix::net::{SendFlags, SocketAddrAny};

/// `recv(2)` without flags.
pub(crate) fn recv(socket: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(socket, buf, RecvFlags::empty())?;
    Ok(n)
}

/// `send(2)`, with `MSG_NOSIGNAL`: a peer that closed its end is an `EPIPE` error, not a
/// `SIGPIPE` that kills the process.
pub(crate) fn send(socket: impl AsFd, buf: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(socket, buf, SendFlags::NOSIGNAL)?)
}

/// `sendmsg(2)` of several buffers with `MSG_NOSIGNAL`: `writev` without the signal.
pub(crate) fn send_vectored(socket: impl AsFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    let mut no_control = rustix::net::SendAncillaryBuffer::default();
    Ok(rustix::net::sendmsg(
        socket,
        bufs,
        &mut no_control,
        SendFlags::NOSIGNAL,
    )?)
}

/// `recv(2)` with `MSG_PEEK`: the data stays queued for the next read.
pub(crate) fn peek(socket: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(socket, buf, RecvFlags::PEEK)?;
    Ok(n)
}

/// `recv(2)` into memory that may be uninitialized: the bytes received, initialized now, at the
/// start of `buf`.
pub(crate) fn recv_uninit(socket: impl AsFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<&mut [u8]> {
    let ((received, _), _) = rustix::net::recv(socket, buf, RecvFlags::empty())?;
    Ok(received)
}

/// `recvfrom(2)` with `flags` (none, or `PEEK`): the bytes received, at the start of `buf`, and
/// the sender's address (`None` when the kernel gives none).
pub(crate) fn recv_from<B: Buffer<u8>>(
    socket: impl AsFd,
    buf: B,
    flags: RecvFlags,
) -> io::Result<(B::Output, Option<SocketAddrAny>)> {
    let (received, _, from) = rustix::net::recvfrom(socket, buf, flags)?;
    Ok((received, from))
}

/// `readv(2)`: reads into several buffers, in order.
pub(crate) fn recv_vectored(
    socket: impl AsFd,
    bufs: &mut [io::IoSliceMut<'_>],
) -> io::Result<usize> {
    Ok(rustix::io::readv(socket, bufs)?)
}

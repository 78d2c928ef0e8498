//! Receiving into a [`bytes::BufMut`], for the `_buf` operations (`try_read_buf`, `recv_buf`,
//! `recv_buf_from` and their `try_` forms), as tokio's sockets do.
//!
//! They receive straight into the buffer's spare capacity, memory that may be uninitialized,
//! and advance the buffer past what arrived: a `Vec::with_capacity` or a `BytesMut` needs no
//! zeroing first. The spare capacity is only ever handed to the kernel, which writes
//! initialized bytes; the system call wrapper (rustix) gives back the initialized part as a
//! `&mut [u8]`, and [`fill`] advances the buffer by that slice's length after checking that it
//! starts where the spare capacity does.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsFd;

use bytes::BufMut;
use rustix::net::SocketAddrAny;

use crate::sys::{self, RecvFlags};

/// `recv(2)` into the spare capacity of `buf`; the number of bytes received.
pub(crate) fn recv(socket: impl AsFd, buf: &mut impl BufMut) -> io::Result<usize> {
    fill(buf, |spare| Ok((sys::recv_uninit(socket, spare)?, ()))).map(|(n, ())| n)
}

/// `recvfrom(2)` into the spare capacity of `buf`; the number of bytes received and the
/// sender's address, as `sender` converts it.
pub(crate) fn recv_from<A>(
    socket: impl AsFd,
    buf: &mut impl BufMut,
    sender: fn(Option<SocketAddrAny>) -> io::Result<A>,
) -> io::Result<(usize, A)> {
    fill(buf, |spare| {
        let ((received, _), from) = sys::recv_from(socket, spare, RecvFlags::empty())?;
        Ok((received, sender(from)?))
    })
}

/// Runs `recv` on the spare capacity of `buf` and advances `buf` past the bytes `recv` says it
/// initialized: the slice it returns, which must start at the start of the spare capacity.
fn fill<B: BufMut + ?Sized, R>(
    buf: &mut B,
    recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(&mut [u8], R)>,
) -> io::Result<(usize, R)> {
    let spare = buf.chunk_mut();
    let start = spare.as_mut_ptr();
    // SAFETY: the slice goes to `recv` only, whose system call writes initialized bytes into
    // it; nothing writes an uninitialized value into it, which is the one thing
    // `as_uninit_slice_mut` forbids.
    let spare = unsafe { spare.as_uninit_slice_mut() };
    let (received, result) = recv(spare)?;
    let n = received.len();
    assert!(
        n == 0 || std::ptr::eq(received.as_ptr(), start),
        "the bytes received start the spare capacity"
    );
    // SAFETY: the first `n` bytes of the spare capacity are initialized: they are `received`,
    // a `&mut [u8]` of length `n` that starts there (checked above).
    unsafe { buf.advance_mut(n) };
    Ok((n, result))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_receive_fills_the_spare_capacity_and_advances_the_buffer() {
        let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        a.send(b"hello").unwrap();
        let mut buf = Vec::with_capacity(16);
        buf.extend_from_slice(b">");
        assert_eq!(recv(&b, &mut buf).unwrap(), 5);
        assert_eq!(buf, b">hello");
    }

    #[test]
    fn a_full_fixed_buffer_receives_nothing() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut &a, b"hi").unwrap();
        let mut storage = [0; 0];
        let mut full = &mut storage[..];
        assert_eq!(recv(&b, &mut full).unwrap(), 0);
        let mut buf = Vec::new();
        assert_eq!(recv(&b, &mut buf).unwrap(), 2, "the data is still there");
    }
}

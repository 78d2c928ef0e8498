//! The buffer a [`File`](super::File) moves between the task and the blocking pool.
//!
//! It holds either data read ahead and not yet handed to the caller (the bytes from `pos` to
//! the end), or data accepted from the caller and not yet written, never both: a write starts
//! with an empty buffer, and a read fills only an empty one. While the buffer holds data read
//! ahead, the file's cursor stands that many bytes past the caller's position, which seeks and
//! writes correct with [`discard_read`](Buf::discard_read).

use std::io::{self, IoSlice, Read, Write};

#[derive(Debug, Default)]
pub(super) struct Buf {
    bytes: Vec<u8>,
    /// How much of `bytes` the caller has taken.
    pos: usize,
}

impl Buf {
    /// Whether no data is waiting, to be read or written.
    pub(super) fn is_empty(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Copies as much of the waiting data as fits into `dst`; returns how much.
    pub(super) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.bytes.len() - self.pos);
        dst[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    /// Takes up to `max` bytes of the slices in `src`, in order, to write; returns how many.
    pub(super) fn copy_from(&mut self, src: &[IoSlice<'_>], max: usize) -> usize {
        debug_assert!(self.is_empty());
        for slice in src {
            let n = slice.len().min(max.saturating_sub(self.bytes.len()));
            self.bytes.extend_from_slice(&slice[..n]);
            if n < slice.len() {
                break;
            }
        }
        self.bytes.len()
    }

    /// Forgets the data read ahead; returns the seek that brings the file's cursor back to
    /// the caller's position (zero or negative).
    pub(super) fn discard_read(&mut self) -> i64 {
        // A buffer never holds more than `isize::MAX` bytes, so the length fits an `i64`.
        let unread = -((self.bytes.len() - self.pos) as i64);
        self.clear();
        unread
    }

    /// Reads up to `max` bytes from `file` into the empty buffer (on the blocking pool).
    pub(super) fn read_from(&mut self, mut file: impl Read, max: usize) -> io::Result<usize> {
        debug_assert!(self.is_empty());
        // Zeroing the space first keeps this free of `unsafe`; it costs little next to the
        // system call.
        self.bytes.resize(max, 0);
        let res = loop {
            match file.read(&mut self.bytes) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.bytes.truncate(*res.as_ref().unwrap_or(&0));
        res
    }

    /// Writes the whole buffer to `file` and empties it, whatever the outcome (on the
    /// blocking pool).
    pub(super) fn write_to(&mut self, mut file: impl Write) -> io::Result<()> {
        let res = file.write_all(&self.bytes[self.pos..]);
        self.clear();
        res
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.pos = 0;
    }
}

//! The buffer a [`File`](super::File) moves between the task and the blocking pool.
//!
//! It holds either data read ahead and not yet handed to the caller (the bytes from `pos` to
//! the end), or data accepted from the caller and not yet written, never both: a write starts
//! with an empty buffer, and a read fills only an empty one. While the buffer holds data read
//! ahead, the file's cursor stands that many bytes past the caller's position, which seeks and
//! writes correct with [`discard_read`](Buf::discard_read).

use std::io::{self, IoSlice, Write};
use std::os::fd::AsFd;

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
    ///
    /// The system call writes straight into the buffer's spare capacity, which is never
    /// zeroed: a read that asks for 2 MiB and gets 4 KiB costs the 4 KiB, not a 2 MiB fill.
    pub(super) fn read_from(&mut self, file: impl AsFd, max: usize) -> io::Result<usize> {
        debug_assert!(self.is_empty());
        self.clear();
        self.bytes.reserve(max);
        let spare = &mut self.bytes.spare_capacity_mut()[..max];
        let n = loop {
            match rustix::io::read(&file, &mut *spare) {
                Ok((filled, _)) => break filled.len(),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        // SAFETY: the buffer was cleared, so its first `n` spare bytes are its first `n` bytes,
        // and `read` initialized them: `filled` is that prefix of `spare`, `n` bytes long.
        unsafe { self.bytes.set_len(n) };
        Ok(n)
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A file holding `bytes`, removed when the test's directory entry is dropped.
    fn file_with(test: &str, bytes: &[u8]) -> std::fs::File {
        let path = std::env::temp_dir().join(format!("runtime-buf-{test}-{}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    #[test]
    fn a_read_shows_only_what_it_read_and_at_most_max() {
        let mut buf = Buf::default();
        // Leave written bytes in the allocation the read reuses.
        buf.copy_from(&[IoSlice::new(&[0xAA; 64])], 64);
        buf.write_to(io::sink()).unwrap();
        let file = file_with("read", b"0123456789");

        assert_eq!(buf.read_from(&file, 4).unwrap(), 4);
        let mut out = [0; 64];
        assert_eq!(buf.copy_to(&mut out), 4);
        assert_eq!(&out[..4], b"0123");

        assert_eq!(buf.read_from(&file, 64).unwrap(), 6);
        assert_eq!(buf.copy_to(&mut out), 6);
        assert_eq!(&out[..6], b"456789");

        assert_eq!(buf.read_from(&file, 64).unwrap(), 0);
        assert!(buf.is_empty());
    }

    #[test]
    fn a_failed_read_leaves_the_buffer_empty() {
        let mut buf = Buf::default();
        let path = std::env::temp_dir().join(format!("runtime-buf-wo-{}", std::process::id()));
        let write_only = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(buf.read_from(&write_only, 16).is_err());
        assert!(buf.is_empty());
    }
}

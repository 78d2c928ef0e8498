//! Splitting a connection's bytes into HTTP request heads, each ending with a blank line
//! (`\r\n\r\n`), in a buffer of fixed size.
//!
//! The server reads into [`Heads::spare`] and tells [`Heads::advance`] how much came; the
//! heads completed are consumed and counted, and the start of the next one moves to the
//! front of the buffer. A head that does not fit ([`MAX_HEAD`]) fills the buffer with no
//! blank line in it: [`TooLarge`], and the connection is dropped. Pure and free of I/O, so
//! that the unit tests (`tests/http_head.rs`) and the fuzz target (`fuzz/`) drive it by path.

/// The largest request head served, blank line included.
pub const MAX_HEAD: usize = 4096;

/// A request head longer than [`MAX_HEAD`].
#[derive(Debug, PartialEq, Eq)]
pub struct TooLarge;

/// The bytes of a connection's request head not complete yet.
pub struct Heads {
    buf: Box<[u8]>,
    filled: usize,
}

impl Heads {
    pub fn new() -> Heads {
        Heads {
            buf: vec![0; MAX_HEAD].into_boxed_slice(),
            filled: 0,
        }
    }

    /// Where to read the next bytes into: never empty until [`advance`](Self::advance) has
    /// returned [`TooLarge`].
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// Takes in the `n` bytes just read into [`spare`](Self::spare) and returns how many
    /// request heads they completed, which are consumed.
    ///
    /// # Panics
    ///
    /// If `n` is more than `spare` held.
    pub fn advance(&mut self, n: usize) -> Result<usize, TooLarge> {
        assert!(
            n <= self.buf.len() - self.filled,
            "read past the spare room"
        );
        // A blank line may straddle the old bytes and the new: rescan the three before them.
        let mut scan = self.filled.saturating_sub(3);
        self.filled += n;
        let mut start = 0;
        let mut heads = 0;
        while let Some(end) = find_head_end(&self.buf[scan..self.filled]) {
            start = scan + end;
            scan = start;
            heads += 1;
        }
        self.buf.copy_within(start..self.filled, 0);
        self.filled -= start;
        if self.filled == self.buf.len() {
            return Err(TooLarge);
        }
        Ok(heads)
    }
}

/// The length of the first request head in `buf`, through its blank line.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

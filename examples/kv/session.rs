//! One connection's protocol handling, without its I/O, so that the `kv` example and its tokio
//! twin (`benches/servers/kv_tokio.rs`) differ only in how they read and write: read into
//! [`Session::unfilled`], hand the count to [`Session::process`], write what it returns.
//!
//! Each read answers every complete command it completes, pipelined ones included, in one
//! reply; an unfinished command stays in the buffer for the next read. The buffer starts at
//! 16 KiB (as Redis's), doubles while a command does not fit, and shrinks back once the
//! large command is done; like Redis's query buffer limit, a command may take at most 1 GiB.

use crate::commands::{self, Flow};
use crate::resp;
use crate::store::Store;

/// The read buffer's size, and the most either buffer keeps between reads.
const INITIAL: usize = 16 << 10;
/// The most a command may take (the buffer doubles up to exactly this).
const MAX_COMMAND: usize = INITIAL << 16;

/// A connection's buffers.
pub struct Session {
    buf: Vec<u8>,
    /// `buf[..filled]` is read and not yet handled: an unfinished command.
    filled: usize,
    /// The replies of one read.
    out: Vec<u8>,
}

/// What [`Session::process`] asks of its caller.
pub struct Outcome<'a> {
    /// Bytes to write, possibly none.
    pub reply: &'a [u8],
    /// Whether to close the connection once `reply` is written (`QUIT`, or a protocol error).
    pub close: bool,
}

impl Session {
    pub fn new() -> Session {
        Session {
            buf: vec![0; INITIAL],
            filled: 0,
            out: Vec::new(),
        }
    }

    /// Where the next read goes. Never empty.
    pub fn unfilled(&mut self) -> &mut [u8] {
        if self.filled == self.buf.len() {
            // An unfinished command fills the buffer; `process` closed the connection if it
            // could not fit.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// `n` bytes were read into [`Session::unfilled`]: runs every command now complete.
    pub fn process(&mut self, store: &Store, n: usize) -> Outcome<'_> {
        self.filled += n;
        release_excess(&mut self.out);
        let mut args = Vec::new();
        let mut start = 0;
        let mut close = false;
        while !close {
            match resp::parse(&self.buf[start..self.filled], &mut args) {
                Ok(Some(len)) => {
                    start += len;
                    if !args.is_empty() {
                        close = commands::execute(store, &args, &mut self.out) == Flow::Close;
                    }
                }
                Ok(None) if self.filled - start >= MAX_COMMAND => {
                    resp::write_error(&mut self.out, "ERR Protocol error: command too long");
                    close = true;
                }
                Ok(None) => break,
                Err(e) => {
                    resp::write_error(&mut self.out, &format!("ERR {e}"));
                    close = true;
                }
            }
        }
        self.buf.copy_within(start..self.filled, 0);
        self.filled -= start;
        if self.filled <= INITIAL && self.buf.len() > INITIAL {
            self.buf.truncate(INITIAL);
            self.buf.shrink_to_fit();
        }
        Outcome {
            reply: &self.out,
            close,
        }
    }
}

/// Empties `out`, and gives back the memory a large reply left behind.
fn release_excess(out: &mut Vec<u8>) {
    if out.capacity() > INITIAL {
        *out = Vec::new();
    } else {
        out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` to a session in reads of at most `chunk` bytes; all it replied, and
    /// whether it closed (then the rest of the input is not read).
    fn feed(session: &mut Session, store: &Store, input: &[u8], chunk: usize) -> (Vec<u8>, bool) {
        let mut replies = Vec::new();
        for piece in input.chunks(chunk) {
            let mut piece = piece;
            while !piece.is_empty() {
                let space = session.unfilled();
                let n = space.len().min(piece.len());
                space[..n].copy_from_slice(&piece[..n]);
                piece = &piece[n..];
                let outcome = session.process(store, n);
                replies.extend_from_slice(outcome.reply);
                if outcome.close {
                    return (replies, true);
                }
            }
        }
        (replies, false)
    }

    #[test]
    fn answers_pipelined_commands_in_order_whatever_the_reads() {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for i in 0..100 {
            input.extend_from_slice(
                format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n{i:03}\r\n").as_bytes(),
            );
            input.extend_from_slice(b"INCR k\r\n");
            expected.extend_from_slice(format!("+OK\r\n:{}\r\n", i + 1).as_bytes());
        }
        for chunk in [1, 7, 100, input.len()] {
            let (replies, closed) = feed(&mut Session::new(), &Store::new(), &input, chunk);
            assert!(!closed);
            assert_eq!(
                String::from_utf8(replies).unwrap(),
                String::from_utf8(expected.clone()).unwrap(),
                "reads of {chunk}"
            );
        }
    }

    #[test]
    fn a_value_larger_than_the_buffer_grows_it_and_it_shrinks_back() {
        let store = Store::new();
        let mut session = Session::new();
        let value = vec![b'v'; 5 * INITIAL + 3];
        let mut input =
            format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", value.len()).into_bytes();
        input.extend_from_slice(&value);
        input.extend_from_slice(b"\r\nGET big\r\n");
        let (replies, closed) = feed(&mut session, &store, &input, 1000);
        assert!(!closed);
        let mut expected = format!("+OK\r\n${}\r\n", value.len()).into_bytes();
        expected.extend_from_slice(&value);
        expected.extend_from_slice(b"\r\n");
        assert!(replies == expected, "the value came back different");
        assert_eq!(session.buf.len(), INITIAL);
        feed(&mut session, &store, b"PING\r\n", 100);
        assert!(session.out.capacity() <= INITIAL);
    }

    #[test]
    fn a_protocol_error_answers_what_came_before_then_closes() {
        let input = b"PING\r\n*1\r\n$x\r\nPING\r\n";
        let (replies, closed) = feed(&mut Session::new(), &Store::new(), input, input.len());
        assert!(closed);
        assert_eq!(
            replies,
            b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
        );
    }

    #[test]
    fn quit_stops_a_pipeline() {
        let input = b"SET a 1\r\nQUIT\r\nSET a 2\r\n";
        let store = Store::new();
        let (replies, closed) = feed(&mut Session::new(), &store, input, input.len());
        assert!(closed);
        assert_eq!(replies, b"+OK\r\n+OK\r\n");
        assert_eq!(store.shard(b"a").get(b"a"), Some(&b"1"[..]));
    }

    #[test]
    fn garbage_never_panics() {
        // A fixed-seed xorshift: the same bytes every run, biased towards the protocol's own.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const ALPHABET: &[u8] = b"*$:+-\r\n 0123456789GETSPINCRDLXabc\x00\xff";
        for _ in 0..2000 {
            let len = (next() % 200) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let chunk = 1 + (next() % 16) as usize;
            let (replies, _) = feed(&mut Session::new(), &Store::new(), &input, chunk);
            // Every reply is whole: a RESP type byte starts it, CRLF ends it.
            assert!(replies.is_empty() || replies.ends_with(b"\r\n"));
        }
    }
}

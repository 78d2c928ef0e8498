//! hello_http's request-head splitting (`examples/hello_http/head.rs`, included by path)
//! against a reference over the whole input: arbitrary bytes, cut into reads of arbitrary
//! sizes, complete exactly the heads the input holds, in the same number whatever the cuts;
//! a head longer than `MAX_HEAD` is refused, at the latest when the buffer fills; nothing
//! panics or reads out of bounds.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "../../examples/hello_http/head.rs"]
mod head;

use head::{Heads, TooLarge, MAX_HEAD};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Read sizes, used in turn (cycled; 0 means a read of 1 byte).
    cuts: Vec<u16>,
    /// Blank lines are common, and heads reach past `MAX_HEAD` in inputs of a few bytes.
    bytes: Vec<Bytes>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Bytes {
    Cr,
    Lf,
    Other(u8),
    /// This many bytes of a header line, up to twice `MAX_HEAD`.
    Run(u16),
}

impl Bytes {
    fn append_to(self, out: &mut Vec<u8>) {
        match self {
            Bytes::Cr => out.push(b'\r'),
            Bytes::Lf => out.push(b'\n'),
            Bytes::Other(b) => out.push(b),
            Bytes::Run(n) => out.resize(out.len() + usize::from(n) % (2 * MAX_HEAD), b'a'),
        }
    }
}

/// The heads the reference finds in `input`: the count of complete heads that fit, and
/// whether a head (complete or not) is longer than the buffer holds.
fn reference(input: &[u8]) -> (usize, bool) {
    let mut heads = 0;
    let mut rest = input;
    while let Some(i) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
        if i + 4 > MAX_HEAD {
            return (heads, true);
        }
        heads += 1;
        rest = &rest[i + 4..];
    }
    // The bytes after the last head fill the buffer: that head cannot fit.
    (heads, rest.len() >= MAX_HEAD)
}

fuzz_target!(|input: Input| {
    let mut bytes = Vec::new();
    input.bytes.iter().for_each(|b| b.append_to(&mut bytes));
    let mut cuts = input.cuts.iter().cycle();
    let mut heads = Heads::new();
    let mut completed = 0;
    let mut refused = false;
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let spare = heads.spare();
        assert!(!spare.is_empty(), "no room to read into before a refusal");
        let cut = cuts.next().map_or(rest.len(), |&c| usize::from(c).max(1));
        let n = cut.min(rest.len()).min(spare.len());
        spare[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        match heads.advance(n) {
            Ok(heads) => completed += heads,
            Err(TooLarge) => {
                refused = true;
                break;
            }
        }
    }
    assert_eq!((completed, refused), reference(&bytes));
});

//! The `hello_http` example's request-head splitting (`examples/hello_http/head.rs`): heads
//! counted wherever the reads cut them, pipelined heads, and heads too large to serve.

#[path = "../examples/hello_http/head.rs"]
mod head;

use head::{Heads, TooLarge, MAX_HEAD};

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/// Feeds `input` in reads of at most `chunk` bytes; the heads completed by each read.
fn feed(input: &[u8], chunk: usize) -> Result<Vec<usize>, TooLarge> {
    let mut heads = Heads::new();
    let mut counts = Vec::new();
    for piece in input.chunks(chunk) {
        let mut piece = piece;
        while !piece.is_empty() {
            let spare = heads.spare();
            let n = piece.len().min(spare.len());
            spare[..n].copy_from_slice(&piece[..n]);
            piece = &piece[n..];
            counts.push(heads.advance(n)?);
        }
    }
    Ok(counts)
}

fn total(input: &[u8], chunk: usize) -> Result<usize, TooLarge> {
    feed(input, chunk).map(|counts| counts.iter().sum())
}

#[test]
fn a_head_in_one_read_is_one_head() {
    assert_eq!(feed(GET, GET.len()), Ok(vec![1]));
}

#[test]
fn a_head_byte_by_byte_completes_on_its_last_byte() {
    let counts = feed(GET, 1).unwrap();
    assert_eq!(counts.iter().sum::<usize>(), 1);
    assert_eq!(counts.last(), Some(&1));
}

#[test]
fn pipelined_heads_are_all_counted_however_the_reads_cut_them() {
    let input = GET.repeat(50);
    for chunk in [1, 2, 3, 5, 7, 64, 1000, input.len()] {
        assert_eq!(total(&input, chunk), Ok(50), "reads of {chunk} bytes");
    }
}

#[test]
fn a_blank_line_split_across_reads_ends_its_head() {
    // "\r\n" then "\r\n": the end straddles two reads.
    let mut heads = Heads::new();
    let (first, second) = GET.split_at(GET.len() - 2);
    heads.spare()[..first.len()].copy_from_slice(first);
    assert_eq!(heads.advance(first.len()), Ok(0));
    heads.spare()[..second.len()].copy_from_slice(second);
    assert_eq!(heads.advance(second.len()), Ok(1));
}

#[test]
fn an_incomplete_head_is_not_counted() {
    assert_eq!(total(b"GET / HTTP/1.1\r\nHost: x\r\n", 4), Ok(0));
}

#[test]
fn a_head_of_the_largest_size_is_served() {
    let mut input = vec![b'a'; MAX_HEAD - 4];
    input.extend_from_slice(b"\r\n\r\n");
    assert_eq!(total(&input, 100), Ok(1));
    input.extend_from_slice(GET);
    assert_eq!(total(&input, 100), Ok(2));
}

#[test]
fn a_head_one_byte_too_large_is_refused() {
    let mut input = vec![b'a'; MAX_HEAD - 3];
    input.extend_from_slice(b"\r\n\r\n");
    assert_eq!(total(&input, 100), Err(TooLarge));
    // Even after heads that fit.
    let mut input_after = GET.repeat(3);
    input_after.extend_from_slice(&input);
    assert_eq!(total(&input_after, 100), Err(TooLarge));
}

#[test]
fn a_buffer_full_of_bytes_with_no_blank_line_is_refused() {
    assert_eq!(total(&[b'a'; MAX_HEAD], 1), Err(TooLarge));
}

#[test]
#[should_panic(expected = "read past the spare room")]
fn advancing_past_the_spare_room_panics() {
    let _ = Heads::new().advance(MAX_HEAD + 1);
}

//! The Redis protocol (RESP2), as much as a server needs: parsing commands, writing replies.
//!
//! A client sends a command as an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`),
//! or, typed by hand, as an inline command: one line of words separated by spaces or tabs
//! (`GET k`; unlike Redis, without quoting). It may send many commands before it reads a reply
//! (pipelining), and TCP may cut a command anywhere, so [`parse`] takes whatever has arrived and
//! reports either a complete command and its length, or that more bytes are needed.
//!
//! Limits, Redis's defaults: a bulk string is at most 512 MiB and a command has at most 2^20
//! arguments, both checked in the header, before any of it is buffered; a line (an inline
//! command, or the header of an array or a bulk string) is at most 64 KiB. Input that breaks
//! the protocol is a [`ProtocolError`]: the server answers it with an error and closes the
//! connection, as Redis does, since it cannot tell where the next command would start.

use std::fmt;
use std::io::Write;

/// The longest bulk string accepted.
pub const MAX_BULK: usize = 512 << 20;
/// The most arguments in a command, its name included.
const MAX_ARGS: usize = 1 << 20;
/// The longest line, without its line end.
const MAX_LINE: usize = 64 << 10;

/// Input that is not RESP: the connection cannot go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolError(&'static str);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

/// Parses the command at the start of `buf`.
///
/// `Ok(Some(len))`: the first `len` bytes are a complete command, whose arguments (its name
/// first) are now in `args`; an empty command (a blank line, an empty array) has none and gets
/// no reply. `Ok(None)`: the command is not complete yet.
pub fn parse<'a>(buf: &'a [u8], args: &mut Vec<&'a [u8]>) -> Result<Option<usize>, ProtocolError> {
    args.clear();
    if buf.first() == Some(&b'*') {
        parse_array(buf, args)
    } else {
        parse_inline(buf, args)
    }
}

fn parse_array<'a>(
    buf: &'a [u8],
    args: &mut Vec<&'a [u8]>,
) -> Result<Option<usize>, ProtocolError> {
    let Some((header, mut pos)) = line(buf, 0)? else {
        return Ok(None);
    };
    let count = integer(&header[1..])
        .filter(|&n| n <= MAX_ARGS as i64)
        .ok_or(ProtocolError("invalid multibulk length"))?;
    // A count below one (`*0`, the null array `*-1`) is an empty command, as Redis takes it.
    for _ in 0..count.max(0) {
        let Some((header, start)) = line(buf, pos)? else {
            return Ok(None);
        };
        let len = header
            .strip_prefix(b"$")
            .ok_or(ProtocolError("expected '$'"))?;
        let len = integer(len)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= MAX_BULK)
            .ok_or(ProtocolError("invalid bulk length"))?;
        let end = start + len;
        match buf.get(end..end + 2) {
            None => return Ok(None),
            Some(b"\r\n") => {}
            Some(_) => return Err(ProtocolError("bulk string longer than its length")),
        }
        args.push(&buf[start..end]);
        pos = end + 2;
    }
    Ok(Some(pos))
}

fn parse_inline<'a>(
    buf: &'a [u8],
    args: &mut Vec<&'a [u8]>,
) -> Result<Option<usize>, ProtocolError> {
    let Some((text, len)) = line(buf, 0)? else {
        return Ok(None);
    };
    args.extend(
        text.split(|&b| b == b' ' || b == b'\t')
            .filter(|word| !word.is_empty()),
    );
    Ok(Some(len))
}

/// The line starting at `buf[from]`, without its `\n` or `\r\n`, and the position after it.
fn line(buf: &[u8], from: usize) -> Result<Option<(&[u8], usize)>, ProtocolError> {
    // The longest line and its "\r\n": no need to look further for the end.
    let rest = &buf[from..buf.len().min(from + MAX_LINE + 2)];
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let line = &rest[..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > MAX_LINE {
                return Err(ProtocolError("line too long"));
            }
            Ok(Some((line, from + i + 1)))
        }
        None if rest.len() == MAX_LINE + 2 => Err(ProtocolError("line too long")),
        None => Ok(None),
    }
}

/// A decimal integer the way Redis writes them: an optional `-`, then digits only.
pub fn integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulated as a negative number, which reaches `i64::MIN`.
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// Appends a status reply, `+<text>`.
pub fn write_simple(out: &mut Vec<u8>, text: &str) {
    out.push(b'+');
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends an error reply, `-<message>`; the message should start with an error code such as
/// `ERR`. A line end in it would end the reply early, so it becomes a space.
pub fn write_error(out: &mut Vec<u8>, message: &str) {
    out.push(b'-');
    out.extend(
        message
            .bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// Appends an integer reply, `:<n>`.
pub fn write_integer(out: &mut Vec<u8>, n: i64) {
    write!(out, ":{n}\r\n").expect("writing to a Vec");
}

/// Appends a bulk string reply.
pub fn write_bulk(out: &mut Vec<u8>, data: &[u8]) {
    write!(out, "${}\r\n", data.len()).expect("writing to a Vec");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the null bulk string: no such value.
pub fn write_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

/// Appends the header of an array of `len` replies; the replies follow.
pub fn write_array(out: &mut Vec<u8>, len: usize) {
    write!(out, "*{len}\r\n").expect("writing to a Vec");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command's arguments and length.
    type Parsed<'a> = (Vec<&'a [u8]>, usize);

    /// Every command in `input`, parsing as a server does; panics on an incomplete command.
    fn parse_all(input: &[u8]) -> Result<Vec<Parsed<'_>>, ProtocolError> {
        let mut commands = Vec::new();
        let mut start = 0;
        while start < input.len() {
            let mut args = Vec::new();
            let len = parse(&input[start..], &mut args)?.expect("a complete command");
            commands.push((args, len));
            start += len;
        }
        Ok(commands)
    }

    #[test]
    fn parses_an_array_of_bulk_strings() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva\r\nl\r\n";
        let mut args = Vec::new();
        assert_eq!(parse(input, &mut args), Ok(Some(input.len())));
        // Bulk strings are binary-safe: the value holds a line end.
        assert_eq!(args, [&b"SET"[..], b"k", b"va\r\nl"]);
    }

    #[test]
    fn a_command_cut_anywhere_needs_more_bytes() {
        let input = b"*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n";
        for cut in 0..input.len() {
            let mut args = Vec::new();
            assert_eq!(parse(&input[..cut], &mut args), Ok(None), "cut at {cut}");
        }
        let inline = b"GET key\r\n";
        for cut in 0..inline.len() {
            let mut args = Vec::new();
            assert_eq!(parse(&inline[..cut], &mut args), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn parses_pipelined_commands_one_after_another() {
        let input = b"*1\r\n$4\r\nPING\r\nGET a\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\nPING\n";
        let commands = parse_all(input).unwrap();
        let args: Vec<_> = commands.iter().map(|(args, _)| args.clone()).collect();
        assert_eq!(
            args,
            [
                vec![&b"PING"[..]],
                vec![b"GET", b"a"],
                vec![b"GET", b"b"],
                vec![b"PING"]
            ]
        );
        let lens: Vec<_> = commands.iter().map(|&(_, len)| len).collect();
        assert_eq!(lens, [14, 7, 20, 5]);
    }

    #[test]
    fn parses_inline_commands_and_empty_ones() {
        let commands = parse_all(b"  SET\tk   v \r\n\r\n\n   \n*0\r\n*-1\r\n").unwrap();
        let args: Vec<_> = commands.into_iter().map(|(args, _)| args).collect();
        assert_eq!(
            args,
            [
                vec![&b"SET"[..], b"k", b"v"],
                vec![],
                vec![],
                vec![],
                vec![],
                vec![]
            ]
        );
    }

    #[test]
    fn rejects_what_is_not_resp() {
        let bad: &[&[u8]] = &[
            b"*x\r\n",
            b"*\r\n",
            b"*2\r\n:1\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$abc\r\n",
            b"*1\r\n$+3\r\nabc\r\n",
            b"*1\r\n$3\r\nabcd\r\n",
            b"*1\r\n$99999999999999999999\r\n",
        ];
        for input in bad {
            let mut args = Vec::new();
            let result = parse(input, &mut args);
            assert!(
                result.is_err(),
                "{:?} gave {result:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn rejects_huge_lengths_from_the_header_alone() {
        let mut args = Vec::new();
        let too_long = format!("*1\r\n${}\r\n", MAX_BULK + 1);
        assert_eq!(
            parse(too_long.as_bytes(), &mut args),
            Err(ProtocolError("invalid bulk length"))
        );
        let longest = format!("*1\r\n${MAX_BULK}\r\n");
        assert_eq!(parse(longest.as_bytes(), &mut args), Ok(None));
        let too_many = format!("*{}\r\n", MAX_ARGS + 1);
        assert_eq!(
            parse(too_many.as_bytes(), &mut args),
            Err(ProtocolError("invalid multibulk length"))
        );
    }

    #[test]
    fn rejects_a_line_too_long_before_its_end_arrives() {
        let mut input = vec![b'a'; MAX_LINE];
        assert_eq!(parse(&input, &mut Vec::new()), Ok(None));
        input.extend_from_slice(b"\r\n");
        assert_eq!(parse(&input, &mut Vec::new()), Ok(Some(MAX_LINE + 2)));
        input.truncate(MAX_LINE);
        input.extend_from_slice(b"aa");
        assert_eq!(
            parse(&input, &mut Vec::new()),
            Err(ProtocolError("line too long"))
        );
        let mut header = b"*1\r\n$".to_vec();
        header.resize(MAX_LINE + 10, b'1');
        assert!(parse(&header, &mut Vec::new()).is_err());
    }

    #[test]
    fn integers_are_digits_with_an_optional_minus() {
        let cases: &[(&[u8], Option<i64>)] = &[
            (b"0", Some(0)),
            (b"-5", Some(-5)),
            (b"42", Some(42)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"9223372036854775808", None),
            (b"", None),
            (b"-", None),
            (b"+1", None),
            (b"1a", None),
            (b" 1", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(
                integer(text),
                expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn writes_replies() {
        let mut out = Vec::new();
        write_simple(&mut out, "OK");
        write_error(&mut out, "ERR bad\r\nthing");
        write_integer(&mut out, -3);
        write_bulk(&mut out, b"a\r\nb");
        write_null(&mut out);
        write_array(&mut out, 2);
        assert_eq!(
            out,
            b"+OK\r\n-ERR bad  thing\r\n:-3\r\n$4\r\na\r\nb\r\n$-1\r\n*2\r\n"
        );
    }
}

//! The `kv` example, run as a process with 2 workers: Redis's own client (`redis-cli`, where
//! installed) gets Redis's answers; pipelined commands are answered in order; bad input gets
//! an error and a closed connection, never a dead server; the loops share one store.

mod support;

// The example's protocol, commands, sessions and store, for their unit tests.
#[path = "../examples/kv/commands.rs"]
mod commands;
#[path = "../examples/kv/resp.rs"]
mod resp;
#[path = "../examples/kv/session.rs"]
mod session;
#[path = "../examples/kv/store.rs"]
mod store;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use support::ExampleServer;

/// How long one reply may take before the test fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn redis_cli_gets_redis_answers() {
    let Ok(version) = Command::new("redis-cli").arg("--version").output() else {
        eprintln!("note: redis-cli is not installed (Debian: redis-tools); test skipped");
        return;
    };
    assert!(version.status.success());
    let server = ExampleServer::start("kv", &[]);
    let cli = |args: &[&str]| {
        let output = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &server.addr.port().to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        assert!(output.status.success(), "redis-cli {args:?}: {output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .trim_end()
            .to_owned()
    };
    assert_eq!(cli(&["PING"]), "PONG");
    assert_eq!(cli(&["ECHO", "hello world"]), "hello world");
    assert_eq!(cli(&["SET", "greeting", "hi there\r\n!"]), "OK");
    assert_eq!(cli(&["GET", "greeting"]), "hi there\r\n!");
    assert_eq!(cli(&["GET", "nothing"]), "");
    assert_eq!(cli(&["INCR", "counter"]), "1");
    assert_eq!(cli(&["INCR", "counter"]), "2");
    assert_eq!(cli(&["EXISTS", "greeting", "counter", "nothing"]), "2");
    assert_eq!(cli(&["DEL", "greeting", "nothing"]), "1");
    assert_eq!(cli(&["EXISTS", "greeting"]), "0");
    assert_eq!(
        cli(&["INCR", "counter", "extra"]),
        "ERR wrong number of arguments for 'incr' command"
    );
}

#[test]
fn a_hundred_pipelined_commands_in_one_write_get_a_hundred_replies() {
    let server = ExampleServer::start("kv", &[]);
    let mut conn = Conn::open(server.addr);
    let mut request = Vec::new();
    let mut expected = Vec::new();
    for i in 0..25 {
        // Array and inline forms alternate.
        request.extend(resp(&["SET", &format!("key{i}"), &format!("value {i}")]));
        expected.push("+OK".to_owned());
        request.extend(format!("GET key{i}\r\n").into_bytes());
        expected.push(format!("$value {i}"));
        request.extend(resp(&["INCR", "hits"]));
        expected.push(format!(":{}", i + 1));
        request.extend(format!("EXISTS key{i} key{} key0\r\n", i + 1).into_bytes());
        expected.push(":2".to_owned());
    }
    conn.stream.write_all(&request).unwrap();
    let replies: Vec<String> = (0..100).map(|_| conn.reply()).collect();
    assert_eq!(replies, expected);
}

#[test]
fn bad_input_gets_an_error_and_a_closed_connection() {
    let server = ExampleServer::start("kv", &[]);
    let cases: &[&[u8]] = &[
        b"*1\r\n$abc\r\n",
        b"*2\r\n:1\r\n",
        b"*1\r\n$3\r\nabcdef\r\n",
        b"*99999999\r\n",
        // Longer than a bulk string may be: rejected before its data comes.
        b"*2\r\n$3\r\nSET\r\n$536870913\r\n",
    ];
    for &garbage in cases {
        let mut conn = Conn::open(server.addr);
        let mut input = b"PING\r\n".to_vec();
        input.extend_from_slice(garbage);
        conn.stream.write_all(&input).unwrap();
        assert_eq!(conn.reply(), "+PONG");
        let error = conn.reply();
        assert!(
            error.starts_with("-ERR Protocol error"),
            "{error:?} for {garbage:?}"
        );
        conn.expect_closed();
    }
    // Unknown commands, wrong arities and binary junk in an inline command are errors the
    // connection survives.
    let mut conn = Conn::open(server.addr);
    conn.stream
        .write_all(b"\x00\xff junk\r\nGET\r\nSET a\r\nPING\r\n")
        .unwrap();
    assert!(conn.reply().starts_with("-ERR unknown command"));
    assert!(conn.reply().starts_with("-ERR wrong number of arguments"));
    assert!(conn.reply().starts_with("-ERR wrong number of arguments"));
    assert_eq!(conn.reply(), "+PONG");
    // Random bytes on many connections do not bring the server down.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20 {
        let mut conn = Conn::open(server.addr);
        let junk: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b"*$\r\n-:+0123456789 GETSaz\x00\xff"[(state % 25) as usize]
            })
            .collect();
        // The server may close while this is sent; only its survival matters.
        let _ = conn.stream.write_all(&junk);
    }
    let mut conn = Conn::open(server.addr);
    conn.stream.write_all(b"PING\r\n").unwrap();
    assert_eq!(conn.reply(), "+PONG");
}

#[test]
fn connections_on_both_loops_share_one_store() {
    let server = ExampleServer::start("kv", &[]);
    let addr = server.addr;
    let clients: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                for _ in 0..100 {
                    conn.stream.write_all(&resp(&["INCR", "shared"])).unwrap();
                    assert!(conn.reply().starts_with(':'));
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let mut conn = Conn::open(addr);
    conn.stream.write_all(b"GET shared\r\n").unwrap();
    assert_eq!(conn.reply(), "$2000");
}

/// `args` as a RESP array of bulk strings.
fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend(format!("${}\r\n{arg}\r\n", arg.len()).into_bytes());
    }
    out
}

/// A connection to the server, reading replies with a time limit.
struct Conn {
    stream: TcpStream,
    replies: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        let replies = BufReader::new(stream.try_clone().unwrap());
        Conn { stream, replies }
    }

    /// The next reply, one line: its first line, with a bulk string's data in place of its
    /// length (`$-1` for the null one). Arrays are not expected.
    fn reply(&mut self) -> String {
        let line = self.line();
        let Some(len) = line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) else {
            return line;
        };
        let mut data = vec![0; len + 2];
        self.replies.read_exact(&mut data).unwrap();
        assert!(data.ends_with(b"\r\n"), "bulk string not ended by CRLF");
        data.truncate(len);
        format!("${}", String::from_utf8(data).unwrap())
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.replies.read_line(&mut line).unwrap();
        line.strip_suffix("\r\n")
            .unwrap_or_else(|| panic!("not a whole reply: {line:?}"))
            .to_owned()
    }

    fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        match self.replies.read_to_end(&mut rest) {
            // A reset instead of an end of stream is a close too.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the connection is still open: {e}"),
        }
        assert!(rest.is_empty(), "more after the error: {rest:?}");
    }
}

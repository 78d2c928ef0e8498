//! The `chat` example, run as a process with 2 workers, with real clients: `nc` (netcat) where
//! it is installed, plain TCP streams otherwise and for the crowd tests. Every line reaches
//! every other client, in order, and never its sender; long lines and slow clients are dealt
//! with as the example's docs say.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::ExampleServer;

/// How long any one line may take to arrive before the test fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(60);
/// The example's limit on a line, without its line end.
const MAX_LINE: usize = 4096;
/// How many messages the example's room keeps for slow connections.
const BACKLOG: usize = 1024;

#[test]
fn nc_clients_hear_every_line_of_the_others_and_none_of_their_own() {
    let server = ExampleServer::start("chat", &[]);
    let via = if nc_installed() {
        Via::Nc
    } else {
        eprintln!("note: nc (netcat) is not installed; using plain TCP clients instead");
        Via::Tcp
    };
    let mut clients = join_all(server.addr, via, &["alice", "bob", "carol", "dave"]);
    // Everyone after alice joined while she was in the room.
    for nick in ["bob", "carol", "dave"] {
        clients[0].expect(&format!("* {nick} joined"));
    }
    converse(&mut clients, 5);
    // Leaving is announced to those who stay.
    let alice = clients.remove(0);
    drop(alice);
    for client in &clients {
        client.expect("* alice left");
    }
}

#[test]
fn fifty_clients_on_two_workers_hear_every_line_of_the_others() {
    let server = ExampleServer::start("chat", &[]);
    let nicks: Vec<String> = (0..50).map(|i| format!("user{i}")).collect();
    let nicks: Vec<&str> = nicks.iter().map(String::as_str).collect();
    let mut clients = join_all(server.addr, Via::Tcp, &nicks);
    // 50 * (10 + 2) lines and the joins are fewer than the room keeps: nobody may miss any.
    converse(&mut clients, 10);
}

#[test]
fn a_nickname_is_asked_again_until_valid() {
    let server = ExampleServer::start("chat", &[]);
    let mut client = Client::connect(server.addr, Via::Tcp, "eve");
    client.expect("* nickname?");
    for bad in ["", "two words", &"x".repeat(33)] {
        client.send(bad);
        client.expect("* a nickname is 1 to 32 bytes without spaces; nickname?");
    }
    client.send("eve");
    client.expect("* welcome, eve");
}

#[test]
fn a_line_too_long_closes_its_connection_with_an_error() {
    let server = ExampleServer::start("chat", &[]);
    let mut clients = join_all(server.addr, Via::Tcp, &["alice", "bob"]);
    clients[0].expect("* bob joined");
    // An empty line says nothing; the longest line allowed goes through.
    clients[1].send("");
    clients[1].send(&"x".repeat(MAX_LINE));
    clients[0].expect(&format!("bob: {}", "x".repeat(MAX_LINE)));
    // One byte more does not, and closes bob's connection. (The line and its `\n` are read
    // whole, so the server closes with nothing unread and the error line is not reset away.)
    clients[1].send(&"y".repeat(MAX_LINE + 1));
    clients[1].expect(&format!("error: line longer than {MAX_LINE} bytes"));
    assert_eq!(clients[1].next_line(), None, "the connection stays open");
    clients[0].expect("* bob left");
}

#[test]
fn a_slow_client_is_told_what_it_missed_and_goes_on() {
    let server = ExampleServer::start("chat", &[]);
    // The slow client reads nothing until the end; a small receive buffer keeps what the
    // network holds for it small, so that the server must hold the rest.
    let slow = {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.connect(&server.addr.into()).unwrap();
        TcpStream::from(socket)
    };
    slow.set_read_timeout(Some(LIMIT)).unwrap();
    let mut slow_in = slow.try_clone().unwrap();
    let mut slow_out = BufReader::new(slow);
    let mut read_line = || {
        let mut line = String::new();
        slow_out.read_line(&mut line).unwrap();
        line.trim_end_matches('\n').to_owned()
    };
    assert_eq!(read_line(), "* nickname?");
    slow_in.write_all(b"slow\n").unwrap();
    assert_eq!(read_line(), "* welcome, slow");

    let mut clients = join_all(server.addr, Via::Tcp, &["alice", "witness"]);
    // More than the room keeps plus all the server's socket buffer for the slow client can
    // hold, so the slow connection falls further behind than the room keeps.
    let lines = 3 * (BACKLOG + tcp_wmem_max() / MAX_LINE + 16);
    let padding = "p".repeat(MAX_LINE - 20);
    for i in 0..lines {
        clients[0].send(&format!("{i:08} {padding}"));
    }
    clients[0].send("end");
    // Once the witness heard the end, the room has said everything.
    while clients[1].next_line().as_deref() != Some("alice: end") {}

    let (mut heard, mut missed, mut skipped, mut next) = (0, 0, 0, 0);
    loop {
        let line = read_line();
        if line == "alice: end" {
            break;
        } else if let Some(n) = line
            .strip_prefix("* you missed ")
            .and_then(|n| n.strip_suffix(" messages"))
        {
            missed += n.parse::<usize>().unwrap();
        } else if let Some(message) = line.strip_prefix("alice: ") {
            let i: usize = message[..8].parse().unwrap();
            assert!(i >= next, "line {i} came after line {next}");
            assert_eq!(&message[9..], padding);
            skipped += i - next;
            next = i + 1;
            heard += 1;
        } else {
            assert!(line.starts_with("* "), "unexpected line {line:?}");
        }
    }
    skipped += lines - next;
    assert!(
        missed > 0,
        "the slow client missed nothing out of {lines} lines"
    );
    assert_eq!(heard + skipped, lines);
    // What was missed is alice's lines, and perhaps the two joins before them.
    assert!(
        (skipped..=skipped + 2).contains(&missed),
        "told of {missed} missed messages, but {skipped} lines did not arrive"
    );
}

/// Each client says `lines_each` numbered lines and then `done`; each must hear exactly the
/// others' lines, in order. Then each says `over` once it heard all the others' `done`s: when
/// a client has heard every other `over`, its own lines (all said before its `done`) would
/// have reached it if the server echoed them.
fn converse(clients: &mut [Client], lines_each: usize) {
    for client in clients.iter_mut() {
        for m in 0..lines_each {
            let line = format!("line {m} from {}", client.nick);
            client.send(&line);
        }
        client.send("done");
    }
    let nicks: Vec<String> = clients.iter().map(|c| c.nick.clone()).collect();
    for client in clients.iter() {
        let heard = client.hear_from_others(&nicks, "done");
        for other in nicks.iter().filter(|&n| *n != client.nick) {
            let from_other: Vec<&str> = heard
                .iter()
                .filter_map(|(nick, line)| (nick == other).then_some(line.as_str()))
                .collect();
            let mut expected: Vec<String> = (0..lines_each)
                .map(|m| format!("line {m} from {other}"))
                .collect();
            expected.push("done".into());
            assert_eq!(from_other, expected, "{} hearing {other}", client.nick);
        }
    }
    for client in clients.iter_mut() {
        client.send("over");
    }
    for client in clients.iter() {
        let heard = client.hear_from_others(&nicks, "over");
        assert_eq!(
            heard.len(),
            nicks.len() - 1,
            "{} heard {heard:?}",
            client.nick
        );
    }
}

/// How clients connect: through an `nc` process, or a TCP stream of the test's own.
#[derive(Clone, Copy, Debug)]
enum Via {
    Nc,
    Tcp,
}

fn nc_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nc").is_file()))
}

/// Connects a client per nickname, one after another, each in the room when the next comes.
fn join_all(addr: SocketAddr, via: Via, nicks: &[&str]) -> Vec<Client> {
    nicks
        .iter()
        .map(|nick| {
            let mut client = Client::connect(addr, via, nick);
            client.expect("* nickname?");
            client.send(nick);
            client.expect(&format!("* welcome, {nick}"));
            client
        })
        .collect()
}

/// One chat connection: lines go in through `send`; a thread reads what arrives into a
/// channel, so that a test waits for a line with a time limit.
struct Client {
    nick: String,
    input: Box<dyn Write + Send>,
    lines: mpsc::Receiver<String>,
    /// The `nc` process, or the stream (whose reading clone the thread holds).
    connection: Result<Child, TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr, via: Via, nick: &str) -> Client {
        let (input, output, connection): (Box<dyn Write + Send>, Box<dyn std::io::Read + Send>, _) =
            match via {
                Via::Nc => {
                    let mut nc = Command::new("nc")
                        .arg(addr.ip().to_string())
                        .arg(addr.port().to_string())
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("nc starts");
                    let input = nc.stdin.take().unwrap();
                    let output = nc.stdout.take().unwrap();
                    (Box::new(input), Box::new(output), Ok(nc))
                }
                Via::Tcp => {
                    let stream = TcpStream::connect(addr).unwrap();
                    let output = stream.try_clone().unwrap();
                    (
                        Box::new(stream.try_clone().unwrap()),
                        Box::new(output),
                        Err(stream),
                    )
                }
            };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut output = BufReader::new(output);
            let mut line = Vec::new();
            while matches!(output.read_until(b'\n', &mut line), Ok(1..)) {
                let text = String::from_utf8_lossy(&line);
                if tx.send(text.trim_end_matches('\n').to_owned()).is_err() {
                    break;
                }
                line.clear();
            }
        });
        Client {
            nick: nick.to_owned(),
            input,
            lines,
            connection,
        }
    }

    fn send(&mut self, line: &str) {
        self.input
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.input.flush().unwrap();
    }

    /// The next line from the server, `None` once it closed the connection.
    fn next_line(&self) -> Option<String> {
        match self.lines.recv_timeout(LIMIT) {
            Ok(line) => Some(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{} waited {LIMIT:?} for a line", self.nick)
            }
        }
    }

    fn expect(&self, expected: &str) {
        assert_eq!(self.next_line().as_deref(), Some(expected), "{}", self.nick);
    }

    /// The messages heard, as (nick, line), until every nick but this client's own said
    /// `last`; notices are skipped. Fails on a message from this client itself.
    fn hear_from_others(&self, nicks: &[String], last: &str) -> Vec<(String, String)> {
        let mut waiting: Vec<&String> = nicks.iter().filter(|&n| *n != self.nick).collect();
        let mut heard = Vec::new();
        while !waiting.is_empty() {
            let line = self.next_line().expect("the connection stays open");
            if line.starts_with("* ") {
                continue;
            }
            let (nick, text) = line
                .split_once(": ")
                .expect("a message is `<nick>: <line>`");
            assert_ne!(nick, self.nick, "{} heard its own line {text:?}", self.nick);
            if text == last {
                waiting.retain(|&n| n != nick);
            }
            heard.push((nick.to_owned(), text.to_owned()));
        }
        heard
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        match &mut self.connection {
            Ok(nc) => {
                let _ = nc.kill();
                let _ = nc.wait();
            }
            Err(stream) => {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

/// The most the kernel lets a TCP socket's send buffer grow to (`tcp_wmem`'s maximum).
fn tcp_wmem_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 << 20)
}

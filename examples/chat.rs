//! Line-based chat room: every line a connection sends reaches every other connection, on
//! every loop. Listens on every loop with `SO_REUSEPORT` (see `runtime::net::serve`).
//!
//! `cargo run --release --example chat -- 127.0.0.1:7070`, then `nc 127.0.0.1 7070` from a few
//! terminals.
//!
//! The protocol, one `\n`-terminated line at a time (a `\r` before the `\n` is dropped):
//! - The server asks for a nickname (`* nickname?`); the first line that is 1 to 32 bytes
//!   without white space is taken (nicknames need not be unique), and the server answers
//!   `* welcome, <nick>`. From then on the connection hears everything said in the room.
//! - Each non-empty line the client sends goes to every other connection as `<nick>: <line>`;
//!   nobody hears their own lines. `* <nick> joined` and `* <nick> left` tell the room who
//!   comes and goes. Lines from the server that are not messages start with `* `.
//! - A line longer than 4 KiB closes the connection with `error: line longer than 4096 bytes`.
//!
//! The room is a `tokio::sync::broadcast` channel (the runtime has no channels of its own;
//! tokio's `sync` feature works on any executor): each message is stored once, shared by every
//! connection. Its capacity bounds the memory a slow client can cost: the room keeps the last
//! 1024 messages, and a connection whose client reads so slowly that it falls further behind
//! skips to the oldest message still kept, is told `* you missed <n> messages`, and goes on.

mod support;

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use runtime::future::FutureExt;
use runtime::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

/// The longest line a client may send, without its line end.
const MAX_LINE: usize = 4096;
/// The longest nickname.
const MAX_NICK: usize = 32;
/// How many messages the room keeps for connections that have not written them out yet.
const BACKLOG: usize = 1024;
/// Messages waiting for a connection go out together, up to about this many bytes a write.
const WRITE_BATCH: usize = 64 * 1024;

/// One line said in the room, as every other connection writes it out.
#[derive(Clone, Debug)]
struct Message {
    /// The connection that said it, which does not hear it.
    from: u64,
    /// The whole line, `\n` included.
    line: Arc<[u8]>,
}

#[runtime::main]
async fn main() -> io::Result<()> {
    let (room, _) = broadcast::channel(BACKLOG);
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:7070"), move |stream, _| {
        session(stream, room.clone())
    })?;
    support::report_metrics();
    let banner = format!("chat listening on {}", server.local_addr());
    // Ctrl-C or SIGTERM: stop accepting, give connections a grace period, exit 0.
    support::serve_until_signal(server, banner).await
}

async fn session(stream: TcpStream, room: broadcast::Sender<Message>) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = LineReader::new(reader);
    // Any error ends the connection; one that is the client's fault is explained first.
    if let Err(e) = take_part(&mut lines, &mut writer, room).await {
        if e.kind() == io::ErrorKind::InvalidData {
            let _ = writer.write_all(format!("error: {e}\n").as_bytes()).await;
        }
    }
}

/// Asks for a nickname, then relays the client's lines to the room and the room's to the
/// client, until the client leaves.
async fn take_part(
    lines: &mut LineReader,
    writer: &mut OwnedWriteHalf,
    room: broadcast::Sender<Message>,
) -> io::Result<()> {
    let Some(nick) = ask_nickname(lines, writer).await? else {
        return Ok(());
    };
    let (member, mut inbox) = Member::join(room, nick);
    writer
        .write_all(format!("* welcome, {}\n", member.nick).as_bytes())
        .await?;
    let mut out = Vec::new();
    loop {
        runtime::select! {
            line = lines.next_line().fuse() => match line? {
                Some(line) => member.say(line),
                None => return Ok(()),
            },
            received = inbox.recv().fuse() => {
                member.append(&mut out, received);
                // Whatever else is waiting goes out in the same write.
                while out.len() < WRITE_BATCH {
                    match try_recv(&mut inbox) {
                        Some(received) => member.append(&mut out, received),
                        None => break,
                    }
                }
                writer.write_all(&out).await?;
                out.clear();
            },
        }
    }
}

/// `inbox.try_recv()` in the terms of `recv`; `None` when nothing is waiting.
fn try_recv(inbox: &mut broadcast::Receiver<Message>) -> Option<Result<Message, RecvError>> {
    match inbox.try_recv() {
        Ok(message) => Some(Ok(message)),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
        Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
    }
}

/// Reads lines until one is a valid nickname; `None` if the client leaves first.
async fn ask_nickname(
    lines: &mut LineReader,
    writer: &mut OwnedWriteHalf,
) -> io::Result<Option<String>> {
    writer.write_all(b"* nickname?\n").await?;
    while let Some(line) = lines.next_line().await? {
        let nick = String::from_utf8_lossy(line).trim().to_owned();
        if (1..=MAX_NICK).contains(&nick.len()) && !nick.contains(char::is_whitespace) {
            return Ok(Some(nick));
        }
        writer
            .write_all(b"* a nickname is 1 to 32 bytes without spaces; nickname?\n")
            .await?;
    }
    Ok(None)
}

/// A connection in the room: it announces its arrival when created and its departure when
/// dropped, however the session ends.
struct Member {
    id: u64,
    nick: String,
    room: broadcast::Sender<Message>,
}

impl Member {
    /// Enters the room; the receiver hears every message said from now on.
    fn join(
        room: broadcast::Sender<Message>,
        nick: String,
    ) -> (Member, broadcast::Receiver<Message>) {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        // Subscribed before the announcement, so that "welcome" means "you hear everything".
        let inbox = room.subscribe();
        let member = Member {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            nick,
            room,
        };
        member.announce(format!("* {} joined\n", member.nick).into_bytes());
        (member, inbox)
    }

    /// Says `line` (without its line end) to the room; an empty line says nothing.
    fn say(&self, line: &[u8]) {
        if !line.is_empty() {
            let mut text = Vec::with_capacity(self.nick.len() + line.len() + 3);
            text.extend_from_slice(self.nick.as_bytes());
            text.extend_from_slice(b": ");
            text.extend_from_slice(line);
            text.push(b'\n');
            self.announce(text);
        }
    }

    fn announce(&self, line: Vec<u8>) {
        // Fails only when no connection listens, and then nobody is missing anything.
        let _ = self.room.send(Message {
            from: self.id,
            line: line.into(),
        });
    }

    /// Appends what this member's client should read of `received` to `out`: another's
    /// message, or a notice of the messages it lagged too far behind to get.
    fn append(&self, out: &mut Vec<u8>, received: Result<Message, RecvError>) {
        match received {
            Ok(message) if message.from == self.id => {}
            Ok(message) => out.extend_from_slice(&message.line),
            Err(RecvError::Lagged(n)) => {
                writeln!(out, "* you missed {n} messages").expect("writing to a Vec")
            }
            // The member holds a sender itself.
            Err(RecvError::Closed) => unreachable!("the room closed with a member in it"),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.announce(format!("* {} left\n", self.nick).into_bytes());
    }
}

/// Splits what a client sends into lines, in a buffer just large enough for the longest line
/// allowed: a longer one is an error, not a reason to grow.
struct LineReader {
    reader: OwnedReadHalf,
    buf: Box<[u8]>,
    /// `buf[start..end]` is read and not yet returned; `buf[start..searched]` has no `\n`.
    start: usize,
    searched: usize,
    end: usize,
}

impl LineReader {
    fn new(reader: OwnedReadHalf) -> LineReader {
        LineReader {
            reader,
            // The longest line and its "\r\n".
            buf: vec![0; MAX_LINE + 2].into_boxed_slice(),
            start: 0,
            searched: 0,
            end: 0,
        }
    }

    /// The next line, without its line end; `None` at end of stream (an unfinished last line
    /// is dropped). Cancel-safe: what was read stays in the buffer for the next call.
    async fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            if let Some(i) = self.buf[self.searched..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let line = self.start..self.searched + i;
                self.start = line.end + 1;
                self.searched = self.start;
                let line = &self.buf[line];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return if line.len() > MAX_LINE {
                    Err(too_long())
                } else {
                    Ok(Some(line))
                };
            }
            self.searched = self.end;
            if self.end - self.start == self.buf.len() {
                return Err(too_long());
            }
            if self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.searched = self.end;
                self.start = 0;
            }
            match self.reader.read(&mut self.buf[self.end..]).await? {
                0 => return Ok(None),
                n => self.end += n,
            }
        }
    }
}

fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line longer than {MAX_LINE} bytes"),
    )
}

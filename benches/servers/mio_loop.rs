//! Reference server without any runtime: the ceiling for this workload on this machine.
//!
//! N threads (`N` from `RUNTIME_WORKERS`; thread `i` pinned to core `i` with `RUNTIME_PIN=1`), each
//! a hand-written `mio` event loop with its own `Poll` and its own `SO_REUSEPORT` listener: the
//! layout of the runtime's own `echo` and `hello_http` examples and of `bench_tokio_tpc`, with no
//! tasks, wakers, queues or timers, only readiness events and a `Slab` of connections. What
//! separates a runtime from this is the runtime's cost. Requests are handled exactly as there
//! (`handler.rs`).
//!
//! Edge-triggered: on listener readiness accept until `WouldBlock`; on stream readiness first
//! finish any pending output, then read until `WouldBlock`, answering each read's batch with one
//! write. A partial write keeps the rest for the next writable event and stops reading until it is
//! out. Any read or write error closes the connection.
//!
//! `bench_mio <echo|http|echo-unbuffered|echo-skew> <addr>`, e.g.
//! `RUNTIME_WORKERS=4 bench_mio http 127.0.0.1:0`.

#[path = "handler.rs"]
mod handler;

use std::io::{self, ErrorKind, Read, Write};

use handler::{Action, Conn, Mode};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

/// The listener's token; connections have their slab keys.
const LISTENER: Token = Token(usize::MAX);

fn main() -> io::Result<()> {
    handler::run("bench_mio", true, |args, listener| {
        event_loop(TcpListener::from_std(listener), args.mode)
    })
}

fn event_loop(mut listener: TcpListener, mode: Mode) -> io::Result<()> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut connections = Slab::new();
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            if event.token() == LISTENER {
                accept(&listener, poll.registry(), &mut connections, mode);
                continue;
            }
            let key = event.token().0;
            // A connection closed earlier in this batch has no entry (or a new one, which
            // finds nothing to read).
            let Some(connection) = connections.get_mut(key) else {
                continue;
            };
            if !connection.drive() {
                let mut connection = connections.remove(key);
                // Closing the socket (the drop) unregisters it anyway.
                let _ = poll.registry().deregister(&mut connection.stream);
            }
        }
    }
}

/// Accepts until `WouldBlock`, registering each connection.
fn accept(
    listener: &TcpListener,
    registry: &Registry,
    connections: &mut Slab<Connection>,
    mode: Mode,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                if mode.nodelay() {
                    let _ = stream.set_nodelay(true);
                }
                let entry = connections.vacant_entry();
                let interest = Interest::READABLE | Interest::WRITABLE;
                match registry.register(&mut stream, Token(entry.key()), interest) {
                    Ok(()) => drop(entry.insert(Connection::new(stream, mode))),
                    Err(e) => handler::accept_failed(&e),
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // This connection failed; the next one may not.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionRefused
                ) =>
            {
                handler::accept_failed(&e);
            }
            // Out of descriptors or memory: retrying now would fail again, so wait for the
            // next readiness event.
            Err(e) => {
                handler::accept_failed(&e);
                return;
            }
        }
    }
}

struct Connection {
    stream: TcpStream,
    conn: Conn,
    /// Output a write did not take, from `written` on; read nothing more until it is out.
    pending: Vec<u8>,
    written: usize,
}

impl Connection {
    fn new(stream: TcpStream, mode: Mode) -> Connection {
        Connection {
            stream,
            conn: Conn::new(mode),
            pending: Vec::new(),
            written: 0,
        }
    }

    /// Does all the connection's work its readiness allows; `false` to close it.
    fn drive(&mut self) -> bool {
        while self.written < self.pending.len() {
            match self.stream.write(&self.pending[self.written..]) {
                Ok(0) => return false,
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
        self.pending.clear();
        self.written = 0;
        loop {
            let n = match self.stream.read(self.conn.unfilled()) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            };
            let reply = match self.conn.process(n) {
                Action::Write(reply) => reply,
                Action::Read => continue,
                Action::Close => return false,
            };
            let mut done = 0;
            while done < reply.len() {
                match self.stream.write(&reply[done..]) {
                    Ok(0) => return false,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.pending.extend_from_slice(&reply[done..]);
                        return true;
                    }
                    Err(_) => return false,
                }
            }
        }
    }
}

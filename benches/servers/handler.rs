//! What the reference servers share: the command line, the listening sockets, the threads,
//! and the request handling, which is exactly that of the runtime's own `echo` and
//! `hello_http` examples, so that the servers differ only in how they do I/O.
//!
//! Included by each server with `#[path = "handler.rs"] mod handler;`; every item here is used
//! by all of them.
//!
//! The servers name their serving threads `worker-<i>` (tokio-mt's pool too), so that the
//! skewed workloads' reports (`skew.rs`, and the per-thread CPU time compare.py reads in
//! `/proc`) tell them apart: the kernel keeps 15 bytes of a thread's name.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};

#[path = "skew.rs"]
mod skew;
use skew::Tally;

/// The size of each connection's read buffer, as in the examples.
const BUF_SIZE: usize = 4096;

/// What `hello_http` answers to every request head.
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

/// The workload: the `echo` example or the `hello_http` one.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Echo,
    Http,
    /// Echo by a handler that holds no buffer while its connection waits for data (the tokio
    /// servers; the others serve it as `Echo`): what the runtime itself costs per connection.
    EchoUnbuffered,
    /// Echo that does the work its requests' markers ask for before answering (`skew.rs`): the
    /// skewed workloads, as the runtime's `echo --skew` serves them.
    EchoSkew,
}

impl Mode {
    /// Whether the server turns Nagle's algorithm off on its connections (`TCP_NODELAY`), as
    /// the runtime's `echo --skew` does: in `EchoSkew` mode, whose open-loop workload has
    /// several requests of a connection in flight. With Nagle on, a reply written while the
    /// connection's previous one is unacknowledged waits for the client's ACK, which a client
    /// that delays its ACKs sends with its next request: once one reply is late, every later
    /// one waits for the next request. The other modes keep one request in flight per
    /// connection, and their sockets as they were.
    pub fn nodelay(self) -> bool {
        matches!(self, Mode::EchoSkew)
    }
}

/// The command line, `<echo|http|echo-unbuffered|echo-skew> <addr>`, and the worker count
/// from `RUNTIME_WORKERS`.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    pub mode: Mode,
    pub addr: SocketAddr,
    /// Threads to serve on: `RUNTIME_WORKERS`, or the available parallelism.
    pub workers: usize,
}

impl Args {
    fn parse() -> Args {
        let mut args = std::env::args().skip(1);
        let usage = || -> ! {
            eprintln!(
                "usage: <server> <echo|http|echo-unbuffered|echo-skew> <addr>   (threads from RUNTIME_WORKERS)"
            );
            std::process::exit(2)
        };
        let mode = match args.next().as_deref() {
            Some("echo") => Mode::Echo,
            Some("http") => Mode::Http,
            Some("echo-unbuffered") => Mode::EchoUnbuffered,
            Some("echo-skew") => Mode::EchoSkew,
            _ => usage(),
        };
        let addr = args
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| usage());
        let workers = match std::env::var("RUNTIME_WORKERS") {
            Ok(n) => n.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| usage()),
            Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Args {
            mode,
            addr,
            workers,
        }
    }
}

/// Parses the command line, binds the listeners, prints `<name> listening on <addr>` to stderr
/// and runs `serve` on them, which should not return unless it fails.
///
/// With `per_core`, one `SO_REUSEPORT` listener per worker, each served by `serve` on its own
/// thread (`worker-<i>`), pinned to core `i` when `RUNTIME_PIN=1` as the runtime's workers are
/// (unpinned where there are fewer cores); otherwise one listener, served by `serve` on the
/// calling thread, which starts whatever threads it wants. Either way every listener has the
/// same options (see [`bind`]).
pub fn run<F>(name: &str, per_core: bool, serve: F) -> io::Result<()>
where
    F: Fn(&Args, TcpListener) -> io::Result<()> + Sync,
{
    let args = Args::parse();
    let listeners = bind(args.addr, if per_core { args.workers } else { 1 })?;
    eprintln!("{name} listening on {}", listeners[0].local_addr()?);
    if !per_core {
        let [listener] = <[TcpListener; 1]>::try_from(listeners).expect("one listener");
        return serve(&args, listener);
    }
    // Pinned or not like the runtime's workers, so the comparison changes one thing at a time.
    let pin = matches!(
        std::env::var("RUNTIME_PIN").as_deref(),
        Ok("1" | "on" | "true")
    );
    let cores = if pin {
        core_affinity::get_core_ids().unwrap_or_default()
    } else {
        Vec::new()
    };
    let serve = &serve;
    std::thread::scope(|scope| {
        let threads: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let core = cores.get(i).copied();
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn_scoped(scope, move || {
                        if let Some(core) = core {
                            core_affinity::set_for_current(core);
                        }
                        serve(&args, listener)
                    })
            })
            .collect::<io::Result<_>>()?;
        for thread in threads {
            thread.join().expect("server thread panicked")?;
        }
        Ok(())
    })
}

/// `count` nonblocking listeners on `addr`, all with `SO_REUSEADDR`, `SO_REUSEPORT` and a
/// backlog of 4096 (the runtime's `ListenOptions`). The first bind fixes the port when `addr`
/// has port 0; the others bind to the same one.
fn bind(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpListener>> {
    use socket2::{Domain, Socket, Type};
    let mut addr = addr;
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(4096)?;
        let listener = TcpListener::from(socket);
        addr = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Called with an `accept` error: the connection is skipped. The first error is logged.
pub fn accept_failed(error: &io::Error) {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        eprintln!("accept failed (skipped; further errors not logged): {error}");
    }
}

/// One connection's request handling, without its I/O: read into [`Conn::unfilled`], hand
/// what was read to [`Conn::process`], do what it says.
#[derive(Debug)]
pub struct Conn {
    mode: Mode,
    buf: Box<[u8]>,
    /// Bytes at the start of `buf` read but not yet handled: an unfinished request head.
    filled: usize,
    /// The replies of one read batch.
    out: Vec<u8>,
    /// The connection's marked requests, in `EchoSkew` mode only. Boxed: the other modes pay
    /// one pointer for it.
    skew: Option<Box<Tally>>,
}

/// What to do after [`Conn::process`].
#[derive(Debug)]
pub enum Action<'a> {
    /// Write all of these bytes, then read again.
    Write(&'a [u8]),
    /// Nothing to write: read again.
    Read,
    /// Close the connection.
    Close,
}

impl Conn {
    pub fn new(mode: Mode) -> Conn {
        Conn {
            mode,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            filled: 0,
            out: Vec::new(),
            skew: matches!(mode, Mode::EchoSkew).then(|| Box::new(Tally::new())),
        }
    }

    /// Where the next read goes. Never empty.
    pub fn unfilled(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// `n` bytes (at least one) were read into [`Conn::unfilled`].
    ///
    /// Echo: write them back (in `EchoSkew` mode, after doing the work their markers ask for).
    /// HTTP: one response per complete request head read so far, all in one write; the
    /// unfinished tail stays for the next read, and a head that fills the whole buffer closes
    /// the connection.
    pub fn process(&mut self, n: usize) -> Action<'_> {
        self.filled += n;
        match self.mode {
            Mode::Echo | Mode::EchoUnbuffered => {
                let n = std::mem::take(&mut self.filled);
                Action::Write(&self.buf[..n])
            }
            Mode::EchoSkew => {
                let n = std::mem::take(&mut self.filled);
                if let Some(tally) = &mut self.skew {
                    tally.serve(&self.buf[..n]);
                }
                Action::Write(&self.buf[..n])
            }
            Mode::Http => {
                self.out.clear();
                let mut start = 0;
                while let Some(end) = find_head_end(&self.buf[start..self.filled]) {
                    self.out.extend_from_slice(RESPONSE);
                    start += end;
                }
                self.buf.copy_within(start..self.filled, 0);
                self.filled -= start;
                if self.filled == self.buf.len() {
                    // A request head larger than the buffer: not a client this server serves.
                    Action::Close
                } else if self.out.is_empty() {
                    Action::Read
                } else {
                    Action::Write(&self.out)
                }
            }
        }
    }
}

/// The length of the first request head in `buf`, through its blank line.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

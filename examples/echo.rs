//! Echo server: writes every byte it reads back to the sender. Listens on every loop with
//! `SO_REUSEPORT` (see `runtime::net::serve`).
//!
//! `cargo run --release --example echo -- 127.0.0.1:7000` (workers from `RUNTIME_WORKERS`).
//! Ctrl-C (or SIGTERM) stops it gracefully: open connections get `SHUTDOWN_GRACE_SECS` (10) to
//! finish.
//! With `--unbuffered`, a connection holds no buffer while it waits for data (see
//! `echo_unbuffered`): the way to hold very many mostly idle connections.
//!
//! With `--one-listener`, it accepts on one listener, on worker 0, and spawns a task per
//! connection, as most tokio servers do: every connection starts on worker 0 and the other
//! loops get work only by stealing (or, with `RUNTIME_REHOME=1`, by taking connections over;
//! see `Builder::rehome`). Ctrl-C then ends it at once.
//!
//! A connection is closed once the idle timeout (`IDLE_TIMEOUT_SECS`, 60 by default) has
//! passed since it last sent bytes (within a quarter of the timeout after that, see
//! `support/idle.rs`): it sent nothing more, or did not take its echo.
//!
//! With `--skew`, the benchmarks' skewed workloads: before echoing what it read, the handler
//! does the work the bytes' markers ask for (burn CPU, or block the thread as a blocking call
//! made by mistake would) and counts it per thread (benches/servers/skew.rs, which the
//! reference servers share). Without it the handler never looks at the bytes: `echo` takes the
//! per-read step as a type parameter, and the plain echo's is empty.

mod support;
// The skewed workloads' protocol, shared with the load generator and the reference servers.
#[path = "../benches/servers/skew.rs"]
mod skew;

use std::io::ErrorKind::WouldBlock;
use std::time::Duration;

use runtime::net::TcpStream;
use support::idle::Idle;

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let unbuffered = support::flag("unbuffered");
    let skewed = support::flag("skew");
    let idle = support::idle_timeout();
    if support::flag("one-listener") {
        return one_listener(unbuffered, idle).await;
    }
    let addr = support::listen_addr("127.0.0.1:7000");
    // A handler per mode, each with a future type of its own: a connection's task is the size
    // of its own mode's future, where one `Either` of them all would give every task the size
    // of the largest. (The future is the handler's, not an `async` block awaiting it: that
    // would hold the stream and the timeout twice for the life of the connection.)
    let server = if unbuffered {
        runtime::net::serve(addr, move |stream, _| echo_unbuffered(stream, idle))?
    } else if skewed {
        runtime::net::serve(addr, move |stream, _| {
            // Several requests of a connection are in flight in the open-loop workload:
            // without this, Nagle's algorithm and the client's delayed ACKs hold every reply
            // until the next request once one is late (benches/servers/handler.rs,
            // `Mode::nodelay`, which the reference servers follow).
            let _ = stream.set_nodelay(true);
            // Made here, on the loop that accepted the connection: the tally names it.
            let mut tally = skew::Tally::new();
            echo(stream, idle, move |read| tally.serve(read))
        })?
    } else {
        runtime::net::serve(addr, move |stream, _| echo(stream, idle, |_| {}))?
    };
    support::report_metrics();
    let banner = format!("echo listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

/// Accepts on one listener, on this loop (worker 0, where `main` runs), and spawns a task per
/// connection; runs until the process is killed.
async fn one_listener(unbuffered: bool, idle: Option<Duration>) -> std::io::Result<()> {
    support::report_metrics();
    let listener = runtime::net::TcpListener::bind(support::listen_addr("127.0.0.1:7000"))?;
    eprintln!(
        "echo listening on {} (one listener)",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let task = if unbuffered {
            runtime::spawn(echo_unbuffered(stream, idle))
        } else {
            runtime::spawn(echo(stream, idle, |_| {}))
        };
        drop(task);
    }
}

/// Echoes each read after handing it to `on_read`.
async fn echo(mut stream: TcpStream, idle: Option<Duration>, mut on_read: impl FnMut(&[u8])) {
    let mut idle = Idle::new(idle);
    let mut buf = vec![0; 4096];
    // Any error ends the connection; the peer is gone, misbehaving or idle.
    // Idle time counts from the latest bytes received, so a peer that does not take its echo
    // is as idle as one that sends nothing: one restart per message.
    while let Ok(n @ 1..) = idle.guard(stream.read(&mut buf)).await {
        idle.restart();
        on_read(&buf[..n]);
        if idle.guard(stream.write_all(&buf[..n])).await.is_err() {
            break;
        }
    }
}

/// Waits for readability, reads onto the stack and writes back what the socket takes at once;
/// only a reply the socket does not take is copied to the heap and awaited. An idle
/// connection costs its task, its socket and its registration, and no buffer.
async fn echo_unbuffered(mut stream: TcpStream, idle: Option<Duration>) {
    let mut idle = Idle::new(idle);
    // Empty unless the socket did not take a whole reply; an empty `Vec` owns no memory.
    let mut pending = Vec::new();
    loop {
        if !pending.is_empty() {
            if idle.guard(stream.write_all(&pending)).await.is_err() {
                return;
            }
            pending = Vec::new();
        }
        if idle.guard(stream.readable()).await.is_err() {
            return;
        }
        let mut buf = [0; 4096];
        let mut rest = match stream.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                idle.restart();
                &buf[..n]
            }
            Err(e) if e.kind() == WouldBlock => continue,
            Err(_) => return,
        };
        while !rest.is_empty() {
            match stream.try_write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == WouldBlock => break,
                Err(_) => return,
            }
        }
        pending = rest.to_vec();
    }
}

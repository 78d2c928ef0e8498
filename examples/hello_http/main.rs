//! Minimal HTTP/1.1 keep-alive server, the benchmark workload: answers every complete request
//! head with "Hello, World!", pipelined requests in order, one write per read. Listens on
//! every loop with `SO_REUSEPORT` (see `runtime::net::serve`).
//!
//! `cargo run --release --example hello_http -- 127.0.0.1:8080`, then
//! `curl http://127.0.0.1:8080/`. Ctrl-C (or SIGTERM) stops it gracefully: open connections
//! get `SHUTDOWN_GRACE_SECS` (10) to finish.
//!
//! Against slow clients (slowloris): each request head must arrive whole within the idle
//! timeout (`IDLE_TIMEOUT_SECS`, 60 by default) of the previous one, or of the connection's
//! start, however the bytes trickle in; a connection that misses it is closed. Request heads
//! are split in `head.rs`.

#[path = "../support/mod.rs"]
mod support;

mod head;

use std::time::Duration;

use head::Heads;
use runtime::net::TcpStream;
use support::idle::Idle;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let idle = support::idle_timeout();
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:8080"), move |stream, _| {
        serve(stream, idle)
    })?;
    support::report_metrics();
    let banner = format!("hello_http listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

async fn serve(mut stream: TcpStream, idle: Option<Duration>) {
    let mut heads = Heads::new();
    let mut out = Vec::new();
    // The request head being read must be complete in time: the timer restarts per head,
    // not per read, so that a client trickling bytes cannot hold the connection.
    let mut idle = Idle::new(idle);
    loop {
        let n = match idle.guard(stream.read(heads.spare())).await {
            Ok(n @ 1..) => n,
            // Closed, failed, or too slow.
            _ => return,
        };
        // A head larger than the buffer: not a client this server serves.
        let Ok(completed) = heads.advance(n) else {
            return;
        };
        if completed == 0 {
            continue;
        }
        for _ in 0..completed {
            out.extend_from_slice(RESPONSE);
        }
        // A client that does not read its responses is as idle as one that does not write.
        // The next head's time counts from here, and the client must take this response in
        // that time too.
        if idle.within(stream.write_all(&out)).await.is_err() {
            return;
        }
        out.clear();
    }
}

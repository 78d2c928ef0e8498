//! Minimal HTTP/1.1 keep-alive server, the benchmark workload: answers every complete request
//! head with "Hello, World!", pipelined requests in order, one write per read. Listens on
//! every loop with `SO_REUSEPORT` (see `runtime::net::serve`).
//!
//! `cargo run --release --example hello_http -- 127.0.0.1:8080`, then
//! `curl http://127.0.0.1:8080/`. Ctrl-C (or SIGTERM) stops it gracefully: open connections
//! get `SHUTDOWN_GRACE_SECS` (10) to finish.

mod support;

use runtime::net::TcpStream;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:8080"), |stream, _| {
        serve(stream)
    })?;
    support::report_metrics();
    let banner = format!("hello_http listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}

async fn serve(mut stream: TcpStream) {
    let mut buf = vec![0; 4096];
    let mut filled = 0;
    let mut out = Vec::new();
    loop {
        match stream.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        let mut start = 0;
        while let Some(end) = find_head_end(&buf[start..filled]) {
            out.extend_from_slice(RESPONSE);
            start += end;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if filled == buf.len() {
            // A request head larger than the buffer: not a client this server serves.
            return;
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

/// The length of the first request head in `buf`, through its blank line.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

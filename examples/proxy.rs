//! TCP proxy: accepts clients and relays each to an upstream server, both ways, until the
//! connection closes. Each direction is straight-line code, `read` then `write`, where a
//! callback-based event loop would need a chain of handlers per direction.
//!
//! `cargo run --release --example proxy -- 127.0.0.1:9000 127.0.0.1:7000`. Ctrl-C (or SIGTERM)
//! stops it gracefully: no new clients, and open relays get `SHUTDOWN_GRACE_SECS` (10) to
//! finish both directions before they are aborted.

mod support;

use std::sync::Arc;

use runtime::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream};

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let upstream: Arc<str> = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "127.0.0.1:7000".to_owned())
        .into();
    let target = upstream.clone();
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:9000"), move |client, _| {
        let upstream = target.clone();
        async move {
            if let Err(e) = relay(client, &upstream).await {
                eprintln!("relay to {upstream} failed: {e}");
            }
        }
    })?;
    support::report_metrics();
    // The listen address last, where the tests read it.
    let banner = format!(
        "proxy relaying to {upstream}, listening on {}",
        server.local_addr()
    );
    support::serve_until_signal(server, banner).await
}

/// Relays both directions in the connection's own task, so that the server's shutdown
/// tracks the relay until both have finished (and, past the grace period, aborts both).
async fn relay(client: TcpStream, upstream: &str) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    runtime::try_join!(
        copy(client_read, server_write),
        copy(server_read, client_write)
    )?;
    Ok(())
}

/// Copies until end of stream, then shuts down the write side (by dropping it) so the other
/// end sees the close too.
async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf) -> std::io::Result<u64> {
    let mut buf = vec![0; 16 * 1024];
    let mut total = 0;
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        to.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

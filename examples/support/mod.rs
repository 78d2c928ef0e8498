//! What the example servers share: reading their arguments and a resilient accept.

use std::io;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};

/// The listen address: the first command-line argument, or `default`.
pub fn listen_addr(default: &str) -> String {
    std::env::args()
        .nth(1)
        .unwrap_or_else(|| default.to_owned())
}

/// Accepts the next connection. A connection that failed before it was accepted is skipped;
/// any other error (out of file descriptors, say) is reported and retried after a pause, since
/// the connection that caused it is still queued and retrying at once would spin.
pub async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                eprintln!("accept failed: {e}; retrying in 100 ms");
                runtime::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

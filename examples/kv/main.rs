//! In-memory key-value server speaking the Redis protocol (a subset: see `commands.rs`), so
//! that `redis-cli`, `redis-benchmark` and Redis client libraries talk to it. Listens on every
//! loop with `SO_REUSEPORT` (see `runtime::net::serve`); all loops share one sharded store.
//!
//! `cargo run --release --example kv -- 127.0.0.1:6379`, then `redis-cli -p 6379 SET k v`,
//! or `nc 127.0.0.1 6379` and type commands (`GET k`).
//!
//! The pieces: `resp.rs` (the protocol), `store.rs` (the shards), `commands.rs` (what each
//! command does), `session.rs` (a connection's buffers and pipelining); this file only does
//! the I/O. `benches/servers/kv_tokio.rs` runs the same pieces on tokio, for comparison.

#[path = "../support/mod.rs"]
mod support;

mod commands;
mod resp;
mod session;
mod store;

use std::sync::Arc;

use runtime::net::TcpStream;
use session::Session;
use store::Store;

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let store = Arc::new(Store::new());
    let server = runtime::net::serve(support::listen_addr("127.0.0.1:6379"), move |stream, _| {
        serve(stream, store.clone())
    })?;
    support::report_metrics();
    let banner = format!("kv listening on {}", server.local_addr());
    // Ctrl-C or SIGTERM: stop accepting, give connections a grace period, exit 0.
    support::serve_until_signal(server, banner).await
}

async fn serve(mut stream: TcpStream, store: Arc<Store>) {
    // Replies go out at once, as Redis sends them.
    let _ = stream.set_nodelay(true);
    let mut session = Session::new();
    // Any error ends the connection; the peer is gone or misbehaving.
    while let Ok(n @ 1..) = stream.read(session.unfilled()).await {
        let outcome = session.process(&store, n);
        if stream.write_all(outcome.reply).await.is_err() || outcome.close {
            return;
        }
    }
}

//! Reference server: tokio laid out thread-per-core, the runtime's own layout.
//!
//! N threads (`N` from `RUNTIME_WORKERS`; thread `i` pinned to core `i` with `RUNTIME_PIN=1`), each
//! running its own tokio current-thread runtime with its own `SO_REUSEPORT` listener, the kernel
//! spreading the connections; a task per connection on the thread that accepted it, never moving.
//! Against `bench_tokio_mt` it isolates the listener and thread layout (same tokio, no shared
//! listener, no work stealing); against the runtime's own `echo` and `hello_http` examples, which
//! share this layout, the runtime itself (its per-loop machinery and its stealing). Requests are
//! handled exactly as there (`handler.rs`).
//!
//! `bench_tokio_tpc <echo|http|echo-unbuffered|echo-skew> <addr>`, e.g.
//! `RUNTIME_WORKERS=4 bench_tokio_tpc http 127.0.0.1:0`.

#[path = "handler.rs"]
mod handler;
#[path = "tokio_conn.rs"]
mod tokio_conn;

use std::io;

use tokio::net::TcpListener;
use tokio_conn::accept_loop;

fn main() -> io::Result<()> {
    handler::run("bench_tokio_tpc", true, |args, listener| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let mode = args.mode;
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener)?;
            accept_loop(listener, mode).await;
            Ok(())
        })
    })
}

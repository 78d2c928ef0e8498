//! Reference server: tokio's multi-thread runtime, the usual way to write a tokio server.
//!
//! `worker_threads(N)` work-stealing workers (`N` from `RUNTIME_WORKERS`, not pinned), ONE
//! listener, a `tokio::spawn` per connection. Against `bench_tokio_tpc` it isolates the listener
//! and thread layout (one shared listener and a shared work-stealing pool against one
//! single-threaded runtime and `SO_REUSEPORT` listener per core); against the runtime's own
//! `echo` and `hello_http` examples, the runtime. Requests are handled exactly as there
//! (`handler.rs`).
//!
//! `bench_tokio_mt <echo|http|echo-unbuffered|echo-skew> <addr>`, e.g.
//! `RUNTIME_WORKERS=4 bench_tokio_mt http 127.0.0.1:0`.

#[path = "handler.rs"]
mod handler;
#[path = "tokio_conn.rs"]
mod tokio_conn;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::TcpListener;
use tokio_conn::accept_loop;

fn main() -> io::Result<()> {
    handler::run("bench_tokio_mt", false, |args, listener| {
        let next = AtomicUsize::new(0);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.workers)
            // Named as the per-core servers' threads are (see `handler.rs`).
            .thread_name_fn(move || format!("worker-{}", next.fetch_add(1, Ordering::Relaxed)))
            .enable_io()
            .build()?;
        let mode = args.mode;
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener)?;
            // Accept on a worker too, so that the N workers are the only threads at work.
            tokio::spawn(accept_loop(listener, mode))
                .await
                .map_err(io::Error::other)
        })
    })
}

//! tokio compatibility (the `tokio-compat` feature): crates that call `tokio::spawn`,
//! `tokio::time` or `tokio::net` (reqwest, tonic's client, database and Redis clients) work
//! unchanged from this runtime's tasks.
//!
//! Those calls look for tokio's runtime context on the calling thread and register their
//! timers and sockets with its drivers. tokio's I/O driver owns its own epoll instance and its
//! timer wheel is driven by whichever thread parks on it, so neither can join a loop's epoll.
//! So, as the `async-compat` crate does, a tokio runtime of its own ([`TokioContext`]) runs on
//! one background thread, which drives tokio's I/O and timers and runs what `tokio::spawn`
//! spawns, and every thread of this runtime (the workers, the blocking pool, and a thread in
//! `block_on` or under `Runtime::enter`) enters its context. A tokio resource's readiness
//! then crosses from tokio's thread to the worker whose task waits for it, as a cross-thread
//! wake: measured in BENCHMARKS.md ("tokio compatibility"). The runtime's own sockets and
//! timers never go through it.

use std::io;
use std::sync::Arc;
use std::time::Duration;

/// How long the runtime's drop waits for the tokio runtime's threads (and tokio's blocking
/// closures) to stop; past it, they finish in the background.
const TOKIO_SHUTDOWN: Duration = Duration::from_secs(1);

/// The tokio runtime behind the compatibility layer, and its handle for threads to enter.
#[derive(Clone)]
pub(crate) struct TokioContext {
    handle: tokio::runtime::Handle,
    /// Shut down when the last thread of this runtime that holds it is gone.
    _runtime: Arc<Background>,
}

struct Background(Option<tokio::runtime::Runtime>);

impl Drop for Background {
    /// Waits (up to [`TOKIO_SHUTDOWN`]) for tokio's threads to stop, so that its epoll and
    /// event descriptors are closed when this runtime's drop returns, as this runtime's own
    /// are. The wait runs on a thread of its own: tokio refuses to wait on a thread inside
    /// one of its runtimes, and this one may be dropped from a tokio task.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            let stopping = std::thread::Builder::new()
                .name("runtime-tokio-stop".into())
                .spawn(move || runtime.shutdown_timeout(TOKIO_SHUTDOWN));
            // Without a thread of its own, the runtime was dropped here, waiting as tokio does.
            if let Ok(stopping) = stopping {
                let _ = stopping.join();
            }
        }
    }
}

impl TokioContext {
    /// Starts the tokio runtime: one worker thread named `<name>-tokio`, its I/O and time
    /// drivers on.
    pub(crate) fn start(name: &str) -> io::Result<TokioContext> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("{name}-tokio"))
            .enable_all()
            .build()?;
        Ok(TokioContext {
            handle: runtime.handle().clone(),
            _runtime: Arc::new(Background(Some(runtime))),
        })
    }

    /// Makes tokio's context this thread's until the guard is dropped.
    pub(crate) fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.handle.enter()
    }
}

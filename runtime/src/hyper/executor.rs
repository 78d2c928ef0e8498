//! [`Executor`]: hyper's background tasks, spawned on the runtime.
//!
//! hyper hands its executor the futures that must run beside the connection future: each
//! HTTP/2 stream of a server, and the connection task of an HTTP/2 client. They are spawned
//! detached, as stealable tasks that start on the current loop, where their connection's
//! socket lives. Spawned from a server's connection, they keep its [`ShutdownSignal`]
//! current, so a handler answering an HTTP/2 stream learns of the shutdown as one answering
//! HTTP/1 does.

use std::future::Future;

use crate::net::ShutdownSignal;

/// Runs hyper's background futures as tasks of the current runtime, through
/// [`spawn`](crate::spawn).
///
/// ```
/// use hyper::server::conn::http2;
/// use runtime::hyper::{Executor, Timer};
///
/// let mut http2 = http2::Builder::new(Executor);
/// // hyper's HTTP/2 keep-alive pings need the timer too.
/// http2.timer(Timer);
/// ```
///
/// # Panics
///
/// `execute` panics outside the runtime, as [`spawn`](crate::spawn) does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Executor;

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Detached: hyper learns how its futures end through its own channels.
        match ShutdownSignal::current() {
            Some(signal) => drop(crate::spawn(signal.scope(future))),
            None => drop(crate::spawn(future)),
        }
    }
}

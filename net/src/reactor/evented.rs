//! A mio source registered with a reactor: the building block of every socket type.

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::scheduled_io::ScheduledIo;
use super::{Direction, Reactor};

/// A mio source registered with one [`Reactor`] for as long as it lives. Dropping it
/// deregisters the source and then closes it.
pub struct Evented<S: mio::event::Source> {
    source: S,
    reactor: Reactor,
    key: usize,
    io: Arc<ScheduledIo>,
}

impl<S: mio::event::Source> Evented<S> {
    /// Registers `source` with the reactor of the current event loop.
    ///
    /// # Panics
    ///
    /// Outside an event loop.
    pub fn new(source: S) -> io::Result<Evented<S>> {
        Evented::with_reactor(source, Reactor::current())
    }

    /// Registers `source` with `reactor`, for readiness in both directions.
    pub fn with_reactor(mut source: S, reactor: Reactor) -> io::Result<Evented<S>> {
        let (key, io) = reactor.register(&mut source)?;
        Ok(Evented {
            source,
            reactor,
            key,
            io,
        })
    }

    /// The registered source, for operations that never block.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// Runs `op` once the source is ready in `direction`, and again after each readiness
    /// until it returns something other than `WouldBlock`. `EINTR` is retried, never returned.
    /// Each completed operation spends one unit of the task's [`coop`](crate::coop) budget.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if !crate::coop::has_budget(cx) {
            return Poll::Pending;
        }
        loop {
            let event = match self.io.poll_ready(cx, direction) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            loop {
                match op(&self.source) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.io.clear_readiness(event);
                        break;
                    }
                    result => {
                        crate::coop::spend();
                        return Poll::Ready(result);
                    }
                }
            }
        }
    }

    /// Waits until `op` completes in `direction`; the async form of [`poll_io`](Self::poll_io).
    pub async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
    }

    /// Waits until the source reports readiness in `direction`, without running an operation.
    /// The readiness stays set until an operation sees `WouldBlock`.
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, direction).map_ok(|_| ())
    }

    /// The reactor this source is registered with.
    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }
}

impl<S: mio::event::Source> Drop for Evented<S> {
    fn drop(&mut self) {
        self.reactor.deregister(self.key, &mut self.source);
    }
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evented")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

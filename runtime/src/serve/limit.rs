//! The cap on a server's connections in flight ([`ServeOptions::max_connections`]), shared by
//! all of its accept loops.
//!
//! One atomic count for the whole server, not a share per loop: the kernel's hash may queue
//! most connections on one listener, and a per-loop share would leave them waiting while the
//! other loops have room. Each connection holds a [`Permit`], which gives its place back when
//! the connection's task ends (returned, panicked or aborted).
//!
//! A loop at the cap stops accepting and parks, its waker stored here; the permit that takes
//! the count from the cap down wakes every parked loop (there is one per worker). A loop only
//! checks for room before it accepts, and takes its permit after, so two loops may race for
//! the last place: the loser keeps the one connection it accepted until a place frees (see
//! `accept`). The count never exceeds the cap, except during a shutdown's drain, which
//! must accept every queued connection before closing the listeners ([`Limit::force`]).
//!
//! [`ServeOptions::max_connections`]: super::ServeOptions::max_connections

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// A server's count of connections in flight and the wakers of its loops parked at the cap.
pub(super) struct Limit {
    max: usize,
    in_flight: AtomicUsize,
    wakers: Box<[AtomicWaker]>,
}

impl Limit {
    pub(super) fn new(max: usize, loops: usize) -> Limit {
        Limit {
            max,
            in_flight: AtomicUsize::new(0),
            wakers: (0..loops).map(|_| AtomicWaker::new()).collect(),
        }
    }

    /// Ready when there is room for a connection; otherwise wakes loop `worker` when some
    /// connection ends.
    pub(super) fn poll_room(&self, worker: usize, cx: &Context<'_>) -> Poll<()> {
        // Registered before the check: a permit dropped after the check sees the waker.
        self.wakers[worker].register(cx.waker());
        if self.in_flight.load(Ordering::SeqCst) < self.max {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// A place for one connection, if the count is below the cap.
    pub(super) fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        self.in_flight
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(self.clone()))
    }

    /// A place for one connection even past the cap, for the connections a shutdown accepts.
    pub(super) fn force(self: &Arc<Self>) -> Permit {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Permit(self.clone())
    }
}

/// One connection's place under the cap, given back when dropped.
pub(super) struct Permit(Arc<Limit>);

impl Drop for Permit {
    fn drop(&mut self) {
        // Only the step down from the cap can unpark a loop.
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == self.0.max {
            self.0.wakers.iter().for_each(AtomicWaker::wake);
        }
    }
}

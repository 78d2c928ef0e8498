//! Whether a worker is asleep in `epoll_wait`, so that wakers write its eventfd only when that
//! is needed.
//!
//! The protocol, between the worker (W) and any thread handing it work (H):
//!
//! - W: `prepare` (state := PARKED, then a full fence), then look at every queue once more; if
//!   there is work, `finish` and do not sleep, else sleep in `epoll_wait` and `finish` (state :=
//!   RUNNING) when it returns.
//! - H: publish the work (push to a queue, set a flag), then `unpark`: a full fence, state :=
//!   NOTIFIED, and if the state was PARKED, wake the reactor.
//!
//! Either H's swap sees PARKED and wakes W, or W's second look sees H's work: the two fences
//! forbid both from missing each other (the store-load order a plain release/acquire pair does
//! not give). NOTIFIED lets every hand-off after the first skip the eventfd write until W runs
//! again.

use std::sync::atomic::Ordering;

use crate::loom::{fence, AtomicU8};

const RUNNING: u8 = 0;
const PARKED: u8 = 1;
const NOTIFIED: u8 = 2;

#[derive(Debug)]
pub(crate) struct ParkState {
    state: AtomicU8,
}

impl ParkState {
    pub(crate) fn new() -> ParkState {
        ParkState {
            state: AtomicU8::new(RUNNING),
        }
    }

    /// The worker is about to sleep; it must look for work once more after this.
    pub(crate) fn prepare(&self) {
        self.state.store(PARKED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The worker is awake (or decided not to sleep).
    pub(crate) fn finish(&self) {
        self.state.store(RUNNING, Ordering::SeqCst);
    }

    /// Called after publishing work for the worker: true if it may be asleep and its reactor
    /// must be woken.
    #[must_use = "a true result means the reactor must be woken"]
    pub(crate) fn unpark(&self) -> bool {
        fence(Ordering::SeqCst);
        self.state.swap(NOTIFIED, Ordering::SeqCst) == PARKED
    }

    /// Whether the worker is asleep (or about to be); used to choose which worker to wake.
    pub(crate) fn is_parked(&self) -> bool {
        self.state.load(Ordering::SeqCst) == PARKED
    }
}

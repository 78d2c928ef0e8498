//! Who is looking for work: the count of searching workers and the flag of a wake in flight.
//!
//! Waking a parked worker costs an eventfd write and its `epoll_wait` return; having every idle
//! worker scan every peer costs cache traffic. Both are kept in check here:
//! - at most half the workers (at least one) search their peers at once;
//! - a worker with surplus tasks wakes a parked peer only when nobody is searching already and
//!   no wake is in flight; the woken peer clears the flag once it runs, and a searcher that
//!   found a batch wakes the next peer if it was the last searcher (work fans out one hop at a
//!   time, not all at once).

use std::sync::atomic::Ordering;

use crate::loom::{AtomicBool, AtomicUsize};

#[derive(Debug)]
pub(crate) struct Idle {
    searching: AtomicUsize,
    waking: AtomicBool,
    workers: usize,
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            searching: AtomicUsize::new(0),
            waking: AtomicBool::new(false),
            workers,
        }
    }

    /// Enters the searching state, unless enough workers are searching already.
    pub(crate) fn start_search(&self) -> bool {
        let searching = self.searching.load(Ordering::SeqCst);
        if searching > 0 && 2 * searching >= self.workers {
            return false;
        }
        self.searching.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Leaves the searching state; true if this was the last searcher.
    pub(crate) fn end_search(&self) -> bool {
        self.searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Whether a worker with surplus work should wake a parked peer: nobody searching, and no
    /// wake already in flight (claiming the flag if so).
    pub(crate) fn claim_wake(&self) -> bool {
        self.searching.load(Ordering::SeqCst) == 0 && !self.waking.swap(true, Ordering::SeqCst)
    }

    /// The claimed wake found no parked peer, or the woken peer is running: another may go.
    pub(crate) fn release_wake(&self) {
        self.waking.store(false, Ordering::SeqCst);
    }
}

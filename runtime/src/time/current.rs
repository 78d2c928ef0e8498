//! The timers of the thread's worker: where a `Sleep` first polled on this thread registers.
//!
//! The scheduler sets it when a thread becomes a worker (the worker's own wheel, added to by
//! its owner) or enters the runtime from outside (`block_on`, the blocking pool: the wheel of
//! the worker that serves that thread, added to by a stranger). Kept here rather than in the
//! scheduler so that time depends on nothing above it.

use std::cell::RefCell;
use std::sync::Arc;

use super::{Adder, Timers};

thread_local! {
    static CURRENT: RefCell<Option<(Arc<Timers>, Adder)>> = const { RefCell::new(None) };
}

/// Makes `timers` this thread's until the guard drops, when the ones before come back (nothing,
/// once the thread's thread-locals are being destroyed).
pub(crate) fn enter(timers: Arc<Timers>, adder: Adder) -> EnterGuard {
    let previous = CURRENT
        .try_with(|c| c.replace(Some((timers, adder))))
        .ok()
        .flatten();
    EnterGuard { previous }
}

/// Restores the thread's previous timers when dropped.
pub(crate) struct EnterGuard {
    previous: Option<(Arc<Timers>, Adder)>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // At thread exit the slot may be gone already; nothing is left to restore then.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Now on the clock of the runtime this thread is inside, if it is inside one.
pub(crate) fn clock_now() -> Option<std::time::Instant> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|(t, _)| t.clock().instant_now()))
        .ok()
        .flatten()
}

/// This thread's timers and whether the thread is their owner.
///
/// # Panics
///
/// Outside a runtime, naming `what` the caller tried to do.
pub(crate) fn timers(what: &str) -> (Arc<Timers>, Adder) {
    CURRENT
        .try_with(|c| c.borrow().clone())
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            panic!(
                "{what} must be called from inside the runtime (within `Runtime::block_on` or a \
                 task it runs), but this thread is not running one"
            )
        })
}

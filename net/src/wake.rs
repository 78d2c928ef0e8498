//! Waking many tasks at once, as the reactor and the timers do after each turn.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

/// Wakes every waker, even if some of them panic. A waker is arbitrary code (a task's, or one
/// that a combinator or a hand-written executor made), and one that panics must neither take
/// the event loop down nor cost the wakers after it their wake; the panic hook has reported
/// the panic by then.
pub fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
    }
}

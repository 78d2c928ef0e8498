//! Cooperative budget: how many I/O operations a task may complete in one poll.
//!
//! A task whose socket never runs dry (a peer that sends without pause) would otherwise loop
//! forever inside one poll, starving every other task of its loop and the loop's reactor. The
//! scheduler runs each poll inside [`budget`]; each completed operation spends one unit, and
//! once the budget is spent every operation returns `Pending` after waking its task, which
//! goes to the back of the run queue. Outside [`budget`] (a thread that is no event loop),
//! operations are unconstrained.

use std::cell::Cell;
use std::task::Context;

/// Operations a task may complete per poll.
pub const BUDGET: u32 = 128;

thread_local! {
    static REMAINING: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `f` (one poll of a task) with a fresh budget, restoring the previous one afterwards,
/// even if `f` panics.
///
/// ```
/// let polled = net::coop::budget(|| "one poll");
/// assert_eq!(polled, "one poll");
/// ```
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.set(self.0);
        }
    }
    let _restore = Restore(REMAINING.replace(Some(BUDGET)));
    f()
}

/// Whether the current task may run another operation; if not, wakes it so that it runs
/// again after the tasks queued behind it.
pub(crate) fn has_budget(cx: &Context<'_>) -> bool {
    if REMAINING.get() == Some(0) {
        cx.waker().wake_by_ref();
        return false;
    }
    true
}

/// Spends one unit for an operation that completed.
pub(crate) fn spend() {
    if let Some(n) = REMAINING.get() {
        REMAINING.set(Some(n.saturating_sub(1)));
    }
}

//! Cooperative budget: how many I/O operations a task may complete in one poll.
//!
//! A task whose socket never runs dry (a peer that sends without pause) would otherwise loop
//! forever inside one poll, starving every other task of its loop and the loop's reactor. The
//! scheduler runs each poll inside [`budget`]; each completed operation spends one unit, and
//! once the budget is spent every operation returns `Pending` after waking its task, which
//! goes to the back of the run queue. Outside [`budget`] (a thread that is no event loop),
//! operations are unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

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
    with_remaining(Some(BUDGET), f)
}

/// Runs `f` with `remaining` as the budget (`None`: unconstrained), restoring the previous one
/// afterwards, even if `f` panics.
fn with_remaining<R>(remaining: Option<u32>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.set(self.0);
        }
    }
    let _restore = Restore(REMAINING.replace(remaining));
    f()
}

/// Whether the current task may run another operation; if not, wakes it so that it runs
/// again after the tasks queued behind it.
#[inline]
pub(crate) fn has_budget(cx: &Context<'_>) -> bool {
    if REMAINING.get() == Some(0) {
        cx.waker().wake_by_ref();
        return false;
    }
    true
}

/// Spends one unit for an operation that completed.
#[inline]
pub(crate) fn spend() {
    if let Some(n) = REMAINING.get() {
        REMAINING.set(Some(n.saturating_sub(1)));
    }
}

/// Spends one unit of the current task's budget for work other than this crate's operations
/// (`runtime::task::consume_budget`): `Pending`, after waking the task, once it is spent.
///
/// ```
/// use std::task::{Context, Poll, Waker};
///
/// let mut cx = Context::from_waker(Waker::noop());
/// net::coop::budget(|| {
///     for _ in 0..net::coop::BUDGET {
///         assert!(net::coop::poll_consume(&mut cx).is_ready());
///     }
///     assert!(net::coop::poll_consume(&mut cx).is_pending());
/// });
/// ```
pub fn poll_consume(cx: &mut Context<'_>) -> Poll<()> {
    if !has_budget(cx) {
        return Poll::Pending;
    }
    spend();
    Poll::Ready(())
}

/// Polls `f` as one operation of the current task's budget: `Pending`, after waking the task,
/// if the budget is spent; otherwise `f`'s result, spending one unit if it is `Ready`. For
/// operations outside this crate that should yield as the sockets' do (a `JoinHandle`).
///
/// ```
/// use std::task::{Context, Poll, Waker};
///
/// let mut cx = Context::from_waker(Waker::noop());
/// net::coop::budget(|| {
///     for _ in 0..net::coop::BUDGET {
///         // A pending operation spends nothing.
///         assert!(net::coop::poll_budgeted(&mut cx, |_| Poll::<()>::Pending).is_pending());
///         assert!(net::coop::poll_budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
///     }
///     assert!(net::coop::poll_budgeted(&mut cx, |_| Poll::Ready(())).is_pending());
/// });
/// ```
pub fn poll_budgeted<T>(
    cx: &mut Context<'_>,
    f: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    if !has_budget(cx) {
        return Poll::Pending;
    }
    let polled = f(cx);
    if polled.is_ready() {
        spend();
    }
    polled
}

/// Runs `f` without a budget: nothing it does is made to yield. Restores the budget afterwards,
/// even if `f` panics.
///
/// ```
/// use std::task::{Context, Waker};
///
/// let mut cx = Context::from_waker(Waker::noop());
/// net::coop::budget(|| {
///     net::coop::unconstrained(|| {
///         for _ in 0..2 * net::coop::BUDGET {
///             assert!(net::coop::poll_consume(&mut cx).is_ready());
///         }
///     })
/// });
/// ```
pub fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_remaining(None, f)
}

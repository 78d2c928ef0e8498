//! The cooperative budget from inside a task: spending it on work of the task's own, and
//! opting out of it (see `net::coop` for the budget itself).

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Spends one unit of the task's budget, yielding to the loop once the budget is spent, as an
/// I/O operation does: a loop that does much work per poll without I/O (parsing a large
/// buffer, draining a channel that is never empty) calls it now and then so the other tasks
/// of its loop are not starved.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let mut sum = 0u64;
/// for i in 0..10_000 {
///     sum += i;
///     runtime::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # });
/// # std::io::Result::Ok(())
/// ```
pub async fn consume_budget() {
    poll_fn(net::coop::poll_consume).await
}

/// Runs `future` without the cooperative budget: nothing it does is made to yield for the
/// budget's sake. For a future that must not be interrupted; it can then starve the other
/// tasks of its loop.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let done = runtime::task::unconstrained(async {
///     for _ in 0..1_000 {
///         runtime::task::consume_budget().await;
///     }
///     "done"
/// })
/// .await;
/// assert_eq!(done, "done");
/// # });
/// # std::io::Result::Ok(())
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project_lite::pin_project! {
    /// The future returned by [`unconstrained`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        net::coop::unconstrained(|| future.poll(cx))
    }
}

//! Giving the loop a chance to run other tasks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler once: the task goes to the back of its loop's run queue, so every
/// task already waiting there runs before it resumes.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// for _ in 0..3 {
///     // A long computation in steps, letting other tasks in between.
///     runtime::yield_now().await;
/// }
/// # });
/// # std::io::Result::Ok(())
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

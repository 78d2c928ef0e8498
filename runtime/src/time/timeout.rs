//! `timeout`: bounding how long a future may take.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{sleep, sleep_until, Instant, Sleep};

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if the time ran out first
/// (the future is then dropped with the `Timeout`).
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::{sleep, timeout};
///
/// let late = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
/// assert!(late.is_err());
/// let on_time = timeout(Duration::from_secs(60), async { 7 }).await;
/// assert_eq!(on_time, Ok(7));
/// # });
/// # std::io::Result::Ok(())
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// Runs `future` until `deadline` at most; see [`timeout`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// // One deadline shared by several steps.
/// let deadline = Instant::now() + Duration::from_millis(10);
/// let first = runtime::time::timeout_at(deadline, async { 1 }).await;
/// let second = runtime::time::timeout_at(deadline, std::future::pending::<u32>()).await;
/// assert_eq!(first, Ok(1));
/// assert!(second.is_err());
/// # });
/// # std::io::Result::Ok(())
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The future goes first: one that is ready at the deadline still counts as on time.
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(this.sleep).poll(cx).map(|()| Err(Elapsed(())))
    }
}

/// The error of a [`timeout`] whose time ran out.
///
/// It converts into an `io::Error` of kind `TimedOut`, so `?` passes it on:
///
/// ```
/// use std::time::Duration;
///
/// async fn reply() -> std::io::Result<&'static str> {
///     let answer = runtime::time::timeout(Duration::from_secs(5), async { "pong" }).await?;
///     Ok(answer)
/// }
/// # assert_eq!(runtime::Runtime::new()?.block_on(reply())?, "pong");
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl std::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

//! `sleep` and `sleep_until`: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::current;
use super::timers::Timers;
use super::wheel::Key;
use super::Instant;

/// Waits until `duration` has passed.
///
/// The timer goes on the wheel of the loop that first polls it and is cancelled, its entry
/// freed, when the future is dropped. Resolution is a millisecond; it never completes early.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// let start = Instant::now();
/// runtime::time::sleep(Duration::from_millis(20)).await;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// When polled outside the runtime.
pub fn sleep(duration: Duration) -> Sleep {
    // A deadline past what `Instant` can hold is as good as never.
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    sleep_until(deadline)
}

/// Waits until `deadline`.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// let deadline = Instant::now() + Duration::from_millis(10);
/// runtime::time::sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// # std::io::Result::Ok(())
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
    }
}

/// A polled sleep's timer.
struct Entry {
    /// The wheel holding it.
    timers: Arc<Timers>,
    key: Key,
    /// The tick it is set for.
    tick: u64,
    /// The waker it wakes, which a poll with the same one need not replace.
    waker: Waker,
}

/// About 30 years from now: later than any deadline anyone waits for, early enough to add to.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// It is `Unpin`, so it can be kept in a variable, moved by [`reset`](Sleep::reset) and
/// awaited by reference:
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// let mut sleep = runtime::time::sleep(Duration::from_secs(60));
/// assert!(!sleep.is_elapsed());
/// sleep.reset(Instant::now() + Duration::from_millis(5));
/// (&mut sleep).await;
/// assert!(sleep.is_elapsed());
/// # });
/// # std::io::Result::Ok(())
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The sleep's timer, once it has been polled. Its tick may come before `deadline`'s: a
    /// [`reset`](Sleep::reset) to a later deadline leaves the timer where it is, and the
    /// sleep sets a new one when the old one fires.
    entry: Option<Entry>,
}

impl Sleep {
    /// When the sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline. A later one (a connection's idle timeout pushed back on every
    /// read) is only stored: the timer set for the old deadline stays on the wheel, and when
    /// it fires (waking the task once, early) the sleep sets one for the new deadline, where
    /// tokio's `Sleep::reset` moves its entry inside the wheel. An earlier one cancels the
    /// timer.
    pub fn reset(&mut self, deadline: Instant) {
        if let Some(entry) = &self.entry {
            // The timer is set no later than the current deadline's tick, so a deadline no
            // earlier than that one needs no tick computed (the per-read case).
            if deadline >= self.deadline
                || entry.timers.tick_ceil(deadline.into_std()) >= entry.tick
            {
                self.deadline = deadline;
                return;
            }
        }
        self.cancel();
        self.deadline = deadline;
    }

    fn cancel(&mut self) {
        if let Some(entry) = self.entry.take() {
            entry.timers.cancel(entry.key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(entry) = &mut this.entry {
            // Polled again by the task it wakes before it can have fired (an idle timeout
            // awaited beside every read): nothing to look at under the wheel's lock.
            if !entry.timers.may_have_fired(entry.tick) && entry.waker.will_wake(cx.waker()) {
                return Poll::Pending;
            }
            if entry.timers.poll(entry.key, cx.waker()).is_pending() {
                entry.waker.clone_from(cx.waker());
                return Poll::Pending;
            }
            let due = entry.timers.tick_ceil(this.deadline.into_std()) <= entry.tick;
            // Fired and removed from the wheel already: nothing is left to cancel.
            this.entry = None;
            if due {
                return Poll::Ready(());
            }
            // The deadline moved later since: set a timer for it.
        }
        // `register` answers `None` for a deadline that has passed.
        let (timers, adder) = current::timers("`runtime::time::sleep`");
        match timers.register(this.deadline.into_std(), cx.waker(), adder) {
            Some((key, tick)) => {
                this.entry = Some(Entry {
                    timers,
                    key,
                    tick,
                    waker: cx.waker().clone(),
                });
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.entry.is_some())
            .finish()
    }
}

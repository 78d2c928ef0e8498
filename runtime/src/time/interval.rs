//! `interval`: a timer that ticks at a fixed period.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::{sleep_until, Sleep};

/// Ticks every `period`, the first tick at once.
///
/// Ticks missed because the task was busy are skipped, not bunched up: the next tick comes at
/// the next multiple of `period` after the start, so the phase is kept.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
///
/// let mut every = runtime::time::interval(Duration::from_millis(5));
/// let first = every.tick().await;
/// let second = every.tick().await;
/// // 5 ms, or a multiple of it if this loop was too busy for a tick.
/// assert_eq!((second - first).as_millis() % 5, 0);
/// assert!(second > first);
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// If `period` is zero.
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now() + Duration::from_millis(5);
/// let mut ticks = runtime::time::interval_at(start, Duration::from_millis(5));
/// assert_eq!(ticks.tick().await, start);
/// // One period later, or a whole number of periods if the loop was too busy for a tick:
/// // missed ticks are skipped.
/// let second = ticks.tick().await;
/// assert!(second >= start + ticks.period());
/// assert_eq!((second - start).as_nanos() % ticks.period().as_nanos(), 0);
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// If `period` is zero.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "`interval` period must be non-zero");
    Interval {
        sleep: sleep_until(start),
        period,
    }
}

/// A timer that ticks at a fixed period; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick, for use in hand-written futures.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let next = next_tick(scheduled, self.period, Instant::now());
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the ticks: the next one comes one period from now.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::time::{Duration, Instant};
    ///
    /// let mut ticks = runtime::time::interval(Duration::from_millis(5));
    /// ticks.tick().await; // the first tick comes at once
    /// ticks.reset();
    /// let reset_at = Instant::now();
    /// assert!(ticks.tick().await >= reset_at);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reset(&mut self) {
        self.sleep.reset(Instant::now() + self.period);
    }
}

/// The first tick after `now` in the series `scheduled + k * period`, `k >= 1`.
fn next_tick(scheduled: Instant, period: Duration, now: Instant) -> Instant {
    let next = scheduled + period;
    if next > now {
        return next;
    }
    let behind = now.duration_since(scheduled).as_nanos();
    let periods = behind / period.as_nanos() + 1;
    let skip = u64::try_from(period.as_nanos() * periods).unwrap_or(u64::MAX);
    scheduled
        .checked_add(Duration::from_nanos(skip))
        .unwrap_or(now + period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_ticks_are_skipped_keeping_the_phase() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(next_tick(t0, ms(10), t0), t0 + ms(10));
        assert_eq!(next_tick(t0, ms(10), t0 + ms(10)), t0 + ms(20));
        assert_eq!(next_tick(t0, ms(10), t0 + ms(35)), t0 + ms(40));
    }
}

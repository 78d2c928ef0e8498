//! `interval`: a timer that ticks at a fixed period, and what it does about ticks it missed.
//!
//! The names, the default (`Burst`) and the rule for when a tick counts as missed are tokio's,
//! so code that tunes an interval ports unchanged. Every deadline is computed saturating: a
//! period too long for `Instant` (`Duration::MAX`) ticks once and then never again, instead of
//! panicking on the overflow.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::sleep::far_future;
use super::{sleep_until, Instant, Sleep};

/// A tick polled this long after its deadline was missed: the task was busy. Below it, a tick is
/// on time (a loop fires timers up to a millisecond late) and the next comes one period later
/// whatever the [`MissedTickBehavior`].
const LATE_AFTER: Duration = Duration::from_millis(5);

/// Ticks every `period`, the first tick at once.
///
/// Ticks missed because the task was busy come at once, back to back, until the interval has
/// caught up ([`MissedTickBehavior::Burst`], as in tokio); see [`Interval::set_missed_tick_behavior`]
/// for the alternatives.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
///
/// let mut every = runtime::time::interval(Duration::from_millis(5));
/// let first = every.tick().await;
/// let second = every.tick().await;
/// // Ticks are scheduled a period apart, whenever they are awaited.
/// assert_eq!(second - first, Duration::from_millis(5));
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
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// let start = Instant::now() + Duration::from_millis(5);
/// let mut ticks = runtime::time::interval_at(start, Duration::from_millis(5));
/// assert_eq!(ticks.tick().await, start);
/// assert_eq!(ticks.tick().await, start + ticks.period());
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
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when a tick comes later than its deadline (the task was busy
/// elsewhere, or its loop was).
///
/// Take an interval of 10 ms whose tick at 10 ms was only awaited at 35 ms:
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use runtime::time::{interval, sleep, MissedTickBehavior};
///
/// let mut ticks = interval(Duration::from_millis(10));
/// ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
/// let start = ticks.tick().await;
/// sleep(Duration::from_millis(35)).await;
/// let late = ticks.tick().await; // scheduled for 10 ms, returned at once
/// assert_eq!(late - start, Duration::from_millis(10));
/// // With `Delay`, the next one comes a full period after this late one.
/// assert!(ticks.tick().await - start >= Duration::from_millis(45));
/// # });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// The missed ticks come at once, back to back, then the schedule goes on as if none had
    /// been missed (ticks at 20 and 30 ms return at 35 ms, the next comes at 40 ms). Right for
    /// work that must run once per period on average. The default, as in tokio.
    #[default]
    Burst,
    /// The schedule restarts from the late tick: the next comes one period after it was
    /// returned (at 45 ms, then 55 ms). Right for work that needs a pause between runs.
    Delay,
    /// The missed ticks are dropped and the next comes at the next multiple of the period
    /// (at 40 ms), keeping the phase. Right for work whose missed runs are worth nothing.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick scheduled for `missed` was returned late, at `now`.
    fn next_tick(self, missed: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => after(missed, period),
            MissedTickBehavior::Delay => after(now, period),
            MissedTickBehavior::Skip => {
                let behind = now.duration_since(missed).as_nanos();
                let into_period = behind % period.as_nanos();
                // Less than `period`, so it fits.
                after(now, period - Duration::from_nanos(into_period as u64))
            }
        }
    }
}

/// `t + d`, or a deadline that never comes if that is past what `Instant` holds.
fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or_else(far_future)
}

/// A timer that ticks at a fixed period; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel safe: a `tick` dropped before it completes consumes no tick.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick, for use in hand-written futures.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let next = match now > after(scheduled, LATE_AFTER) {
            true => (self.missed_tick_behavior).next_tick(scheduled, now, self.period),
            false => after(scheduled, self.period),
        };
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does about missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what the interval does about missed ticks, from the next one on.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// Restarts the ticks: the next one comes one period from now.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::time::Duration;
    /// use runtime::time::Instant;
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
        self.reset_after(self.period);
    }

    /// Restarts the ticks from now: the next one comes at once.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the ticks: the next one comes `after` from now, the following ones a period
    /// apart from it.
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(self::after(Instant::now(), after));
    }

    /// Restarts the ticks: the next one comes at `deadline`, the following ones a period apart
    /// from it.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.sleep.reset(deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn each_behavior_schedules_the_tick_after_a_late_one_as_tokio_does() {
        // A 10 ms interval whose tick at 10 ms was returned at 35 ms.
        let t0 = Instant::now();
        let next = |b: MissedTickBehavior| b.next_tick(t0 + ms(10), t0 + ms(35), ms(10)) - t0;
        assert_eq!(next(MissedTickBehavior::Burst), ms(20));
        assert_eq!(next(MissedTickBehavior::Delay), ms(45));
        assert_eq!(next(MissedTickBehavior::Skip), ms(40));
    }

    #[test]
    fn a_period_past_what_instant_holds_saturates() {
        let now = Instant::now();
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert!(behavior.next_tick(now, now + ms(10), Duration::MAX) > now + ms(10));
        }
        assert!(after(now, Duration::MAX) > now);
    }
}

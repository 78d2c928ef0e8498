//! `Instant`: a moment on the runtime's clock, which a test may pause (see [`pause`]).
//!
//! It wraps `std::time::Instant` and reads the same monotonic clock, until a runtime's clock is
//! paused: then [`Instant::now`], on a thread inside that runtime, reads the paused clock. Every
//! deadline the time module takes is this type, so timers and `Instant::now` agree whether the
//! clock runs or not. Until some runtime of the process pauses its clock, `now` costs one
//! relaxed load more than `std::time::Instant::now`.
//!
//! [`pause`]: super::pause

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::clock::EVER_PAUSED;
use super::current;

/// A moment on the runtime's clock; `std::time::Instant`'s methods, and conversions both ways.
///
/// ```
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let start = Instant::now();
/// runtime::time::sleep_until(start + Duration::from_millis(5)).await;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// let std: std::time::Instant = start.into_std();
/// assert_eq!(Instant::from_std(std), start);
/// # });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// Now, on the clock of the runtime this thread is inside (paused or not), or on the
    /// monotonic clock outside any runtime.
    pub fn now() -> Instant {
        if EVER_PAUSED.load(Ordering::Relaxed) {
            if let Some(now) = current::clock_now() {
                return Instant(now);
            }
        }
        Instant(std::time::Instant::now())
    }

    /// The same moment as a standard `Instant`.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// This moment as a standard `Instant`.
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// The time from `earlier` to this moment; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time from `earlier` to this moment, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// The time from `earlier` to this moment; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time since this moment, on the same clock as [`Instant::now`].
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// This moment plus `duration`, or `None` past what an `Instant` holds.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// This moment minus `duration`, or `None` before what an `Instant` holds.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// Past what an `Instant` holds; see [`Instant::checked_add`].
    fn add(self, duration: Duration) -> Instant {
        Instant(self.0 + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0 - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

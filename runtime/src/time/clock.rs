//! The loops' millisecond clock: whole milliseconds since the runtime started, on the
//! monotonic clock that `Instant` reads.
//!
//! Every loop reads it after each turn of its reactor (for its timers and the stuck-loop
//! watch), so it is read with one `clock_gettime` and integer arithmetic rather than
//! `Instant::now` and `duration_since`, whose checked `timespec` arithmetic costs more. It counts from a moment a few nanoseconds after `origin`, so
//! it may be a millisecond behind a count made with `Instant`, never ahead: timers, whose
//! deadlines are converted with `Instant`, never fire early. Sleeps until a tick are measured
//! on this clock too ([`Clock::until`]), so a loop never wakes just before the tick it waits
//! for by this clock and then spins until it comes.

use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
    /// The monotonic clock in nanoseconds, read just after `origin`: no earlier than it, so
    /// `now_ms` never counts ahead of the time since `origin`, and no timer fires early.
    #[cfg(target_os = "linux")]
    origin_ns: u64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            origin: Instant::now(),
            #[cfg(target_os = "linux")]
            origin_ns: monotonic_ns(),
        }
    }

    /// The instant the clock counts from.
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// Milliseconds since the origin, now.
    pub(crate) fn now_ms(&self) -> u64 {
        #[cfg(target_os = "linux")]
        return monotonic_ns().saturating_sub(self.origin_ns) / 1_000_000;
        #[cfg(not(target_os = "linux"))]
        return self.ms_at(Instant::now());
    }

    /// How long from now until this clock reads `ms`; `None` if that is beyond what a
    /// `Duration` from now can say.
    pub(crate) fn until(&self, ms: u64) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        return ms
            .checked_mul(1_000_000)
            .and_then(|ns| ns.checked_add(self.origin_ns))
            .map(|at| Duration::from_nanos(at.saturating_sub(monotonic_ns())));
        #[cfg(not(target_os = "linux"))]
        return (self.origin.checked_add(Duration::from_millis(ms)))
            .map(|at| at.saturating_duration_since(Instant::now()));
    }

    /// Milliseconds from the origin to `t`, rounded down (0 before the origin).
    #[cfg(any(test, not(target_os = "linux")))]
    fn ms_at(&self, t: Instant) -> u64 {
        millis(t.saturating_duration_since(self.origin))
    }
}

/// `CLOCK_MONOTONIC`, the clock `Instant` reads on Linux, in nanoseconds.
#[cfg(target_os = "linux")]
#[inline]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the duration of the call, which is all
    // `clock_gettime` needs; `CLOCK_MONOTONIC` is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    // The monotonic clock starts near boot and never goes negative.
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Whole milliseconds in `d`, saturating; in 64-bit arithmetic (`Duration::as_millis` is 128-bit
/// and slower).
pub(crate) fn millis(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_counts_ahead_of_instant() {
        let clock = Clock::new();
        for _ in 0..1_000 {
            let ms = clock.now_ms();
            assert!(ms <= clock.ms_at(Instant::now()));
        }
        std::thread::sleep(Duration::from_millis(20));
        let before = clock.ms_at(Instant::now());
        let ms = clock.now_ms();
        let after = clock.ms_at(Instant::now());
        assert!(
            before <= ms + 1 && ms <= after,
            "{before} <= {ms} <= {after}"
        );
        assert!(ms >= 20);
    }

    #[test]
    fn a_sleep_until_a_tick_ends_at_or_after_it() {
        let clock = Clock::new();
        let target = clock.now_ms() + 3;
        std::thread::sleep(clock.until(target).unwrap());
        assert!(clock.now_ms() >= target);
        assert_eq!(
            clock.until(clock.now_ms().saturating_sub(1)),
            Some(Duration::ZERO)
        );
        assert_eq!(clock.until(u64::MAX), None);
    }
}

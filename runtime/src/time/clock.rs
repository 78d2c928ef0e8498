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
//!
//! # Paused time
//!
//! For tests, the clock can be paused ([`pause`](super::pause)): it then stands still, and
//! moves only when told to ([`advance`](super::advance)) or when every worker is idle, to the
//! next timer (the scheduler does that). Resumed, it runs on from where it stood, so it is then
//! ahead of the monotonic clock by the time it was moved. Its readings are the timers' and
//! [`Instant::now`](super::Instant::now)'s; the stuck-loop watch keeps reading the real
//! clock ([`Clock::real_ms`]). A clock that was never paused costs one relaxed load per
//! reading.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Whether any runtime of the process has ever paused its clock: until then,
/// `Instant::now` reads the monotonic clock without looking for the runtime's.
pub(crate) static EVER_PAUSED: AtomicBool = AtomicBool::new(false);

#[derive(Clone)]
pub(crate) struct Clock {
    origin: Instant,
    /// The monotonic clock in nanoseconds, read just after `origin`: no earlier than it, so
    /// `now_ms` never counts ahead of the time since `origin`, and no timer fires early.
    origin_ns: u64,
    test: Arc<TestClock>,
}

/// The paused clock's state, shared by every copy of one runtime's clock.
#[derive(Default)]
struct TestClock {
    /// Whether the clock stands still at `frozen_ns`.
    paused: AtomicBool,
    /// The clock's reading while it is paused, in monotonic nanoseconds.
    frozen_ns: AtomicU64,
    /// Added (wrapping) to the monotonic clock while it runs: how far it was moved.
    offset_ns: AtomicU64,
    /// Serializes pause, resume and advance.
    changing: Mutex<()>,
    /// The reactors of the loops whose timers run on this clock.
    loops: OnceLock<Box<[net::Reactor]>>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            origin: Instant::now(),
            origin_ns: monotonic_ns(),
            test: Arc::default(),
        }
    }

    /// The instant the clock counts from.
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// The clock's reading in monotonic nanoseconds.
    #[inline]
    fn now_ns(&self) -> u64 {
        self.reading_at(monotonic_ns())
    }

    /// The clock's reading, in monotonic nanoseconds, when the monotonic clock reads `real`.
    #[inline]
    fn reading_at(&self, real: u64) -> u64 {
        if self.test.paused.load(Ordering::Acquire) {
            return self.test.frozen_ns.load(Ordering::Acquire);
        }
        real.wrapping_add(self.test.offset_ns.load(Ordering::Relaxed))
    }

    /// Whole milliseconds from the origin to the monotonic reading `ns` (0 before it).
    #[inline]
    fn ms_since_origin(&self, ns: u64) -> u64 {
        ns.saturating_sub(self.origin_ns) / 1_000_000
    }

    /// Milliseconds since the origin, now.
    #[inline]
    pub(crate) fn now_ms(&self) -> u64 {
        self.ms_since_origin(self.now_ns())
    }

    /// Milliseconds since the origin on the real clock, paused or not.
    #[cfg(test)]
    pub(crate) fn real_ms(&self) -> u64 {
        self.ms_since_origin(monotonic_ns())
    }

    /// Microseconds since the origin on the real clock, paused or not.
    pub(crate) fn real_us(&self) -> u64 {
        monotonic_ns().saturating_sub(self.origin_ns) / 1_000
    }

    /// The monotonic clock, in nanoseconds: a reading for [`readings_at`](Self::readings_at),
    /// and a time stamp the scheduler measures its busy time with.
    #[inline]
    pub(crate) fn real_ns(&self) -> u64 {
        monotonic_ns()
    }

    /// Microseconds since the origin on the real clock and milliseconds on this one, when the
    /// monotonic clock reads `real` (a [`real_ns`](Self::real_ns)).
    #[inline]
    pub(crate) fn readings_at(&self, real: u64) -> (u64, u64) {
        (
            real.saturating_sub(self.origin_ns) / 1_000,
            self.ms_since_origin(self.reading_at(real)),
        )
    }

    /// Sets the reactors of the loops whose timers run on this clock, to wake them when it
    /// moves.
    pub(crate) fn set_loops(&self, reactors: Vec<net::Reactor>) {
        let _ = self.test.loops.set(reactors.into_boxed_slice());
    }

    /// Wakes every loop, to fire the timers a move of the clock made due or to sleep by the
    /// running clock again.
    pub(crate) fn wake_loops(&self) {
        for reactor in self.test.loops.get().into_iter().flatten() {
            let _ = reactor.wake();
        }
    }

    /// The clock's reading as an `Instant`. Running, it is `Instant::now` moved by the
    /// offset, not a count from `origin`: that count starts a few nanoseconds late, so a
    /// deadline of `Instant::now()` read just before would look a few nanoseconds away.
    pub(crate) fn instant_now(&self) -> Instant {
        if self.is_paused() {
            let since = self
                .test
                .frozen_ns
                .load(Ordering::Acquire)
                .saturating_sub(self.origin_ns);
            return self
                .origin
                .checked_add(Duration::from_nanos(since))
                .unwrap_or(self.origin);
        }
        let now = Instant::now();
        // The offset is a wrapping `u64`: read as signed, it moves the clock either way.
        let offset = self.test.offset_ns.load(Ordering::Relaxed) as i64;
        let by = Duration::from_nanos(offset.unsigned_abs());
        if offset >= 0 {
            now.checked_add(by).unwrap_or(now)
        } else {
            now.checked_sub(by).unwrap_or(now)
        }
    }

    /// How long from now until this clock reads `ms`; `None` if that is beyond what a
    /// `Duration` from now can say. Paused, the clock will not get there by itself: `None`.
    pub(crate) fn until(&self, ms: u64) -> Option<Duration> {
        if self.is_paused() {
            return (ms <= self.now_ms()).then_some(Duration::ZERO);
        }
        ms.checked_mul(1_000_000)
            .and_then(|ns| ns.checked_add(self.origin_ns))
            .map(|at| Duration::from_nanos(at.saturating_sub(self.now_ns())))
    }

    /// Whether the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.test.paused.load(Ordering::Acquire)
    }

    /// Stops the clock where it stands; false if it was paused already.
    pub(crate) fn pause(&self) -> bool {
        let _changing = self.test.changing.lock();
        if self.is_paused() {
            return false;
        }
        EVER_PAUSED.store(true, Ordering::Release);
        // Up to the next whole millisecond (never back): a deadline a whole number of
        // milliseconds away is then one the timers keep to the nanosecond.
        let since = self.now_ns().saturating_sub(self.origin_ns);
        let frozen = self.origin_ns + since.div_ceil(1_000_000) * 1_000_000;
        self.test.frozen_ns.store(frozen, Ordering::Release);
        self.test.paused.store(true, Ordering::Release);
        true
    }

    /// Lets the clock run on from where it stands; false if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        let _changing = self.test.changing.lock();
        if !self.is_paused() {
            return false;
        }
        let frozen = self.test.frozen_ns.load(Ordering::Acquire);
        let offset = frozen.wrapping_sub(monotonic_ns());
        self.test.offset_ns.store(offset, Ordering::Relaxed);
        self.test.paused.store(false, Ordering::Release);
        true
    }

    /// Moves the paused clock forward by `by`; false if it is not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        let _changing = self.test.changing.lock();
        if !self.is_paused() {
            return false;
        }
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let frozen = self.test.frozen_ns.load(Ordering::Acquire);
        self.test
            .frozen_ns
            .store(frozen.saturating_add(by), Ordering::Release);
        true
    }

    /// Moves the paused clock forward to `ms` since the origin, if it stands before it.
    pub(crate) fn advance_to_ms(&self, ms: u64) {
        let _changing = self.test.changing.lock();
        if !self.is_paused() {
            return;
        }
        let at = ms.saturating_mul(1_000_000).saturating_add(self.origin_ns);
        self.test.frozen_ns.fetch_max(at, Ordering::AcqRel);
    }

    /// Milliseconds from the origin to `t`, rounded down (0 before the origin).
    #[cfg(test)]
    fn ms_at(&self, t: Instant) -> u64 {
        millis(t.saturating_duration_since(self.origin))
    }
}

/// `CLOCK_MONOTONIC`, the clock `Instant` reads on Linux, in nanoseconds.
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
    fn a_running_clock_never_reads_before_an_earlier_instant() {
        let clock = Clock::new();
        for _ in 0..100_000 {
            let before = Instant::now();
            assert!(clock.instant_now() >= before);
        }
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

    #[test]
    fn a_paused_clock_stands_still_until_advanced_and_runs_on_from_there() {
        let clock = Clock::new();
        assert!(clock.pause());
        assert!(!clock.pause(), "paused already");
        let stood = clock.now_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now_ms(), stood);
        assert_eq!(
            clock.until(stood + 10),
            None,
            "it will not get there by itself"
        );
        assert!(clock.advance(Duration::from_millis(1_000)));
        assert_eq!(clock.now_ms(), stood + 1_000);
        assert_eq!(clock.until(stood + 10), Some(Duration::ZERO));
        clock.advance_to_ms(stood + 500);
        assert_eq!(clock.now_ms(), stood + 1_000, "never backwards");
        assert!(clock.resume());
        assert!(!clock.advance(Duration::from_secs(1)), "running");
        let ran_on = clock.now_ms();
        assert!(ran_on >= stood + 1_000 && clock.now_ms() >= ran_on);
        assert!(clock.real_ms() < stood + 1_000);
    }
}

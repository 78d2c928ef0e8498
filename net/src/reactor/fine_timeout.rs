//! Sub-millisecond waits in `epoll_wait`.
//!
//! `epoll_wait` takes its timeout in whole milliseconds (mio rounds a shorter one up), which is
//! too coarse for a loop that must look at a stuck peer within a fraction of a millisecond. For
//! a wait shorter than a millisecond the reactor arms a `timerfd` registered in its own epoll
//! set instead, so the wait ends when the timer fires: one `timerfd_settime` per such wait. The
//! timer is created with the reactor, as its wake-up `eventfd` is, so a reactor's descriptors
//! stay the same for its whole life.
//!
//! The timer is one-shot and never read: re-arming resets its expiration count, and the epoll
//! registration is edge-triggered, so each expiry reports one event. A wait that ends early
//! leaves the timer armed, and its expiry ends a later wait early once, as a spurious event
//! would (every loop turn copes with those).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags,
    Timespec,
};

/// The token of the timer's registration; no source's token gets this high (see `KEY_BITS`).
pub(super) const TIMER_TOKEN: mio::Token = mio::Token(usize::MAX - 1);

/// Waits shorter than this are timed by the timer rather than by `epoll_wait` itself.
const FINER_THAN: Duration = Duration::from_millis(1);

/// A reactor's timer for short waits.
pub(super) struct FineTimeout {
    timer: OwnedFd,
}

impl FineTimeout {
    /// A timer registered with `registry`'s epoll set.
    pub(super) fn new(registry: &mio::Registry) -> io::Result<FineTimeout> {
        Ok(FineTimeout {
            timer: create(registry)?,
        })
    }

    /// The timeout to give `epoll_wait` for a wait of `timeout`: for a non-zero one shorter
    /// than a millisecond, arms the timer for it and answers a millisecond, the timer's
    /// backstop; else `timeout` itself.
    #[inline]
    pub(super) fn arm(&mut self, timeout: Option<Duration>) -> Option<Duration> {
        // Every turn comes here, and almost none waits this briefly: only this check inline.
        match timeout {
            Some(wait) if !wait.is_zero() && wait < FINER_THAN => self.arm_for(wait),
            _ => timeout,
        }
    }

    #[inline(never)]
    fn arm_for(&mut self, wait: Duration) -> Option<Duration> {
        let spec = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: Timespec {
                tv_sec: 0,
                tv_nsec: wait.subsec_nanos().into(),
            },
        };
        match timerfd_settime(&self.timer, TimerfdTimerFlags::empty(), &spec) {
            Ok(_) => Some(FINER_THAN),
            // Cannot fail for a valid timer and spec; should it, the wait rounds up.
            Err(_) => Some(wait),
        }
    }
}

/// A monotonic timer registered for readability under [`TIMER_TOKEN`].
fn create(registry: &mio::Registry) -> io::Result<OwnedFd> {
    let timer = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
    )?;
    registry.register(
        &mut mio::unix::SourceFd(&timer.as_raw_fd()),
        TIMER_TOKEN,
        mio::Interest::READABLE,
    )?;
    Ok(timer)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_short_non_zero_waits_use_the_timer() {
        let mut poll = mio::Poll::new().unwrap();
        let mut fine = FineTimeout::new(poll.registry()).unwrap();
        for timeout in [None, Some(Duration::ZERO), Some(Duration::from_millis(3))] {
            assert_eq!(fine.arm(timeout), timeout);
        }
        let short = Some(Duration::from_micros(200));
        assert_eq!(fine.arm(short), Some(FINER_THAN));
        let mut events = mio::Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == TIMER_TOKEN),
            "the wait ended at the timer"
        );
    }
}

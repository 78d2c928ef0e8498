//! Sub-millisecond waits in `epoll_wait`.
//!
//! `epoll_wait` takes its timeout in whole milliseconds (mio rounds a shorter one up), which is
//! too coarse for a loop that must look at a stuck peer within a fraction of a millisecond. For
//! a wait shorter than a millisecond the reactor arms a `timerfd` registered in its own epoll
//! set instead, so the wait ends when the timer fires: one `timerfd_settime` per such wait, and
//! the file is created on the first one, so a loop that never waits that briefly never has it.
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

/// A reactor's timer for short waits, created on first use.
#[derive(Default)]
pub(super) struct FineTimeout {
    /// The timer, once created; `Err` if creating or registering it failed (a full fd table),
    /// after which short waits round up to a millisecond, as without it.
    timer: Option<Result<OwnedFd, ()>>,
}

impl FineTimeout {
    /// The timeout to give `epoll_wait` for a wait of `timeout`: for a non-zero one shorter
    /// than a millisecond, arms the timer for it and answers a millisecond, the timer's
    /// backstop; else `timeout` itself.
    #[inline]
    pub(super) fn arm(
        &mut self,
        registry: &mio::Registry,
        timeout: Option<Duration>,
    ) -> Option<Duration> {
        // Every turn comes here, and almost none waits this briefly: only this check inline.
        match timeout {
            Some(wait) if !wait.is_zero() && wait < FINER_THAN => self.arm_for(registry, wait),
            _ => timeout,
        }
    }

    #[inline(never)]
    fn arm_for(&mut self, registry: &mio::Registry, wait: Duration) -> Option<Duration> {
        let timeout = Some(wait);
        let timer = self
            .timer
            .get_or_insert_with(|| create(registry).map_err(|_| ()));
        let Ok(timer) = timer else {
            return timeout;
        };
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
        match timerfd_settime(timer, TimerfdTimerFlags::empty(), &spec) {
            Ok(_) => Some(FINER_THAN),
            // Cannot fail for a valid timer and spec; should it, the wait rounds up.
            Err(_) => timeout,
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
        let poll = mio::Poll::new().unwrap();
        let mut fine = FineTimeout::default();
        for timeout in [None, Some(Duration::ZERO), Some(Duration::from_millis(3))] {
            assert_eq!(fine.arm(poll.registry(), timeout), timeout);
        }
        assert!(fine.timer.is_none(), "created only when needed");
        let short = Some(Duration::from_micros(200));
        assert_eq!(fine.arm(poll.registry(), short), Some(FINER_THAN));
        assert!(matches!(fine.timer, Some(Ok(_))));
    }
}

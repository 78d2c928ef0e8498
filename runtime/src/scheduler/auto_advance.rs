//! Paused time moving by itself: with the clock paused (`time::pause`), a worker about to sleep
//! for want of work looks whether every other worker sleeps too. The last to go idle moves the
//! clock to the earliest timer of any worker and wakes that timer's loop, as tokio's paused
//! clock does when its runtime has nothing else to do: a test of a 30-second timeout runs in
//! microseconds, since nothing happens until the timeout, and then the timeout does.
//!
//! Each worker raises its `idle_paused` flag before it looks at the others' and lowers it once
//! awake, both `SeqCst`: of two workers going idle at once, at least one sees the other's flag.
//! Both may move the clock, to the same timer and never backwards. A worker counts as idle only
//! while nothing is queued for it, and time does not move while a blocking closure runs or
//! waits to run (its task is work in progress, as in tokio). Every decision is looked at again
//! at least every [`RECHECK`] of real time while the clock is paused, so a change that wakes
//! no worker (a detached blocking closure returning) never leaves the clock standing.

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use super::{Remote, Shared};

/// The longest a worker sleeps while the clock is paused before it looks again.
const RECHECK: Duration = Duration::from_millis(10);

/// How long worker `me`, out of work with the clock paused, sleeps: at once if its own timer
/// is due (`timeout` is zero) or it moved the clock to one, else until woken or [`RECHECK`].
pub(super) fn timeout(shared: &Shared, me: usize, timeout: Option<Duration>) -> Option<Duration> {
    if timeout == Some(Duration::ZERO) || advance_if_all_idle(shared, me) {
        return Some(Duration::ZERO);
    }
    Some(RECHECK)
}

/// Moves the clock to the earliest timer if every worker is idle; true if that timer is
/// `me`'s (any other owner is woken).
fn advance_if_all_idle(shared: &Shared, me: usize) -> bool {
    shared.workers[me].idle_paused.store(true, SeqCst);
    let all_idle = shared.workers.iter().all(|w| {
        w.idle_paused.load(SeqCst)
            && w.park.is_parked()
            && w.inbox.is_empty()
            && w.stealer.is_empty()
    });
    if !all_idle || !shared.injector.is_empty() || shared.blocking.is_busy() {
        return false;
    }
    let earliest = (shared.workers.iter().enumerate())
        .map(|(i, w)| (w.timers.next_due(), i))
        .min();
    let Some((due, owner)) = earliest.filter(|&(due, _)| due != u64::MAX) else {
        return false;
    };
    shared.clock().advance_to_ms(due);
    if owner == me {
        return true;
    }
    shared.unpark(owner);
    false
}

/// The worker is awake again.
pub(super) fn awake(remote: &Remote) {
    if remote.idle_paused.load(SeqCst) {
        remote.idle_paused.store(false, SeqCst);
    }
}

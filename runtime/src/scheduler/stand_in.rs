//! Standing in for a loop stuck in a task: a peer that finds a worker running but away from
//! its reactor for [`STUCK_AFTER_MS`] turns that reactor and fires its timers for it, so the
//! stuck loop's sockets are still answered. The `Send` tasks the turn wakes land in the
//! stand-in's own queue (a task goes where it is woken); pinned ones wait for their worker in
//! its inbox. A worker stuck for [`REPORT_AFTER_MS`] is also reported as a `tracing` warning.
//!
//! The rules that keep a stand-in from ever slowing the owner down:
//! - it only tries the reactor, with a zero timeout ([`net::Reactor::try_turn_now`]): it never
//!   waits for the reactor, never sleeps in it, and releases it before it runs any waker;
//! - a wake of the reactor it consumed may have been meant for the owner (a task handed to a
//!   worker about to sleep), so it wakes the reactor again: the owner's next turn returns at
//!   once instead of sleeping through its work;
//! - the owner itself only tries the reactor between tasks and, when it sleeps, waits at most
//!   for one such zero-timeout turn to end.
//!
//! The whole feature hangs on one switch, [`Builder::stand_in`](crate::Builder::stand_in):
//! off, no worker looks at its peers, and an idle worker sleeps until it has something to do.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Waker;
use std::time::Duration;

use super::Shared;
use crate::time::Timers;

/// A running peer that has not turned its reactor for this long is stuck in a task.
const STUCK_AFTER_MS: u64 = 10;
/// How long an idle worker sleeps at most while some peer runs, to check on it.
const CHECK_PEERS_EVERY: Duration = Duration::from_millis(STUCK_AFTER_MS);
/// How long an idle worker sleeps at most while every peer sleeps too: a peer woken by its own
/// I/O may get stuck in a task without anyone seeing it start.
const CHECK_IDLE_PEERS_EVERY: Duration = Duration::from_millis(100);
/// A worker away from its reactor this long is reported.
const REPORT_AFTER_MS: u64 = 100;
/// The least time between two reports of one worker.
const REPORT_EVERY_MS: u64 = 1_000;

/// One worker's watch state, read and written by its peers; every field is advisory, so
/// relaxed orderings do. Times are `Shared::now_ms` milliseconds.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// When the worker itself last turned its reactor: how long it has been away.
    last_turn: AtomicU64,
    /// When a peer last turned the worker's reactor for it.
    stood_in: AtomicU64,
    /// When the worker was last reported stuck (0: never, since a report comes
    /// `REPORT_AFTER_MS` after the runtime starts at the earliest).
    reported: AtomicU64,
}

impl Watch {
    /// The worker turned its own reactor at `now_ms`.
    pub(crate) fn turned(&self, now_ms: u64) {
        self.last_turn.store(now_ms, Relaxed);
    }

    /// Warns if the worker, last seen turning its reactor at `last_turn`, has been stuck long
    /// enough and was not reported in this spell or too recently. Of several peers looking at
    /// once, one reports.
    fn report(&self, worker: usize, last_turn: u64, now_ms: u64) {
        let stuck_ms = now_ms.saturating_sub(last_turn);
        let reported = self.reported.load(Relaxed);
        let this_spell = reported > last_turn;
        let too_soon = reported != 0 && now_ms.saturating_sub(reported) < REPORT_EVERY_MS;
        if stuck_ms < REPORT_AFTER_MS || this_spell || too_soon {
            return;
        }
        if self
            .reported
            .compare_exchange(reported, now_ms, Relaxed, Relaxed)
            .is_ok()
        {
            tracing::warn!(
                worker,
                stuck_ms,
                "a task is keeping its event loop from its sockets and timers; run blocking or \
                 long work with `spawn_blocking`"
            );
        }
    }
}

/// How long worker `me`, idle, may sleep at most to keep watch over its peers; `None` if it
/// need not wake for them (stand-ins off, or no peers).
#[inline]
pub(super) fn watch_interval(shared: &Shared, me: usize) -> Option<Duration> {
    if !shared.stand_in {
        return None;
    }
    let peer_running =
        (shared.workers.iter().enumerate()).any(|(i, w)| i != me && !w.park.is_parked());
    Some(if peer_running {
        CHECK_PEERS_EVERY
    } else {
        CHECK_IDLE_PEERS_EVERY
    })
}

/// Turns the reactor and fires the timers of every peer stuck in a task, at most once per
/// [`STUCK_AFTER_MS`] each. True if any was turned (its woken tasks may now be in `me`'s
/// queue).
#[inline(always)]
pub(super) fn stand_in_for_stuck_peers(shared: &Shared, me: usize) -> bool {
    // Looked at every time a worker runs out of work: only this check inline.
    shared.stand_in && stand_in_now(shared, me)
}

#[inline(never)]
fn stand_in_now(shared: &Shared, me: usize) -> bool {
    let now_ms = shared.now_ms();
    let mut turned = false;
    let mut wakers = Vec::new();
    for (i, peer) in shared.workers.iter().enumerate() {
        if i == me || peer.park.is_parked() {
            continue;
        }
        let last_turn = peer.watch.last_turn.load(Relaxed);
        let last_visit = last_turn.max(peer.watch.stood_in.load(Relaxed));
        if now_ms.saturating_sub(last_visit) < STUCK_AFTER_MS {
            continue;
        }
        // A reactor another thread is turning is no sign of a stuck owner (it may be waking
        // from a long sleep): only a peer this thread could turn for is reported.
        if turn_for(&peer.reactor, &peer.timers, &mut wakers) {
            peer.watch.report(i, last_turn, now_ms);
            // The next stand-in comes a full period later, so idle peers do not spin on a
            // stuck loop's reactor and timer lock.
            peer.watch.stood_in.store(now_ms, Relaxed);
            shared.workers[me].counters.stand_ins.add(1);
            turned = true;
        }
    }
    turned
}

/// Turns a peer's reactor without waiting and fires its due timers, unless its owner or
/// another stand-in is turning it; true if it turned. A wake the turn consumed is passed on.
pub(super) fn turn_for(reactor: &net::Reactor, timers: &Timers, wakers: &mut Vec<Waker>) -> bool {
    let Some(turn) = reactor.try_turn_now(wakers) else {
        return false;
    };
    // An error is the owner's to report: its own next turn fails the same way.
    if turn.is_ok_and(|stats| stats.woken_up) {
        // Failing only if the eventfd is gone, and then the loop is gone too.
        let _ = reactor.wake();
    }
    timers.fire();
    true
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::blocking;
    use crate::thread_hooks::ThreadHooks;
    use std::sync::atomic::Ordering;

    fn shared(workers: usize, stand_in: bool) -> Shared {
        let blocking = blocking::Config {
            max_threads: 1,
            keep_alive: Duration::from_secs(1),
            thread_name: "test".to_owned(),
            hooks: ThreadHooks::default(),
        };
        Shared::new(workers, true, stand_in, blocking, ThreadHooks::default())
            .unwrap()
            .0
    }

    #[test]
    fn a_wake_a_stand_in_consumes_still_reaches_the_owner() {
        let shared = shared(2, true);
        let owner = &shared.workers[0];
        // A task handed to the owner as it was about to sleep.
        owner.wake_reactor();
        assert!(turn_for(&owner.reactor, &owner.timers, &mut Vec::new()));
        let stats = owner.reactor.turn(Some(Duration::ZERO)).unwrap();
        assert!(stats.woken_up, "the owner would sleep through its work");
    }

    #[test]
    fn a_stand_in_does_not_wait_for_a_busy_reactor() {
        let shared = shared(2, true);
        let owner = &shared.workers[0];
        std::thread::scope(|s| {
            let turning = s.spawn(|| owner.reactor.turn(Some(Duration::from_millis(300))));
            // Give the owner time to be inside its turn.
            while owner.reactor.try_turn_now(&mut Vec::new()).is_some() {
                std::thread::yield_now();
            }
            let start = std::time::Instant::now();
            assert!(!turn_for(&owner.reactor, &owner.timers, &mut Vec::new()));
            assert!(start.elapsed() < Duration::from_millis(250));
            owner.wake_reactor();
            turning.join().unwrap().unwrap();
        });
    }

    #[test]
    fn stuck_running_peers_get_a_stand_in_and_idle_or_fresh_ones_do_not() {
        let shared = shared(2, true);
        let peer = &shared.workers[1];
        std::thread::sleep(Duration::from_millis(STUCK_AFTER_MS + 2));
        peer.park.prepare();
        assert!(
            !stand_in_for_stuck_peers(&shared, 0),
            "a parked peer is idle"
        );
        peer.park.finish();
        assert!(stand_in_for_stuck_peers(&shared, 0), "running and away");
        assert_eq!(shared.workers[0].counters.stand_ins.get(), 1);
        assert!(
            !stand_in_for_stuck_peers(&shared, 0),
            "stood in for just now"
        );
        peer.watch.turned(shared.now_ms());
        assert!(!stand_in_for_stuck_peers(&shared, 0), "turned just now");
        assert!(
            peer.watch.reported.load(Ordering::Relaxed) == 0,
            "not away long enough"
        );
    }

    #[test]
    fn off_means_no_watch_and_no_stand_in() {
        let shared = shared(2, false);
        std::thread::sleep(Duration::from_millis(STUCK_AFTER_MS + 2));
        assert!(!stand_in_for_stuck_peers(&shared, 0));
        assert_eq!(watch_interval(&shared, 0), None);
        assert!(watch_interval(&self::shared(2, true), 0).is_some());
        assert_eq!(watch_interval(&self::shared(1, true), 0), None);
    }

    #[test]
    fn a_stuck_worker_is_reported_once_per_spell() {
        let watch = Watch::default();
        watch.report(1, 0, REPORT_AFTER_MS - 1);
        assert_eq!(watch.reported.load(Relaxed), 0);
        watch.report(1, 0, REPORT_AFTER_MS);
        assert_eq!(watch.reported.load(Relaxed), REPORT_AFTER_MS);
        watch.report(1, 0, 10 * REPORT_EVERY_MS);
        assert_eq!(watch.reported.load(Relaxed), REPORT_AFTER_MS, "same spell");
        let back = 2 * REPORT_EVERY_MS;
        watch.report(1, back, back + REPORT_AFTER_MS);
        assert_eq!(
            watch.reported.load(Relaxed),
            back + REPORT_AFTER_MS,
            "a new spell"
        );
    }
}

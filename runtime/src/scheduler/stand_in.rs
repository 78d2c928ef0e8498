//! Standing in for a loop stuck in a task: a peer that finds a worker running but away from
//! its reactor for a while turns that reactor and fires its timers for it, so the stuck loop's
//! sockets are still answered. The `Send` tasks the turn wakes land in the stand-in's own
//! queue (a task goes where it is woken); pinned ones wait for their worker in its inbox. A
//! worker stuck for [`REPORT_AFTER_US`] is also reported as a `tracing` warning.
//!
//! Who looks, and how soon:
//! - a worker out of work looks before it sleeps, and sleeps at most [`CHECK_PEERS_EVERY`]
//!   while a peer runs (the reactor times such short waits with a timer of its own, since
//!   `epoll_wait` counts whole milliseconds), so it finds a loop away for [`STUCK_AFTER_US`]
//!   within half a millisecond: a loop busy in one long request no longer keeps the
//!   connections whose readiness sits in its epoll waiting while a peer idles;
//! - a busy worker looks too, every time it turns its own reactor between tasks, but only for
//!   loops away for [`BUSY_STUCK_AFTER_US`]: a loop merely busy with short tasks turns its
//!   reactor much more often, and taking its events would only move work between two busy
//!   loops, while one blocked in a task (a blocking call made by mistake) has no one else.
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

use super::{Remote, Shared};
use crate::time::Timers;

/// A running peer that has not turned its reactor for this long is stuck, for an idle worker:
/// about as long as a loop busy with short tasks takes between two turns (should the
/// stand-in come that early, it hands the loop's events to an idle thread, no harm done).
const STUCK_AFTER_US: u64 = 250;
/// The same, for a worker with work of its own (see the module doc).
const BUSY_STUCK_AFTER_US: u64 = 2_000;
/// How long an idle worker sleeps at most while some peer runs, to check on it: together with
/// `STUCK_AFTER_US`, how long the readiness of a stuck loop's connections waits at most.
const CHECK_PEERS_EVERY: Duration = Duration::from_micros(250);
/// How long an idle worker sleeps at most while every peer sleeps too: a peer woken by its own
/// I/O may get stuck in a task without anyone seeing it start.
const CHECK_IDLE_PEERS_EVERY: Duration = Duration::from_millis(100);
/// A worker away from its reactor this long is reported.
const REPORT_AFTER_US: u64 = 100_000;
/// The least time between two reports of one worker.
const REPORT_EVERY_US: u64 = 1_000_000;

/// One worker's watch state, read and written by its peers; every field is advisory, so
/// relaxed orderings do. Times are `Shared::now_us` microseconds.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// When the worker itself last turned its reactor: how long it has been away.
    last_turn: AtomicU64,
    /// When a peer last turned the worker's reactor for it.
    stood_in: AtomicU64,
    /// When the worker was last reported stuck (0: never, since a report comes
    /// `REPORT_AFTER_US` after the runtime starts at the earliest).
    reported: AtomicU64,
}

impl Watch {
    /// The worker turned its own reactor at `now_us`.
    pub(crate) fn turned(&self, now_us: u64) {
        self.last_turn.store(now_us, Relaxed);
    }

    /// When the worker last turned its reactor, if neither it nor a peer has turned it for
    /// `stuck_after` at `now_us`.
    fn stuck(&self, now_us: u64, stuck_after: u64) -> Option<u64> {
        let last_turn = self.last_turn.load(Relaxed);
        let last_visit = last_turn.max(self.stood_in.load(Relaxed));
        (now_us.saturating_sub(last_visit) >= stuck_after).then_some(last_turn)
    }

    /// Warns if the worker, last seen turning its reactor at `last_turn`, has been stuck long
    /// enough and was not reported in this spell or too recently. Of several peers looking at
    /// once, one reports.
    fn report(&self, worker: usize, last_turn: u64, now_us: u64) {
        let stuck_us = now_us.saturating_sub(last_turn);
        let reported = self.reported.load(Relaxed);
        let this_spell = reported > last_turn;
        let too_soon = reported != 0 && now_us.saturating_sub(reported) < REPORT_EVERY_US;
        if stuck_us < REPORT_AFTER_US || this_spell || too_soon {
            return;
        }
        if self
            .reported
            .compare_exchange(reported, now_us, Relaxed, Relaxed)
            .is_ok()
        {
            tracing::warn!(
                worker,
                stuck_ms = stuck_us / 1_000,
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

/// Whether the worker looking has work of its own, which makes it slower to stand in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Looker {
    Idle,
    Busy,
}

/// How long `peer` has been away from its own reactor at `now_us` while running, whoever
/// stood in for it meanwhile; `None` if it sleeps (see `rehome`, which moves connections away
/// from a loop stuck in a task).
pub(super) fn away_for(peer: &Remote, now_us: u64) -> Option<u64> {
    (!peer.park.is_parked()).then(|| now_us.saturating_sub(peer.watch.last_turn.load(Relaxed)))
}

/// Turns the reactor and fires the timers of every peer stuck in a task, at most once per
/// stuck period each (see the module doc for `looker`). True if any was turned (its woken
/// tasks may now be in `me`'s queue).
#[inline(always)]
pub(super) fn stand_in_for_stuck_peers(shared: &Shared, me: usize, looker: Looker) -> bool {
    // Looked at every time a worker runs out of work or turns its reactor between tasks: only
    // this check inline.
    shared.stand_in && stand_in_now(shared, me, looker)
}

#[inline(never)]
fn stand_in_now(shared: &Shared, me: usize, looker: Looker) -> bool {
    let stuck_after = match looker {
        Looker::Idle => STUCK_AFTER_US,
        Looker::Busy => BUSY_STUCK_AFTER_US,
    };
    let now_us = shared.now_us();
    let mut turned = false;
    let mut wakers = Vec::new();
    for (i, peer) in shared.workers.iter().enumerate() {
        if i == me || peer.park.is_parked() {
            continue;
        }
        let Some(last_turn) = peer.watch.stuck(now_us, stuck_after) else {
            continue;
        };
        // A reactor another thread is turning is no sign of a stuck owner (it may be waking
        // from a long sleep): only a peer this thread could turn for is reported.
        if turn_for(&peer.reactor, &peer.timers, &mut wakers) {
            peer.watch.report(i, last_turn, now_us);
            // The next stand-in comes a full period later, so peers do not spin on a stuck
            // loop's reactor and timer lock.
            peer.watch.stood_in.store(now_us, Relaxed);
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
    use crate::scheduler::Balancing;
    use std::sync::atomic::Ordering;

    fn shared(workers: usize, stand_in: bool) -> Shared {
        let balancing = Balancing {
            stealing: true,
            stand_in,
            rehome: false,
        };
        Shared::for_test(workers, balancing).0
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
    fn stuck_running_peers_get_a_stand_in_and_idle_ones_do_not() {
        let shared = shared(2, true);
        let peer = &shared.workers[1];
        std::thread::sleep(Duration::from_micros(BUSY_STUCK_AFTER_US + 2_000));
        peer.park.prepare();
        assert!(
            !stand_in_for_stuck_peers(&shared, 0, Looker::Idle),
            "a parked peer is idle"
        );
        peer.park.finish();
        assert!(
            stand_in_for_stuck_peers(&shared, 0, Looker::Busy),
            "running and away"
        );
        assert_eq!(shared.workers[0].counters.stand_ins.get(), 1);
        assert_eq!(
            peer.watch.reported.load(Ordering::Relaxed),
            0,
            "not away long enough to be reported"
        );
    }

    #[test]
    fn a_peer_is_stuck_once_away_from_its_reactor_for_the_lookers_period() {
        let watch = Watch::default();
        watch.turned(1_000);
        let idle_at = 1_000 + STUCK_AFTER_US;
        assert_eq!(watch.stuck(idle_at - 1, STUCK_AFTER_US), None, "fresh");
        assert_eq!(watch.stuck(idle_at, STUCK_AFTER_US), Some(1_000));
        assert_eq!(
            watch.stuck(idle_at, BUSY_STUCK_AFTER_US),
            None,
            "a busy looker waits longer"
        );
        assert_eq!(
            watch.stuck(1_000 + BUSY_STUCK_AFTER_US, BUSY_STUCK_AFTER_US),
            Some(1_000)
        );
        // Stood in for: the next stand-in comes a full period after that.
        watch.stood_in.store(idle_at, Relaxed);
        assert_eq!(watch.stuck(idle_at + 1, STUCK_AFTER_US), None);
        assert_eq!(
            watch.stuck(idle_at + STUCK_AFTER_US, STUCK_AFTER_US),
            Some(1_000)
        );
    }

    #[test]
    fn off_means_no_watch_and_no_stand_in() {
        let shared = shared(2, false);
        std::thread::sleep(Duration::from_micros(BUSY_STUCK_AFTER_US + 2_000));
        assert!(!stand_in_for_stuck_peers(&shared, 0, Looker::Idle));
        assert_eq!(watch_interval(&shared, 0), None);
        assert!(watch_interval(&self::shared(2, true), 0).is_some());
        assert_eq!(watch_interval(&self::shared(1, true), 0), None);
    }

    #[test]
    fn a_stuck_worker_is_reported_once_per_spell() {
        let watch = Watch::default();
        watch.report(1, 0, REPORT_AFTER_US - 1);
        assert_eq!(watch.reported.load(Relaxed), 0);
        watch.report(1, 0, REPORT_AFTER_US);
        assert_eq!(watch.reported.load(Relaxed), REPORT_AFTER_US);
        watch.report(1, 0, 10 * REPORT_EVERY_US);
        assert_eq!(watch.reported.load(Relaxed), REPORT_AFTER_US, "same spell");
        let back = 2 * REPORT_EVERY_US;
        watch.report(1, back, back + REPORT_AFTER_US);
        assert_eq!(
            watch.reported.load(Relaxed),
            back + REPORT_AFTER_US,
            "a new spell"
        );
    }
}

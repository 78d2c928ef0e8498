//! Taking work from peers: stealing half of a busy peer's run queue, and turning the reactor
//! of a peer stuck in a long task so that its sockets keep being served.
//!
//! Stealing starts at a random peer so that thieves spread over victims. A peer "stuck" is one
//! that is running (not parked) but has not turned its reactor for [`STUCK_AFTER_MS`]: a task
//! of it is computing or blocking. Turning its reactor from here wakes its tasks, and the
//! `Send` ones land in this worker's queue (a task goes where it is woken), so the stuck
//! worker's connections are answered; its pinned tasks wait for it in its inbox. A peer stuck
//! for long is also reported in the log (see `stuck`).

use std::time::Duration;

use crossbeam_deque::{Steal, Worker};

use super::Shared;
use crate::task::Runnable;

/// A running peer that has not turned its reactor for this long is stuck in a task.
pub(super) const STUCK_AFTER_MS: u64 = 10;
/// How long an idle worker sleeps at most while some peer runs, to check on it.
pub(super) const CHECK_PEERS_EVERY: Duration = Duration::from_millis(STUCK_AFTER_MS);
/// How long an idle worker sleeps at most while every peer sleeps too: a peer woken by its own
/// I/O may get stuck in a task without anyone seeing it start, so even an idle runtime looks
/// ten times a second (one `epoll_wait` return per idle worker, no eventfd write).
pub(super) const CHECK_IDLE_PEERS_EVERY: Duration = Duration::from_millis(100);

/// A small xorshift generator for picking the first victim.
#[derive(Debug)]
pub(super) struct Rng(u32);

impl Rng {
    pub(super) fn new(seed: usize) -> Rng {
        Rng((seed as u32).wrapping_mul(0x9E37_79B9) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x as usize % n
    }
}

/// Steals a batch (about half, as crossbeam-deque takes it) from the first peer with tasks,
/// starting at a random one; returns one task and leaves the rest in `into`. Counts attempts
/// and stolen tasks in `me`'s counters.
pub(super) fn steal_from_peers(
    shared: &Shared,
    me: usize,
    rng: &mut Rng,
    into: &Worker<Runnable>,
) -> Option<Runnable> {
    let workers = shared.workers.len();
    let counters = &shared.workers[me].counters;
    let start = rng.below(workers);
    for victim in (0..workers).map(|i| (start + i) % workers) {
        if victim == me {
            continue;
        }
        counters.steal_attempts.add(1);
        let before = into.len();
        let stolen = loop {
            match shared.workers[victim].stealer.steal_batch_and_pop(into) {
                Steal::Success(runnable) => break Some(runnable),
                Steal::Empty => break None,
                Steal::Retry => continue,
            }
        };
        if let Some(runnable) = stolen {
            counters.steals.add(1 + (into.len() - before) as u64);
            return Some(runnable);
        }
    }
    None
}

/// Whether any peer is running rather than parked (and so might get stuck).
pub(super) fn peers_running(shared: &Shared, me: usize) -> bool {
    shared
        .workers
        .iter()
        .enumerate()
        .any(|(i, w)| i != me && !w.park.is_parked())
}

/// Turns the reactor and fires the timers of every peer stuck in a task, at most once per
/// [`STUCK_AFTER_MS`] each. True if any was turned (its woken tasks may now be in this
/// worker's queue).
pub(super) fn stand_in_for_stuck_peers(shared: &Shared, me: usize) -> bool {
    let now_ms = shared.now_ms();
    let mut turned = false;
    for (i, peer) in shared.workers.iter().enumerate() {
        if i == me || peer.park.is_parked() {
            continue;
        }
        let last_turn = peer.last_turn.load(std::sync::atomic::Ordering::Relaxed);
        if now_ms.saturating_sub(peer.stuck.last_visit(last_turn)) < STUCK_AFTER_MS {
            continue;
        }
        peer.stuck.report(i, last_turn, now_ms);
        // A busy reactor is being turned by its owner or another stand-in: nothing to do.
        if peer.turn_for_owner(Duration::ZERO) {
            // The next stand-in comes a full period later, so idle peers do not spin on a
            // stuck loop's reactor and timer lock.
            peer.stuck.stand_in(now_ms);
            shared.workers[me].counters.takeovers.add(1);
            turned = true;
        }
    }
    turned
}

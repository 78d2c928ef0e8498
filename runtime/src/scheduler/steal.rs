//! Taking work from peers: stealing half of a busy peer's run queue. Stealing starts at a
//! random peer so that thieves spread over victims.

use crossbeam_deque::{self as deque, Steal};

use super::Shared;
use crate::task::Runnable;

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
    into: &deque::Worker<Runnable>,
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

//! Taking connections from loops that are behind: the scheduler's half of moving a connection
//! to the loop that keeps serving it (the reactor's half, which counts the waits, decides and
//! moves the registration, is `net`'s; see [`net::Rehome`]).
//!
//! With [`Builder::rehome`](crate::Builder::rehome) on, each worker enters its reactor with a
//! [`Balance`] hook. A connection whose task keeps waiting on a worker while its socket is
//! registered with another then asks the hook whether that other loop is behind, and moves if
//! so; its task's wakes then come from the new loop's reactor, so it stays there (a task goes
//! where it is woken).
//!
//! A loop is behind when it is stuck in a task, away from its reactor for [`STUCK_FOR_US`]
//! (the stand-ins serve its connections meanwhile, see [`stand_in`](super::stand_in), but each
//! event then waits for one of their turns), when it has tasks queued and has not once run out
//! of work (looked for tasks to steal, or slept) in the last [`BUSY_FOR_US`], or when it was
//! busy for most of the time since the asking loop last looked, and for [`BUSY_GAP`] more of
//! it than the asking loop. The second and third tell lasting overload, where a peer keeps
//! taking work from one loop, from two loops that are both busy and trade tasks now and then:
//! each of those runs dry every so often, and their busy shares are alike, so a connection
//! moved between them would only be moved back. The third catches a loop that runs dry
//! between long tasks but spends most of its time in them, while its peer idles.
//!
//! The hook samples what each worker counts anyway, its dry runs (steal attempts and sleeps)
//! and its busy time, each time it is asked, so that the workers pay nothing for it.

use std::cell::RefCell;
use std::sync::Arc;

use super::{stand_in, Remote, Shared};

/// A loop away from its reactor for this long (in microseconds) is stuck in a task: longer than
/// a long poll or a time slice the OS gave another thread, which the stand-ins cover.
const STUCK_FOR_US: u64 = 10_000;
/// A loop with tasks queued that has not run out of work for this long (in microseconds) is
/// behind.
const BUSY_FOR_US: u64 = 10_000;
/// The least time (in microseconds) over which a busy share is measured: several long tasks.
const SHARE_OVER_US: u64 = 20_000;
/// A loop busy for this share of the time (in thousandths)...
const BUSY_SHARE: u64 = 700;
/// ...and for this much more than the asking loop, is behind.
const BUSY_GAP: u64 = 300;

/// The hook a worker enters its reactor with, answering for worker `index`.
pub(crate) struct Balance {
    shared: Arc<Shared>,
    index: usize,
    /// Per worker: its count of dry runs when this hook last saw it change, and when; `None`
    /// before the first look.
    seen: RefCell<Vec<Option<DryRuns>>>,
    /// Per worker: its busy time at the start of the current measure, and its busy share over
    /// the last one.
    load: RefCell<Vec<Load>>,
}

#[derive(Clone, Copy)]
struct DryRuns {
    count: u64,
    since_us: u64,
}

#[derive(Clone, Copy, Default)]
struct Load {
    /// When the current measure started (0: not yet), and the worker's busy time then.
    since_us: u64,
    busy_ns: u64,
    /// The share of the last measure, in thousandths.
    share: u64,
}

impl Balance {
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Balance {
        let seen = RefCell::new(vec![None; shared.workers.len()]);
        let load = RefCell::new(vec![Load::default(); shared.workers.len()]);
        Balance {
            shared,
            index,
            seen,
            load,
        }
    }

    /// Worker `i`'s busy share (in thousandths) over the last measure that spanned
    /// [`SHARE_OVER_US`] by `now_us`; 0 until one has.
    fn busy_share(&self, i: usize, now_us: u64) -> u64 {
        let busy_ns = self.shared.workers[i].counters.busy_ns.get();
        let load = &mut self.load.borrow_mut()[i];
        let over_us = now_us.saturating_sub(load.since_us);
        if load.since_us == 0 || over_us >= SHARE_OVER_US {
            if load.since_us != 0 {
                load.share = (busy_ns.saturating_sub(load.busy_ns) / over_us).min(1_000);
            }
            load.since_us = now_us.max(1);
            load.busy_ns = busy_ns;
        }
        load.share
    }

    /// Whether worker `i` was busy for most of the last measure and much more than this one.
    fn busier(&self, i: usize, now_us: u64) -> bool {
        let (home, here) = (
            self.busy_share(i, now_us),
            self.busy_share(self.index, now_us),
        );
        home >= BUSY_SHARE && home >= here + BUSY_GAP
    }

    /// Whether `peer`, worker `i`, may have run out of work in the last `BUSY_FOR_US` before
    /// `now_us`: it has, or this hook has not watched it that long.
    fn ran_dry_lately(&self, i: usize, peer: &Remote, now_us: u64) -> bool {
        let count = peer.counters.steal_attempts.get() + peer.counters.parks.get();
        let since_us = match &mut self.seen.borrow_mut()[i] {
            Some(seen) if seen.count == count => seen.since_us,
            seen => {
                *seen = Some(DryRuns {
                    count,
                    since_us: now_us,
                });
                now_us
            }
        };
        now_us.saturating_sub(since_us) < BUSY_FOR_US
    }
}

impl net::Rehome for Balance {
    fn home_is_behind(&self, home: &net::Reactor) -> bool {
        // A reactor of another runtime is none of this one's business.
        let Some((i, peer)) =
            (self.shared.workers.iter().enumerate()).find(|(_, w)| w.reactor.ptr_eq(home))
        else {
            return false;
        };
        let now_us = self.shared.now_us();
        let stuck = stand_in::away_for(peer, now_us).is_some_and(|away| away >= STUCK_FOR_US);
        stuck
            || (!self.ran_dry_lately(i, peer, now_us) && !peer.stealer.is_empty())
            || self.busier(i, now_us)
    }

    fn moved_here(&self) {
        // On this worker's thread, the counter's one writer.
        self.shared.workers[self.index].counters.moves.add(1);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use net::Rehome;

    use super::*;
    use crate::scheduler::Balancing;

    #[test]
    fn a_loop_is_behind_when_stuck_or_busy_without_a_break() {
        let balancing = Balancing {
            stealing: true,
            stand_in: true,
            rehome: true,
        };
        let (shared, queues) = Shared::for_test(2, balancing);
        let shared = Arc::new(shared);
        let balance = Balance::new(shared.clone(), 1);
        let home = &shared.workers[0];
        let busy_for = || {
            std::thread::sleep(Duration::from_micros(BUSY_FOR_US + 2_000));
            // Turning its reactor all along: not stuck.
            home.watch.turned(shared.now_us());
        };
        // Before each look that must not find it stuck: the test thread may have been off the
        // CPU for longer than `STUCK_FOR_US` since the last stamp.
        let turned_now = || home.watch.turned(shared.now_us());
        turned_now();
        assert!(!balance.home_is_behind(&home.reactor), "running, idle");
        assert!(
            !balance.home_is_behind(&net::Reactor::new().unwrap()),
            "not ours"
        );
        let (task, _handle) = crate::task::new(
            &shared.registry,
            0,
            0,
            async {},
            |_: crate::task::Runnable| {},
        );
        queues[0].push(task);
        turned_now();
        assert!(
            !balance.home_is_behind(&home.reactor),
            "tasks queued, but not for long as far as this worker knows"
        );
        busy_for();
        assert!(
            balance.home_is_behind(&home.reactor),
            "tasks queued, no break"
        );
        home.counters.steal_attempts.add(1);
        turned_now();
        assert!(!balance.home_is_behind(&home.reactor), "it just ran dry");
        busy_for();
        assert!(balance.home_is_behind(&home.reactor), "busy again since");
        drop(queues[0].pop());
        turned_now();
        assert!(!balance.home_is_behind(&home.reactor), "nothing queued");
        std::thread::sleep(Duration::from_micros(STUCK_FOR_US + 2_000));
        assert!(balance.home_is_behind(&home.reactor), "stuck in a task");
        home.park.prepare();
        assert!(!balance.home_is_behind(&home.reactor), "asleep");
        balance.moved_here();
        assert_eq!(shared.workers[1].counters.moves.get(), 1);
    }

    #[test]
    fn a_loop_busy_most_of_the_time_while_its_peer_idles_is_behind() {
        let balancing = Balancing {
            stealing: true,
            stand_in: true,
            rehome: true,
        };
        let shared = Arc::new(Shared::for_test(2, balancing).0);
        let balance = Balance::new(shared.clone(), 1);
        let (home, here) = (&shared.workers[0], &shared.workers[1]);
        // Over one measure, the home loop busy for all of it and this one for a tenth, as
        // their counters say; both turning their reactors and running dry meanwhile.
        let measure = |home_share: u64, here_share: u64| {
            let start = shared.now_us();
            std::thread::sleep(Duration::from_micros(SHARE_OVER_US + 1_000));
            let over_ns = (shared.now_us() - start) * 1_000;
            home.counters.busy_ns.add(over_ns * home_share / 1_000);
            here.counters.busy_ns.add(over_ns * here_share / 1_000);
            home.counters.parks.add(1);
            home.watch.turned(shared.now_us());
        };
        assert!(!balance.home_is_behind(&home.reactor), "no measure yet");
        measure(1_000, 100);
        assert!(balance.home_is_behind(&home.reactor), "busy, its peer idle");
        measure(1_000, 800);
        assert!(!balance.home_is_behind(&home.reactor), "both busy");
        measure(600, 0);
        assert!(
            !balance.home_is_behind(&home.reactor),
            "not busy most of the time"
        );
    }
}

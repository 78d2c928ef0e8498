//! The event loop of one worker.
//!
//! Each pass of the loop:
//! 1. runs ready tasks: first the one in the LIFO slot (the task the last one woke, for at
//!    most [`LIFO_STREAK`] in a row), then alternating between the pinned queue and the run
//!    queue, and every [`GLOBAL_INTERVAL`] tasks looking first at the inbox and the injector
//!    so that work from other threads is never starved by local work. A task in the LIFO slot
//!    cannot be stolen: if the task that woke it then blocks its thread, it waits for that
//!    thread (as in tokio), while everything in the run queue can move;
//! 2. every [`EVENT_INTERVAL`] tasks, turns the reactor without waiting and fires due timers,
//!    so I/O is never starved by a long run queue either; with tasks to spare, wakes a parked
//!    peer to steal some; and looks for a peer stuck in a task (see
//!    [`stand_in`](super::stand_in));
//! 3. out of local work, steals a batch from a peer (see [`steal`](super::steal)), then takes
//!    one from the injector;
//! 4. out of all work, stands in for peers stuck in a task (see
//!    [`stand_in`](super::stand_in)), then parks: waits in `epoll_wait` until I/O, a wake from
//!    another thread (`mio::Waker`) or the next timer deadline, and no longer than the
//!    stand-ins' watch allows. Parking in the reactor is what makes the loop an event loop.
//!
//! Each worker runs this loop on a thread of its own from the runtime's start until it closes,
//! then drops what is left of its tasks (see [`shutdown`](super::shutdown)).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use crossbeam_deque::Steal;

use super::auto_advance;
use super::context::{self, EnterGuard};
use super::poll_histogram::PollSampler;
use super::stand_in::{self, Looker};
use super::steal::{self, Rng};
use super::{Local, Remote, Shared};
use crate::task::Runnable;
use crate::thread_hooks::ThreadHooks;

/// Tasks run between two looks at the reactor and the timers.
const EVENT_INTERVAL: u32 = 61;
/// Tasks run between two looks at the inbox and the injector.
const GLOBAL_INTERVAL: u32 = 31;
/// Tasks taken from the LIFO slot in a row before the run queue gets its turn: a pair of
/// tasks waking each other would otherwise keep the slot, and the queue, forever.
const LIFO_STREAK: u32 = 3;

pub(crate) struct Worker {
    local: Rc<Local>,
    shared: Arc<Shared>,
    /// `shared.workers[index]`, looked at several times a turn.
    remote: Arc<Remote>,
    index: usize,
    /// Tasks taken from the queues, counting up; it paces the looks at the reactor and the
    /// injector.
    taken: u32,
    /// Tasks taken from the LIFO slot since one was taken from a queue.
    lifo_streak: u32,
    rng: Rng,
    /// Swapped with the inbox so draining it allocates nothing.
    inbox_batch: Vec<Runnable>,
    /// The wakers of a turn between tasks, kept so that turning allocates nothing.
    woken: Vec<Waker>,
    /// Picks the polls the poll-time histogram times.
    poll_sampler: PollSampler,
    /// Since when (a reading of the monotonic clock, in nanoseconds) the worker's busy time
    /// has not been counted yet (see `count_busy`).
    busy_since: Cell<u64>,
    /// The clock reading of the latest reactor turn, which the busy time reuses.
    turned_at: u64,
    _enter: EnterGuard,
}

impl Worker {
    /// Makes this thread the worker `local` describes.
    pub(crate) fn enter(local: Local) -> Worker {
        let local = Rc::new(local);
        let shared = local.shared().clone();
        let remote = shared.workers[local.index()].clone();
        remote.watch.turned(shared.now_us());
        let now = shared.clock().real_ns();
        Worker {
            remote,
            shared,
            index: local.index(),
            rng: Rng::new(local.index()),
            _enter: context::enter_worker(local.clone()),
            local,
            taken: 0,
            lifo_streak: 0,
            inbox_batch: Vec::new(),
            woken: Vec::new(),
            busy_since: Cell::new(now),
            turned_at: 0,
            poll_sampler: PollSampler::new(),
        }
    }

    pub(super) fn local(&self) -> &Local {
        &self.local
    }

    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(super) fn index(&self) -> usize {
        self.index
    }

    fn remote(&self) -> &Remote {
        &self.remote
    }

    /// Runs the loop until the runtime closes.
    pub(crate) fn run(&mut self) {
        let _abort = AbortOnPanic(self.index);
        while !self.shared.is_closing() {
            match self.next_task() {
                Some(runnable) => {
                    self.run_task(runnable);
                    if self.taken % EVENT_INTERVAL == 0 {
                        self.poll_io(Some(Duration::ZERO));
                        self.count_busy(self.turned_at);
                        stand_in::stand_in_for_stuck_peers(&self.shared, self.index, Looker::Busy);
                    }
                }
                None => self.park(),
            }
        }
    }

    fn next_task(&mut self) -> Option<Runnable> {
        self.taken = self.taken.wrapping_add(1);
        if self.taken % GLOBAL_INTERVAL == 0 {
            if let Some(runnable) = self.pop_inbox().or_else(|| self.pop_injector()) {
                return Some(runnable);
            }
        }
        if let Some(runnable) = self.local.take_lifo() {
            if self.lifo_streak < LIFO_STREAK {
                self.lifo_streak += 1;
                return Some(runnable);
            }
            self.local.push(runnable);
        }
        self.lifo_streak = 0;
        let local = if self.taken % 2 == 0 {
            self.local.pop_pinned().or_else(|| self.local.pop())
        } else {
            self.local.pop().or_else(|| self.local.pop_pinned())
        };
        local
            .or_else(|| self.pop_inbox())
            .or_else(|| self.steal())
            .or_else(|| self.pop_injector())
    }

    /// A pinned task that another thread woke. Looked at whenever the local queues run dry,
    /// and the inbox is almost always empty: then the pinned queue is not looked at again.
    #[inline(always)]
    fn pop_inbox(&mut self) -> Option<Runnable> {
        if self.remote().inbox.is_empty() {
            return None;
        }
        self.take_inbox();
        self.local.pop_pinned()
    }

    /// A batch of tasks spawned or woken outside the runtime.
    #[inline(always)]
    fn pop_injector(&mut self) -> Option<Runnable> {
        // Looked at after every task that leaves the queues empty: only this check inline.
        if self.shared.injector.is_empty() {
            return None;
        }
        self.steal_from_injector()
    }

    #[inline(never)]
    fn steal_from_injector(&mut self) -> Option<Runnable> {
        loop {
            match self
                .shared
                .injector
                .steal_batch_and_pop(self.local.run_queue())
            {
                Steal::Success(runnable) => {
                    self.remote().counters.injector_pulls.add(1);
                    return Some(runnable);
                }
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Takes a batch from a peer, if stealing is on and not too many workers search already.
    fn steal(&mut self) -> Option<Runnable> {
        if !self.shared.stealing || self.shared.workers.len() == 1 {
            return None;
        }
        if !self.shared.idle.start_search() {
            return None;
        }
        let found = steal::steal_from_peers(
            &self.shared,
            self.index,
            &mut self.rng,
            self.local.run_queue(),
        );
        let last = self.shared.idle.end_search();
        if found.is_some() && last && !self.local.run_queue().is_empty() {
            // There was more than one task to take: the next idle peer may find some too.
            self.shared.notify_work();
        }
        found
    }

    /// Moves the pinned tasks other threads woke to the pinned queue.
    #[inline(always)]
    pub(super) fn drain_inbox(&mut self) {
        // Looked at twice a turn and almost always empty: only this check inline.
        if !self.remote().inbox.is_empty() {
            self.take_inbox();
        }
    }

    #[inline(never)]
    fn take_inbox(&mut self) {
        let remote = &*self.remote;
        remote.inbox.take(&mut self.inbox_batch);
        remote
            .counters
            .remote_wakes
            .add(self.inbox_batch.len() as u64);
        for runnable in self.inbox_batch.drain(..) {
            self.local.push_pinned(runnable);
        }
    }

    /// Polls a task with a fresh cooperative budget (an aborted one drops its future when
    /// polled, see `task`), or drops it unpolled if the runtime is closing (on this thread,
    /// the task's own loop for a pinned task).
    fn run_task(&self, runnable: Runnable) {
        if self.shared.is_closing() {
            drop(runnable);
            return;
        }
        // Counted first, so that whoever the task's completion wakes sees it counted.
        self.remote().counters.polls.add(1);
        self.local.set_running(true);
        // The harness catches the task's panics; what can still unwind is a panicking waker of
        // the task's awaiter, which must not take the loop down. The panic hook reported it.
        let start = self.poll_sampler.start();
        let _ = catch_unwind(AssertUnwindSafe(|| net::coop::budget(|| runnable.run())));
        if let Some(start) = start {
            self.remote().counters.poll_times.record_since(start);
        }
        self.local.set_running(false);
    }

    fn has_work(&self) -> bool {
        self.local.has_local_work()
            || !self.remote().inbox.is_empty()
            || !self.shared.injector.is_empty()
    }

    /// Sleeps in the reactor until I/O, a wake or the next timer, unless work arrived in the
    /// meantime (see `park` for why the second look is needed).
    fn park(&mut self) {
        let shared = &*self.shared;
        let remote = self.remote();
        remote.park.prepare();
        let busy = self.has_work()
            || shared.is_closing()
            || (stand_in::stand_in_for_stuck_peers(shared, self.index, Looker::Idle)
                && self.has_work());
        let timeout = if busy {
            Some(Duration::ZERO)
        } else {
            remote.counters.parks.add(1);
            ThreadHooks::run(&shared.hooks.park);
            self.count_busy(shared.clock().real_ns());
            // Reads the clock only if a timer is set.
            let mut timeout = remote.timers.park_timeout();
            if shared.clock().is_paused() {
                timeout = auto_advance::timeout(shared, self.index, timeout);
            }
            match stand_in::watch_interval(shared, self.index) {
                Some(watch) => Some(timeout.map_or(watch, |t| t.min(watch))),
                None => timeout,
            }
        };
        self.poll_io(timeout);
        let remote = self.remote();
        auto_advance::awake(remote);
        remote.timers.unparked();
        remote.park.finish();
        self.shared.idle.release_wake();
        if !busy {
            // Asleep since `count_busy`: that time is not busy.
            self.busy_since.set(self.turned_at);
            ThreadHooks::run(&self.shared.hooks.unpark);
        }
    }

    /// Adds the time from `busy_since` to `now` (a reading of the monotonic clock) to the busy
    /// time and counts on from `now`: called every [`EVENT_INTERVAL`] tasks, so that a worker
    /// that never sleeps is seen busy, and before sleeping.
    fn count_busy(&self, now: u64) {
        let busy = now.saturating_sub(self.busy_since.replace(now));
        self.remote.counters.busy_ns.add(busy);
    }

    /// Turns the reactor: waits up to `timeout` for it when parking; between tasks, only tries
    /// it, since a peer standing in that holds it is delivering its events right now.
    fn poll_io(&mut self, timeout: Option<Duration>) {
        let remote = &*self.remote;
        let turn = match timeout {
            Some(Duration::ZERO) => remote.reactor.try_turn_now(&mut self.woken),
            _ => Some(remote.reactor.turn(timeout)),
        };
        if let Some(turn) = turn {
            let stats = match turn {
                Ok(stats) => stats,
                // epoll_wait fails only on a broken epoll instance; nothing on this loop could
                // make progress again.
                Err(e) => panic!("the event loop's epoll_wait failed: {e}"),
            };
            remote.counters.turns.add(1);
            remote.counters.io_events.add(stats.events as u64);
            remote.counters.remote_wakes.add(u64::from(stats.woken_up));
        }
        let clock = self.shared.clock();
        self.turned_at = clock.real_ns();
        let (real_us, timer_ms) = clock.readings_at(self.turned_at);
        remote.watch.turned(real_us);
        remote.timers.fire_tick(timer_ms);
        self.drain_inbox();
        if self.shared.workers.len() > 1 && self.local.run_queue().len() > 1 {
            self.shared.notify_work();
        }
    }
}

/// Aborts the process if dropped while unwinding. Tasks' panics never get this far (the
/// harness and `run_task` catch them), so a panic here is the scheduler's own, or a broken
/// epoll instance's: its loop cannot go on, and a process with a dead loop would keep
/// accepting connections that nobody serves.
struct AbortOnPanic(usize);

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "runtime: worker {} panicked outside any task (see the message above); \
                 aborting rather than leaving a dead event loop behind",
                self.0
            );
            std::process::abort();
        }
    }
}

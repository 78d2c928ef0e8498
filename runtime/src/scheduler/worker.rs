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
//!    peer to steal some;
//! 3. out of local work, steals a batch from a peer (see [`steal`](super::steal)), then takes
//!    one from the injector;
//! 4. out of all work, parks: waits in `epoll_wait` until I/O, a wake from another thread
//!    (`mio::Waker`) or the next timer deadline. Parking in the reactor is what makes the loop
//!    an event loop. With peers, the sleep is capped (10 ms while a peer runs, 100 ms while
//!    all sleep) so that a peer stuck in a task is noticed and its reactor turned for it; a
//!    lone worker sleeps until there is something to do.
//!
//! `block_on` runs the same loop with the caller's future beside it, polled whenever it is
//! woken.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crossbeam_deque::Steal;

use super::context::{self, EnterGuard, Local};
use super::steal::{self, Rng};
use super::{Remote, Shared};
use crate::task::Runnable;

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
    tick: u32,
    /// Tasks taken from the LIFO slot since one was taken from a queue.
    lifo_streak: u32,
    rng: Rng,
    /// Swapped with the inbox so draining it allocates nothing.
    inbox_batch: Vec<Runnable>,
    _enter: EnterGuard,
}

impl Worker {
    /// Makes this thread the worker `local` describes, until `into_local`.
    pub(crate) fn enter(local: Local) -> Worker {
        let local = Rc::new(local);
        let shared = local.shared();
        let remote = &shared.workers[local.index()];
        // Coming back to a loop left unattended (worker 0 between `block_on` calls) is no sign
        // of a stuck task: the watch starts afresh.
        let now_ms = shared.now_ms();
        remote.last_turn.store(now_ms, Ordering::Relaxed);
        remote.stuck.set_attended(true);
        Worker {
            remote: remote.clone(),
            shared: local.shared().clone(),
            index: local.index(),
            rng: Rng::new(local.index()),
            _enter: context::enter_worker(local.clone()),
            local,
            tick: 0,
            lifo_streak: 0,
            inbox_batch: Vec::new(),
        }
    }

    /// Stops being the worker on this thread and hands its queues back.
    pub(crate) fn into_local(self) -> Local {
        let Worker { local, _enter, .. } = self;
        local.flush_lifo();
        local.shared().workers[local.index()]
            .stuck
            .set_attended(false);
        drop(_enter);
        Rc::into_inner(local).expect("the worker's queues are referenced only by the worker")
    }

    fn remote(&self) -> &Remote {
        &self.remote
    }

    /// Runs the loop until `future` completes.
    pub(crate) fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            shared: self.shared.clone(),
            worker: self.index,
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(output) = net::coop::budget(|| future.as_mut().poll(&mut cx)) {
                    return output;
                }
            }
            self.step(Some(&main.woken));
        }
    }

    /// Runs the loop until the runtime closes.
    pub(crate) fn run(&mut self) {
        while !self.shared.is_closing() {
            self.step(None);
        }
    }

    /// Runs tasks until there are none (then parks once) or `main` (the `block_on` future) is
    /// woken. At least one task runs, or the reactor turns, per call, so a `block_on` future
    /// that keeps waking itself cannot starve the loop. Every [`EVENT_INTERVAL`] tasks the
    /// reactor and the timers get their turn.
    fn step(&mut self, main: Option<&AtomicBool>) {
        let _abort = AbortOnPanic(self.index);
        loop {
            match self.next_task() {
                Some(runnable) => {
                    self.run_task(runnable);
                    if self.tick % EVENT_INTERVAL == 0 {
                        self.poll_io(Some(Duration::ZERO));
                    }
                }
                None => return self.park(main),
            }
            if main.is_some_and(|m| m.load(Ordering::SeqCst)) || self.shared.is_closing() {
                return;
            }
        }
    }

    fn next_task(&mut self) -> Option<Runnable> {
        self.tick = self.tick.wrapping_add(1);
        if self.tick % GLOBAL_INTERVAL == 0 {
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
        let local = if self.tick % 2 == 0 {
            self.local.pop_pinned().or_else(|| self.local.pop())
        } else {
            self.local.pop().or_else(|| self.local.pop_pinned())
        };
        local
            .or_else(|| self.pop_inbox())
            .or_else(|| self.steal())
            .or_else(|| self.pop_injector())
    }

    /// A pinned task that another thread woke.
    fn pop_inbox(&mut self) -> Option<Runnable> {
        self.drain_inbox();
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
    fn drain_inbox(&mut self) {
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

    fn run_task(&self, runnable: Runnable) {
        self.local.set_running(true);
        let polled = run_task(&self.shared, runnable);
        self.local.set_running(false);
        if polled {
            self.remote().counters.polls.add(1);
        }
    }

    fn has_work(&self) -> bool {
        self.local.has_local_work()
            || !self.remote().inbox.is_empty()
            || !self.shared.injector.is_empty()
    }

    /// Sleeps in the reactor until I/O, a wake or the next timer, unless work arrived in the
    /// meantime (see `park` for why the second look is needed).
    fn park(&mut self, main: Option<&AtomicBool>) {
        let shared = &*self.shared;
        let remote = self.remote();
        remote.park.prepare();
        let alone = shared.workers.len() == 1;
        let busy = self.has_work()
            || main.is_some_and(|m| m.load(Ordering::SeqCst))
            || shared.is_closing()
            || (!alone && steal::stand_in_for_stuck_peers(shared, self.index) && self.has_work());
        let timeout = if busy {
            Some(Duration::ZERO)
        } else {
            remote.counters.parks.add(1);
            // Reads the clock only if a timer is set.
            let timeout = remote.timers.park_timeout();
            if alone {
                timeout
            } else {
                let check = if steal::peers_running(shared, self.index) {
                    steal::CHECK_PEERS_EVERY
                } else {
                    steal::CHECK_IDLE_PEERS_EVERY
                };
                Some(timeout.map_or(check, |t| t.min(check)))
            }
        };
        self.poll_io(timeout);
        let remote = self.remote();
        remote.timers.unparked();
        remote.park.finish();
        self.shared.idle.release_wake();
    }

    fn poll_io(&mut self, timeout: Option<Duration>) {
        let remote = &*self.remote;
        let stats = match remote.reactor.turn(timeout) {
            Ok(stats) => stats,
            // epoll_wait fails only on a broken epoll instance; nothing on this loop could
            // make progress again.
            Err(e) => panic!("the event loop's epoll_wait failed: {e}"),
        };
        let now_ms = self.shared.now_ms();
        remote.last_turn.store(now_ms, Ordering::Relaxed);
        remote.counters.turns.add(1);
        remote.counters.io_events.add(stats.events as u64);
        remote.counters.remote_wakes.add(u64::from(stats.woken_up));
        remote.timers.fire_tick(now_ms);
        self.drain_inbox();
        if self.shared.workers.len() > 1 && self.local.run_queue().len() > 1 {
            self.shared.notify_work();
        }
    }

    /// Drops the tasks pinned to this worker and whatever its queues hold. Called on the
    /// worker's own thread once the runtime is closing, so pinned futures are dropped where
    /// they live.
    pub(crate) fn shutdown(&mut self) {
        let shard = self.shared.registry.local_shard(self.index);
        self.local.flush_lifo();
        loop {
            self.shared.registry.wake_all([shard]);
            self.drain_inbox();
            let mut dropped = 0;
            while let Some(runnable) = self.local.pop_pinned().or_else(|| self.local.pop()) {
                drop(runnable);
                dropped += 1;
            }
            // A pinned task that could not be reached (none should exist) is left rather than
            // spinning forever.
            if self.shared.registry.shard_len(shard) == 0 || dropped == 0 {
                break;
            }
        }
    }

    /// Drops every remaining `Send` task, wherever it is queued. Called once every worker
    /// thread has stopped.
    pub(crate) fn drop_send_tasks(&mut self) {
        drop_send_tasks(&self.shared, || {
            self.local.take_lifo().or_else(|| self.local.pop())
        });
    }
}

/// Polls a task with a fresh cooperative budget (an aborted one drops its future when polled,
/// see `task`), or drops it unpolled if the runtime is closing (on this thread, the task's own
/// loop for a pinned task). True if it was polled.
pub(crate) fn run_task(shared: &Shared, runnable: Runnable) -> bool {
    if shared.is_closing() {
        drop(runnable);
        return false;
    }
    // The harness catches the task's panics; what can still unwind is a panicking waker of
    // the task's awaiter, which must not take the loop down. The panic hook reported it.
    let _ = catch_unwind(AssertUnwindSafe(|| net::coop::budget(|| runnable.run())));
    true
}

/// Wakes every live `Send` task and drops it from whichever queue it lands in, until none is
/// left. `pop_local` empties the current thread's own run queue, if it has one.
pub(crate) fn drop_send_tasks(shared: &Shared, mut pop_local: impl FnMut() -> Option<Runnable>) {
    loop {
        let live = shared.registry.wake_all(shared.registry.send_shards());
        if live == 0 {
            return;
        }
        let mut dropped = 0;
        let pop_any = || {
            shared
                .injector
                .steal()
                .success()
                .or_else(|| (shared.workers.iter()).find_map(|w| w.stealer.steal().success()))
        };
        while let Some(runnable) = pop_local().or_else(pop_any) {
            drop(runnable);
            dropped += 1;
        }
        if dropped == 0 {
            // A task being woken on a thread outside the runtime right now reaches the
            // injector in a moment.
            std::thread::yield_now();
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

/// Wakes the `block_on` future: sets its flag and wakes the worker if it sleeps.
struct MainWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
    worker: usize,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.shared.unpark(self.worker);
    }
}

//! What all workers of one runtime share: each worker's remote face (reactor, timers, inbox,
//! park state, stealer, counters), the injector for tasks from outside, the task registry, who
//! is searching, the blocking pool, and the closing flag.
//!
//! Scheduling rules, applied when a task is spawned or woken:
//! - a `Send` task goes to the run queue of the worker whose thread wakes it, so a task tends
//!   to run on the loop that owns the socket that woke it; from a thread that is no worker of
//!   this runtime it goes to the injector, and a sleeping worker is woken to take it;
//! - a pinned task always goes home: to its worker's local queue when woken there, else to that
//!   worker's inbox, waking the worker if it sleeps.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_deque::{Injector, Stealer, Worker};

use super::context;
use super::idle::Idle;
use super::inbox::Inbox;
use super::metrics::{RuntimeMetrics, WorkerCounters};
use super::park::ParkState;
use super::stuck::StuckWatch;
use crate::blocking;
use crate::loom::fence;
use crate::task::{Registry, Runnable};
use crate::time::{Clock, Timers};

pub(crate) struct Shared {
    /// Each behind its own `Arc` so that its worker holds it directly.
    pub(crate) workers: Box<[Arc<Remote>]>,
    pub(crate) injector: Injector<Runnable>,
    pub(crate) registry: Registry,
    pub(crate) idle: Idle,
    /// Whether idle workers take tasks from busy ones.
    pub(crate) stealing: bool,
    /// The clock of `Remote::last_turn` and of every worker's timers.
    clock: Clock,
    pub(crate) blocking: blocking::Pool,
    closing: AtomicBool,
}

/// The part of a worker that other threads reach.
pub(crate) struct Remote {
    pub(crate) reactor: net::Reactor,
    pub(crate) timers: Arc<Timers>,
    /// Pinned tasks of this worker woken on other threads.
    pub(crate) inbox: Inbox<Runnable>,
    pub(crate) park: ParkState,
    pub(crate) stealer: Stealer<Runnable>,
    pub(crate) counters: WorkerCounters,
    /// When the worker last turned its reactor, in `Shared::now_ms` milliseconds; a
    /// running worker whose last turn is old is stuck in a task.
    pub(crate) last_turn: AtomicU64,
    pub(crate) stuck: StuckWatch,
}

impl Shared {
    /// The shared state and each worker's run queue, whose stealer the shared state holds.
    pub(crate) fn new(
        workers: usize,
        stealing: bool,
        blocking: blocking::Config,
    ) -> std::io::Result<(Shared, Vec<Worker<Runnable>>)> {
        let mut queues = Vec::with_capacity(workers);
        let clock = Clock::new();
        let remotes = (0..workers)
            .map(|_| {
                let queue = Worker::new_fifo();
                let reactor = net::Reactor::new()?;
                let remote = Remote {
                    timers: Arc::new(Timers::new(reactor.clone(), clock)),
                    reactor,
                    inbox: Inbox::new(),
                    park: ParkState::new(),
                    stealer: queue.stealer(),
                    counters: WorkerCounters::default(),
                    last_turn: AtomicU64::new(0),
                    stuck: StuckWatch::default(),
                };
                queues.push(queue);
                Ok(Arc::new(remote))
            })
            .collect::<std::io::Result<_>>()?;
        let shared = Shared {
            workers: remotes,
            injector: Injector::new(),
            registry: Registry::new(workers),
            idle: Idle::new(workers),
            stealing,
            clock,
            blocking: blocking::Pool::new(blocking),
            closing: AtomicBool::new(false),
        };
        Ok((shared, queues))
    }

    /// Schedules a `Send` task.
    pub(crate) fn schedule(self: &Arc<Self>, runnable: Runnable, woke_itself: bool) {
        let rest = context::with_local(|local| match local {
            Some(local) if Arc::ptr_eq(local.shared(), self) => {
                local.push_woken(runnable, woke_itself);
                None
            }
            _ => Some(runnable),
        });
        if let Some(runnable) = rest {
            self.injector.push(runnable);
            self.notify_parked();
        }
    }

    /// Schedules a task pinned to `worker`.
    pub(crate) fn schedule_local(self: &Arc<Self>, worker: usize, runnable: Runnable) {
        let rest = context::with_local(|local| match local {
            Some(local) if Arc::ptr_eq(local.shared(), self) && local.index() == worker => {
                local.push_pinned(runnable);
                None
            }
            _ => Some(runnable),
        });
        if let Some(runnable) = rest {
            let remote = &self.workers[worker];
            if remote.inbox.push(runnable, &remote.park) {
                remote.wake_reactor();
            }
        }
    }

    /// Wakes `worker` if it sleeps, after work was published for it.
    pub(crate) fn unpark(&self, worker: usize) {
        let remote = &self.workers[worker];
        if remote.park.unpark() {
            remote.wake_reactor();
        }
    }

    /// Wakes one sleeping worker, if any, to take work from the injector. A worker that is not
    /// seen asleep here looks at the injector after it announces its sleep (see `park`), and
    /// the fence orders the push before this look, so one of the two sees the other.
    fn notify_parked(&self) {
        fence(Ordering::SeqCst);
        if let Some(worker) = self.workers.iter().position(|w| w.park.is_parked()) {
            self.unpark(worker);
        }
    }

    /// A worker has more tasks queued than it can start now: wake a parked peer to steal
    /// some, unless someone is searching already or a wake is in flight (see `idle`).
    pub(crate) fn notify_work(&self) {
        if !self.stealing || !self.idle.claim_wake() {
            return;
        }
        match self.workers.iter().position(|w| w.park.is_parked()) {
            Some(worker) => self.unpark(worker),
            None => self.idle.release_wake(),
        }
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics {
            workers: self.workers.iter().map(|w| w.counters.snapshot()).collect(),
        }
    }

    /// Milliseconds since the runtime started, the clock of `Remote::last_turn` and of every
    /// worker's timers.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}

impl Remote {
    pub(crate) fn wake_reactor(&self) {
        // Waking fails only if the eventfd is gone, and then the loop is gone too.
        let _ = self.reactor.wake();
    }

    /// Turns this worker's reactor and fires its timers from another thread (a guest or a
    /// peer standing in), unless the reactor is busy; true if it turned. A wake this turn
    /// took may have been meant for the owner, which is parking to sleep as long as its
    /// wheel said before a timer was added: it is passed on, or the owner would sleep past
    /// that timer.
    pub(crate) fn turn_for_owner(&self, timeout: Duration) -> bool {
        let Some(Ok(stats)) = self.reactor.try_turn(Some(timeout)) else {
            return false;
        };
        if stats.woken_up && self.timers.owner_parked() {
            self.wake_reactor();
        }
        self.timers.fire();
        true
    }
}

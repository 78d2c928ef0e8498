//! What all workers of one runtime share: each worker's remote face (reactor, timers, inbox,
//! park state, stealer, watch, counters), the injector for tasks from outside, the task
//! registry, who is searching, the blocking pool, and the closing flag.
//!
//! Scheduling rules, applied when a task is spawned or woken:
//! - a stealable task goes to the run queue of the worker whose thread wakes it, so a task
//!   tends to run on the loop that owns the socket that woke it; from a thread that is no
//!   worker of this runtime it goes to the injector, and a sleeping worker is woken to take it;
//! - a pinned task always goes home: to its worker's local queue when woken there, else to that
//!   worker's inbox, waking the worker if it sleeps;
//! - a blocking task goes to the blocking pool.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_deque::{self as deque, Injector, Stealer};

use super::context;
use super::hooks::{self, Point};
use super::idle::Idle;
use super::inbox::Inbox;
use super::metrics::{Depths, LiveConnections, RuntimeMetrics, WorkerCounters};
use super::park::ParkState;
use super::stand_in;
use crate::blocking;
use crate::loom::fence;
use crate::task::{Registry, Runnable};
use crate::thread_hooks::ThreadHooks;
use crate::time::{Clock, Timers};

pub(crate) struct Shared {
    /// Each behind its own `Arc` so that its worker holds it directly.
    pub(crate) workers: Box<[Arc<Remote>]>,
    pub(crate) injector: Injector<Runnable>,
    pub(crate) registry: Registry,
    pub(crate) idle: Idle,
    /// Whether idle workers take tasks from busy ones.
    pub(crate) stealing: bool,
    /// Whether idle workers stand in for peers stuck in a task (see `stand_in`): never with one
    /// worker, which has no peer.
    pub(crate) stand_in: bool,
    /// Whether workers take connections from loops that are behind (see `rehome`): never with
    /// one worker.
    pub(crate) rehome: bool,
    /// The clock of the stand-ins' watch and of every worker's timers.
    clock: Clock,
    pub(crate) blocking: blocking::Pool,
    /// The user's callbacks for a worker going to sleep and waking.
    pub(crate) hooks: ThreadHooks,
    /// The worker the next thread entering from outside hands its sockets and timers to.
    next_home: AtomicUsize,
    /// Workers that have not finished dropping their pinned tasks.
    running: AtomicUsize,
    closing: AtomicBool,
}

/// Which of the ways of evening out the load between workers are on; see
/// [`Builder`](crate::Builder).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Balancing {
    /// Idle workers take tasks from busy ones (`steal`).
    pub(crate) stealing: bool,
    /// Idle workers turn the reactors of peers stuck in a task (`stand_in`).
    pub(crate) stand_in: bool,
    /// Workers take connections from loops that are behind (`rehome`).
    pub(crate) rehome: bool,
}

/// The part of a worker that other threads reach.
pub(crate) struct Remote {
    pub(crate) reactor: net::Reactor,
    pub(crate) timers: Arc<Timers>,
    /// Pinned tasks of this worker woken on other threads.
    pub(crate) inbox: Inbox<Runnable>,
    pub(crate) park: ParkState,
    pub(crate) stealer: Stealer<Runnable>,
    pub(crate) watch: stand_in::Watch,
    /// Whether the worker sleeps for want of work while the clock is paused (see
    /// `auto_advance`).
    pub(crate) idle_paused: AtomicBool,
    pub(crate) counters: WorkerCounters,
    /// Shared with the connection sets of the worker's accept loops.
    pub(crate) live_connections: Arc<LiveConnections>,
}

impl Shared {
    /// A runtime's shared state with `workers` workers and no threads, for unit tests: a
    /// one-thread blocking pool and no hooks.
    #[cfg(test)]
    pub(crate) fn for_test(
        workers: usize,
        balancing: Balancing,
    ) -> (Shared, Vec<deque::Worker<Runnable>>) {
        let blocking = blocking::Config {
            max_threads: 1,
            keep_alive: std::time::Duration::from_secs(1),
            thread_name: "test".to_owned(),
            hooks: ThreadHooks::default(),
        };
        Shared::new(workers, balancing, blocking, ThreadHooks::default())
            .expect("a test runtime's reactors")
    }

    /// The shared state and each worker's run queue, whose stealer the shared state holds.
    pub(crate) fn new(
        workers: usize,
        balancing: Balancing,
        blocking: blocking::Config,
        hooks: ThreadHooks,
    ) -> std::io::Result<(Shared, Vec<deque::Worker<Runnable>>)> {
        let mut queues = Vec::with_capacity(workers);
        let clock = Clock::new();
        let remotes = (0..workers)
            .map(|_| {
                let queue = deque::Worker::new_fifo();
                let reactor = net::Reactor::new()?;
                let remote = Remote {
                    timers: Arc::new(Timers::new(reactor.clone(), clock.clone())),
                    reactor,
                    inbox: Inbox::new(),
                    park: ParkState::new(),
                    stealer: queue.stealer(),
                    watch: stand_in::Watch::default(),
                    idle_paused: AtomicBool::new(false),
                    counters: WorkerCounters::default(),
                    live_connections: Arc::default(),
                };
                queues.push(queue);
                Ok(Arc::new(remote))
            })
            .collect::<std::io::Result<Box<[Arc<Remote>]>>>()?;
        clock.set_loops(remotes.iter().map(|r| r.reactor.clone()).collect());
        let shared = Shared {
            workers: remotes,
            injector: Injector::new(),
            registry: Registry::new(workers),
            idle: Idle::new(workers),
            stealing: balancing.stealing,
            stand_in: balancing.stand_in && workers > 1,
            rehome: balancing.rehome && workers > 1,
            clock,
            blocking: blocking::Pool::new(blocking),
            hooks,
            next_home: AtomicUsize::new(0),
            running: AtomicUsize::new(workers),
            closing: AtomicBool::new(false),
        };
        Ok((shared, queues))
    }

    /// Schedules a stealable task.
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
    pub(crate) fn schedule_pinned(self: &Arc<Self>, worker: usize, runnable: Runnable) {
        let rest = context::with_local(|local| match local {
            Some(local) if Arc::ptr_eq(local.shared(), self) && local.index() == worker => {
                local.push_pinned(runnable);
                None
            }
            _ => Some(runnable),
        });
        if let Some(runnable) = rest {
            hooks::pause(Point::PinnedHandOff);
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

    /// The worker whose reactor and timers the next thread entering from outside uses.
    pub(crate) fn next_home(&self) -> usize {
        self.next_home.fetch_add(1, Ordering::Relaxed) % self.workers.len()
    }

    /// A worker has dropped its pinned tasks and stops; true for the last one.
    pub(crate) fn worker_stopped(&self) -> bool {
        self.running.fetch_sub(1, Ordering::AcqRel) == 1
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }

    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        let workers = self.workers.iter().map(|w| {
            w.counters.snapshot(Depths {
                local_queue: w.stealer.len(),
                inbox: w.inbox.len(),
                live_connections: w.live_connections.get(),
            })
        });
        RuntimeMetrics {
            workers: workers.collect(),
            global_queue_depth: self.injector.len(),
        }
    }

    /// Microseconds since the runtime started on the real clock: the stand-ins' watch's.
    pub(crate) fn now_us(&self) -> u64 {
        self.clock.real_us()
    }

    /// The clock of every worker's timers, which a test may pause.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }
}

impl Remote {
    pub(crate) fn wake_reactor(&self) {
        // Waking fails only if the eventfd is gone, and then the loop is gone too.
        let _ = self.reactor.wake();
    }
}

//! What all workers of one runtime share: each worker's remote face (reactor, timers, inbox,
//! park state), the injector for tasks from outside, the task registry and the closing flag.
//!
//! Scheduling rules, applied when a task is spawned or woken:
//! - a `Send` task goes to the run queue of the worker whose thread wakes it, so a task tends
//!   to run on the loop that owns the socket that woke it; from a thread that is no worker of
//!   this runtime it goes to the injector, and a sleeping worker is woken to take it;
//! - a pinned task always goes home: to its worker's local queue when woken there, else to that
//!   worker's inbox, waking the worker if it sleeps.

use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_deque::Injector;
use parking_lot::Mutex;

use super::context;
use super::park::ParkState;
use crate::task::{Registry, Runnable};
use crate::time::Timers;

pub(crate) struct Shared {
    pub(crate) workers: Box<[Remote]>,
    pub(crate) injector: Injector<Runnable>,
    pub(crate) registry: Registry,
    closing: AtomicBool,
}

/// The part of a worker that other threads reach.
pub(crate) struct Remote {
    pub(crate) reactor: net::Reactor,
    pub(crate) timers: Arc<Timers>,
    /// Pinned tasks of this worker woken on other threads.
    pub(crate) inbox: Mutex<Vec<Runnable>>,
    pub(crate) park: ParkState,
}

impl Shared {
    pub(crate) fn new(workers: usize) -> std::io::Result<Shared> {
        let remotes = (0..workers)
            .map(|_| {
                let reactor = net::Reactor::new()?;
                Ok(Remote {
                    timers: Arc::new(Timers::new(reactor.clone())),
                    reactor,
                    inbox: Mutex::new(Vec::new()),
                    park: ParkState::new(),
                })
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Shared {
            workers: remotes,
            injector: Injector::new(),
            registry: Registry::new(workers),
            closing: AtomicBool::new(false),
        })
    }

    /// Schedules a `Send` task.
    pub(crate) fn schedule(self: &Arc<Self>, runnable: Runnable) {
        let rest = context::with_local(|local| match local {
            Some(local) if Arc::ptr_eq(local.shared(), self) => {
                local.push(runnable);
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
            self.workers[worker].inbox.lock().push(runnable);
            self.unpark(worker);
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

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }
}

impl Remote {
    pub(crate) fn wake_reactor(&self) {
        // Waking fails only if the eventfd is gone, and then the loop is gone too.
        let _ = self.reactor.wake();
    }
}

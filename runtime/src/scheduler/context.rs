//! What the current thread is to the runtime: a worker (with its local queues), a thread inside
//! `block_on` that is no worker, or nothing.
//!
//! Spawning, scheduling and timers look here to find the worker they run on: that is how a
//! task woken on a loop lands in that loop's queue without any shared state.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use crossbeam_deque::Worker;

use super::Shared;
use crate::task::Runnable;
use crate::time::{Adder, Timers};

/// A worker's queues, reachable from the tasks it runs.
pub(crate) struct Local {
    shared: Arc<Shared>,
    index: usize,
    /// `Send` tasks, FIFO.
    run_queue: Worker<Runnable>,
    /// Tasks pinned to this worker.
    pinned: RefCell<VecDeque<Runnable>>,
    /// The task the running task last woke or spawned: it runs next, while what it needs is
    /// still in this core's cache (a message just sent, a lock just released). Peers cannot
    /// steal it; see `Worker::next_task` for the bound on how often it jumps the queue.
    lifo: RefCell<Option<Runnable>>,
    /// Whether a task is being polled on this worker: only then does a wake fill `lifo`.
    running: Cell<bool>,
}

impl Local {
    pub(crate) fn new(shared: Arc<Shared>, index: usize, run_queue: Worker<Runnable>) -> Local {
        Local {
            shared,
            index,
            run_queue,
            pinned: RefCell::new(VecDeque::new()),
            lifo: RefCell::new(None),
            running: Cell::new(false),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn push(&self, runnable: Runnable) {
        self.run_queue.push(runnable);
    }

    /// Queues a `Send` task woken (or spawned) on this worker. One woken by the running task
    /// takes the LIFO slot, pushing the slot's previous task to the run queue; one that woke
    /// itself (a yield) goes to the back of the run queue, as does any woken between tasks.
    pub(crate) fn push_woken(&self, runnable: Runnable, woke_itself: bool) {
        if !self.running.get() || woke_itself {
            return self.push(runnable);
        }
        if let Some(previous) = self.lifo.replace(Some(runnable)) {
            self.push(previous);
        }
    }

    pub(crate) fn take_lifo(&self) -> Option<Runnable> {
        self.lifo.take()
    }

    /// Moves the LIFO slot's task to the run queue, where peers can take it.
    pub(crate) fn flush_lifo(&self) {
        if let Some(runnable) = self.lifo.take() {
            self.push(runnable);
        }
    }

    /// Marks a task as being polled (or done being polled) on this worker.
    pub(crate) fn set_running(&self, running: bool) {
        self.running.set(running);
    }

    pub(crate) fn push_pinned(&self, runnable: Runnable) {
        self.pinned.borrow_mut().push_back(runnable);
    }

    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.run_queue.pop()
    }

    pub(crate) fn pop_pinned(&self) -> Option<Runnable> {
        self.pinned.borrow_mut().pop_front()
    }

    pub(crate) fn run_queue(&self) -> &Worker<Runnable> {
        &self.run_queue
    }

    /// Forgets the pinned tasks without dropping them, for when they cannot be dropped on
    /// their own thread.
    pub(crate) fn leak_pinned(&self) {
        for runnable in self.pinned.borrow_mut().drain(..) {
            std::mem::forget(runnable);
        }
    }

    pub(crate) fn has_local_work(&self) -> bool {
        !self.run_queue.is_empty()
            || !self.pinned.borrow().is_empty()
            || self.lifo.borrow().is_some()
    }
}

#[derive(Clone)]
enum Current {
    Worker(Rc<Local>),
    /// Inside `block_on` on a thread that is no worker: spawns go to the injector.
    Handle(Arc<Shared>),
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Restores what the thread was before when dropped.
pub(crate) struct EnterGuard {
    previous: Option<Current>,
    _reactor: net::EnterGuard,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Makes this thread worker `local` until the guard drops.
pub(crate) fn enter_worker(local: Rc<Local>) -> EnterGuard {
    let reactor = net::enter(&local.shared.workers[local.index].reactor);
    enter(Current::Worker(local), reactor)
}

/// Makes this thread a non-worker member of the runtime until the guard drops. Its sockets
/// register with the first worker's loop.
pub(crate) fn enter_handle(shared: Arc<Shared>) -> EnterGuard {
    let reactor = net::enter(&shared.workers[0].reactor);
    enter(Current::Handle(shared), reactor)
}

fn enter(current: Current, reactor: net::EnterGuard) -> EnterGuard {
    let previous = CURRENT.with(|c| c.replace(Some(current)));
    EnterGuard {
        previous,
        _reactor: reactor,
    }
}

/// The index of the worker running on this thread, if it is one.
pub(crate) fn worker_index() -> Option<usize> {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            Some(Current::Worker(local)) => Some(local.index),
            _ => None,
        })
        .ok()
        .flatten()
}

/// Counts a connection accepted by `serve` on this thread's worker.
pub(crate) fn count_accepted() {
    with_local(|local| {
        if let Some(local) = local {
            local.shared.workers[local.index].counters.accepted.add(1);
        }
    });
}

/// Whether this thread is one of the workers of `shared`.
pub(crate) fn is_worker_of(shared: &Arc<Shared>) -> bool {
    CURRENT
        .try_with(|c| {
            matches!(&*c.borrow(), Some(Current::Worker(local)) if Arc::ptr_eq(&local.shared, shared))
        })
        .unwrap_or(false)
}

/// Whether this thread is inside some runtime.
pub(crate) fn is_inside() -> bool {
    CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Runs `f` with this thread's worker, or `None` if it is no worker (or is shutting down).
pub(crate) fn with_local<R>(f: impl FnOnce(Option<&Local>) -> R) -> R {
    let mut f = Some(f);
    let worker = CURRENT.try_with(|c| match &*c.borrow() {
        Some(Current::Worker(local)) => Some((f.take().unwrap())(Some(local))),
        _ => None,
    });
    match (worker, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => f(None),
        (_, None) => unreachable!("`f` ran but returned nothing"),
    }
}

/// Runs `f` with the runtime this thread is inside, without a clone of its `Arc` on a worker:
/// every task's completion touches that count from whichever core finishes it, so a clone and
/// drop per spawn would pull its cache line over. A worker's `Rc` is cloned instead, so that
/// `f` runs without the thread-local borrowed: it may drop a future, whose destructor may
/// enter another runtime.
///
/// # Panics
///
/// Outside a runtime, naming `what` the caller tried to do.
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Arc<Shared>) -> R) -> R {
    let current = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
    match current {
        Some(Current::Worker(local)) => f(&local.shared),
        Some(Current::Handle(shared)) => f(&shared),
        None => outside(what),
    }
}

fn outside(what: &str) -> ! {
    panic!(
        "{what} must be called from inside the runtime (within `Runtime::block_on` or a task it \
         runs), but this thread is not running one"
    )
}

/// The runtime this thread is inside and, if it is a worker, which one.
///
/// # Panics
///
/// Outside a runtime, naming `what` the caller tried to do.
pub(crate) fn current(what: &str) -> (Arc<Shared>, Option<usize>) {
    let found = CURRENT
        .try_with(|c| match &*c.borrow() {
            Some(Current::Worker(local)) => Some((local.shared.clone(), Some(local.index))),
            Some(Current::Handle(shared)) => Some((shared.clone(), None)),
            None => None,
        })
        .ok()
        .flatten();
    found.unwrap_or_else(|| outside(what))
}

/// The timers of this thread's worker (the first worker's, on a thread that is no worker), and
/// whether this thread is their owner, which adds timers only while it runs.
///
/// # Panics
///
/// Outside a runtime, naming `what` the caller tried to do.
pub(crate) fn timers(what: &str) -> (Arc<Timers>, Adder) {
    // The common case, a worker, touches no reference count but the timers'.
    with_local(|local| local.map(|l| (l.shared.workers[l.index].timers.clone(), Adder::Owner)))
        .unwrap_or_else(|| {
            let (shared, worker) = current(what);
            (
                shared.workers[worker.unwrap_or(0)].timers.clone(),
                Adder::Other,
            )
        })
}

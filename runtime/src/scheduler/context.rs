//! What the current thread is to the runtime: a worker (with its local queues), a thread that
//! entered the runtime from outside (inside `block_on`, or running a blocking closure), or
//! nothing.
//!
//! Spawning and scheduling look here to find the worker they run on: that is how a task woken
//! on a loop lands in that loop's queue without any shared state. Entering also sets the
//! reactor (`net::enter`) and the timers (`time::current`) that sockets and sleeps created on
//! the thread use: a worker's own, or, for a thread from outside, those of a worker chosen in
//! turn, which is always running and serves them like its own.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::metrics::LiveConnections;
use super::rehome::Balance;
use super::{Local, Shared};
use crate::time::{self, Adder};

#[derive(Clone)]
enum Current {
    Worker(Rc<Local>),
    /// A thread from outside: spawns go to the injector.
    Outside(Arc<Shared>),
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Restores what the thread was before when dropped.
pub(crate) struct EnterGuard {
    previous: Option<Current>,
    _reactor: net::EnterGuard,
    _timers: time::current::EnterGuard,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Makes this thread worker `local` until the guard drops.
pub(crate) fn enter_worker(local: Rc<Local>) -> EnterGuard {
    let shared = local.shared();
    let remote = &shared.workers[local.index()];
    let reactor = match shared.rehome {
        true => {
            let balance = Balance::new(shared.clone(), local.index());
            net::enter_rehoming(&remote.reactor, Rc::new(balance))
        }
        false => net::enter(&remote.reactor),
    };
    let timers = time::current::enter(remote.timers.clone(), Adder::Owner);
    enter(Current::Worker(local), reactor, timers)
}

/// Makes this thread, which is no worker, a member of the runtime until the guard drops. Its
/// sockets and timers go to the next worker in turn.
pub(crate) fn enter_outside(shared: Arc<Shared>) -> EnterGuard {
    let remote = &shared.workers[shared.next_home()];
    let reactor = net::enter(&remote.reactor);
    let timers = time::current::enter(remote.timers.clone(), Adder::Other);
    enter(Current::Outside(shared), reactor, timers)
}

fn enter(
    current: Current,
    reactor: net::EnterGuard,
    timers: time::current::EnterGuard,
) -> EnterGuard {
    // Once the thread's thread-locals are being destroyed, entering does nothing.
    let previous = CURRENT
        .try_with(|c| c.replace(Some(current)))
        .ok()
        .flatten();
    EnterGuard {
        previous,
        _reactor: reactor,
        _timers: timers,
    }
}

/// The index of the worker running on this thread, if it is one.
pub(crate) fn worker_index() -> Option<usize> {
    with_local(|local| local.map(Local::index))
}

/// Counts a connection accepted by `serve` on this thread's worker.
pub(crate) fn count_accepted() {
    with_local(|local| {
        if let Some(local) = local {
            local.shared().workers[local.index()]
                .counters
                .accepted
                .add(1);
        }
    });
}

/// The live-connection gauge of the worker this thread is, if it is one.
pub(crate) fn live_connections() -> Option<Arc<LiveConnections>> {
    with_local(|local| {
        local.map(|local| {
            local.shared().workers[local.index()]
                .live_connections
                .clone()
        })
    })
}

/// Whether this thread is a worker of any runtime.
pub(crate) fn is_worker() -> bool {
    with_local(|local| local.is_some())
}

/// Whether this thread is one of the workers of `shared`.
pub(crate) fn is_worker_of(shared: &Arc<Shared>) -> bool {
    with_local(|local| local.is_some_and(|l| Arc::ptr_eq(l.shared(), shared)))
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
        Some(Current::Worker(local)) => f(local.shared()),
        Some(Current::Outside(shared)) => f(&shared),
        None => outside(what),
    }
}

fn outside(what: &str) -> ! {
    panic!(
        "{what} must be called from inside the runtime (within `Runtime::block_on` or a task it \
         runs), but this thread is not running one"
    )
}

/// The runtime this thread is inside, if any.
pub(crate) fn try_current() -> Option<Arc<Shared>> {
    Some(current_with_index()?.0)
}

fn current_with_index() -> Option<(Arc<Shared>, Option<usize>)> {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            Some(Current::Worker(local)) => Some((local.shared().clone(), Some(local.index()))),
            Some(Current::Outside(shared)) => Some((shared.clone(), None)),
            None => None,
        })
        .ok()
        .flatten()
}

/// The runtime this thread is inside and, if it is a worker, which one.
///
/// # Panics
///
/// Outside a runtime, naming `what` the caller tried to do.
pub(crate) fn current(what: &str) -> (Arc<Shared>, Option<usize>) {
    current_with_index().unwrap_or_else(|| outside(what))
}

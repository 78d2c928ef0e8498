//! `block_on` on a thread that is no worker: the future is polled on the calling thread, which
//! sleeps between wakes. The thread turns no reactor and runs no task: its sockets and timers
//! belong to a worker (see `context`), whose loop wakes the future like any task.
//!
//! The hand-off is a flag beside the thread's park token ([`Signal`]): a waker sets the flag
//! and unparks the thread if the flag was clear; the thread clears the flag, and parks only
//! while it finds it clear. An unpark before the park makes the park return at once, so a
//! wake is never lost between the look and the sleep.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::{context, Shared};
use crate::loom::{thread, AtomicBool};

thread_local! {
    /// Whether this thread is inside `block_on`.
    static WAITING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` to completion on this thread, inside runtime `shared`.
///
/// # Panics
///
/// On a worker of any runtime, or inside another `block_on`: the thread would block the
/// loop or the future it runs.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    assert_may_block();
    let _waiting = Waiting::enter();
    let _enter = context::enter_outside(shared.clone());
    let signal = Arc::new(Signal::new());
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = net::coop::budget(|| future.as_mut().poll(&mut cx)) {
            return output;
        }
        signal.wait();
    }
}

/// Panics if this thread may not block on a runtime: it is a worker of any runtime, or inside
/// another `block_on`.
pub(crate) fn assert_may_block() {
    assert!(
        !context::is_worker() && !WAITING.with(Cell::get),
        "`Runtime::block_on` cannot be called from inside a runtime (on a worker, or within \
         another `block_on`): it would block the thread that runs the outer future; `.await` \
         the future instead"
    );
}

/// Marks the thread as inside `block_on` until dropped (also while unwinding).
struct Waiting;

impl Waiting {
    fn enter() -> Waiting {
        WAITING.with(|w| w.set(true));
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let _ = WAITING.try_with(|w| w.set(false));
    }
}

/// A wake for one waiting thread.
#[derive(Debug)]
pub(crate) struct Signal {
    woken: AtomicBool,
    thread: thread::Thread,
}

impl Signal {
    /// A signal for the calling thread, which alone may [`wait`](Self::wait) on it.
    pub(crate) fn new() -> Signal {
        Signal {
            woken: AtomicBool::new(false),
            thread: thread::current(),
        }
    }

    /// Sleeps until the signal is notified (at once if it was since the last wait), and
    /// clears it.
    pub(crate) fn wait(&self) {
        // Acquire: what the waker did before notifying is visible to the next poll.
        while !self.woken.swap(false, Ordering::AcqRel) {
            thread::park();
        }
    }

    /// Wakes the waiting thread; only the first notify since its last wait unparks it.
    pub(crate) fn notify(&self) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.thread.unpark();
        }
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}

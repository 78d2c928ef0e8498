//! A worker's own queues, reachable from the tasks it runs: the run queue of `Send` tasks
//! (whose other end peers steal from), the queue of pinned tasks, and the LIFO slot.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;

use crossbeam_deque as deque;

use super::Shared;
use crate::task::Runnable;

pub(crate) struct Local {
    shared: Arc<Shared>,
    index: usize,
    /// `Send` tasks, FIFO.
    run_queue: deque::Worker<Runnable>,
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
    pub(crate) fn new(
        shared: Arc<Shared>,
        index: usize,
        run_queue: deque::Worker<Runnable>,
    ) -> Local {
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
        let mut pinned = self.pinned.borrow_mut();
        pinned.push_back(runnable);
        self.set_pinned_depth(pinned.len());
    }

    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.run_queue.pop()
    }

    pub(crate) fn pop_pinned(&self) -> Option<Runnable> {
        let mut pinned = self.pinned.borrow_mut();
        let runnable = pinned.pop_front()?;
        self.set_pinned_depth(pinned.len());
        Some(runnable)
    }

    /// Publishes the pinned queue's length for the metrics, which other threads read.
    fn set_pinned_depth(&self, depth: usize) {
        self.shared.workers[self.index]
            .counters
            .pinned_depth
            .set(depth as u64);
    }

    pub(crate) fn run_queue(&self) -> &deque::Worker<Runnable> {
        &self.run_queue
    }

    pub(crate) fn has_local_work(&self) -> bool {
        !self.run_queue.is_empty()
            || !self.pinned.borrow().is_empty()
            || self.lifo.borrow().is_some()
    }
}

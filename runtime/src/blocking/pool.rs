//! The pool's threads and its queue: one mutex over the queue and the thread counts, and a
//! condition variable idle threads wait on.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::task::Runnable;
use crate::thread_hooks::ThreadHooks;

/// What shutdown does with a task still queued (tokio's `Mandatory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtShutdown {
    /// Drop it unrun: its handle reports it cancelled.
    Drop,
    /// Run it anyway, and make the runtime's drop wait for it: work a caller was told is
    /// done, such as a file write that returned `Ok` before the data reached the file.
    Run,
}

/// How large the pool may grow and how long its threads wait for work.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) hooks: ThreadHooks,
}

/// A handle to the pool; each of its threads holds one too.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Signalled when a task is handed to an idle thread, and at shutdown.
    work: Condvar,
    /// Signalled when a thread exits.
    exited: Condvar,
    /// Signalled when the last task that shutdown runs ([`AtShutdown::Run`]) finishes.
    must_run_done: Condvar,
    config: Config,
}

struct State {
    queue: VecDeque<(Runnable, AtShutdown)>,
    /// Tasks queued or running that shutdown runs rather than drops.
    must_run: usize,
    /// Threads alive, counted from the moment one is decided on until it stops taking work.
    threads: usize,
    /// Threads not yet exited: `threads` plus those still running their stop callback.
    exiting_or_alive: usize,
    /// Threads waiting for work, less those already told to take some.
    idle: usize,
    /// Tasks taken by a thread and not yet finished.
    running: usize,
    /// Idle threads told to take a task that have not woken yet. A thread that wakes takes one
    /// before it looks at its timeout, so a task handed over as the keep-alive runs out is
    /// never left behind.
    wakeups: usize,
    shut_down: bool,
}

impl Pool {
    pub(crate) fn new(config: Config) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    must_run: 0,
                    threads: 0,
                    exiting_or_alive: 0,
                    idle: 0,
                    running: 0,
                    wakeups: 0,
                    shut_down: false,
                }),
                work: Condvar::new(),
                exited: Condvar::new(),
                must_run_done: Condvar::new(),
                config,
            }),
        }
    }

    /// Queues a task for the next free thread: an idle one, else a new one while below the
    /// maximum, else the first busy one to finish. After shutdown the task is dropped,
    /// whatever `at_shutdown` says: only a task queued before shutdown is run by it.
    ///
    /// # Panics
    ///
    /// If the OS refuses a thread and the pool has none left to run the task.
    pub(crate) fn schedule(&self, runnable: Runnable, at_shutdown: AtShutdown) {
        let mut state = self.inner.state.lock();
        if state.shut_down {
            drop(state);
            // Dropped outside the lock: dropping a task runs its destructors.
            drop(runnable);
            return;
        }
        state.queue.push_back((runnable, at_shutdown));
        if at_shutdown == AtShutdown::Run {
            state.must_run += 1;
        }
        if state.idle > 0 {
            state.idle -= 1;
            state.wakeups += 1;
            drop(state);
            self.inner.work.notify_one();
        } else if state.threads < self.inner.config.max_threads {
            state.threads += 1;
            state.exiting_or_alive += 1;
            drop(state);
            self.start_thread();
        }
    }

    fn start_thread(&self) {
        let inner = self.inner.clone();
        let started = thread::Builder::new()
            .name(format!("{}-blocking", self.inner.config.thread_name))
            .spawn(move || {
                inner.config.hooks.thread(|| inner.run());
                inner.exited();
            });
        if let Err(e) = started {
            let mut state = self.inner.state.lock();
            state.threads -= 1;
            state.exiting_or_alive -= 1;
            // With a thread left, the task waits for it; with none, it would wait forever.
            assert!(
                state.threads > 0,
                "the OS refused a thread for the blocking pool: {e}"
            );
            tracing::warn!(
                error = %e,
                threads = state.threads,
                "the OS refused a blocking pool thread; the closure waits for a busy one"
            );
        }
    }

    /// Drops the queued tasks but those marked [`AtShutdown::Run`], and tells idle threads to
    /// exit; the others exit once the queue is empty and their closure has returned.
    ///
    /// Every queued task has a thread bound to take it (an idle one told to, a new one, or a
    /// busy one that comes back to the queue), so the tasks left are run without a new thread.
    pub(crate) fn shutdown(&self) {
        let dropped: VecDeque<_> = {
            let mut state = self.inner.state.lock();
            state.shut_down = true;
            let queued = std::mem::take(&mut state.queue);
            let (kept, dropped) = queued
                .into_iter()
                .partition(|(_, at_shutdown)| *at_shutdown == AtShutdown::Run);
            state.queue = kept;
            dropped
        };
        self.inner.work.notify_all();
        // Dropped outside the lock: dropping a task runs its destructors.
        drop(dropped);
    }

    /// Whether a task is queued or running.
    pub(crate) fn is_busy(&self) -> bool {
        let state = self.inner.state.lock();
        !state.queue.is_empty() || state.running > 0
    }

    /// Waits until every thread of the pool has exited, or until `deadline` (`None`: forever).
    pub(crate) fn wait_for_threads(&self, deadline: Option<Instant>) {
        self.inner
            .wait_until(&self.inner.exited, deadline, |state| {
                state.exiting_or_alive == 0
            });
    }

    /// Waits until no task marked [`AtShutdown::Run`] is queued or running. On a thread of
    /// this pool it returns at once: the task waited for may be queued for this very thread.
    pub(crate) fn wait_for_must_run(&self) {
        if POOL_OF_THREAD.get() == self.inner.id() {
            return;
        }
        self.inner
            .wait_until(&self.inner.must_run_done, None, |state| state.must_run == 0);
    }
}

thread_local! {
    /// The pool this thread belongs to ([`Inner::id`]), 0 if none.
    static POOL_OF_THREAD: Cell<usize> = const { Cell::new(0) };
}

impl Inner {
    /// The pool's identity: its address, which no other live pool shares.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// A thread's life: run queued tasks, wait for more while idle, exit after the keep-alive
    /// or at shutdown.
    fn run(&self) {
        tracing::trace!("blocking pool thread started");
        POOL_OF_THREAD.set(self.id());
        let mut state = self.state.lock();
        loop {
            if let Some((runnable, at_shutdown)) = state.queue.pop_front() {
                state.running += 1;
                MutexGuard::unlocked(&mut state, || run(runnable));
                state.running -= 1;
                if at_shutdown == AtShutdown::Run {
                    state.must_run -= 1;
                    if state.must_run == 0 {
                        self.must_run_done.notify_all();
                    }
                }
            } else if state.shut_down || !self.wait_for_work(&mut state) {
                break;
            }
        }
        state.threads -= 1;
        tracing::trace!(threads = state.threads, "blocking pool thread retired");
    }

    /// Waits on `condvar` until `done` holds, or until `deadline` (`None`: forever).
    fn wait_until(
        &self,
        condvar: &Condvar,
        deadline: Option<Instant>,
        done: impl Fn(&State) -> bool,
    ) {
        let mut state = self.state.lock();
        while !done(&state) {
            match deadline {
                Some(deadline) => {
                    if condvar.wait_until(&mut state, deadline).timed_out() {
                        return;
                    }
                }
                None => condvar.wait(&mut state),
            }
        }
    }

    /// A thread has run its last code (the stop callback included).
    fn exited(&self) {
        self.state.lock().exiting_or_alive -= 1;
        self.exited.notify_all();
    }

    /// Waits as an idle thread until told to take a task (true), or until the keep-alive has
    /// passed or the pool shuts down (false).
    fn wait_for_work(&self, state: &mut MutexGuard<'_, State>) -> bool {
        state.idle += 1;
        // `None`: a keep-alive too long to add to now, which is forever.
        let deadline = Instant::now().checked_add(self.config.keep_alive);
        loop {
            let timed_out = match deadline {
                Some(deadline) => self.work.wait_until(state, deadline).timed_out(),
                None => {
                    self.work.wait(state);
                    false
                }
            };
            if state.wakeups > 0 {
                // `schedule` took this thread off the idle count.
                state.wakeups -= 1;
                return true;
            }
            if timed_out || state.shut_down {
                state.idle -= 1;
                return false;
            }
        }
    }
}

/// Runs a task; an aborted one drops its closure unrun (see `task`).
fn run(runnable: Runnable) {
    // The harness catches the closure's panic; what can still unwind is a panicking waker of
    // the task's awaiter, which must not end the thread with the pool's counts wrong.
    let _ = catch_unwind(AssertUnwindSafe(|| runnable.run()));
}

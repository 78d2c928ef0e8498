//! The runtime: its workers, `block_on`, and shutdown.
//!
//! Worker 0 has no thread of its own: the thread that calls [`Runtime::block_on`] becomes it for
//! the duration of the call (its first caller is its home thread for good, because tasks pinned
//! to worker 0 may only run there). Workers 1..N run on threads the runtime spawns. With one
//! worker, the whole runtime is the caller's thread: nothing runs between `block_on` calls.
//!
//! # Shutdown
//!
//! Dropping the runtime closes it (new spawns are cancelled at once, queued tasks are dropped
//! instead of polled), wakes and joins every worker thread (each drops the tasks pinned to it
//! on its own thread before it exits), then drops worker 0's pinned tasks and every `Send`
//! task left, and finally fails the sockets and timers that outlive it. Worker 0's pinned
//! tasks can only be dropped on its home thread: a runtime dropped elsewhere leaks them.
//! Dropped inside one of its own tasks, the runtime finishes shutting down on a thread of its
//! own once that task returns to its loop.
//!
//! Blocking closures not started yet are dropped first; those running are detached (see
//! `blocking`).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, ThreadId};

use parking_lot::Mutex;

use crate::affinity;
use crate::blocking;
use crate::scheduler::metrics::RuntimeMetrics;
use crate::scheduler::{self, context, Local, Shared, Worker};
use crate::task::{self, JoinHandle};

/// A multi-reactor runtime: one event loop per worker.
///
/// ```
/// let runtime = runtime::Runtime::new()?;
/// let answer = runtime.block_on(async {
///     runtime::spawn(async { 40 + 2 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    home: Mutex<Home>,
    threads: Vec<thread::JoinHandle<()>>,
    /// Worker 0's core, if it is pinned while it runs.
    core: Option<core_affinity::CoreId>,
}

/// Worker 0's queues, between `block_on` calls, and its home thread.
struct Home {
    local: Option<Local>,
    thread: Option<ThreadId>,
}

impl Runtime {
    /// A runtime with default settings; see [`Builder`](crate::Builder).
    pub fn new() -> std::io::Result<Runtime> {
        crate::Builder::new().build()
    }

    pub(crate) fn start(
        workers: usize,
        name: &str,
        pin: bool,
        stealing: bool,
        blocking: blocking::Config,
    ) -> std::io::Result<Runtime> {
        let (shared, queues) = Shared::new(workers, stealing, blocking)?;
        let shared = Arc::new(shared);
        let mut queues = queues.into_iter();
        let cores = if pin { affinity::cores() } else { Vec::new() };
        if pin {
            affinity::check_enough(workers, &cores);
        }
        let mut runtime = Runtime {
            home: Mutex::new(Home {
                local: Some(Local::new(
                    shared.clone(),
                    0,
                    queues.next().expect("worker 0"),
                )),
                thread: None,
            }),
            shared: shared.clone(),
            threads: Vec::with_capacity(workers - 1),
            core: cores.first().copied(),
        };
        for (index, queue) in (1..workers).zip(queues) {
            let shared = shared.clone();
            // More workers than cores: the extra ones run unpinned, as their metrics show.
            let core = cores.get(index).copied();
            let thread = thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    tracing::debug!(worker = index, "worker started");
                    if let Some(core) = core {
                        let pinned = affinity::pin(index, core);
                        shared.workers[index]
                            .counters
                            .pinned
                            .store(pinned, Ordering::Relaxed);
                    }
                    let mut worker = Worker::enter(Local::new(shared, index, queue));
                    worker.run();
                    worker.shutdown();
                    tracing::debug!(worker = index, "worker stopped");
                });
            match thread {
                Ok(thread) => runtime.threads.push(thread),
                // Dropping the half-built runtime stops the threads already started.
                Err(e) => return Err(e),
            }
        }
        Ok(runtime)
    }

    /// The number of workers (event loops).
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(3).build()?;
    /// assert_eq!(runtime.workers(), 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn workers(&self) -> usize {
        self.shared.workers.len()
    }

    /// Runs `future` to completion on the current thread, which acts as worker 0 meanwhile:
    /// it runs that worker's tasks and turns its reactor while the future waits. The future
    /// need not be `Send`.
    ///
    /// Called from a second thread while another runs worker 0 (or owns tasks pinned to it),
    /// the future is polled on the calling thread, its sockets on worker 0's loop, and the
    /// caller lends a hand with tasks spawned from outside.
    ///
    /// # Panics
    ///
    /// If called from inside a runtime (a task must `.await` instead of blocking its loop).
    /// A panic of `future` itself propagates to the caller.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    ///
    /// let runtime = runtime::Runtime::new()?;
    /// // The future may hold `!Send` values: it never leaves this thread.
    /// let greeting = Rc::new("hello");
    /// let answer = runtime.block_on(async {
    ///     runtime::time::sleep(Duration::from_millis(1)).await;
    ///     *greeting
    /// });
    /// assert_eq!(answer, "hello");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !context::is_inside(),
            "`Runtime::block_on` cannot be called from inside a runtime: it would block the \
             event loop running it; `.await` the future instead"
        );
        match self.take_worker0() {
            Some(local) => {
                let _restore = self.core.and_then(|core| {
                    let restore = affinity::Restore::save();
                    let pinned = affinity::pin(0, core);
                    self.shared.workers[0]
                        .counters
                        .pinned
                        .store(pinned, Ordering::Relaxed);
                    restore
                });
                let mut worker = HomeGuard {
                    worker: Some(Worker::enter(local)),
                    home: &self.home,
                };
                worker.worker.as_mut().expect("set above").block_on(future)
            }
            None => scheduler::guest::block_on(&self.shared, future),
        }
    }

    /// Worker 0's queues, if this thread may run worker 0: no other thread runs it now, and
    /// it has no pinned tasks tied to another thread (a thread with none may take over as its
    /// home).
    fn take_worker0(&self) -> Option<Local> {
        let me = thread::current().id();
        let mut home = self.home.lock();
        let pinned_elsewhere = home.thread.is_some_and(|t| t != me)
            && self
                .shared
                .registry
                .shard_len(self.shared.registry.local_shard(0))
                > 0;
        if pinned_elsewhere {
            return None;
        }
        let local = home.local.take()?;
        home.thread = Some(me);
        Some(local)
    }

    /// Spawns a `Send` task from outside the runtime; any worker may run it. See
    /// [`spawn`](crate::spawn).
    ///
    /// With one worker, tasks run only while some thread is inside [`block_on`](Self::block_on).
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).build()?;
    /// // Worker 1 starts it at once; worker 0 would wait for a `block_on`.
    /// let handle = runtime.spawn(async { runtime::worker_index().is_some() });
    /// assert!(runtime.block_on(handle).unwrap());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn(&self.shared, future)
    }

    /// Runs a blocking closure on the blocking pool, from outside the runtime; see
    /// [`spawn_blocking`](crate::spawn_blocking).
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let handle = runtime.spawn_blocking(|| std::fs::metadata("/").is_ok());
    /// assert!(runtime.block_on(handle).unwrap());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        task::spawn_blocking(&self.shared, f)
    }

    /// Runs the future `make` returns on every worker, each pinned to its worker (so it may
    /// hold `!Send` values): the thread-per-core style, one task per loop. `make` is called on
    /// each worker's own thread.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).build()?;
    /// let handles = runtime.on_each_worker(|| async { runtime::worker_index() });
    /// let mut workers: Vec<_> = runtime.block_on(async {
    ///     let mut seen = Vec::new();
    ///     for h in handles {
    ///         seen.push(h.await.unwrap());
    ///     }
    ///     seen
    /// });
    /// workers.sort();
    /// assert_eq!(workers, [Some(0), Some(1)]);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_each_worker<F, Fut>(&self, make: F) -> Vec<JoinHandle<Fut::Output>>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        task::on_each_worker(&self.shared, make)
    }

    /// What each worker has done so far: tasks polled and stolen, parks, reactor turns and
    /// more. Reading them costs the workers nothing.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).build()?;
    /// runtime.block_on(async { runtime::spawn(async {}).await.unwrap() });
    /// let metrics = runtime.metrics();
    /// assert_eq!(metrics.workers.len(), 2);
    /// assert!(metrics.workers.iter().map(|w| w.polls).sum::<u64>() >= 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.shared.metrics()
    }

    /// Shuts the runtime down: every task still pending is dropped (its destructors run and
    /// its sockets close) and every worker thread is joined. Dropping the runtime does the same.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// struct SetOnDrop(Arc<AtomicBool>);
    /// impl Drop for SetOnDrop {
    ///     fn drop(&mut self) {
    ///         self.0.store(true, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// let dropped = Arc::new(AtomicBool::new(false));
    /// let guard = SetOnDrop(dropped.clone());
    /// let runtime = runtime::Runtime::new()?;
    /// let _never = runtime.spawn(async move {
    ///     let _guard = guard;
    ///     std::future::pending::<()>().await
    /// });
    /// runtime.shutdown();
    /// assert!(dropped.load(Ordering::SeqCst), "the pending task was dropped");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let stopping = Stopping {
            shared: self.shared.clone(),
            home: std::mem::replace(
                &mut *self.home.lock(),
                Home {
                    local: None,
                    thread: None,
                },
            ),
            threads: std::mem::take(&mut self.threads),
        };
        stopping.shared.close();
        if !context::is_worker_of(&self.shared) {
            return stopping.finish();
        }
        // Dropped by one of its own tasks: this thread cannot wait for itself, so the rest of
        // the shutdown runs on a thread of its own once this task returns to its loop.
        thread::Builder::new()
            .name("runtime-shutdown".to_owned())
            .spawn(move || stopping.finish())
            .expect("the OS refused a thread to finish the runtime's shutdown");
    }
}

/// What a shutdown needs once the `Runtime` handle is gone.
struct Stopping {
    shared: Arc<Shared>,
    home: Home,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Stopping {
    fn finish(self) {
        let Stopping {
            shared,
            home,
            threads,
        } = self;
        shared.blocking.shutdown();
        for remote in &shared.workers[1..] {
            remote.wake_reactor();
        }
        for thread in threads {
            // A worker thread only panics if the scheduler itself is broken; the panic was
            // reported, and the rest of the shutdown still has to run.
            let _ = thread.join();
        }
        if let Some(local) = home.local {
            if home.thread.is_none_or(|t| t == thread::current().id()) {
                let mut worker = Worker::enter(local);
                worker.shutdown();
                worker.drop_send_tasks();
            } else {
                // Worker 0's pinned tasks may only be dropped on its home thread; from here
                // they can only be leaked.
                local.leak_pinned();
                let _enter = context::enter_handle(shared.clone());
                scheduler::drop_send_tasks(&shared, || local.pop());
            }
        }
        for remote in shared.workers.iter() {
            remote.reactor.shutdown();
            remote.timers.shutdown();
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .finish_non_exhaustive()
    }
}

/// Puts worker 0's queues back when `block_on` returns or unwinds.
struct HomeGuard<'a> {
    worker: Option<Worker>,
    home: &'a Mutex<Home>,
}

impl Drop for HomeGuard<'_> {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.home.lock().local = Some(worker.into_local());
        }
    }
}

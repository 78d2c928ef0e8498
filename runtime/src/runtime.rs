//! The runtime: its workers, `block_on`, and shutdown.
//!
//! Every worker runs on a thread of its own, from `Runtime::start` until the runtime is
//! dropped. No thread is lent to the runtime: [`Runtime::block_on`] polls its future on the
//! calling thread and sleeps between wakes, and [`Runtime::block_on_pinned`] (what
//! `#[runtime::main]` uses) runs its future on worker 0 while the caller waits.
//!
//! # Shutdown
//!
//! Dropping the runtime closes it (new spawns are cancelled at once, queued tasks are dropped
//! instead of polled), wakes and joins every worker thread (each drops the tasks pinned to it
//! on its own thread before it exits, and the last drops every stealable task left), and
//! finally fails the sockets and timers that outlive it. The thread that drops it mostly
//! waits (it drops the blocking closures not started yet, and any task a worker thread that
//! never started left behind): it may be any thread, in a thread-local destructor too. Dropped
//! inside one of its own tasks, the runtime finishes shutting down on a thread of its own once
//! that task returns to its loop.
//!
//! Blocking closures not started yet are dropped first; those running are detached (see
//! `blocking`). The exception is the writes of `fs::File`, which tokio runs at shutdown too:
//! they run even if not started yet, and the shutdown waits for them.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crate::affinity;
use crate::blocking;
use crate::handle::{EnterGuard, Handle};
use crate::scheduler::metrics::RuntimeMetrics;
use crate::scheduler::{self, context, Balancing, Local, Shared};
use crate::task::JoinHandle;
use crate::thread_hooks::ThreadHooks;

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
    handle: Handle,
    threads: Vec<thread::JoinHandle<()>>,
    /// Whether a shutdown has started already (`shutdown_timeout` consumes the runtime, and
    /// then its drop has nothing left to do).
    stopped: bool,
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
        balancing: Balancing,
        blocking: blocking::Config,
        hooks: ThreadHooks,
    ) -> std::io::Result<Runtime> {
        let (shared, queues) = Shared::new(workers, balancing, blocking, hooks)?;
        let shared = Arc::new(shared);
        let cores = if pin { affinity::cores() } else { Vec::new() };
        if pin {
            affinity::check_enough(workers, &cores);
        }
        let mut runtime = Runtime {
            handle: Handle {
                shared: shared.clone(),
            },
            threads: Vec::with_capacity(workers),
            stopped: false,
        };
        for (index, queue) in queues.into_iter().enumerate() {
            let shared = shared.clone();
            // More workers than cores: the extra ones run unpinned, as their metrics show.
            let core = cores.get(index).copied();
            let thread = thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    let hooks = shared.hooks.clone();
                    hooks.thread(|| {
                        tracing::debug!(worker = index, "worker started");
                        if let Some(core) = core {
                            let pinned = affinity::pin(index, core);
                            shared.workers[index]
                                .counters
                                .pinned
                                .store(pinned, Ordering::Relaxed);
                        }
                        scheduler::run_worker(Local::new(shared, index, queue));
                        tracing::debug!(worker = index, "worker stopped");
                    })
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
        self.handle.shared.workers.len()
    }

    /// A handle to the runtime, to spawn on it from anywhere (clone it to keep it); see
    /// [`Handle`].
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this thread part of the runtime until the guard is dropped; see
    /// [`Handle::enter`].
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let _guard = runtime.enter();
    /// let task = runtime::spawn(async { 1 + 1 });
    /// assert_eq!(runtime.block_on(task).unwrap(), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Runs `future` to completion on the current thread, which sleeps whenever the future
    /// waits. The future need not be `Send`: it never leaves this thread. Tasks it spawns run
    /// on the workers, and the sockets and timers it creates belong to a worker, which serves
    /// them like its own; any number of threads may call it at once.
    ///
    /// `runtime::spawn_local` needs a worker's thread: use
    /// [`block_on_pinned`](Self::block_on_pinned) for a future that spawns pinned tasks.
    ///
    /// # Panics
    ///
    /// If called on a worker of any runtime (a task must `.await` instead of blocking its
    /// loop), or inside another `block_on`. A panic of `future` itself propagates to the
    /// caller. It may be called on a thread of the blocking pool.
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
        self.handle.block_on(future)
    }

    /// Creates a future with `make` on worker 0 and runs it there as a pinned task, while the
    /// calling thread waits for its output: what `#[runtime::main]` and `#[runtime::test]` do
    /// with their body. The future need not be `Send` (only `make` and the output cross
    /// threads), and may call [`spawn_local`](crate::spawn_local).
    ///
    /// # Panics
    ///
    /// As [`block_on`](Self::block_on); a panic of the future propagates to the caller.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let runtime = runtime::Runtime::new()?;
    /// let total = runtime.block_on_pinned(|| async {
    ///     let total = Rc::new(Cell::new(0));
    ///     let adder = runtime::spawn_local({
    ///         let total = total.clone();
    ///         async move { total.set(total.get() + 2) }
    ///     });
    ///     adder.await.unwrap();
    ///     assert_eq!(runtime::worker_index(), Some(0));
    ///     total.get()
    /// });
    /// assert_eq!(total, 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn block_on_pinned<F, Fut>(&self, make: F) -> Fut::Output
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        // Checked before the task exists: a caller that may not wait must not start it.
        scheduler::assert_may_block();
        let task = self.handle.shared.spawn_pinned(0, make);
        match self.block_on(task) {
            Ok(output) => output,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("the runtime's main task ended without an output: {e}"),
        }
    }

    /// Spawns a `Send` task from outside the runtime; any worker may run it, at once. See
    /// [`spawn`](crate::spawn).
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let handle = runtime.spawn(async { runtime::worker_index().is_some() });
    /// assert!(runtime.block_on(handle).unwrap());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
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
        self.handle.spawn_blocking(f)
    }

    /// Runs the future `make(worker)` returns on every worker, each pinned to its worker (so it
    /// may hold `!Send` values): the thread-per-core style, one task per loop. `make` is called
    /// on each worker's own thread, with that worker's index.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).build()?;
    /// let handles = runtime.on_each_worker(|worker| async move {
    ///     assert_eq!(runtime::worker_index(), Some(worker));
    ///     runtime::worker_index()
    /// });
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
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        scheduler::on_each_worker(&self.handle.shared, make)
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
        self.handle.metrics()
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

    /// Shuts the runtime down as dropping it does, but waits at most `duration` for it: for
    /// the workers to drop their tasks and exit, and for blocking closures still running to
    /// return. What is not done by then finishes in the background. Inside one of the
    /// runtime's own tasks it does not wait at all (the task's loop cannot stop while the task
    /// waits for it).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = runtime::Runtime::new()?;
    /// // A closure that would hold a plain drop up for its whole minute.
    /// runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(60)));
    /// runtime.shutdown_timeout(Duration::from_millis(10));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_timeout(mut self, duration: Duration) {
        let deadline = Instant::now().checked_add(duration);
        let stopping = self.stop();
        let shared = stopping.shared.clone();
        let finished = stopping.finish_in_background();
        if context::is_worker_of(&shared) {
            return;
        }
        // Done or not, the shutdown thread carries on alone from here.
        let _ = match deadline {
            Some(deadline) => finished
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .map_err(drop),
            None => finished.recv().map_err(drop),
        };
        shared.blocking.wait_for_threads(deadline);
    }

    /// Shuts the runtime down without waiting for anything: the workers drop their tasks and
    /// exit in the background. Blocking closures still running are left to return on their
    /// own. Useful in a context that must not block, such as inside another runtime's task.
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// runtime.spawn(std::future::pending::<()>());
    /// runtime.shutdown_background();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    /// Closes the runtime (new spawns are cancelled, queued tasks dropped) and hands over what
    /// is left of its shutdown.
    fn stop(&mut self) -> Stopping {
        self.stopped = true;
        let stopping = Stopping {
            shared: self.handle.shared.clone(),
            threads: std::mem::take(&mut self.threads),
        };
        stopping.shared.close();
        stopping
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let stopping = self.stop();
        if context::is_worker_of(&stopping.shared) {
            // Dropped by one of its own tasks: this thread cannot wait for itself, so the rest
            // of the shutdown runs on a thread of its own once this task returns to its loop.
            stopping.finish_in_background();
        } else {
            stopping.finish();
        }
    }
}

/// What a shutdown needs once the `Runtime` handle is gone.
struct Stopping {
    shared: Arc<Shared>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Stopping {
    /// Finishes the shutdown on a thread of its own; the receiver disconnects when it is done.
    fn finish_in_background(self) -> mpsc::Receiver<()> {
        let (done, finished) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("runtime-shutdown".to_owned())
            .spawn(move || {
                self.finish();
                drop(done);
            })
            .expect("the OS refused a thread to finish the runtime's shutdown");
        finished
    }

    fn finish(self) {
        let Stopping { shared, threads } = self;
        shared.blocking.shutdown();
        for remote in shared.workers.iter() {
            remote.wake_reactor();
        }
        for thread in threads {
            // A worker thread only panics if the scheduler itself is broken; the panic was
            // reported, and the rest of the shutdown still has to run.
            let _ = thread.join();
        }
        // The last worker dropped every stealable task; any left are those of a worker thread
        // that never started.
        scheduler::drop_stealable(&shared, || None);
        for remote in shared.workers.iter() {
            remote.reactor.shutdown();
            remote.timers.shutdown();
        }
        // File writes already reported done (see `blocking`).
        shared.blocking.wait_for_must_run();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .finish_non_exhaustive()
    }
}

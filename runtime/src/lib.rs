//! A multi-reactor, work-stealing async runtime for servers with many connections.
//!
//! Every worker is an event loop of its own: it owns a reactor (one `epoll` instance), a timing
//! wheel and its run queues, on a thread of its own (pinned to a core on request). Listeners
//! can be sharded across the loops with `SO_REUSEPORT`, so the kernel spreads connections and
//! each loop serves its own sockets with no locks in the way; a task woken by a socket runs on
//! the loop that owns the socket, and an idle loop steals ready tasks from a busy one.
//!
//! ```no_run
//! use runtime::net::TcpListener;
//!
//! #[runtime::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:8080")?;
//!     loop {
//!         let (mut stream, _) = listener.accept().await?;
//!         runtime::spawn(async move {
//!             let mut buf = vec![0; 4096];
//!             while let Ok(n @ 1..) = stream.read(&mut buf).await {
//!                 if stream.write_all(&buf[..n]).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!     }
//! }
//! ```
//!
//! - Tasks: [`spawn`] (`Send`, may run on any worker), [`spawn_local`] (pinned to the current
//!   worker, may hold `Rc` and `RefCell`), [`JoinHandle`], [`JoinSet`], [`yield_now`], and in
//!   [`task`] their ids, abort handles and the cooperative budget.
//! - Sockets: [`net`] (TCP, UDP, Unix domain), registered with the loop that creates them
//!   (created outside the workers, with a worker chosen in turn).
//! - Time: [`time`] (`sleep`, `timeout`, `interval`).
//! - hyper 1.x (feature `hyper`): its executor, timer and I/O traits in `runtime::hyper`.
//! - Blocking work: [`spawn_blocking`], and [`fs`] on top of it.
//! - Waiting on several futures at once: [`join!`], [`try_join!`], [`select!`] (see below).
//! - Signals: [`signal`] ([`signal::ctrl_c`], and a stream per Unix signal), and graceful
//!   shutdown of sharded servers: [`Server::shutdown`](net::Server::shutdown).
//! - Metrics: [`metrics()`] and [`Runtime::metrics`], per worker, always on; with the
//!   `prometheus` feature, `metrics::Collector` exports them to a `prometheus-client`
//!   registry.
//!
//! # Blocking calls
//!
//! A blocking call (file I/O, a CPU-heavy computation, a blocking library, `std::thread::sleep`)
//! stalls the loop it runs on and every socket that loop owns. Put it in [`spawn_blocking`],
//! which runs it on a pool of threads of its own and gives a [`JoinHandle`] to await, or split
//! a long computation into short steps with [`yield_now`] between them. Files go through
//! [`fs`], which does this for you.
//!
//! ```
//! # runtime::Runtime::new()?.block_on(async {
//! let sum = runtime::spawn_blocking(|| (1..=1_000u64).sum::<u64>()).await.unwrap();
//! assert_eq!(sum, 500_500);
//! # });
//! # std::io::Result::Ok(())
//! ```
//!
//! # Channels and locks
//!
//! The runtime has no channels or locks of its own: those of runtime-agnostic libraries work on
//! it, across tasks on any worker. `tokio::sync` (`mpsc`, `oneshot`, `broadcast`, `watch`,
//! `Mutex`, `RwLock`, `Notify`, `Semaphore`; the `sync` feature of `tokio` alone, which starts
//! no tokio runtime), `async-channel` and `futures-channel` are good choices. Never hold a
//! `std::sync::Mutex` guard across an `.await`.
//!
//! # Waiting on several futures
//!
//! [`join!`] waits for all of its futures, [`try_join!`] for all of them or the first error,
//! and [`select!`] for the first of them to finish. They are `futures-util`'s macros,
//! re-exported with its [`future`] and [`stream`] helpers; `select!` takes fused futures
//! ([`FutureExt::fuse`](future::FutureExt::fuse)).
//!
//! ```
//! use std::time::Duration;
//! use runtime::future::FutureExt;
//!
//! # runtime::Runtime::new()?.block_on(async {
//! // Both at once.
//! let (a, b) = runtime::join!(async { 1 }, async { 2 });
//! assert_eq!(a + b, 3);
//!
//! // Both, or the first error.
//! let parse = |s: &'static str| async move { s.parse::<u32>() };
//! assert_eq!(runtime::try_join!(parse("4"), parse("2")), Ok((4, 2)));
//! assert!(runtime::try_join!(parse("4"), parse("x")).is_err());
//!
//! // Whichever finishes first.
//! let mut task = runtime::spawn(async { "task" }).fuse();
//! let mut timer = Box::pin(runtime::time::sleep(Duration::from_secs(60)).fuse());
//! let first = runtime::select! {
//!     output = task => output.unwrap(),
//!     () = timer => "timer",
//! };
//! assert_eq!(first, "task");
//! # });
//! # std::io::Result::Ok(())
//! ```

#![warn(missing_docs)]

mod affinity;
mod blocking;
mod builder;
#[cfg(feature = "tokio-compat")]
mod compat;
mod fd_limit;
pub mod fs;
mod handle;
#[cfg(feature = "hyper")]
pub mod hyper;
mod join_set;
mod loom;
pub mod metrics;
pub mod process;
mod runtime;
mod scheduler;
mod serve;
pub mod signal;
pub mod task;
mod thread_hooks;
pub mod time;

use std::future::Future;

pub use builder::{Builder, PIN_ENV, REHOME_ENV, STAND_IN_ENV, STEALING_ENV, WORKERS_ENV};
pub use handle::{EnterGuard, Handle, Id, TryCurrentError};
pub use join_set::JoinSet;
pub use macros::{main, test};
pub use metrics::{PollTimeHistogram, RuntimeMetrics, WorkerMetrics};
pub use runtime::Runtime;
pub use task::{yield_now, JoinError, JoinHandle};

// `futures-util`'s future combinators, so that users need no other crate for them.
#[doc(no_inline)]
pub use futures_util::{future, join, pin_mut, select, select_biased, stream, try_join};

/// Sockets, registered with the event loop of the thread that creates them (or, created on a
/// thread that is no worker, with a worker chosen in turn), and [`serve`](net::serve) for
/// listeners sharded across every loop.
pub mod net {
    pub use crate::serve::{
        serve, serve_with, Drain, Scoped, ServeOptions, Server, ShutdownReport, ShutdownSignal,
    };
    pub use net::{
        Connection, Interest, ListenOptions, OwnedReadHalf, OwnedWriteHalf, ReadHalf, Ready,
        ReuniteError, TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener,
        UnixStream, WriteHalf,
    };

    /// Unix domain socket types, at tokio's paths.
    pub mod unix {
        pub use net::UCred;
    }
}

/// Spawns a task that may run on any worker and returns a handle to its output.
///
/// The task starts on the current worker's run queue, and after each wake it goes to the run
/// queue of the worker that woke it, so a task serving a socket runs on the socket's loop.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let handles: Vec<_> = (0..4).map(|i| runtime::spawn(async move { i * 2 })).collect();
/// let mut sum = 0;
/// for h in handles {
///     sum += h.await.unwrap();
/// }
/// assert_eq!(sum, 12);
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime (use [`Runtime::spawn`] there).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    scheduler::context::with_current("`runtime::spawn`", |shared| {
        shared.spawn(scheduler::Placement::Stealable, future)
    })
}

/// Spawns a task pinned to the current worker: it never moves to another thread, so it may
/// hold `!Send` values such as `Rc` and `RefCell` across `.await`s.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// # runtime::Runtime::new()?.block_on_pinned(|| async {
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let task = runtime::spawn_local({
///     let log = log.clone();
///     async move { log.borrow_mut().push("from the task") }
/// });
/// task.await.unwrap();
/// assert_eq!(*log.borrow(), ["from the task"]);
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// On a thread that is not one of the runtime's workers.
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (shared, worker) = scheduler::context::current("`runtime::spawn_local`");
    let worker = worker.expect(
        "`runtime::spawn_local` must be called on one of the runtime's workers (inside a task, \
         or a future run by `Runtime::block_on_pinned` or `#[runtime::main]`), since the task is \
         pinned to that worker's thread; `Runtime::block_on` runs its future on the calling \
         thread, which is no worker",
    );
    shared.spawn_here(worker, future)
}

/// Runs a closure that blocks (file I/O, a blocking library, a long computation) on the
/// runtime's blocking pool, so that it stalls no event loop, and returns a handle to its
/// output.
///
/// The pool starts a thread when no idle one can take the closure, up to
/// [`Builder::max_blocking_threads`] (512 by default; past that, closures wait for a free
/// thread), and a thread idle for [`Builder::blocking_keep_alive`] (10 s) exits. The threads
/// are named `{thread_name}-blocking` (`runtime-blocking` by default). The closure runs inside
/// the runtime, so it may [`spawn`] tasks, and may wait for them with [`Runtime::block_on`]
/// (its thread is no worker).
///
/// A panic in the closure makes the handle give a [`JoinError`] for which
/// [`is_panic`](JoinError::is_panic) is true. [`JoinHandle::abort`] keeps a closure that has
/// not started from running, but cannot stop one that has. When the runtime shuts down,
/// closures not started are dropped and those running are left to finish on their threads:
/// shutdown does not wait for them. (The blocking work behind a [`fs::File`] write is the
/// exception: it runs, and dropping the runtime waits for it, as in tokio.)
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let handle = runtime::spawn_blocking(|| {
///     // Stands for a blocking call; on the event loop it would stall every socket there.
///     std::thread::sleep(std::time::Duration::from_millis(10));
///     "done"
/// });
/// assert_eq!(handle.await.unwrap(), "done");
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime (use [`Runtime::spawn_blocking`] there), or if the OS refuses a thread
/// when the pool has none.
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking_at_shutdown(blocking::AtShutdown::Drop, f)
}

/// [`spawn_blocking`], saying what a shutdown before the closure starts does with it.
pub(crate) fn spawn_blocking_at_shutdown<F, T>(
    at_shutdown: blocking::AtShutdown,
    f: F,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (shared, _) = scheduler::context::current("`runtime::spawn_blocking`");
    shared.spawn_blocking(at_shutdown, f)
}

/// Runs the future `make(worker)` returns on every worker of the current runtime, pinned
/// there; see [`Runtime::on_each_worker`].
///
/// ```
/// # runtime::Builder::new().workers(2).build()?.block_on(async {
/// let handles = runtime::on_each_worker(|worker| async move { worker });
/// let mut workers = Vec::new();
/// for handle in handles {
///     workers.push(handle.await.unwrap());
/// }
/// workers.sort();
/// assert_eq!(workers, [0, 1]);
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn on_each_worker<F, Fut>(make: F) -> Vec<JoinHandle<Fut::Output>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let (shared, _) = scheduler::context::current("`runtime::on_each_worker`");
    scheduler::on_each_worker(&shared, make)
}

/// The index of the worker running the current task, or `None` on a thread that is no worker
/// (such as one inside [`Runtime::block_on`]).
///
/// ```
/// let runtime = runtime::Runtime::new()?;
/// assert_eq!(runtime.block_on_pinned(|| async { runtime::worker_index() }), Some(0));
/// assert_eq!(runtime.block_on(async { runtime::worker_index() }), None);
/// # std::io::Result::Ok(())
/// ```
pub fn worker_index() -> Option<usize> {
    scheduler::context::worker_index()
}

/// The metrics of the current runtime; see [`Runtime::metrics`].
///
/// ```
/// # runtime::Builder::new().workers(2).build()?.block_on(async {
/// let stolen: u64 = runtime::metrics().workers.iter().map(|w| w.steals).sum();
/// println!("tasks stolen so far: {stolen}");
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn metrics() -> RuntimeMetrics {
    scheduler::context::current("`runtime::metrics`")
        .0
        .metrics()
}

//! Configuring a runtime before it starts.

use std::io;
use std::time::Duration;

use std::sync::Arc;

use crate::scheduler::{Balancing, MAX_WORKERS};
use crate::thread_hooks::ThreadHooks;
use crate::Runtime;
use crate::{blocking, fd_limit};

/// The environment variable that sets the worker count when the code does not.
pub const WORKERS_ENV: &str = "RUNTIME_WORKERS";
/// The environment variable that turns pinning off (`0` or `off`) or on (`1` or `on`) when
/// the code does not choose.
pub const PIN_ENV: &str = "RUNTIME_PIN";
/// The environment variable that turns stealing off (`0` or `off`) when the code does not
/// choose; for measuring what stealing buys a given program.
pub const STEALING_ENV: &str = "RUNTIME_STEALING";
/// The environment variable that turns stand-ins for stuck loops off (`0` or `off`) when the
/// code does not choose; see [`Builder::stand_in`].
pub const STAND_IN_ENV: &str = "RUNTIME_STAND_IN";
/// The environment variable that turns the moving of connections to the loops that serve them
/// on (`1` or `on`) or off (`0` or `off`) when the code does not choose; see
/// [`Builder::rehome`].
pub const REHOME_ENV: &str = "RUNTIME_REHOME";

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// use std::time::Duration;
///
/// let runtime = runtime::Builder::new()
///     .workers(2)
///     .thread_name("server")
///     .pin_workers(false)
///     .max_blocking_threads(64)
///     .blocking_keep_alive(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    workers: Option<usize>,
    thread_name: String,
    pin: Option<bool>,
    stealing: Option<bool>,
    stand_in: Option<bool>,
    rehome: Option<bool>,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    raise_fd_limit: bool,
    #[cfg(feature = "tokio-compat")]
    tokio_compat: bool,
    hooks: ThreadHooks,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Default settings: one worker per CPU this process may run on (or `RUNTIME_WORKERS` of
    /// them), threads named `runtime-N`, workers not pinned (unless `RUNTIME_PIN=1`), stealing
    /// and stand-ins on (unless `RUNTIME_STEALING=0`, `RUNTIME_STAND_IN=0`), connections not
    /// moved between loops (unless `RUNTIME_REHOME=1`), up to 512 blocking threads kept 10 s
    /// when idle, and the process's limit on open files raised to its hard limit.
    pub fn new() -> Builder {
        Builder {
            workers: None,
            thread_name: "runtime".to_owned(),
            pin: None,
            stealing: None,
            stand_in: None,
            rehome: None,
            // As tokio's: blocking threads mostly wait on the OS, so many can run at once.
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            raise_fd_limit: true,
            #[cfg(feature = "tokio-compat")]
            tokio_compat: true,
            hooks: ThreadHooks::default(),
        }
    }

    /// The number of workers, each an event loop with its own reactor and timers on a thread
    /// of its own. Overrides `RUNTIME_WORKERS`.
    ///
    /// # Panics
    ///
    /// If `workers` is zero or above 65,534.
    pub fn workers(mut self, workers: usize) -> Builder {
        assert!(workers > 0, "a runtime needs at least one worker");
        assert!(
            workers <= MAX_WORKERS,
            "a runtime has at most {MAX_WORKERS} workers"
        );
        self.workers = Some(workers);
        self
    }

    /// The name prefix of the runtime's threads: worker `i` is named `{name}-{i}`, and the
    /// threads of the blocking pool `{name}-blocking`.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Whether to pin each worker to a core of its own (off by default, or as `RUNTIME_PIN`
    /// says). Pinned loops keep their caches and never migrate, which pays on a machine the
    /// server has to itself: above all when some requests run long, since an idle loop that
    /// stands in for one busy in a long task then has a core of its own to do it on (unpinned,
    /// the kernel often queues it behind the busy one; see BENCHMARKS.md, skewed workloads).
    /// Where other busy processes share the cores, a pinned loop cannot get out of their way.
    /// A worker with no core left, or whose pinning the OS refuses, runs unpinned, as its
    /// metrics show.
    pub fn pin_workers(mut self, pin: bool) -> Builder {
        self.pin = Some(pin);
        self
    }

    /// Whether idle workers steal tasks from busy ones (on by default, or as
    /// `RUNTIME_STEALING` says). Off, every task stays on the worker it was spawned or woken
    /// on: the pure thread-per-core model.
    pub fn stealing(mut self, stealing: bool) -> Builder {
        self.stealing = Some(stealing);
        self
    }

    /// Whether workers stand in for a peer stuck in a task (on by default, or as
    /// `RUNTIME_STAND_IN` says): a worker that has not turned its reactor for 0.25 ms while
    /// running has its reactor turned and its timers fired by an idle peer (by a busy one
    /// after 2 ms), so its sockets are still served, and one stuck for 100 ms is reported as
    /// a `tracing` warning. The watch costs each idle worker a wake-up every 0.25 ms
    /// while a peer runs and every 100 ms while all sleep. With stealing and stand-ins both off, no loop runs another's tasks or
    /// turns another's reactor: the thread-per-core model.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).stealing(false).stand_in(false).build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stand_in(mut self, stand_in: bool) -> Builder {
        self.stand_in = Some(stand_in);
        self
    }

    /// Whether a connection moves to the loop that keeps serving it (off by default, or as
    /// `RUNTIME_REHOME` says). A socket is registered with the loop it was created (accepted)
    /// on, and its task is woken there: a task that an idle peer steals, or runs for a loop
    /// stuck in a task (see [`stand_in`](Self::stand_in)), goes back at its next wake. With
    /// this on, a connection whose task waited on another loop's thread 4 times in a row
    /// while its own loop was behind moves its registration to that loop, and its task's
    /// wakes come from there from then on. A loop is behind when it is stuck in a task (away
    /// from its reactor for 10 ms), when it has tasks queued and has not run out of work
    /// once in the last 10 ms, or when it was busy for 70% of the time or more since the
    /// asking loop last looked (20 ms at least) and for 30 points more than that loop: lasting
    /// overload, unlike two busy loops that trade tasks now and then, between which
    /// connections would only go back and forth. A connection that
    /// moved stays at least 100 ms where it went. Listeners, datagram sockets and pipes never
    /// move; the halves of a split stream move together. Each move is counted in
    /// [`WorkerMetrics::moves`](crate::WorkerMetrics::moves) of the loop it went to.
    ///
    /// It is off by default: on the 2 shared cores we measure on, it changed nothing in the
    /// TCP round-trip micro-benchmarks nor for an echo server accepting every connection on
    /// one loop (see BENCHMARKS.md), which is too little evidence to change every server's
    /// behavior. Where it pays is a loop stuck in a task: its connections move to the loops
    /// serving them, which answer them at once instead of whenever a stand-in next turns the
    /// stuck loop's reactor. Either way a server pays one compare per wait for it.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(2).rehome(true).build()?;
    /// let moved: u64 = runtime.metrics().workers.iter().map(|w| w.moves).sum();
    /// assert_eq!(moved, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn rehome(mut self, rehome: bool) -> Builder {
        self.rehome = Some(rehome);
        self
    }

    /// The most threads the blocking pool runs at once (512 by default). Closures spawned with
    /// [`spawn_blocking`](crate::spawn_blocking) while all of them are busy wait in a queue.
    ///
    /// # Panics
    ///
    /// If `max` is zero.
    pub fn max_blocking_threads(mut self, max: usize) -> Builder {
        assert!(max > 0, "the blocking pool needs at least one thread");
        self.max_blocking_threads = max;
        self
    }

    /// How long a thread of the blocking pool waits for another closure before it exits (10 s
    /// by default).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.blocking_keep_alive = keep_alive;
        self
    }

    /// Whether to raise the process's soft limit on open files (`RLIMIT_NOFILE`) to its hard
    /// limit when the runtime starts (on by default). Every connection is a file descriptor,
    /// and the usual soft limit of 1,024 is far below what a server with many connections
    /// needs; the hard limit is what the administrator allows.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().raise_fd_limit(false).build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn raise_fd_limit(mut self, raise: bool) -> Builder {
        self.raise_fd_limit = raise;
        self
    }

    /// Whether this runtime's threads run inside the context of a tokio runtime (on by default
    /// with the `tokio-compat` feature), so that crates calling `tokio::spawn`,
    /// `tokio::time` or `tokio::net` (reqwest, tonic's client, database clients) work from its
    /// tasks. That tokio runtime is the runtime's own, with one thread, which drives tokio's
    /// timers and sockets and runs what `tokio::spawn` spawns; it shuts down with this one.
    /// Off, those crates panic as they would without tokio ("there is no reactor running").
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = runtime::Builder::new().tokio_compat(true).build()?;
    /// let slept = runtime.block_on(async {
    ///     // tokio's own timer, from a task of this runtime.
    ///     runtime::spawn(tokio::time::sleep(Duration::from_millis(1))).await
    /// });
    /// assert!(slept.is_ok());
    /// # std::io::Result::Ok(())
    /// ```
    #[cfg(feature = "tokio-compat")]
    pub fn tokio_compat(mut self, on: bool) -> Builder {
        self.tokio_compat = on;
        self
    }

    /// Runs `f` on each thread the runtime starts (workers and blocking-pool threads), before
    /// it does anything else.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let runtime = runtime::Builder::new()
    ///     .workers(2)
    ///     .on_thread_start(move || {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()?;
    /// runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
    /// drop(runtime);
    /// assert_eq!(started.load(Ordering::SeqCst), 3, "two workers and one blocking thread");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_thread_start(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.hooks.start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each thread the runtime started, as the last thing before it exits.
    pub fn on_thread_stop(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.hooks.stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker just before it goes to sleep for want of work (in `epoll_wait`).
    pub fn on_thread_park(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.hooks.park = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker just after it wakes from sleep, before it runs anything.
    pub fn on_thread_unpark(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.hooks.unpark = Some(Arc::new(f));
        self
    }

    /// Starts the runtime: creates each worker's reactor and spawns the worker threads.
    ///
    /// Fails if `RUNTIME_WORKERS` is set to something other than an integer from 1 to 65,534, or if
    /// the OS refuses an epoll instance or a thread.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.workers {
            Some(n) => n,
            None => match workers_from_env()? {
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, usize::from),
            },
        };
        // Off unless asked for: a pinned loop cannot move off a core another busy process uses
        // (see BENCHMARKS.md). On a machine the server has to itself, pinning is the better bet.
        let pin = self.pin.or_else(|| switch_in_env(PIN_ENV)).unwrap_or(false);
        let balancing = Balancing {
            stealing: self
                .stealing
                .or_else(|| switch_in_env(STEALING_ENV))
                .unwrap_or(true),
            stand_in: self
                .stand_in
                .or_else(|| switch_in_env(STAND_IN_ENV))
                .unwrap_or(true),
            rehome: self
                .rehome
                .or_else(|| switch_in_env(REHOME_ENV))
                .unwrap_or(false),
        };
        if self.raise_fd_limit {
            // Best effort: a server that cannot raise it still runs, with fewer connections.
            let _ = fd_limit::raise();
        }
        #[cfg_attr(not(feature = "tokio-compat"), allow(unused_mut))]
        let mut hooks = self.hooks;
        #[cfg(feature = "tokio-compat")]
        if self.tokio_compat {
            hooks.tokio = Some(crate::compat::TokioContext::start(&self.thread_name)?);
        }
        let blocking = blocking::Config {
            max_threads: self.max_blocking_threads,
            keep_alive: self.blocking_keep_alive,
            thread_name: self.thread_name.clone(),
            hooks: hooks.clone(),
        };
        Runtime::start(workers, &self.thread_name, pin, balancing, blocking, hooks)
    }
}

/// Whether environment variable `name` turns its feature on (`1`, `on`, `true`) or off (`0`,
/// `off`, `false`); `None` if it is not set, or set to something else.
fn switch_in_env(name: &str) -> Option<bool> {
    match std::env::var(name).as_deref() {
        Ok("1" | "on" | "true") => Some(true),
        Ok("0" | "off" | "false") => Some(false),
        _ => None,
    }
}

fn workers_from_env() -> io::Result<Option<usize>> {
    let Some(value) = std::env::var_os(WORKERS_ENV) else {
        return Ok(None);
    };
    match value.to_str().map(|v| v.trim().parse::<usize>()) {
        Some(Ok(n)) if n > 0 && n <= MAX_WORKERS => Ok(Some(n)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{WORKERS_ENV} must be an integer from 1 to {MAX_WORKERS}, got {value:?}"),
        )),
    }
}

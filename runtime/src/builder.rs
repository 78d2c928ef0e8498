//! Configuring a runtime before it starts.

use std::io;

use crate::Runtime;

/// The environment variable that sets the worker count when the code does not.
pub const WORKERS_ENV: &str = "RUNTIME_WORKERS";
/// The environment variable that turns pinning off (`0` or `off`) or on (`1` or `on`) when
/// the code does not choose.
pub const PIN_ENV: &str = "RUNTIME_PIN";
/// The environment variable that turns stealing off (`0` or `off`) when the code does not
/// choose; for measuring what stealing buys a given program.
pub const STEALING_ENV: &str = "RUNTIME_STEALING";

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// let runtime = runtime::Builder::new()
///     .workers(2)
///     .thread_name("server")
///     .pin_workers(false)
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
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Default settings: one worker per CPU this process may run on (or `RUNTIME_WORKERS` of
    /// them), threads named `runtime-N`, workers not pinned (unless `RUNTIME_PIN=1`), stealing
    /// on (unless `RUNTIME_STEALING=0`).
    pub fn new() -> Builder {
        Builder {
            workers: None,
            thread_name: "runtime".to_owned(),
            pin: None,
            stealing: None,
        }
    }

    /// The number of workers, each an event loop with its own reactor and timers. Overrides
    /// `RUNTIME_WORKERS`. Worker 0 runs on the thread that calls
    /// [`block_on`](Runtime::block_on); the others get threads of their own.
    ///
    /// # Panics
    ///
    /// If `workers` is zero.
    pub fn workers(mut self, workers: usize) -> Builder {
        assert!(workers > 0, "a runtime needs at least one worker");
        self.workers = Some(workers);
        self
    }

    /// The name prefix of the worker threads; worker `i` is named `{name}-{i}`.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Whether to pin each worker to a core of its own (off by default, or as `RUNTIME_PIN`
    /// says). Pinned loops keep their caches and never migrate, which pays on a machine the
    /// server has to itself; where other busy processes share the cores, a pinned loop cannot
    /// get out of their way. A worker with no core left, or whose pinning the OS refuses, runs
    /// unpinned, as its metrics show.
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

    /// Starts the runtime: creates each worker's reactor and spawns the worker threads.
    ///
    /// Fails if `RUNTIME_WORKERS` is set to something other than a positive integer, or if
    /// the OS refuses an epoll instance or a thread.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.workers {
            Some(n) => n,
            None => match workers_from_env()? {
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, usize::from),
            },
        };
        let pin = self
            .pin
            .unwrap_or_else(|| match std::env::var(PIN_ENV).as_deref() {
                Ok("0" | "off" | "false") => false,
                Ok("1" | "on" | "true") => true,
                // Off unless asked for: measured on 2 cores shared with a load generator, pinned
                // loops served 40% fewer requests (they cannot move off a core another busy
                // process uses). On a machine the server has to itself, pinning is the better bet.
                _ => false,
            });
        let stealing = match self.stealing {
            Some(stealing) => stealing,
            None => !matches!(
                std::env::var(STEALING_ENV).as_deref(),
                Ok("0" | "off" | "false")
            ),
        };
        Runtime::start(workers, &self.thread_name, pin, stealing)
    }
}

fn workers_from_env() -> io::Result<Option<usize>> {
    let Some(value) = std::env::var_os(WORKERS_ENV) else {
        return Ok(None);
    };
    match value.to_str().map(|v| v.trim().parse::<usize>()) {
        Some(Ok(n)) if n > 0 => Ok(Some(n)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{WORKERS_ENV} must be a positive integer, got {value:?}"),
        )),
    }
}

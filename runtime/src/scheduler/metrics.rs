//! Per-worker counters, cheap enough to stay on always.
//!
//! Each counter is written only by its worker's thread, with a plain load and store (no
//! read-modify-write, no lock), on its own cache lines; other threads only read them, for a
//! snapshot. A snapshot is not atomic across counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

/// One counter with a single writer.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`; only the owning worker may call it.
    pub(crate) fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) steal_attempts: Counter,
    pub(crate) parks: Counter,
    pub(crate) turns: Counter,
    pub(crate) io_events: Counter,
    pub(crate) remote_wakes: Counter,
    pub(crate) injector_pulls: Counter,
    pub(crate) stand_ins: Counter,
    pub(crate) accepted: Counter,
    pub(crate) pinned: AtomicBool,
}

pub(crate) type WorkerCounters = CachePadded<Counters>;

impl Counters {
    pub(crate) fn snapshot(&self) -> WorkerMetrics {
        WorkerMetrics {
            polls: self.polls.get(),
            steals: self.steals.get(),
            steal_attempts: self.steal_attempts.get(),
            parks: self.parks.get(),
            turns: self.turns.get(),
            io_events: self.io_events.get(),
            remote_wakes: self.remote_wakes.get(),
            injector_pulls: self.injector_pulls.get(),
            stand_ins: self.stand_ins.get(),
            accepted: self.accepted.get(),
            pinned: self.pinned.load(Ordering::Relaxed),
        }
    }
}

/// What one worker has done since the runtime started; see
/// [`Runtime::metrics`](crate::Runtime::metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Tasks polled.
    pub polls: u64,
    /// Tasks taken from peers' run queues.
    pub steals: u64,
    /// Peer queues looked into for tasks to steal.
    pub steal_attempts: u64,
    /// Times the worker went to sleep in `epoll_wait` for lack of work.
    pub parks: u64,
    /// Turns of the worker's own reactor.
    pub turns: u64,
    /// I/O events its reactor delivered.
    pub io_events: u64,
    /// Wake-ups from other threads: reactor wakes, and pinned tasks handed over through the
    /// inbox.
    pub remote_wakes: u64,
    /// Tasks taken from the injector (spawned from outside the runtime).
    pub injector_pulls: u64,
    /// Turns of a stuck peer's reactor done on the peer's behalf (see
    /// [`Builder::stand_in`](crate::Builder::stand_in)).
    pub stand_ins: u64,
    /// Connections accepted on this worker's loop by [`serve`](crate::net::serve).
    pub accepted: u64,
    /// Whether the worker's thread is pinned to a core.
    pub pinned: bool,
}

/// Per-worker metrics of a runtime, from [`Runtime::metrics`](crate::Runtime::metrics).
///
/// ```
/// use runtime::WorkerMetrics;
///
/// let runtime = runtime::Builder::new().workers(2).build()?;
/// for (i, worker) in runtime.metrics().workers.iter().enumerate() {
///     let WorkerMetrics { polls, parks, pinned, .. } = worker;
///     println!("worker {i}: {polls} polls, {parks} parks, pinned: {pinned}");
/// }
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// One entry per worker, in worker order.
    pub workers: Vec<WorkerMetrics>,
}

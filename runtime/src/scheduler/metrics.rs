//! Per-worker counters and gauges, cheap enough to stay on always.
//!
//! Each counter is written only by its worker's thread, with a plain load and store (no
//! read-modify-write, no lock), on its own cache lines; other threads only read them, for a
//! snapshot. A snapshot is not atomic across counters.
//!
//! Two kinds of value are read rather than counted when a snapshot is taken: the depth of the
//! queues other threads can see (the run queue through its stealer, the inbox, the injector),
//! and the live connections of a worker's accept loops, the one value with several writers (a
//! connection ends on whichever worker drops its task), kept apart from the counters
//! ([`LiveConnections`]) so that those writes do not touch the owner's counter lines.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::poll_histogram::{PollTimeHistogram, PollTimes};

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

    /// Replaces the value with `n`, for a gauge; only the owning worker may call it.
    pub(crate) fn set(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The connections a worker's accept loops started that have not ended yet: incremented by the
/// loop, decremented wherever the connection's task is dropped.
#[derive(Debug, Default)]
pub(crate) struct LiveConnections(CachePadded<AtomicU64>);

impl LiveConnections {
    pub(crate) fn started(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn ended(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a snapshot reads besides the counters: the queue depths of one worker and its live
/// connections.
pub(crate) struct Depths {
    pub(crate) local_queue: usize,
    pub(crate) inbox: usize,
    pub(crate) live_connections: u64,
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
    /// Connections moved to this worker's loop (see `rehome`).
    pub(crate) moves: Counter,
    pub(crate) accepted: Counter,
    /// Nanoseconds spent outside `epoll_wait`, up to the last park or look at the reactor.
    pub(crate) busy_ns: Counter,
    /// The length of the pinned queue, a gauge the worker sets as it pushes and pops.
    pub(crate) pinned_depth: Counter,
    pub(crate) poll_times: PollTimes,
    pub(crate) pinned: AtomicBool,
}

pub(crate) type WorkerCounters = CachePadded<Counters>;

impl Counters {
    pub(crate) fn snapshot(&self, depths: Depths) -> WorkerMetrics {
        WorkerMetrics {
            local_queue_depth: depths.local_queue,
            pinned_queue_depth: self.pinned_depth.get() as usize,
            inbox_depth: depths.inbox,
            live_connections: depths.live_connections,
            busy_duration: Duration::from_nanos(self.busy_ns.get()),
            poll_time_histogram: self.poll_times.snapshot(),
            polls: self.polls.get(),
            steals: self.steals.get(),
            steal_attempts: self.steal_attempts.get(),
            parks: self.parks.get(),
            turns: self.turns.get(),
            io_events: self.io_events.get(),
            remote_wakes: self.remote_wakes.get(),
            injector_pulls: self.injector_pulls.get(),
            stand_ins: self.stand_ins.get(),
            moves: self.moves.get(),
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
    /// Connections moved to this worker's loop from a loop that was behind, because this one
    /// kept serving them (see [`Builder::rehome`](crate::Builder::rehome)).
    pub moves: u64,
    /// Connections accepted on this worker's loop by [`serve`](crate::net::serve).
    pub accepted: u64,
    /// Connections accepted on this worker's loop by [`serve`](crate::net::serve) whose task
    /// has not ended yet (wherever it runs now).
    pub live_connections: u64,
    /// Tasks in the worker's run queue, which peers may steal from (tokio's
    /// `worker_local_queue_depth`); the task in its LIFO slot, if any, is not counted.
    pub local_queue_depth: usize,
    /// Tasks pinned to the worker waiting in its pinned queue.
    pub pinned_queue_depth: usize,
    /// Pinned tasks woken on other threads, waiting in the worker's inbox.
    pub inbox_depth: usize,
    /// Time spent running tasks and everything else but sleeping in `epoll_wait` (tokio's
    /// `worker_total_busy_duration`). It is brought up to date every 61 tasks and each time the
    /// worker goes to sleep, so a snapshot may miss the last fraction of a millisecond.
    pub busy_duration: Duration,
    /// How long a sample of its task polls took: one poll in
    /// [`PollTimeHistogram::SAMPLE_PERIOD`], so its count is about `polls` divided by that. A
    /// poll is counted in `polls` as it starts and here as it ends.
    pub poll_time_histogram: PollTimeHistogram,
    /// Whether the worker's thread is pinned to a core.
    pub pinned: bool,
}

/// Per-worker metrics of a runtime, from [`Runtime::metrics`](crate::Runtime::metrics).
///
/// ```
/// use runtime::WorkerMetrics;
///
/// let runtime = runtime::Builder::new().workers(2).build()?;
/// let metrics = runtime.metrics();
/// for (i, worker) in metrics.workers.iter().enumerate() {
///     let WorkerMetrics { polls, parks, pinned, busy_duration, local_queue_depth, .. } = worker;
///     println!("worker {i}: {polls} polls, {parks} parks, pinned: {pinned}");
///     println!("  busy for {busy_duration:?}, {local_queue_depth} tasks queued");
/// }
/// println!("{} tasks from outside waiting", metrics.global_queue_depth);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// One entry per worker, in worker order.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks waiting in the injector, the queue of tasks spawned or woken outside the runtime
    /// (tokio's `global_queue_depth`).
    pub global_queue_depth: usize,
}

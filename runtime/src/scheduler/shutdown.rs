//! Dropping what is left of the tasks once the runtime closes.
//!
//! A task waiting on I/O, a timer or a channel sits in no queue; the registry reaches it (see
//! `task::registry`): waking every live task puts each in a queue, and dropping the queues'
//! contents drops the futures. Each worker drops the tasks pinned to it on its own thread
//! ([`drop_pinned`]), since a pinned future may only be dropped there; the last worker to be
//! done with that drops the stealable ones ([`drop_stealable`]), still as a worker, so that
//! their destructors run where tasks do (one that spawns finds its task cancelled at once).
//!
//! A task can be in flight when shutdown starts: recorded but not queued yet (spawned from
//! outside a moment before the runtime closed), or woken on another thread and on its way to
//! a queue. Neither wake nor drain reaches it until it lands, so shutdown goes on until its
//! shard holds no live task, never after one pass that found nothing: a task landing in an
//! inbox nobody drains any more would keep the runtime's shared state, and with it every
//! descriptor, alive forever. A creator that finds the runtime closing drops its task itself
//! (see `spawn`). The wait is bounded: a task whose hand-off never completes is left behind
//! with a warning rather than hanging the shutdown.

use std::time::{Duration, Instant};

use super::worker::Worker;
use super::Shared;
use crate::task::Runnable;

/// How long shutdown waits for tasks in flight to land.
const IN_FLIGHT_LIMIT: Duration = Duration::from_secs(5);

/// Drops the tasks pinned to `worker`, and whatever its own queues hold, on its thread.
pub(crate) fn drop_pinned(worker: &mut Worker) {
    let shared = worker.shared().clone();
    let index = worker.index();
    let shard = shared.registry.pinned_shard(index);
    worker.local().flush_lifo();
    let give_up = Instant::now() + IN_FLIGHT_LIMIT;
    loop {
        shared.registry.wake_all([shard]);
        worker.drain_inbox();
        let local = worker.local();
        while let Some(runnable) = local.pop_pinned().or_else(|| local.pop()) {
            drop(runnable);
        }
        let live = shared.registry.shard_len(shard);
        if live == 0 {
            return;
        }
        if Instant::now() > give_up {
            tracing::warn!(
                worker = index,
                live,
                "shutdown gave up waiting for tasks pinned to this worker; they are leaked"
            );
            return;
        }
        // A task is on its way to the inbox.
        std::thread::yield_now();
    }
}

/// Wakes every live stealable task and drops it from whichever queue it lands in, until none
/// is left; `pop_local` empties the calling worker's own run queue. Called once every worker
/// is done running tasks.
pub(crate) fn drop_stealable(shared: &Shared, mut pop_local: impl FnMut() -> Option<Runnable>) {
    let give_up = Instant::now() + IN_FLIGHT_LIMIT;
    loop {
        let live = shared.registry.wake_all(shared.registry.send_shards());
        if live == 0 {
            return;
        }
        let mut dropped = 0;
        let pop_any = || {
            shared
                .injector
                .steal()
                .success()
                .or_else(|| (shared.workers.iter()).find_map(|w| w.stealer.steal().success()))
        };
        while let Some(runnable) = pop_local().or_else(pop_any) {
            drop(runnable);
            dropped += 1;
        }
        if dropped == 0 {
            if Instant::now() > give_up {
                tracing::warn!(live, "shutdown gave up waiting for tasks; they are leaked");
                return;
            }
            // A task being woken on a thread outside the runtime right now reaches the
            // injector in a moment.
            std::thread::yield_now();
        }
    }
}

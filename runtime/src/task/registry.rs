//! The registry of live tasks, so that shutdown can reach every one of them.
//!
//! A task waiting on I/O, a timer or a channel sits in no queue: only wakers point at it. To
//! drop every pending task when the runtime shuts down, the registry keeps a waker of each
//! live task; shutdown wakes them all, each lands in a queue, and dropping the queues' contents
//! drops the futures. A task leaves the registry when its future is dropped (see `Harness`).
//!
//! The registry is sharded: one shard per worker for its pinned tasks (which only that worker
//! may drop), and a pool of shards for `Send` tasks, which each spawning thread goes through
//! in turn. A spawn or a completion locks one shard; a `Send` task is often finished on
//! another thread than the one that spawned it (a thread outside the runtime, a thief), and
//! the rotation makes that completion lock, most of the time, a shard other than the one
//! the spawner is on, instead of fighting the next spawn for it. A last shard holds the blocking pool's tasks, which
//! shutdown leaves to the pool: it drops those still queued, and those running cannot be
//! reached until their closure returns.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Waker;

use parking_lot::Mutex;
use slab::Slab;

use super::Runnable;

/// `Send` shards per worker.
const SEND_SHARDS_PER_WORKER: usize = 4;

/// Spreads the threads' starting points over the `Send` shards.
static THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The `Send` shard this thread spawns into next (modulo their number).
    static NEXT_SEND: Cell<usize> =
        Cell::new(THREADS.fetch_add(1, Ordering::Relaxed) * SEND_SHARDS_PER_WORKER);
}

pub(crate) struct Registry {
    shards: Box<[Arc<Shard>]>,
    workers: usize,
    send: usize,
}

/// One lock's worth of the registry. Each task's [`Slot`] holds its shard, rather than the
/// runtime's `Arc<Shared>`, whose count every spawn and completion on any core would bounce:
/// a shard's count sits beside the lock that the spawn and the completion take anyway.
struct Shard(Mutex<Slab<Waker>>);

/// One task's entry: it leaves the registry when the slot is dropped (with the task's
/// harness, once its future is gone).
pub(crate) struct Slot {
    shard: Arc<Shard>,
    key: usize,
}

impl Registry {
    pub(crate) fn new(workers: usize) -> Registry {
        let send = SEND_SHARDS_PER_WORKER * (workers + 1);
        Registry {
            shards: (0..workers + send + 1)
                .map(|_| Arc::new(Shard(Mutex::new(Slab::new()))))
                .collect(),
            workers,
            send,
        }
    }

    /// The shard of the tasks pinned to `worker`.
    pub(crate) fn pinned_shard(&self, worker: usize) -> usize {
        worker
    }

    /// The shard for the next `Send` task this thread spawns.
    pub(crate) fn send_shard(&self) -> usize {
        let next = NEXT_SEND.with(|n| n.replace(n.get().wrapping_add(1)));
        self.workers + next % self.send
    }

    /// The shard of the blocking pool's tasks.
    pub(crate) fn blocking_shard(&self) -> usize {
        self.workers + self.send
    }

    /// Builds a task with the slot it is about to occupy and records its waker there.
    pub(crate) fn insert<R>(
        &self,
        shard: usize,
        build: impl FnOnce(Slot) -> (Runnable, R),
    ) -> (Runnable, R) {
        let shard = &self.shards[shard];
        let mut tasks = shard.0.lock();
        let entry = tasks.vacant_entry();
        let slot = Slot {
            shard: shard.clone(),
            key: entry.key(),
        };
        let (runnable, r) = build(slot);
        entry.insert(runnable.waker());
        (runnable, r)
    }

    /// Wakes every task of the shards in `shards`, so each is scheduled and can be dropped.
    /// Returns how many tasks were still live.
    pub(crate) fn wake_all(&self, shards: impl IntoIterator<Item = usize>) -> usize {
        let mut wakers = Vec::new();
        for shard in shards {
            wakers.extend(self.shards[shard].0.lock().iter().map(|(_, w)| w.clone()));
        }
        let live = wakers.len();
        net::wake_all(wakers);
        live
    }

    /// The shards holding `Send` tasks.
    pub(crate) fn send_shards(&self) -> std::ops::Range<usize> {
        self.workers..self.workers + self.send
    }

    /// Live tasks in one shard.
    pub(crate) fn shard_len(&self, shard: usize) -> usize {
        self.shards[shard].0.lock().len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let waker = self.shard.0.lock().try_remove(self.key);
        // Dropped after the lock is released: dropping a waker can run the scheduler.
        drop(waker);
    }
}

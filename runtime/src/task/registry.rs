//! The registry of live tasks, so that shutdown can reach every one of them.
//!
//! A task waiting on I/O, a timer or a channel sits in no queue: only wakers point at it. To
//! drop every pending task when the runtime shuts down, the registry keeps a waker of each
//! live task; shutdown wakes them all, each lands in a queue, and dropping the queues' contents
//! drops the futures. A task leaves the registry when its future is dropped (see `Harness`).
//!
//! The registry is sharded: one shard per worker for its pinned tasks (which only that worker
//! may drop), one per worker for the `Send` tasks spawned there, and one for `Send` tasks
//! spawned from outside the runtime. A spawn or a completion locks one shard, which only
//! contends with another worker when a task finishes away from where it was spawned. A last
//! shard holds the blocking pool's tasks, which shutdown leaves to the pool: it drops those
//! still queued, and those running cannot be reached until their closure returns.

use std::task::Waker;

use parking_lot::Mutex;
use slab::Slab;

use super::Runnable;

pub(crate) struct Registry {
    shards: Box<[Mutex<Slab<Waker>>]>,
    workers: usize,
}

/// Where one task's entry is: its shard and its key there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    shard: u32,
    key: u32,
}

impl Registry {
    pub(crate) fn new(workers: usize) -> Registry {
        Registry {
            shards: (0..2 * workers + 2)
                .map(|_| Mutex::new(Slab::new()))
                .collect(),
            workers,
        }
    }

    /// The shard of the pinned tasks of `worker`.
    pub(crate) fn local_shard(&self, worker: usize) -> usize {
        worker
    }

    /// The shard of the `Send` tasks spawned on `worker`, or outside the runtime for `None`.
    pub(crate) fn send_shard(&self, worker: Option<usize>) -> usize {
        match worker {
            Some(w) => self.workers + w,
            None => 2 * self.workers,
        }
    }

    /// The shard of the blocking pool's tasks.
    pub(crate) fn blocking_shard(&self) -> usize {
        2 * self.workers + 1
    }

    /// Builds a task with the slot it is about to occupy and records its waker there.
    pub(crate) fn insert<R>(
        &self,
        shard: usize,
        build: impl FnOnce(Slot) -> (Runnable, R),
    ) -> (Runnable, R) {
        let mut tasks = self.shards[shard].lock();
        let entry = tasks.vacant_entry();
        let slot = Slot {
            shard: shard as u32,
            key: u32::try_from(entry.key()).expect("more than 2^32 live tasks in one shard"),
        };
        let (runnable, r) = build(slot);
        entry.insert(runnable.waker());
        (runnable, r)
    }

    pub(crate) fn remove(&self, slot: Slot) {
        let waker = self.shards[slot.shard as usize]
            .lock()
            .try_remove(slot.key as usize);
        // Dropped after the lock is released: dropping a waker can run the scheduler.
        drop(waker);
    }

    /// Wakes every task of the shards in `shards`, so each is scheduled and can be dropped.
    /// Returns how many tasks were still live.
    pub(crate) fn wake_all(&self, shards: impl IntoIterator<Item = usize>) -> usize {
        let mut wakers = Vec::new();
        for shard in shards {
            wakers.extend(self.shards[shard].lock().iter().map(|(_, w)| w.clone()));
        }
        let live = wakers.len();
        net::wake_all(wakers);
        live
    }

    /// The shards holding `Send` tasks.
    pub(crate) fn send_shards(&self) -> std::ops::Range<usize> {
        self.workers..2 * self.workers + 1
    }

    /// Live tasks in one shard.
    pub(crate) fn shard_len(&self, shard: usize) -> usize {
        self.shards[shard].lock().len()
    }
}

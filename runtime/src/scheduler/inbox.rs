//! A worker's inbox: the tasks pinned to it that other threads woke.
//!
//! Any thread pushes, only the owner drains, swapping the whole batch out under one short lock.
//! A push reports whether the owner may be asleep (see `park`), in which case the pusher wakes
//! its reactor.

use std::sync::atomic::Ordering;

use super::park::ParkState;
use crate::loom::{AtomicUsize, Mutex};

#[derive(Debug)]
pub(crate) struct Inbox<T> {
    queue: Mutex<Vec<T>>,
    /// The queue's length, written under the lock, read without it: the owner looks at its
    /// inbox on every turn, and it is almost always empty.
    len: AtomicUsize,
}

impl<T> Inbox<T> {
    pub(crate) fn new() -> Inbox<T> {
        Inbox {
            queue: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// Hands `item` to the owner; true if the owner may be asleep and must be woken.
    #[must_use = "a true result means the owner's reactor must be woken"]
    pub(crate) fn push(&self, item: T, owner: &ParkState) -> bool {
        {
            let mut queue = self.queue.lock();
            queue.push(item);
            self.len.store(queue.len(), Ordering::SeqCst);
        }
        owner.unpark()
    }

    /// Moves everything queued into `batch`, which should be empty: the two are swapped, so a
    /// batch buffer reused by the owner keeps the inbox from allocating. The owner calls it
    /// once `is_empty` has said there is something.
    pub(crate) fn take(&self, batch: &mut Vec<T>) {
        let mut queue = self.queue.lock();
        std::mem::swap(&mut *queue, batch);
        self.len.store(0, Ordering::SeqCst);
    }

    /// Whether nothing is queued. After the owner's `ParkState::prepare`, a push that this
    /// misses is followed by an `unpark` that sees the owner parked (see `park`).
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::SeqCst) == 0
    }

    /// How many are queued, for a metrics snapshot.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }
}

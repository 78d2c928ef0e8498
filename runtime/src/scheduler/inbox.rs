//! A worker's inbox: the tasks pinned to it that other threads woke.
//!
//! Any thread pushes, only the owner drains, swapping the whole batch out under one short lock.
//! A push reports whether the owner may be asleep (see `park`), in which case the pusher wakes
//! its reactor.

use super::park::ParkState;
use crate::loom::Mutex;

#[derive(Debug)]
pub(crate) struct Inbox<T> {
    queue: Mutex<Vec<T>>,
}

impl<T> Inbox<T> {
    pub(crate) fn new() -> Inbox<T> {
        Inbox {
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Hands `item` to the owner; true if the owner may be asleep and must be woken.
    #[must_use = "a true result means the owner's reactor must be woken"]
    pub(crate) fn push(&self, item: T, owner: &ParkState) -> bool {
        self.queue.lock().push(item);
        owner.unpark()
    }

    /// Moves everything queued into `batch`, which should be empty: the two are swapped, so a
    /// batch buffer reused by the owner keeps the inbox from allocating.
    pub(crate) fn take(&self, batch: &mut Vec<T>) {
        std::mem::swap(&mut *self.queue.lock(), batch);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.lock().is_empty()
    }
}

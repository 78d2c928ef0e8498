//! Who waits on a source: the tasks to wake when the reactor sees it ready.
//!
//! Nearly always one task waits on each direction of a source (a connection's handler reading,
//! or writing), registering the same waker poll after poll: it has a slot of its own per
//! direction, and registering it again changes nothing. Several tasks may also wait on one
//! direction at once: accept loops sharing a listener, tasks sharing a UDP socket, a stream
//! shared behind an `Arc`. The waker of each further task goes to a list beside the slot,
//! allocated the first time this happens, and an event wakes the slot and the whole list: each
//! task tries the source again, one takes what is there, and the others see `WouldBlock` and
//! wait again (as with tokio's list of waiters).
//!
//! A waker stays until an event or the source's end takes it: a task that stopped waiting is
//! woken once more, for nothing. The list holds each task once (a waker that would wake a task
//! already there is not added), so it never outgrows the tasks that waited since the last event.
//!
//! Both directions share one lock, held for a few instructions by a registering task or by the
//! reactor taking the wakers: one lock and two slots take the bytes that two atomic wakers did,
//! and a source's size is paid by every idle connection.

use std::task::Waker;

use super::scheduled_io::Direction;
use crate::loom::Mutex;

#[derive(Default)]
pub(crate) struct Waiters(Mutex<Slots>);

#[derive(Default)]
struct Slots {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// The further tasks waiting at once, indexed by `Direction`.
    others: Option<Box<[Vec<Waker>; 2]>>,
}

impl Waiters {
    /// Drops every waker, once the lock is released (a waker's drop may run anything).
    pub(crate) fn clear(&self) {
        let slots = std::mem::take(&mut *self.0.lock());
        drop(slots);
    }

    /// Records that the task of `waker` waits on `direction`.
    pub(crate) fn register(&self, direction: Direction, waker: &Waker) {
        let mut slots = self.0.lock();
        let slot = match direction {
            Direction::Read => &mut slots.reader,
            Direction::Write => &mut slots.writer,
        };
        match slot {
            Some(current) if current.will_wake(waker) => {}
            None => *slot = Some(waker.clone()),
            Some(_) => slots.add_other(direction, waker),
        }
    }

    /// Moves the wakers of every task waiting to read (if `read`) and to write (if `write`) to
    /// `wakers`, for the caller to wake once it holds no lock.
    pub(crate) fn take(&self, read: bool, write: bool, wakers: &mut Vec<Waker>) {
        let mut slots = self.0.lock();
        if read {
            wakers.extend(slots.reader.take());
        }
        if write {
            wakers.extend(slots.writer.take());
        }
        if slots.others.is_some() {
            slots.take_others(read, write, wakers);
        }
    }
}

impl Slots {
    #[cold]
    fn add_other(&mut self, direction: Direction, waker: &Waker) {
        let others = &mut self.others.get_or_insert_with(Default::default)[direction as usize];
        if !others.iter().any(|other| other.will_wake(waker)) {
            others.push(waker.clone());
        }
    }

    #[cold]
    fn take_others(&mut self, read: bool, write: bool, wakers: &mut Vec<Waker>) {
        let Some(others) = &mut self.others else {
            return;
        };
        for (wanted, direction) in [(read, Direction::Read), (write, Direction::Write)] {
            if wanted {
                wakers.append(&mut others[direction as usize]);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn task() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    fn wake_taken(waiters: &Waiters, read: bool, write: bool) -> usize {
        let mut wakers = Vec::new();
        waiters.take(read, write, &mut wakers);
        let n = wakers.len();
        wakers.into_iter().for_each(Waker::wake);
        n
    }

    #[test]
    fn an_event_wakes_every_task_waiting_in_its_direction_once() {
        let waiters = Waiters::default();
        let tasks: Vec<_> = (0..5).map(|_| task()).collect();
        for (_, waker) in &tasks {
            // Each registers twice, as a task polled twice before an event does.
            waiters.register(Direction::Read, waker);
            waiters.register(Direction::Read, waker);
        }
        let (writer, writer_waker) = task();
        waiters.register(Direction::Write, &writer_waker);
        assert_eq!(wake_taken(&waiters, true, false), 5);
        for (count, _) in &tasks {
            assert_eq!(count.0.load(Ordering::SeqCst), 1);
        }
        assert_eq!(
            writer.0.load(Ordering::SeqCst),
            0,
            "a read event left the writer"
        );
        assert_eq!(wake_taken(&waiters, true, false), 0, "taken once");
        assert_eq!(wake_taken(&waiters, true, true), 1);
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
    }
}

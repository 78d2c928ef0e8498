//! Readiness of one registered source, shared between the reactor that sets it and the tasks that
//! consume it.
//!
//! mio registers every source edge-triggered: the OS reports a transition to "ready" once, and
//! nothing more until an operation has drained the source to `WouldBlock`. So readiness is sticky
//! here: the reactor ORs new readiness in, and only an operation that saw `WouldBlock` clears it.
//!
//! The clear races with the reactor: an event can arrive between the operation's `WouldBlock` and
//! the clear, and clearing it then would lose it for good. Every update stamps the word anew (the
//! stamp counts the events recorded for this source); a clear names the stamp its readiness was
//! read at and does nothing if the word has been stamped since. The stamp is the source's own,
//! not the number of a reactor's turn, so the stamps a clear compares come from one sequence
//! whichever reactor recorded the events. It has 48 bits, so it does not wrap in practice (an
//! 8-bit one wraps after 256 events).
//!
//! The word, from the low bits up:
//!
//! | bits   | meaning                                          |
//! |--------|--------------------------------------------------|
//! | 0..6   | readable, writable, read closed, write closed, priority, error (a [`Ready`]) |
//! | 8      | the reactor has shut down                        |
//! | 16..64 | stamp: the number of events recorded so far      |
//!
//! A reader and a writer (the two halves of a split stream) wait side by side, and so do
//! several tasks waiting on one direction (see [`Waiters`]).

use std::io;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use super::waiters::Waiters;
use crate::loom::AtomicU64;
use crate::{Interest, Ready};

/// The direction of an operation: which readiness it waits for and which waiters it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Reading, receiving or accepting.
    Read = 0,
    /// Writing, sending or connecting.
    Write = 1,
}

impl Direction {
    /// The readiness that lets an operation in this direction make progress. A closed side
    /// counts as ready: the operation then returns 0 or an error instead of waiting forever.
    #[inline]
    const fn mask(self) -> Ready {
        // Constants, so that the masks are computed once, at compile time, not per call.
        const READ: Ready = Interest::READABLE.mask();
        const WRITE: Ready = Interest::WRITABLE.mask();
        match self {
            Direction::Read => READ,
            Direction::Write => WRITE,
        }
    }

    /// The readiness that wakes the tasks waiting in this direction: what lets an operation
    /// in it make progress and, for reading, what the interests waiting beside the readers
    /// wait for (priority and errors: see [`Interest::waits_with_readers`]).
    #[inline]
    const fn wake_mask(self) -> Ready {
        const READ: Ready = Interest::READABLE
            .add(Interest::PRIORITY)
            .add(Interest::ERROR)
            .mask();
        match self {
            Direction::Read => READ,
            Direction::Write => Direction::Write.mask(),
        }
    }
}

/// Readiness observed at one stamp, handed back to `clear_readiness` after a `WouldBlock`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    stamp: u64,
    ready: Ready,
}

impl ReadyEvent {
    /// The same event without its closed bits, for forgetting plain readiness only: a short
    /// transfer proves the buffer drained or full, but says nothing against a close the
    /// reactor reported, which would never be reported again.
    pub(crate) fn without_closed(self) -> ReadyEvent {
        ReadyEvent {
            ready: self.ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED),
            ..self
        }
    }

    /// The readiness seen.
    pub(crate) fn ready(self) -> Ready {
        self.ready
    }
}

const SHUTDOWN: u64 = 1 << 8;
const STAMP_SHIFT: u32 = 16;
/// One event's worth of stamp.
const STAMP_ONE: u64 = 1 << STAMP_SHIFT;
const _: () = assert!(Ready::ALL.bits() < SHUTDOWN && SHUTDOWN < STAMP_ONE);

pub(crate) struct ScheduledIo {
    readiness: AtomicU64,
    waiters: Waiters,
}

impl ScheduledIo {
    /// A new source starts out assumed ready at stamp 0: the first operation is tried at once
    /// (an accepted socket often has its request waiting already), and its `WouldBlock` clears
    /// the assumption unless a real event has stamped the word since.
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicU64::new((Ready::READABLE | Ready::WRITABLE).bits()),
            waiters: Waiters::default(),
        }
    }

    /// Records readiness seen by a reactor, stamping the word anew, and collects the wakers to
    /// wake. The caller wakes them after releasing its locks: a waker may run arbitrary code.
    pub(crate) fn set_readiness(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        // Release: a task that sees this readiness also sees what the reactor did before it.
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                // The stamp wraps after 2^48 events, carrying out of the top bit.
                Some(cur.wrapping_add(STAMP_ONE) | ready.bits())
            });
        self.waiters.take(
            ready.intersects(Direction::Read.wake_mask()),
            ready.intersects(Direction::Write.wake_mask()),
            wakers,
        );
    }

    /// Drops the wakers of every task that waited on the source, which is going away: none
    /// can be waiting on it still (its owner drops it), and the reactor, which keeps a
    /// dropped source's `ScheduledIo` until its next delivery of events ends (see
    /// `Reactor`), must not keep their tasks, and through their schedulers itself, alive
    /// with it. (tokio's registration clears its wakers on drop for the same cycle.)
    pub(crate) fn forget_waiters(&self) {
        self.waiters.clear();
    }

    /// Marks the source dead because its reactor is gone, and collects every waker.
    pub(crate) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.waiters.take(true, true, wakers);
    }

    /// Ready once the source may make progress in `direction`; otherwise records the task as
    /// waiting in that direction and returns `Pending`.
    #[inline]
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.poll_mask(direction.mask(), || {
            self.waiters.register(direction, cx.waker())
        })
    }

    /// [`poll_ready`](Self::poll_ready) for every readiness of `interest`: ready once any of
    /// them is. The task waits in each direction involved (priority and errors beside the
    /// readers), and an event in either wakes it.
    pub(crate) fn poll_ready_interest(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.poll_mask(interest.mask(), || {
            if interest.waits_with_readers() {
                self.waiters.register(Direction::Read, cx.waker());
            }
            if interest.is_writable() {
                self.waiters.register(Direction::Write, cx.waker());
            }
        })
    }

    /// Ready once readiness within `mask` is recorded; otherwise `register`s the task as a
    /// waiter and returns `Pending`.
    #[inline]
    fn poll_mask(&self, mask: Ready, register: impl FnOnce()) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.ready_event(mask) {
            return Poll::Ready(ready);
        }
        register();
        // Look again: the reactor may have set readiness after the first look but before the
        // waker was stored, and then it had no waker to take.
        match self.ready_event(mask) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// The readiness recorded within `mask` (a direction's or an interest's), if any, without
    /// storing a waker.
    #[inline]
    pub(crate) fn ready_event(&self, mask: Ready) -> Option<io::Result<ReadyEvent>> {
        let cur = self.readiness.load(Ordering::Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(gone()));
        }
        let ready = Ready::from_bits(cur) & mask;
        (!ready.is_empty()).then_some(Ok(ReadyEvent {
            stamp: cur >> STAMP_SHIFT,
            // A `WouldBlock` proves the direction neither ready nor closed (a closed side
            // returns 0 or an error), so everything seen here may be cleared after one.
            ready,
        }))
    }

    /// Forgets readiness an operation has just proved stale with `WouldBlock`, unless the
    /// reactor has stamped new readiness since `event` was read.
    #[inline]
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                (cur >> STAMP_SHIFT == event.stamp).then_some(cur & !event.ready.bits())
            });
    }
}

fn gone() -> io::Error {
    io::Error::other("the runtime that owned this socket's event loop has shut down")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Flag(std::sync::atomic::AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(false.into()));
        (flag.clone(), Waker::from(flag))
    }

    #[test]
    fn clear_keeps_readiness_that_arrived_after_the_read() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(Ok(ev)) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("a new source is assumed ready");
        };
        // An event lands between the operation's WouldBlock and the clear.
        io.set_readiness(Ready::READABLE, &mut Vec::new());
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn clear_then_event_wakes_the_stored_waker() {
        let io = ScheduledIo::new();
        let (flag, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(Ok(ev)) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("a new source is assumed ready");
        };
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        // Writability must not wake the reader.
        let mut wakers = Vec::new();
        io.set_readiness(Ready::WRITABLE, &mut wakers);
        assert!(wakers.is_empty());
        io.set_readiness(Ready::READ_CLOSED, &mut wakers);
        wakers.drain(..).for_each(Waker::wake);
        assert!(flag.0.load(Ordering::SeqCst));
        // A closed side stays ready until an operation proves otherwise.
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn an_interest_in_both_directions_is_woken_by_either() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let both = Interest::READABLE | Interest::WRITABLE;
        let Poll::Ready(Ok(ev)) = io.poll_ready_interest(&mut cx, both) else {
            panic!("a new source is assumed ready");
        };
        assert_eq!(ev.ready(), Ready::READABLE | Ready::WRITABLE);
        io.clear_readiness(ev);
        assert!(io.poll_ready_interest(&mut cx, both).is_pending());
        let mut wakers = Vec::new();
        io.set_readiness(Ready::WRITABLE, &mut wakers);
        assert_eq!(wakers.len(), 1, "the task waits in the write direction too");
        let Poll::Ready(Ok(ev)) = io.poll_ready_interest(&mut cx, both) else {
            panic!("writability satisfies an interest in both directions");
        };
        assert_eq!(ev.ready(), Ready::WRITABLE);
        assert!(io
            .poll_ready_interest(&mut cx, Interest::READABLE)
            .is_pending());
    }

    #[test]
    fn priority_and_error_wake_a_task_waiting_beside_the_readers() {
        for (interest, event) in [
            (Interest::PRIORITY, Ready::PRIORITY),
            (Interest::ERROR, Ready::ERROR),
        ] {
            let io = ScheduledIo::new();
            let (flag, w) = waker();
            let mut cx = Context::from_waker(&w);
            assert!(io.poll_ready_interest(&mut cx, interest).is_pending());
            let mut wakers = Vec::new();
            io.set_readiness(Ready::WRITABLE, &mut wakers);
            assert!(
                wakers.is_empty(),
                "{interest:?} does not wait with the writers"
            );
            io.set_readiness(event, &mut wakers);
            wakers.drain(..).for_each(Waker::wake);
            assert!(flag.0.load(Ordering::SeqCst));
            let Poll::Ready(Ok(ev)) = io.poll_ready_interest(&mut cx, interest) else {
                panic!("{event:?} satisfies {interest:?}");
            };
            assert_eq!(ev.ready(), event);
            // A `WouldBlock` forgets it, as it forgets plain readiness.
            io.clear_readiness(ev.without_closed());
            assert!(io.poll_ready_interest(&mut cx, interest).is_pending());
        }
    }

    #[test]
    fn shutdown_fails_every_direction() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        io.shutdown(&mut Vec::new());
        for dir in [Direction::Read, Direction::Write] {
            assert!(matches!(io.poll_ready(&mut cx, dir), Poll::Ready(Err(_))));
        }
    }
}

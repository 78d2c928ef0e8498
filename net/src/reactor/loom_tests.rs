//! loom models of the readiness protocol: the reactor setting readiness races with a task
//! clearing it after `WouldBlock` and then waiting. Whatever the interleaving, the task either
//! sees the new readiness or its waker is woken: an event is never lost. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p net --lib loom`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use super::scheduled_io::{Direction, ScheduledIo};
use crate::Ready;

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The reactor's side: an event, and the wakes it collected.
fn reactor_event(io: &ScheduledIo, ready: Ready) {
    let mut wakers = Vec::new();
    io.set_readiness(ready, &mut wakers);
    wakers.into_iter().for_each(Waker::wake);
}

/// The task's side: an operation read readiness, got `WouldBlock`, cleared it, and waits.
/// True if it would sleep (its final poll was `Pending`).
fn task_drains_and_waits(io: &ScheduledIo, cx: &mut Context<'_>) -> bool {
    let Poll::Ready(Ok(event)) = io.poll_ready(cx, Direction::Read) else {
        panic!("a new source is assumed ready");
    };
    io.clear_readiness(event);
    io.poll_ready(cx, Direction::Read).is_pending()
}

#[test]
fn loom_an_event_during_a_clear_is_never_lost() {
    loom::model(|| {
        let io = loom::sync::Arc::new(ScheduledIo::new());
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let reactor = {
            let io = io.clone();
            thread::spawn(move || reactor_event(&io, Ready::READABLE))
        };
        let waker = Waker::from(flag.clone());
        let sleeps = task_drains_and_waits(&io, &mut Context::from_waker(&waker));
        reactor.join().unwrap();
        assert!(
            !sleeps || flag.0.load(Ordering::SeqCst),
            "readable data arrived while the task went to sleep unwoken"
        );
    });
}

#[test]
fn loom_a_close_during_a_short_read_clear_is_never_lost() {
    // A short read forgets plain readiness only; a close the reactor reports meanwhile (or
    // before) stays, since it would never be reported again.
    loom::model(|| {
        let io = loom::sync::Arc::new(ScheduledIo::new());
        let reactor = {
            let io = io.clone();
            thread::spawn(move || reactor_event(&io, Ready::READABLE | Ready::READ_CLOSED))
        };
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(Ok(event)) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("a new source is assumed ready");
        };
        io.clear_readiness(event.without_closed());
        let sleeps = io.poll_ready(&mut cx, Direction::Read).is_pending();
        reactor.join().unwrap();
        assert!(!sleeps || flag.0.load(Ordering::SeqCst));
        // Once the reactor's event is in, the close is visible for good.
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    });
}

#[test]
fn loom_every_task_waiting_on_one_direction_is_woken() {
    // Two tasks whose operations drained the source (accept loops sharing a listener) go to
    // wait while an event arrives: each either sees the readiness or is woken, whichever of
    // them registered last.
    loom::model(|| {
        let io = loom::sync::Arc::new(ScheduledIo::new());
        let Poll::Ready(Ok(event)) =
            io.poll_ready(&mut Context::from_waker(Waker::noop()), Direction::Read)
        else {
            panic!("a new source is assumed ready");
        };
        io.clear_readiness(event);
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let io = io.clone();
                thread::spawn(move || {
                    let flag = Arc::new(Flag(AtomicBool::new(false)));
                    let waker = Waker::from(flag.clone());
                    let mut cx = Context::from_waker(&waker);
                    let sleeps = io.poll_ready(&mut cx, Direction::Read).is_pending();
                    (sleeps, flag)
                })
            })
            .collect();
        reactor_event(&io, Ready::READABLE);
        for task in tasks {
            let (sleeps, flag) = task.join().unwrap();
            assert!(
                !sleeps || flag.0.load(Ordering::SeqCst),
                "a waiting task was lost"
            );
        }
    });
}

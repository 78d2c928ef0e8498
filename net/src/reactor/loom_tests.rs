//! loom models of the readiness protocol: the reactor setting readiness races with a task
//! clearing it after `WouldBlock` and then waiting. Whatever the interleaving, the task either
//! sees the new readiness or its waker is woken: an event is never lost. And of a source's move
//! to another reactor ([`rehome`](super::rehome)), over a model of the kernel's epoll sets: the
//! move races with data arriving, the old reactor turning and the other half of the stream, and
//! still loses no event and leaves one registration. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p net --lib loom`.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use super::rehome::{Home, Registry};
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

/// A model of the kernel's side of one socket and of the epoll sets watching it (indexed by
/// reactor id - 1): adding the socket to a set queues an event there at once if it is ready,
/// data arriving queues one in every set watching it, and removing it from a set drops the
/// events queued there. An event carries its source's `ScheduledIo`, as a real one carries
/// its address, which the reactor keeps alive until it has delivered the events it fetched.
/// Holding it, the model keeps it alive by itself, so it cannot catch a mistake in that; the
/// test `sources_dropped_while_their_events_are_delivered_are_freed_after`, under
/// AddressSanitizer (`scripts/sanitize.sh`), does.
#[derive(Default)]
struct Kernel(loom::sync::Mutex<KernelState>);

#[derive(Default)]
struct KernelState {
    /// Data waiting in the socket.
    readable: bool,
    /// The sets watching the socket: (reactor id, key, its `ScheduledIo`).
    watchers: Vec<(u32, u32, Arc<ScheduledIo>)>,
    /// The events queued in each set: (key, `ScheduledIo`).
    queued: [Vec<(u32, Arc<ScheduledIo>)>; 3],
}

impl Kernel {
    fn data_arrives(&self) {
        let mut k = self.0.lock().unwrap();
        k.readable = true;
        for (id, key, io) in k.watchers.clone() {
            k.queued[id as usize - 1].push((key, io));
        }
    }

    /// A read: takes the data, or `WouldBlock`.
    fn read(&self) -> io::Result<()> {
        let mut k = self.0.lock().unwrap();
        match std::mem::take(&mut k.readable) {
            true => Ok(()),
            false => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// A model of a reactor: its slots, and its epoll set in the kernel model.
#[derive(Clone)]
struct ModelReactor {
    id: u32,
    kernel: Arc<Kernel>,
    slots: Arc<loom::sync::Mutex<Vec<Option<Arc<ScheduledIo>>>>>,
}

impl ModelReactor {
    fn new(id: u32, kernel: &Arc<Kernel>) -> ModelReactor {
        ModelReactor {
            id,
            kernel: kernel.clone(),
            slots: Arc::default(),
        }
    }

    /// One turn: takes the events queued for this set, then delivers each to its source's
    /// `ScheduledIo`, whether or not the source left the set meanwhile (as `Reactor::fetch`
    /// does).
    fn turn(&self) {
        let fetched =
            std::mem::take(&mut self.kernel.0.lock().unwrap().queued[self.id as usize - 1]);
        for (_, io) in fetched {
            reactor_event(&io, Ready::READABLE);
        }
    }

    /// Where `io` is registered in this reactor: (slots holding it, kernel watchers).
    fn holds(&self, io: &Arc<ScheduledIo>) -> (usize, usize) {
        let slots = self.slots.lock().unwrap();
        let in_slots = slots.iter().flatten().filter(|s| Arc::ptr_eq(s, io));
        let watchers = self.kernel.0.lock().unwrap().watchers.clone();
        let watching = watchers.iter().filter(|(id, _, _)| *id == self.id);
        (in_slots.count(), watching.count())
    }
}

impl Registry for ModelReactor {
    fn id(&self) -> u32 {
        self.id
    }

    fn add(&self, _fd: RawFd, io: &Arc<ScheduledIo>) -> io::Result<u32> {
        let key = {
            let mut slots = self.slots.lock().unwrap();
            slots.push(Some(io.clone()));
            slots.len() as u32 - 1
        };
        let mut k = self.kernel.0.lock().unwrap();
        k.watchers.push((self.id, key, io.clone()));
        if k.readable {
            k.queued[self.id as usize - 1].push((key, io.clone()));
        }
        Ok(key)
    }

    fn remove(&self, key: u32, _fd: RawFd) {
        {
            let mut k = self.kernel.0.lock().unwrap();
            k.watchers.retain(|w| (w.0, w.1) != (self.id, key));
            k.queued[self.id as usize - 1].retain(|q| q.0 != key);
        }
        self.slots.lock().unwrap()[key as usize] = None;
    }
}

/// A new source registered with model reactor `a`.
fn source_on(a: &ModelReactor) -> (Arc<ScheduledIo>, Home<ModelReactor>) {
    let io = Arc::new(ScheduledIo::new());
    let key = a.add(0, &io).unwrap();
    (io, Home::movable(a.clone(), key, 0))
}

#[test]
fn loom_a_move_loses_no_event() {
    // The task, on the loop of `b`, reads a source registered with `a` until it would block,
    // waits, and moves it to `b`, while data arrives and `a`'s loop (or a peer standing in for
    // it) turns `a`. Afterwards `b`'s loop turns `b`: whatever the interleaving, the task read
    // the data or was woken.
    loom::model(|| {
        let kernel = Arc::new(Kernel::default());
        let (a, b) = (ModelReactor::new(1, &kernel), ModelReactor::new(2, &kernel));
        let (io, home) = source_on(&a);
        let peer = {
            let kernel = kernel.clone();
            thread::spawn(move || kernel.data_arrives())
        };
        let old_loop = {
            let a = a.clone();
            thread::spawn(move || a.turn())
        };
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let read = loop {
            match io.poll_ready(&mut cx, Direction::Read) {
                Poll::Ready(Ok(event)) => match kernel.read() {
                    Ok(()) => break true,
                    Err(_) => io.clear_readiness(event),
                },
                Poll::Ready(Err(e)) => panic!("{e}"),
                Poll::Pending => break false,
            }
        };
        assert!(home.move_to(&io, &b).unwrap());
        peer.join().unwrap();
        old_loop.join().unwrap();
        b.turn();
        assert!(
            read || flag.0.load(Ordering::SeqCst),
            "data arrived while the source moved, and its task was never woken"
        );
        assert_eq!((a.holds(&io), b.holds(&io)), ((0, 0), (1, 1)));
    });
}

#[test]
fn loom_moves_from_both_halves_leave_one_registration() {
    // The two halves of a split stream, waiting on two loops' threads, move the registration
    // at once, each to its own loop, while one of them waits to write: the move lock lets one
    // through at a time (loom checks that no two threads touch the registration at once), and
    // the source ends registered in exactly one place, the one the home word names.
    loom::model(|| {
        let kernel = Arc::new(Kernel::default());
        let reactors: Vec<_> = (1..=3).map(|id| ModelReactor::new(id, &kernel)).collect();
        let (io, home) = source_on(&reactors[0]);
        let home = Arc::new(home);
        let halves: Vec<_> = [1, 2]
            .map(|i| {
                let (io, home, to) = (io.clone(), home.clone(), reactors[i].clone());
                thread::spawn(move || {
                    let _ =
                        io.poll_ready(&mut Context::from_waker(Waker::noop()), Direction::Write);
                    home.move_to(&io, &to).unwrap()
                })
            })
            .into_iter()
            .collect();
        let moved = halves
            .into_iter()
            .filter_map(|h| h.join().unwrap().then_some(()))
            .count();
        assert!(moved >= 1, "a lone mover always gets through");
        let mut home = Arc::try_unwrap(home).ok().unwrap();
        let (registration, movable) = home.get_mut();
        assert!(movable);
        for reactor in &reactors {
            let expected = match reactor.id == registration.reactor.id {
                true => (1, 1),
                false => (0, 0),
            };
            assert_eq!(reactor.holds(&io), expected, "reactor {}", reactor.id);
        }
    });
}

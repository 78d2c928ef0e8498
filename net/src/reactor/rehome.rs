//! Moving a connection's registration to another reactor, so that the connection follows the
//! loop that serves it.
//!
//! A socket registers with the reactor of the loop it is created on, and its task is woken on
//! the thread that turns that reactor: a task stolen by an idle peer goes home at its next wake.
//! While one loop stays overloaded and a peer keeps stealing its connections' tasks, every
//! request of those connections pays a steal. Moving the registration to the peer's reactor
//! moves the task's home with it, since a task goes where it is woken.
//!
//! # The move
//!
//! A registration is a source's slot in one reactor (its key) and its entry in that reactor's
//! epoll set. What tasks see of a source, its readiness word and its waiting wakers (a
//! [`ScheduledIo`]), is not part of it: both reactors point at the same `ScheduledIo` while the
//! source moves, so the readiness and the waiters stay where they are, untouched. A move
//! ([`Moving::relocate`]):
//!
//! 1. holds the move lock, the [`MOVING`] bit of the [`Home`] word, taken without waiting:
//!    moves of one registration never overlap, and only the mover reads or writes the
//!    registration (the `&mut` of `Drop` aside);
//! 2. adds the descriptor to the new reactor's slots and epoll set (`EPOLL_CTL_ADD`), pointing
//!    at the same `ScheduledIo`;
//! 3. takes it out of the old reactor's epoll set (`EPOLL_CTL_DEL`) and frees its old slot;
//! 4. publishes the new registration (its reactor's id in the word) and releases the lock.
//!
//! No event is lost: adding a descriptor to an epoll set reports at once whatever it is ready
//! for, edge-triggered or not, so everything that happened before step 2 is reported by the new
//! reactor (if no operation consumed it since) and everything after, by the new reactor too.
//! Between steps 2 and 3 both reactors may report an event: the second finds the readiness set
//! already, and a task woken twice tries its operation, sees `WouldBlock` and waits again.
//!
//! The races, each harmless:
//! - The old reactor turning during the move (its owner, or a peer standing in for it):
//!   events it fetched before step 3 are recorded in the shared `ScheduledIo`, which the old
//!   reactor keeps alive until it has delivered them (see `Reactor`). A task it wakes then
//!   runs once more on the old loop.
//! - The other half of a split stream, or another task sharing the stream, on another thread:
//!   its operations use the descriptor and the `ScheduledIo`, neither of which moves, and its
//!   waits read only the [`Home`] word. If it decides to move the registration too, the lock
//!   stops it.
//! - A stale readiness clear: the readiness word is stamped per source, not per reactor turn
//!   (see [`scheduled_io`](super::scheduled_io)), so a clear cannot mistake the new reactor's
//!   event for the old one it read.
//! - Shutdown: a reactor that has shut down refuses the registration, and the source stays
//!   where it was. A source moving while the old reactor shuts down may be failed by it (the
//!   `ScheduledIo` is the same): that happens only as the whole runtime stops, when the new
//!   reactor would fail it a moment later.
//! - Dropping the source takes `&mut`, so it never overlaps a move; it deregisters from
//!   wherever the registration is then.
//!
//! Only connected streams move ([`Home::movable`]): a listener, a datagram socket or a pipe
//! serves whoever polls it and stays with the loop it was created on ([`Home::fixed`]). A
//! movable registration is added to and removed from epoll sets by descriptor, since moving it
//! cannot borrow the mio source mutably (the stream is shared); a fixed one goes through its
//! mio source, as any mio user's would.
//!
//! # When a registration moves
//!
//! When a task waits on a movable registration (its operation returned `Pending`), the thread it
//! runs on looks at the [`Home`] word: the id of the reactor the registration is with, and the
//! number of waits in a row that happened on the thread of another loop (the streak). On the
//! common path, a wait on the registration's own loop with no streak, that is one load and one
//! compare ([`Home::note_wait`]). A wait on the home loop resets the streak. A wait elsewhere
//! counts, and the registration moves to the loop of the thread waiting when all of these hold:
//!
//! - the waits in a row elsewhere reach [`STREAK_TO_MOVE`]: a task stolen once, in a burst, goes
//!   home, and only one that keeps being served elsewhere moves;
//! - the thread belongs to a loop that takes moves: the scheduler installed a
//!   [`Rehome`](crate::Rehome) hook for it with [`enter_rehoming`](crate::enter_rehoming);
//! - the registration has not moved in the last [`COOLDOWN_MS`] milliseconds, so that two loops
//!   taking turns at being busy do not pass connections back and forth on every burst;
//! - the scheduler says the home loop is behind
//!   ([`Rehome::home_is_behind`](crate::Rehome::home_is_behind)), so a connection only leaves a
//!   loop that cannot serve it promptly.
//!
//! The check that reaches the streak resets it whatever it decides: a registration that did not
//! move waits [`STREAK_TO_MOVE`] more waits before the next look.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use mio::unix::SourceFd;

use super::scheduled_io::ScheduledIo;
use super::Reactor;
use crate::context;
use crate::loom::{AtomicU64, UnsafeCell};

/// Waits in a row on another loop's thread after which a registration may move there.
const STREAK_TO_MOVE: u64 = 4;
/// How long a registration that moved stays where it went, in milliseconds.
const COOLDOWN_MS: u16 = 100;

// The `Home` word, from the low bits up:
//
// | bits   | meaning                                                            |
// |--------|--------------------------------------------------------------------|
// | 0..8   | the streak: waits in a row on the thread of another loop           |
// | 8      | `MOVING`: a thread holds the registration, moving it or deciding to |
// | 9      | `FIXED`: the registration never moves                              |
// | 10     | `MOVED`: the registration has moved, at the time in bits 16..32     |
// | 16..32 | when it last moved, in milliseconds of `now_ms` (wrapping)         |
// | 32..64 | the id of the reactor it is registered with                        |

/// The streak's bits; it stays below `STREAK_TO_MOVE`.
const STREAK: u64 = 0xff;
/// The move lock.
const MOVING: u64 = 1 << 8;
/// Set for the registrations that never move.
const FIXED: u64 = 1 << 9;
/// Set once the registration has moved, which `MOVED_AT` says when.
const MOVED: u64 = 1 << 10;
const MOVED_AT_SHIFT: u32 = 16;
const MOVED_AT: u64 = 0xffff << MOVED_AT_SHIFT;
const HOME_SHIFT: u32 = 32;
const HOME: u64 = 0xffff_ffff << HOME_SHIFT;
const _: () = assert!(STREAK_TO_MOVE <= STREAK && FIXED < 1 << MOVED_AT_SHIFT);

/// Where a registration lives: a reactor, or a model of one in the loom models.
pub(super) trait Registry: Clone {
    /// The registry's id, never 0 (the id of no reactor), the same for all its clones.
    fn id(&self) -> u32;

    /// Registers descriptor `fd`, whose readiness `io` records, and returns its key. The
    /// descriptor must stay open until [`remove`](Registry::remove) has taken it out: the
    /// source it belongs to owns it, or borrows it for at least as long.
    fn add(&self, fd: RawFd, io: &Arc<ScheduledIo>) -> io::Result<u32>;

    /// Deregisters descriptor `fd`, registered under `key`.
    fn remove(&self, key: u32, fd: RawFd);
}

impl Registry for Reactor {
    fn id(&self) -> u32 {
        self.inner.id
    }

    fn add(&self, fd: RawFd, io: &Arc<ScheduledIo>) -> io::Result<u32> {
        // SAFETY: mio's `SourceFd` adds `fd` alone, under the token given, and takes it out
        // on `remove`; the caller keeps it open until then (see the trait).
        unsafe { self.register(&mut SourceFd(&fd), io.clone()) }
    }

    fn remove(&self, key: u32, fd: RawFd) {
        self.deregister(key, &mut SourceFd(&fd));
    }
}

/// A source's place in one registry.
pub(super) struct Registration<G = Reactor> {
    pub(super) reactor: G,
    pub(super) key: u32,
    /// The descriptor the registration is registered by; -1 for one registered through its
    /// mio source (`Evented::from_source`), which never moves.
    pub(super) fd: RawFd,
}

/// A registration and the state that decides when it moves (see the module docs).
pub(super) struct Home<G = Reactor> {
    /// The streak, the move lock, the last move and the registry's id (see the table above).
    word: AtomicU64,
    /// Read and written only by the thread holding `MOVING`, or through `&mut self`.
    registration: UnsafeCell<Registration<G>>,
}

// SAFETY: the registration is only reached through `&mut Home` or by the one thread holding the
// move lock (`Moving`), whose acquire and release order its accesses; the word is atomic. So
// sharing a `Home` shares its registry (`G: Sync`) and may hand the registration to whichever
// thread moves or drops it (`G: Send`).
unsafe impl<G: Send + Sync> Sync for Home<G> {}

impl<G: Registry> Home<G> {
    /// A registration that never moves, by descriptor `fd`, or through its mio source
    /// (`fd` -1).
    pub(super) fn fixed(reactor: G, key: u32, fd: RawFd) -> Home<G> {
        Home::new(reactor, key, fd, FIXED)
    }

    /// A registration that may move, by descriptor `fd`.
    pub(super) fn movable(reactor: G, key: u32, fd: RawFd) -> Home<G> {
        Home::new(reactor, key, fd, 0)
    }

    fn new(reactor: G, key: u32, fd: RawFd, flags: u64) -> Home<G> {
        let word = (u64::from(reactor.id()) << HOME_SHIFT) | flags;
        Home {
            word: AtomicU64::new(word),
            registration: UnsafeCell::new(Registration { reactor, key, fd }),
        }
    }

    /// The registration, and whether it is movable (registered by descriptor).
    pub(super) fn get_mut(&mut self) -> (&mut Registration<G>, bool) {
        let movable = self.word.load(Relaxed) & FIXED == 0;
        // SAFETY: `&mut self` excludes every other access to the registration.
        let registration = self.registration.with_mut(|r| unsafe { &mut *r });
        (registration, movable)
    }

    /// Moves the registration to `registry`, whose events `io` records; see the module docs.
    /// `Ok(false)` if it did not move: it is fixed, already there, or another thread is
    /// moving it. (The policy takes the lock first and decides; tests move at will.)
    #[cfg(test)]
    pub(super) fn move_to(&self, io: &Arc<ScheduledIo>, registry: &G) -> io::Result<bool> {
        match self.lock() {
            Some(moving) => moving.relocate(io, registry, now_ms()),
            None => Ok(false),
        }
    }

    /// Takes the move lock, clearing the streak, unless the registration is fixed or the lock
    /// is held.
    fn lock(&self) -> Option<Moving<'_, G>> {
        // Acquire: the registration as the last mover left it.
        let word = self
            .word
            .fetch_update(Acquire, Relaxed, |w| {
                (w & (MOVING | FIXED) == 0).then_some((w | MOVING) & !STREAK)
            })
            .ok()?;
        Some(Moving { home: self, word })
    }
}

impl Home {
    /// Notes that a task waits on the registration: called each time an operation or a
    /// readiness poll returns `Pending`, on the thread of the task, which may move the
    /// registration to its own loop (see the module docs). `io` records the source's events.
    #[inline]
    pub(super) fn note_wait(&self, io: &Arc<ScheduledIo>) {
        let here = context::current_id();
        let word = self.word.load(Relaxed);
        // At home with no streak: the common path.
        if word & (HOME | STREAK) != (u64::from(here) << HOME_SHIFT) {
            self.waited_elsewhere(io, word, here);
        }
    }

    /// A wait that is not the common one: away from home (`here` is not the id in `word`), or
    /// back home after a streak.
    #[cold]
    #[inline(never)]
    fn waited_elsewhere(&self, io: &Arc<ScheduledIo>, word: u64, here: u32) {
        if word & FIXED != 0 || here == 0 {
            return;
        }
        if word >> HOME_SHIFT == u64::from(here) {
            // Home again: the streak is broken.
            self.word.fetch_and(!STREAK, Relaxed);
            return;
        }
        let Some(rehome) = context::rehome() else {
            // This thread's loop takes no moves.
            return;
        };
        let counted = self.word.fetch_update(Relaxed, Relaxed, |w| {
            ((w & STREAK) < STREAK_TO_MOVE - 1).then_some(w + 1)
        });
        if counted.is_ok() {
            return;
        }
        // The streak is full: decide, and start a new streak whatever the decision.
        let Some(moving) = self.lock() else {
            return;
        };
        let now = now_ms();
        if moving.moved_recently(now) || !moving.with(|r| rehome.home_is_behind(&r.reactor)) {
            return;
        }
        let Some(here) = context::current_reactor() else {
            return;
        };
        // An error is the new reactor refusing it (it is shutting down): the source stays.
        if let Ok(true) = moving.relocate(io, &here, now) {
            rehome.moved_here();
        }
    }
}

/// The move lock of a [`Home`], held: released when dropped, or by [`relocate`](Self::relocate).
pub(super) struct Moving<'a, G: Registry> {
    home: &'a Home<G>,
    /// The word as it was locked.
    word: u64,
}

impl<G: Registry> Moving<'_, G> {
    /// Runs `f` with the registration.
    fn with<R>(&self, f: impl FnOnce(&Registration<G>) -> R) -> R {
        // SAFETY: this thread holds the move lock, so no other thread writes the registration,
        // and the lock's acquire made the last mover's writes visible.
        self.home.registration.with(|r| f(unsafe { &*r }))
    }

    /// Whether the registration moved less than `COOLDOWN_MS` before `now`.
    fn moved_recently(&self, now: u16) -> bool {
        let moved_at = ((self.word & MOVED_AT) >> MOVED_AT_SHIFT) as u16;
        self.word & MOVED != 0 && now.wrapping_sub(moved_at) < COOLDOWN_MS
    }

    /// Moves the registration to `registry` at time `now`, as the module docs say, and releases
    /// the lock. `Ok(false)` if it is there already; an error if `registry` refused it, which
    /// leaves it where it was.
    fn relocate(self, io: &Arc<ScheduledIo>, registry: &G, now: u16) -> io::Result<bool> {
        let moved = self.home.registration.with_mut(|r| {
            // SAFETY: this thread holds the move lock until the release below, so it is the
            // only one to touch the registration, and the lock's acquire made the last
            // mover's writes visible.
            let registration = unsafe { &mut *r };
            if registration.reactor.id() == registry.id() {
                return Ok(false);
            }
            let key = registry.add(registration.fd, io)?;
            registration
                .reactor
                .remove(registration.key, registration.fd);
            *registration = Registration {
                reactor: registry.clone(),
                key,
                fd: registration.fd,
            };
            Ok(true)
        });
        if let Ok(true) = moved {
            let moved_at = MOVED | (u64::from(now) << MOVED_AT_SHIFT);
            let home = u64::from(registry.id()) << HOME_SHIFT;
            // Release: the next mover sees the registration written above. The streak others
            // counted meanwhile was for the old home: it goes too.
            let _ = self.home.word.fetch_update(Release, Relaxed, |w| {
                Some((w & !(HOME | MOVED_AT | STREAK | MOVING)) | home | moved_at)
            });
            std::mem::forget(self);
        }
        moved
    }
}

impl<G: Registry> Drop for Moving<'_, G> {
    fn drop(&mut self) {
        // Release: the next mover sees the registration as this thread left it.
        self.home.word.fetch_and(!MOVING, Release);
    }
}

/// Milliseconds on a process-wide clock, wrapping: the time of a move, for the cooldown.
fn now_ms() -> u16 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u16
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::Duration;

    use super::*;
    use crate::connection::sealed::Ops;
    use crate::{Rehome, UnixStream};

    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn flag() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        (flag.clone(), Waker::from(flag))
    }

    /// A connected pair registered with `reactor`.
    fn pair_on(reactor: &Reactor) -> (UnixStream, UnixStream) {
        let _guard = crate::enter(reactor);
        UnixStream::pair().unwrap()
    }

    /// Polls a read of `stream` with `waker`: the bytes read, or `None` for `Pending`.
    fn poll_read(stream: &UnixStream, waker: &Waker) -> Option<Vec<u8>> {
        let mut buf = [0; 64];
        match stream.poll_read(&mut Context::from_waker(waker), &mut buf) {
            Poll::Ready(n) => Some(buf[..n.unwrap()].to_vec()),
            Poll::Pending => None,
        }
    }

    fn turn(reactor: &Reactor) {
        reactor.turn(Some(Duration::ZERO)).unwrap();
    }

    #[test]
    fn a_waiting_task_is_woken_by_the_reactor_its_stream_moved_to() {
        let (a, b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, y) = pair_on(&a);
        let (woken, waker) = flag();
        assert_eq!(poll_read(&x, &waker), None, "nothing to read yet");
        assert!(x.io().move_to(&b).unwrap());
        assert_eq!((a.registrations(), b.registrations()), (1, 1));
        y.try_write(b"hi").unwrap();
        turn(&a);
        assert!(!woken.0.load(Ordering::SeqCst), "the old reactor let go");
        turn(&b);
        assert!(woken.0.load(Ordering::SeqCst), "the waker moved along");
        assert_eq!(poll_read(&x, &waker).unwrap(), b"hi");
    }

    #[test]
    fn readiness_the_old_reactor_never_delivered_comes_from_the_new_one() {
        let (a, b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, y) = pair_on(&a);
        let (woken, waker) = flag();
        assert_eq!(poll_read(&x, &waker), None);
        // The event is queued in `a`'s epoll set, which nobody turns before the move.
        y.try_write(b"early").unwrap();
        assert!(x.io().move_to(&b).unwrap());
        turn(&a);
        assert!(!woken.0.load(Ordering::SeqCst));
        turn(&b);
        assert!(
            woken.0.load(Ordering::SeqCst),
            "adding a ready socket reports it"
        );
        assert_eq!(poll_read(&x, &waker).unwrap(), b"early");
    }

    #[test]
    fn a_moved_stream_leaves_from_where_it_is() {
        let (a, b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, y) = pair_on(&a);
        assert!(x.io().move_to(&b).unwrap());
        assert!(!x.io().move_to(&b).unwrap(), "there already");
        drop(x);
        assert_eq!((a.registrations(), b.registrations()), (1, 0));
        // Handed back as std's and registered again with the reactor it had moved to.
        assert!(y.io().move_to(&b).unwrap());
        let y = y.into_std().unwrap();
        assert_eq!((a.registrations(), b.registrations()), (0, 0));
        let _guard = crate::enter(&b);
        let _y = UnixStream::from_std(y).unwrap();
        assert_eq!(b.registrations(), 1);
    }

    #[test]
    fn other_sources_and_refused_moves_stay_where_they_are() {
        let (a, b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let datagram =
            crate::Evented::with_reactor(mio::net::UnixDatagram::unbound().unwrap(), a.clone());
        assert!(!datagram.unwrap().move_to(&b).unwrap(), "only streams move");
        let (x, y) = pair_on(&a);
        b.shutdown();
        assert!(
            x.io().move_to(&b).is_err(),
            "a reactor that shut down refuses it"
        );
        let (woken, waker) = flag();
        assert_eq!(poll_read(&x, &waker), None);
        y.try_write(b"hi").unwrap();
        turn(&a);
        assert!(woken.0.load(Ordering::SeqCst), "still served where it was");
    }

    /// A hook that says whether the home loop is behind, and counts the moves and the looks.
    #[derive(Default)]
    struct Hook {
        behind: Cell<bool>,
        asked: Cell<u32>,
        moved: Cell<u32>,
    }

    impl Rehome for Hook {
        fn home_is_behind(&self, _: &Reactor) -> bool {
            self.asked.set(self.asked.get() + 1);
            self.behind.get()
        }

        fn moved_here(&self) {
            self.moved.set(self.moved.get() + 1);
        }
    }

    /// Waits on `x` `n` times from this thread.
    fn wait(x: &UnixStream, n: u64) {
        for _ in 0..n {
            assert_eq!(poll_read(x, Waker::noop()), None);
        }
    }

    #[test]
    fn a_streak_of_waits_on_a_loop_that_takes_it_moves_a_stream_there() {
        let (home, here) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, _y) = pair_on(&home);
        let hook = Rc::new(Hook::default());
        hook.behind.set(true);
        let guard = crate::enter_rehoming(&here, hook.clone());
        wait(&x, STREAK_TO_MOVE - 1);
        {
            // A wait at home breaks the streak.
            let _home = crate::enter(&home);
            wait(&x, 1);
        }
        wait(&x, STREAK_TO_MOVE - 1);
        assert_eq!((hook.asked.get(), here.registrations()), (0, 0));
        wait(&x, 1);
        assert_eq!((hook.asked.get(), hook.moved.get()), (1, 1));
        assert_eq!((home.registrations(), here.registrations()), (1, 1));
        drop(guard);

        // Moved just now: it stays, however long the streak back home.
        let back = Rc::new(Hook::default());
        back.behind.set(true);
        let guard = crate::enter_rehoming(&home, back.clone());
        wait(&x, 2 * STREAK_TO_MOVE);
        assert_eq!((back.asked.get(), here.registrations()), (0, 1));
        std::thread::sleep(Duration::from_millis(u64::from(COOLDOWN_MS) + 10));
        wait(&x, STREAK_TO_MOVE);
        assert_eq!((back.moved.get(), here.registrations()), (1, 0));
        drop(guard);
    }

    #[test]
    fn nothing_moves_to_a_loop_without_a_hook_or_from_one_that_is_not_behind() {
        let (home, here) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, _y) = pair_on(&home);
        {
            let _plain = crate::enter(&here);
            wait(&x, 3 * STREAK_TO_MOVE);
        }
        let hook = Rc::new(Hook::default());
        let _guard = crate::enter_rehoming(&here, hook.clone());
        wait(&x, 3 * STREAK_TO_MOVE);
        assert_eq!(hook.asked.get(), 3, "asked once per streak");
        assert_eq!((hook.moved.get(), here.registrations()), (0, 0));
        // Only streams move.
        let datagram = {
            let _home = crate::enter(&home);
            crate::UnixDatagram::unbound().unwrap()
        };
        hook.behind.set(true);
        let mut buf = [0; 8];
        for _ in 0..3 * STREAK_TO_MOVE {
            let recv = datagram.poll_recv(&mut Context::from_waker(Waker::noop()), &mut buf);
            assert!(recv.is_pending());
        }
        assert_eq!((hook.asked.get(), here.registrations()), (3, 0));
    }

    /// Runs `future` to completion on this thread, sleeping between wakes; panics if it is not
    /// done within `limit`, as a task whose wake was lost would never be.
    fn block_on<F: std::future::Future>(future: F, limit: Duration) -> F::Output {
        struct Unpark(std::thread::Thread);

        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }

        let deadline = std::time::Instant::now() + limit;
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "not woken within {limit:?}: a lost wakeup");
            std::thread::park_timeout(left);
        }
    }

    /// Sets its flag when dropped, unwinding too: the threads of a failing test stop.
    struct StopOnDrop<'a>(&'a AtomicBool);

    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn moves_racing_with_both_halves_and_both_reactors_lose_no_wakeup() {
        const CHUNKS: usize = 2_000;
        const CHUNK: usize = 8 * 1024;
        const LIMIT: Duration = Duration::from_secs(60);
        let chunk = |i: usize| vec![i as u8; CHUNK];
        let (a, b) = (Reactor::new().unwrap(), Reactor::new().unwrap());
        let (x, y) = pair_on(&a);
        let peer = y.into_std().unwrap();
        peer.set_nonblocking(false).unwrap();
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        peer.set_write_timeout(Some(LIMIT)).unwrap();
        let (mut reader, mut writer) = x.into_split();
        let stream = reader.0.clone();
        let stop = AtomicBool::new(false);
        let moves = std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            // Each reactor is turned by a thread of its own, as by its loop, and `a` also by
            // a peer standing in.
            for reactor in [&a, &b] {
                s.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        reactor.turn(Some(Duration::from_millis(1))).unwrap();
                    }
                });
            }
            s.spawn(|| {
                let mut wakers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let _ = a.try_turn_now(&mut wakers);
                    std::thread::yield_now();
                }
            });
            // The peer echoes everything back, then ends its side too.
            s.spawn(move || {
                std::io::copy(&mut &peer, &mut &peer).unwrap();
                peer.shutdown(std::net::Shutdown::Write).unwrap();
            });
            // Moves back and forth, as fast as it can.
            let mover = s.spawn(|| {
                let stream = stream;
                let mut moves = 0;
                while !stop.load(Ordering::SeqCst) {
                    for to in [&a, &b] {
                        moves += u64::from(stream.io().move_to(to).unwrap());
                    }
                }
                moves
            });
            // The halves wait on the threads of both loops, which take moves too.
            fn hook() -> Rc<Hook> {
                let hook = Rc::new(Hook::default());
                hook.behind.set(true);
                hook
            }
            let writing = s.spawn(|| {
                let _loop = crate::enter_rehoming(&a, hook());
                block_on(
                    async move {
                        for i in 0..CHUNKS {
                            writer.write_all(&chunk(i)).await.unwrap();
                        }
                        // Dropping the write half ends the stream.
                    },
                    LIMIT,
                );
            });
            let reading = s.spawn(|| {
                let _loop = crate::enter_rehoming(&b, hook());
                block_on(
                    async move {
                        let mut got = vec![0; CHUNK];
                        for i in 0..CHUNKS {
                            reader.read_exact(&mut got).await.unwrap();
                            assert!(got == chunk(i), "chunk {i} came back changed");
                        }
                        assert_eq!(reader.read(&mut got).await.unwrap(), 0, "the end");
                    },
                    LIMIT,
                );
            });
            writing.join().unwrap();
            reading.join().unwrap();
            stop.store(true, Ordering::SeqCst);
            mover.join().unwrap()
        });
        assert!(moves > 0, "the stream never moved");
    }
}

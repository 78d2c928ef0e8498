//! The reactor: the I/O half of one event loop.
//!
//! A [`Reactor`] wraps one `mio::Poll`. Sources register with it and get a slot holding their
//! readiness ([`scheduled_io`]) and the tasks waiting on it ([`waiters`]); [`Reactor::turn`] waits in
//! `epoll_wait` once, records the readiness each event reports and wakes the tasks waiting for it.
//!
//! A connected stream's events (most of them, in a server) name its `ScheduledIo` by address,
//! as tokio's do: delivering one is a pointer away, with no table to look up and no lock to
//! take. The reactor keeps such a `ScheduledIo` alive while the stream is registered, and once
//! it has left the epoll set, until the end of the first delivery of events after that (see
//! [`Registrations::released`]): a turn's events were fetched either before the stream left
//! the set, and are delivered by the turn under way, or after, and cannot name it. That rests
//! on the reactor making the epoll calls itself, on a descriptor the stream owns and closes
//! only after leaving the set. Any other source (a listener, a datagram socket, whatever
//! `mio::event::Source` a user hands [`Evented`], whose `register` and `deregister` are its
//! own) is named by its slot's key and generation, looked up under the slot table's lock, so
//! an event fetched for a source dropped meanwhile is skipped, whatever the source did.
//! A `mio::Waker` lets other threads interrupt that wait, which is how a loop is woken for work
//! that is not I/O (a task scheduled from another thread, a timer that moved earlier).
//!
//! One thread turns a given reactor at a time: the loop that owns it, or a peer standing in for
//! a loop stuck in a long task, who only tries it ([`Reactor::try_turn_now`]). Any thread may
//! register with it, deregister from it or wake it, since a socket can be dropped, and a task
//! polled, on any thread. The slot table sits behind a mutex that a turn takes once if any of
//! its events names a source by key, and once if streams left since the last one to free
//! them, never while it runs wakers.
//!
//! The reactor knows nothing of tasks or schedulers: it deals only in `std::task::Waker`s.
//!
//! Events follow mio's rules (see `mio::Poll`): they may be spurious, and an edge is reported
//! once, so an operation must run until `WouldBlock` before waiting again ([`Evented::poll_io`]
//! does that).

mod evented;
mod fine_timeout;
#[cfg(all(test, loom))]
mod loom_tests;
mod rehome;
mod scheduled_io;
mod waiters;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use mio::unix::SourceFd;
use parking_lot::Mutex;
use slab::Slab;

use crate::Ready;
pub use evented::Evented;
use fine_timeout::{FineTimeout, TIMER_TOKEN};
pub use scheduled_io::Direction;
use scheduled_io::ScheduledIo;

/// The token of the `mio::Waker`; no registration's token gets this high.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
/// The low bit of a token by key (an address, of an 8-byte-aligned `ScheduledIo`, has it
/// clear); the key sits above it and the generation above the key, so an event fetched for a
/// source dropped meanwhile is not delivered to a new source that took its slot.
const BY_KEY: usize = 1;
const KEY_SHIFT: u32 = 1;
const KEY_MASK: usize = (1 << 32) - 1;
const GENERATION_SHIFT: u32 = 33;
/// Generations run from 1 to this (0 marks a slot named by address), below `WAKE_TOKEN` and
/// `TIMER_TOKEN` once shifted.
const MAX_GENERATION: u32 = (1 << 30) - 1;
/// Deregistered sources kept for a turn (see [`Registrations::released`]) past which their
/// reactor is woken to free them.
const RELEASE_BATCH: usize = 64;
/// Events taken from the kernel per turn.
const EVENTS_CAPACITY: usize = 1024;

/// A handle to one event loop's I/O driver. Clones share the same `mio::Poll`.
///
/// ```
/// use std::time::Duration;
///
/// let reactor = net::Reactor::new()?;
/// // Another thread can interrupt a turn that is waiting for I/O.
/// reactor.wake()?;
/// let stats = reactor.turn(Some(Duration::from_secs(5)))?;
/// assert!(stats.woken_up);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Reactor {
    inner: Arc<Inner>,
}

struct Inner {
    /// Unique in the process (see `Reactor::new`): what a source compares with the current
    /// thread's reactor on each wait (see [`rehome`]).
    id: u32,
    registry: mio::Registry,
    waker: mio::Waker,
    ios: Mutex<Registrations>,
    /// Whether `ios.released` may hold anything, so that a turn takes the lock only then.
    released_any: AtomicBool,
    driver: Mutex<Driver>,
    is_shutdown: AtomicBool,
}

/// The registered sources by slab key (what a source deregisters with), each with the
/// generation its token carries (0: named by address).
#[derive(Default)]
struct Registrations {
    slots: Slab<(u32, Arc<ScheduledIo>)>,
    generation: u32,
    /// Streams named by address that left the epoll set since the last delivery of events
    /// began. A turn may have fetched events naming them before they left, so they are
    /// dropped only once that turn has delivered its events.
    released: Vec<Arc<ScheduledIo>>,
    /// Streams named by address whose removal from the epoll set failed (which a stream that
    /// owns its descriptor never sees): events may name them for as long as the reactor
    /// lives, so they live as long.
    kept: Vec<Arc<ScheduledIo>>,
}

/// What only the turning thread touches.
struct Driver {
    poll: mio::Poll,
    events: mio::Events,
    /// Reused between turns so waking allocates nothing.
    wakers: Vec<Waker>,
    /// Times the waits shorter than `epoll_wait`'s millisecond.
    fine: FineTimeout,
}

/// What one turn of the reactor saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TurnStats {
    /// I/O events delivered to registered sources.
    pub events: usize,
    /// Whether [`Reactor::wake`] interrupted the turn (or was called since the last one).
    pub woken_up: bool,
}

impl Reactor {
    /// Creates a reactor with its own `epoll` instance, wake-up `eventfd` and `timerfd` (for
    /// waits shorter than `epoll_wait`'s millisecond).
    pub fn new() -> io::Result<Reactor> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKE_TOKEN)?;
        let fine = FineTimeout::new(&registry)?;
        // Ids start at 1, 0 being no reactor's. Should they wrap, after 2^32 reactors, two
        // reactors with one id only keep a source from moving between them.
        static NEXT_ID: AtomicU32 = AtomicU32::new(1);
        let id = match NEXT_ID.fetch_add(1, Ordering::Relaxed) {
            0 => NEXT_ID.fetch_add(1, Ordering::Relaxed),
            id => id,
        };
        Ok(Reactor {
            inner: Arc::new(Inner {
                id,
                registry,
                waker,
                ios: Mutex::new(Registrations::default()),
                released_any: AtomicBool::new(false),
                driver: Mutex::new(Driver {
                    poll,
                    events: mio::Events::with_capacity(EVENTS_CAPACITY),
                    wakers: Vec::new(),
                    fine,
                }),
                is_shutdown: AtomicBool::new(false),
            }),
        })
    }

    /// The reactor of the event loop running on this thread.
    ///
    /// # Panics
    ///
    /// Outside an event loop, with a message saying so.
    pub fn current() -> Reactor {
        crate::context::current()
    }

    /// Waits for I/O events for at most `timeout` (`None`: until an event or a [`wake`]), then
    /// wakes the tasks whose sources became ready. An interrupted wait (`EINTR`) counts as an
    /// empty turn rather than an error. Waits for a [`try_turn_now`] under way to end first.
    /// A timeout under a millisecond is kept to within the timer slack (`epoll_wait` alone
    /// would round it up to a millisecond).
    ///
    /// [`wake`]: Reactor::wake
    /// [`try_turn_now`]: Reactor::try_turn_now
    pub fn turn(&self, timeout: Option<Duration>) -> io::Result<TurnStats> {
        let mut driver = self.inner.driver.lock();
        let Driver {
            poll,
            events,
            wakers,
            fine,
        } = &mut *driver;
        let timeout = fine.arm(timeout);
        let stats = self.fetch(poll, events, timeout, wakers)?;
        crate::wake_all(wakers.drain(..));
        Ok(stats)
    }

    /// Takes the events ready now, without waiting, unless another thread is turning the
    /// reactor (`None`): how a peer delivers the events of a loop stuck in a long task, and
    /// how a loop looks at its sockets between tasks. The reactor is released before any
    /// task is woken, so whoever turns it next waits for one `epoll_wait` that returns at
    /// once, never for the wakers. `wakers` is the caller's buffer for them, left empty, so
    /// that a turn allocates nothing once it has grown.
    pub fn try_turn_now(&self, wakers: &mut Vec<Waker>) -> Option<io::Result<TurnStats>> {
        let stats = {
            let mut driver = self.inner.driver.try_lock()?;
            let Driver { poll, events, .. } = &mut *driver;
            self.fetch(poll, events, Some(Duration::ZERO), wakers)
        };
        crate::wake_all(wakers.drain(..));
        Some(stats)
    }

    /// Polls once (the driver's `poll` and `events`) and records the readiness of each event,
    /// collecting the wakers to wake in `wakers`.
    fn fetch(
        &self,
        poll: &mut mio::Poll,
        events: &mut mio::Events,
        timeout: Option<Duration>,
        wakers: &mut Vec<Waker>,
    ) -> io::Result<TurnStats> {
        match poll.poll(events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(TurnStats::default()),
            Err(e) => return Err(e),
        }
        let mut stats = TurnStats::default();
        // Locked at the first event named by key, if any.
        let mut ios = None;
        for event in events.iter() {
            let token = event.token();
            if token == WAKE_TOKEN {
                stats.woken_up = true;
                continue;
            }
            if token == TIMER_TOKEN {
                continue;
            }
            let token = token.0;
            if token & BY_KEY == 0 {
                // SAFETY: a token with the low bit clear is the address of a stream's
                // `ScheduledIo`, registered by `register_by_address`, which the slot table
                // holds from before the stream joins this epoll set. Once the stream has
                // left the set (`deregister`: the `EPOLL_CTL_DEL` returned, or it failed and
                // the table keeps it for good), the table holds it in `released` until a
                // `drop_released` after that, which only the end of a delivery runs, under
                // the driver's lock this delivery holds too. So it is alive here unless it
                // left the set before the previous delivery ended, and then it left before
                // this turn's `epoll_wait`, which cannot have fetched an event for it.
                let io = unsafe { &*(token as *const ScheduledIo) };
                io.set_readiness(Ready::from_event(event), wakers);
                stats.events += 1;
                continue;
            }
            // A source dropped since the events were fetched is skipped: its slot is empty,
            // or holds a newer source with another generation.
            let ios = ios.get_or_insert_with(|| self.inner.ios.lock());
            match ios.slots.get((token >> KEY_SHIFT) & KEY_MASK) {
                Some((generation, io)) if *generation as usize == token >> GENERATION_SHIFT => {
                    io.set_readiness(Ready::from_event(event), wakers);
                    stats.events += 1;
                }
                _ => {}
            }
        }
        drop(ios);
        self.drop_released();
        Ok(stats)
    }

    /// Drops the sources deregistered before this delivery of events ended: a later turn's
    /// events were fetched after they left the epoll set, and cannot name them.
    fn drop_released(&self) {
        if self.inner.released_any.swap(false, Ordering::Acquire) {
            let released = std::mem::take(&mut self.inner.ios.lock().released);
            // Outside the lock: the last reference may drop wakers, which may run anything.
            drop(released);
        }
    }

    /// Interrupts a turn waiting in `epoll_wait`, from any thread; if none is waiting, the next
    /// turn returns at once.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.waker.wake()
    }

    /// Fails every registered source (their pending and future operations return an error) and
    /// wakes the tasks waiting on them. Called when the event loop owning this reactor stops,
    /// for sockets that outlive it.
    pub fn shutdown(&self) {
        let mut wakers = Vec::new();
        {
            // Under the lock `register` takes: a source registers before, and is failed here,
            // or after, and is refused.
            let ios = self.inner.ios.lock();
            self.inner.is_shutdown.store(true, Ordering::Relaxed);
            for (_, (_, io)) in ios.slots.iter() {
                io.shutdown(&mut wakers);
            }
        }
        crate::wake_all(wakers);
    }

    /// Whether two handles drive the same `mio::Poll`.
    pub fn ptr_eq(&self, other: &Reactor) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// This reactor's id, unique in the process and never 0.
    pub(crate) fn id(&self) -> u32 {
        self.inner.id
    }

    /// The number of sources currently registered.
    pub fn registrations(&self) -> usize {
        self.inner.ios.lock().slots.len()
    }

    /// Registers `source`, whose readiness `io` records (a new source's, or that of a source
    /// moving here from another reactor), and returns its key. Its events name it by key and
    /// generation.
    fn register(
        &self,
        source: &mut impl mio::event::Source,
        io: Arc<ScheduledIo>,
    ) -> io::Result<u32> {
        let (key, token) = self.insert(io, |ios, key| {
            // Generations run from 1 to `MAX_GENERATION`, 0 being the mark of an address.
            ios.generation = ios.generation % MAX_GENERATION + 1;
            let token = BY_KEY | key << KEY_SHIFT | (ios.generation as usize) << GENERATION_SHIFT;
            (ios.generation, token)
        })?;
        self.add_to_set(key, source, token)
    }

    /// Registers descriptor `fd`, which its stream owns and closes only after deregistering
    /// it, and whose readiness `io` records; returns its key. Its events name `io` by
    /// address (see the module docs).
    fn register_by_address(&self, fd: RawFd, io: Arc<ScheduledIo>) -> io::Result<u32> {
        // The address is an allocation's, aligned to 8 bytes: its low bit is clear, unlike
        // a token by key's and `WAKE_TOKEN`, and it is not `TIMER_TOKEN`, the highest even
        // value.
        let token = Arc::as_ptr(&io) as usize;
        let (key, token) = self.insert(io, |_, _| (0, token))?;
        self.add_to_set(key, &mut SourceFd(&fd), token)
    }

    /// Puts `io` in a free slot, unless the reactor has shut down, with the generation and
    /// token `name` gives it (from the slot table and the slot's key).
    fn insert(
        &self,
        io: Arc<ScheduledIo>,
        name: impl FnOnce(&mut Registrations, usize) -> (u32, usize),
    ) -> io::Result<(usize, mio::Token)> {
        let mut ios = self.inner.ios.lock();
        if self.inner.is_shutdown.load(Ordering::Relaxed) {
            return Err(io::Error::other(
                "cannot register a socket: its event loop has shut down",
            ));
        }
        let key = ios.slots.vacant_key();
        assert!(
            key <= KEY_MASK,
            "more than 2^32 sources registered with one reactor"
        );
        let (generation, token) = name(&mut ios, key);
        ios.slots.insert((generation, io));
        Ok((key, mio::Token(token)))
    }

    /// Adds the source in slot `key` to the epoll set under `token`, or frees the slot if
    /// that fails.
    fn add_to_set(
        &self,
        key: usize,
        source: &mut impl mio::event::Source,
        token: mio::Token,
    ) -> io::Result<u32> {
        // Everything, once: an `Interest` filters what is recorded, never the registration.
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE | mio::Interest::PRIORITY;
        if let Err(e) = self.inner.registry.register(source, token, interest) {
            // A stream by address was never in the set (`SourceFd` adds one descriptor, or
            // none), so no event names it; a source by key may have added anything, but its
            // events find the slot empty.
            let slot = self.inner.ios.lock().slots.remove(key);
            drop(slot);
            return Err(e);
        }
        Ok(key as u32)
    }

    /// Takes the source in slot `key` out of the epoll set, then out of the slots. A stream
    /// named by address lives on until the end of the next delivery of events (see
    /// [`Registrations::released`]), or for good if it could not be taken out of the set.
    fn deregister(&self, key: u32, source: &mut impl mio::event::Source) {
        // Fails only if the descriptor was never registered or is closed already, which no
        // stream allows; a source by key is dropped either way (its events find no slot).
        let out_of_set = self.inner.registry.deregister(source).is_ok();
        let mut ios = self.inner.ios.lock();
        let (generation, io) = ios.slots.remove(key as usize);
        if generation != 0 {
            drop(ios);
            drop(io);
            return;
        }
        if !out_of_set {
            ios.kept.push(io);
            return;
        }
        ios.released.push(io);
        // Under the lock, after the push: a turn that sees the flag finds the stream there.
        self.inner.released_any.store(true, Ordering::Release);
        // An idle loop may not turn for a while: past a batch, it is woken to free them.
        if ios.released.len() % RELEASE_BATCH == 0 {
            drop(ios);
            // Failing only if the eventfd is gone, and then the loop is gone too.
            let _ = self.wake();
        }
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("registrations", &self.registrations())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A socket registered by address, as a stream is (see `rehome`), with a task waiting
    /// to read it; `read` takes what has arrived first.
    struct ByAddress {
        socket: mio::net::UdpSocket,
        io: Arc<ScheduledIo>,
        key: u32,
        reactor: Reactor,
    }

    impl ByAddress {
        fn new(reactor: &Reactor) -> ByAddress {
            use rehome::Registry;
            use std::os::fd::AsRawFd;
            let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let io = Arc::new(ScheduledIo::new());
            let key = reactor.add(socket.as_raw_fd(), &io).unwrap();
            let reactor = reactor.clone();
            ByAddress {
                socket,
                io,
                key,
                reactor,
            }
        }

        fn wait(&self) {
            let mut cx = Context::from_waker(Waker::noop());
            let mut buf = [0; 8];
            while let Poll::Ready(Ok(event)) = self.io.poll_ready(&mut cx, Direction::Read) {
                if self.socket.recv(&mut buf).is_err() {
                    self.io.clear_readiness(event);
                }
            }
        }
    }

    impl Drop for ByAddress {
        /// As a stream's: out of the set, waiters forgotten, then the descriptor closed.
        fn drop(&mut self) {
            use rehome::Registry;
            use std::os::fd::AsRawFd;
            self.reactor.remove(self.key, self.socket.as_raw_fd());
            self.io.forget_waiters();
        }
    }

    /// Streams dropped on other threads while their reactor delivers events naming them by
    /// address, with tasks waiting on them: the reactor keeps each `ScheduledIo` alive until
    /// it has delivered the events it fetched (under AddressSanitizer, `scripts/sanitize.sh`,
    /// a use after free would fail this test), and frees it once a later turn has ended.
    #[test]
    fn streams_dropped_while_their_events_are_delivered_are_freed_after() {
        let reactor = Reactor::new().unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let turning = s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    reactor.turn(Some(Duration::ZERO)).unwrap();
                }
            });
            let droppers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..300 {
                            let sockets: Vec<_> =
                                (0..8).map(|_| ByAddress::new(&reactor)).collect();
                            for socket in &sockets {
                                let to = socket.socket.local_addr().unwrap();
                                sender.send_to(b"x", to).unwrap();
                                socket.wait();
                            }
                        }
                    })
                })
                .collect();
            for dropper in droppers {
                dropper.join().unwrap();
            }
            stop.store(true, Ordering::Relaxed);
            turning.join().unwrap();
        });
        assert_eq!(reactor.registrations(), 0);
        reactor.turn(Some(Duration::ZERO)).unwrap();
        assert!(reactor.inner.ios.lock().released.is_empty());
    }

    /// Streams dropped while their reactor sleeps are freed by its next turn, and a batch of
    /// them wakes it for that.
    #[test]
    fn a_batch_of_dropped_streams_wakes_their_reactor_to_free_them() {
        let reactor = Reactor::new().unwrap();
        let sockets: Vec<_> = (0..RELEASE_BATCH)
            .map(|_| ByAddress::new(&reactor))
            .collect();
        drop(sockets);
        assert_eq!(reactor.inner.ios.lock().released.len(), RELEASE_BATCH);
        let stats = reactor.turn(Some(Duration::from_secs(60))).unwrap();
        assert!(stats.woken_up, "the batch woke the reactor");
        assert!(reactor.inner.ios.lock().released.is_empty());
    }

    /// A source whose registration races with its reactor's shutdown is either refused or
    /// failed by the shutdown: never left waiting on a reactor that will not turn again.
    #[test]
    fn a_source_registered_during_shutdown_is_refused_or_shut_down() {
        let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        for _ in 0..2_000 {
            let reactor = Reactor::new().unwrap();
            let registered: Vec<_> = std::thread::scope(|s| {
                let threads: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            (0..10)
                                .filter_map(|_| {
                                    let socket = mio::net::UdpSocket::bind(addr).unwrap();
                                    Evented::with_reactor(socket, reactor.clone()).ok()
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                reactor.shutdown();
                threads
                    .into_iter()
                    .flat_map(|t| t.join().unwrap())
                    .collect()
            });
            let mut cx = Context::from_waker(Waker::noop());
            for source in &registered {
                assert!(
                    matches!(
                        source.poll_ready(&mut cx, Direction::Read),
                        Poll::Ready(Err(_))
                    ),
                    "a source registered during shutdown was never shut down"
                );
            }
        }
    }
}

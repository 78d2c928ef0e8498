//! The reactor: the I/O half of one event loop.
//!
//! A [`Reactor`] wraps one `mio::Poll`. Sources register with it and get a slot holding their
//! readiness ([`scheduled_io`]) and the tasks waiting on it ([`waiters`]); [`Reactor::turn`] waits in
//! `epoll_wait` once, records the readiness each event reports and wakes the tasks waiting for it.
//!
//! An event's token is the address of its source's `ScheduledIo`, as in tokio: delivering it
//! is one pointer away, with no table to look up and no lock to take. The reactor keeps every
//! registered `ScheduledIo` alive, and one deregistered meanwhile until the end of the next
//! delivery of events (see [`Registrations::released`]), which is the last that can carry its
//! token: a turn's events were fetched either before the source left the epoll set, and are
//! delivered by that turn, or after, and cannot name it. That holds only if every token in
//! the epoll set is one the reactor chose, and every descriptor leaves the set before it is
//! closed: so the reactor makes the `epoll_ctl` calls itself, on a descriptor the source
//! lends for as long as it is registered ([`Evented`] takes `AsFd` sources), and a source
//! that registers itself does so through an `unsafe` constructor that promises as much
//! ([`Evented::from_source`]).
//!
//! A `mio::Waker` lets other threads interrupt that wait, which is how a loop is woken for work
//! that is not I/O (a task scheduled from another thread, a timer that moved earlier).
//!
//! One thread turns a given reactor at a time: the loop that owns it, or a peer standing in for
//! a loop stuck in a long task, who only tries it ([`Reactor::try_turn_now`]). Any thread may
//! register with it, deregister from it or wake it, since a socket can be dropped, and a task
//! polled, on any thread. The slot table sits behind a mutex that a turn takes only when
//! sources were deregistered since the last one, never while it runs wakers.
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
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use parking_lot::Mutex;
use slab::Slab;

use crate::Ready;
pub use evented::Evented;
use fine_timeout::{FineTimeout, TIMER_TOKEN};
pub use scheduled_io::Direction;
use scheduled_io::ScheduledIo;

/// The token of the `mio::Waker`; no registration's token (an address) gets this high.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
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

/// The registered sources by slab key (what a source deregisters with).
#[derive(Default)]
struct Registrations {
    slots: Slab<Arc<ScheduledIo>>,
    /// Sources deregistered since the last delivery of events began. A turn may have fetched
    /// events naming them (by the address of their `ScheduledIo`) before they left the epoll
    /// set, so they are dropped only once that turn has delivered its events.
    released: Vec<Arc<ScheduledIo>>,
    /// Sources whose removal from the epoll set failed (which a descriptor kept open until
    /// then never sees): events may name them for as long as the reactor lives, so they live
    /// as long.
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
        for event in events.iter() {
            let token = event.token();
            if token == WAKE_TOKEN {
                stats.woken_up = true;
                continue;
            }
            if token == TIMER_TOKEN {
                continue;
            }
            // SAFETY: every other token in the epoll set is the address of a registered
            // source's `ScheduledIo`, put there by `register` (whose callers promise that the
            // source adds its one descriptor under that token alone, nothing if it fails,
            // nothing later, and keeps it open until `deregister`). The slot table holds it
            // from before the source joins the set; once the source has left (`deregister`:
            // `EPOLL_CTL_DEL` returned; if it failed, the table keeps it for good), `released`
            // holds it until a `drop_released` after that, which only the end of a delivery
            // runs, under the driver's lock this delivery holds too. So it is alive here
            // unless it left the set before the previous delivery ended, and then this turn's
            // `epoll_wait`, which came after, cannot have fetched an event for it.
            let io = unsafe { &*(token.0 as *const ScheduledIo) };
            io.set_readiness(Ready::from_event(event), wakers);
            stats.events += 1;
        }
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
            for (_, io) in ios.slots.iter() {
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
    /// moving here from another reactor), and returns its key.
    ///
    /// # Safety
    ///
    /// `source`'s `register` adds one descriptor to the registry, under the token given and
    /// no other, or nothing if it fails; the source keeps no handle to the registry to add
    /// anything later; and its `deregister` ([`deregister`](Reactor::deregister)'s) takes the
    /// descriptor out, which stays open until then. Events name `io` by address: see `fetch`.
    unsafe fn register(
        &self,
        source: &mut impl mio::event::Source,
        io: Arc<ScheduledIo>,
    ) -> io::Result<u32> {
        // The address is an allocation's, so it is neither of the reactor's own tokens (the
        // highest two values).
        let token = mio::Token(Arc::as_ptr(&io) as usize);
        let key = {
            let mut ios = self.inner.ios.lock();
            if self.inner.is_shutdown.load(Ordering::Relaxed) {
                return Err(io::Error::other(
                    "cannot register a socket: its event loop has shut down",
                ));
            }
            ios.slots.insert(io)
        };
        let key = u32::try_from(key).expect("more than 2^32 sources registered with one reactor");
        // Everything, once: an `Interest` filters what is recorded, never the registration.
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE | mio::Interest::PRIORITY;
        if let Err(e) = self.inner.registry.register(source, token, interest) {
            // Never in the epoll set, so no event names it.
            let io = self.inner.ios.lock().slots.remove(key as usize);
            drop(io);
            return Err(e);
        }
        Ok(key)
    }

    /// Takes the source out of the epoll set, then out of the slots; its `ScheduledIo` lives
    /// on until the end of the next delivery of events (see [`Registrations::released`]), or
    /// for good if it could not be taken out of the set.
    fn deregister(&self, key: u32, source: &mut impl mio::event::Source) {
        let out_of_set = self.inner.registry.deregister(source).is_ok();
        let mut ios = self.inner.ios.lock();
        let io = ios.slots.remove(key as usize);
        if !out_of_set {
            ios.kept.push(io);
            return;
        }
        ios.released.push(io);
        // Under the lock, after the push: a turn that sees the flag finds the source there.
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

    /// Sources dropped on other threads while their reactor delivers events for them, with
    /// tasks waiting on them: an event's token is the address of its source's `ScheduledIo`,
    /// which the reactor keeps alive until it has delivered the events it fetched (under
    /// AddressSanitizer, `scripts/sanitize.sh`, a use after free would fail this test), and
    /// frees once a later turn has ended.
    #[test]
    fn sources_dropped_while_their_events_are_delivered_are_freed_after() {
        let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let reactor = Reactor::new().unwrap();
        let sender = std::net::UdpSocket::bind(addr).unwrap();
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
                        let mut cx = Context::from_waker(Waker::noop());
                        let mut buf = [0; 8];
                        for _ in 0..300 {
                            let sources: Vec<_> = (0..8)
                                .map(|_| {
                                    let socket = mio::net::UdpSocket::bind(addr).unwrap();
                                    Evented::with_reactor(socket, reactor.clone()).unwrap()
                                })
                                .collect();
                            for source in &sources {
                                let to = source.get_ref().local_addr().unwrap();
                                sender.send_to(b"x", to).unwrap();
                                // Read until it would block: a task waits on it, whose waker
                                // the events take.
                                let mut read = |s: &mio::net::UdpSocket| s.recv(&mut buf);
                                while let Poll::Ready(Ok(_)) =
                                    source.poll_io(&mut cx, Direction::Read, &mut read)
                                {
                                }
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

    /// Sources dropped while their reactor sleeps are freed by its next turn, and a batch of
    /// them wakes it for that.
    #[test]
    fn a_batch_of_dropped_sources_wakes_their_reactor_to_free_them() {
        let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let reactor = Reactor::new().unwrap();
        let sources: Vec<_> = (0..RELEASE_BATCH)
            .map(|_| {
                let socket = mio::net::UdpSocket::bind(addr).unwrap();
                Evented::with_reactor(socket, reactor.clone()).unwrap()
            })
            .collect();
        drop(sources);
        assert_eq!(reactor.inner.ios.lock().released.len(), RELEASE_BATCH);
        let stats = reactor.turn(Some(Duration::from_secs(60))).unwrap();
        assert!(stats.woken_up, "the batch woke the reactor");
        assert!(reactor.inner.ios.lock().released.is_empty());
    }

    /// A source whose own `register` would add its descriptor under a token of its choosing
    /// (an address the reactor would then read): registered by descriptor, its `register` is
    /// never called, and its events reach its `ScheduledIo`.
    #[test]
    fn a_sources_own_register_cannot_choose_its_token() {
        struct Forger(mio::net::UdpSocket);
        impl mio::event::Source for Forger {
            fn register(
                &mut self,
                registry: &mio::Registry,
                _: mio::Token,
                interests: mio::Interest,
            ) -> io::Result<()> {
                self.0.register(registry, mio::Token(0x1000), interests)?;
                panic!("the reactor let the source register itself");
            }
            fn reregister(
                &mut self,
                _: &mio::Registry,
                _: mio::Token,
                _: mio::Interest,
            ) -> io::Result<()> {
                unreachable!("the reactor never reregisters")
            }
            fn deregister(&mut self, _: &mio::Registry) -> io::Result<()> {
                panic!("the reactor let the source deregister itself");
            }
        }
        impl std::os::fd::AsFd for Forger {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.0.as_fd()
            }
        }
        let reactor = Reactor::new().unwrap();
        let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let forger = Evented::with_reactor(Forger(socket), reactor.clone()).unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = [0; 8];
        let mut read = |f: &Forger| f.0.recv(&mut buf);
        while let Poll::Ready(Ok(_)) = forger.poll_io(&mut cx, Direction::Read, &mut read) {}
        let to = forger.get_ref().0.local_addr().unwrap();
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .send_to(b"x", to)
            .unwrap();
        let stats = reactor.turn(Some(Duration::from_secs(60))).unwrap();
        assert_eq!(stats.events, 1);
        assert!(forger.poll_ready(&mut cx, Direction::Read).is_ready());
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

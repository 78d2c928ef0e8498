//! The reactor: the I/O half of one event loop.
//!
//! A [`Reactor`] wraps one `mio::Poll`. Sources register with it and get a slot holding their
//! readiness ([`scheduled_io`]) and the tasks waiting on it ([`waiters`]); [`Reactor::turn`] waits in
//! `epoll_wait` once, records the readiness each event reports and wakes the tasks waiting for it.
//! A `mio::Waker` lets other threads interrupt that wait, which is how a loop is woken for work
//! that is not I/O (a task scheduled from another thread, a timer that moved earlier).
//!
//! One thread turns a given reactor at a time: the loop that owns it, or a peer standing in for
//! a loop stuck in a long task, who only tries it ([`Reactor::try_turn_now`]). Any thread may
//! register with it, deregister from it or wake it, since a socket can be dropped, and a task
//! polled, on any thread. The slot table sits behind a mutex that `turn` takes once per batch of events,
//! never while it runs wakers.
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

/// The token of the `mio::Waker`; no registration's token gets this high.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
/// A registration's token is its slab key in the low bits and a generation above them, so an
/// event fetched for a source that was dropped meanwhile is not delivered to a new source that
/// took its slot.
const KEY_BITS: u32 = 32;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;
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
    driver: Mutex<Driver>,
    is_shutdown: AtomicBool,
}

/// The registered sources by slab key, each with the generation its token carries.
#[derive(Default)]
struct Registrations {
    slots: Slab<(u32, Arc<ScheduledIo>)>,
    generation: u32,
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
        {
            let ios = self.inner.ios.lock();
            for event in events.iter() {
                if event.token() == WAKE_TOKEN {
                    stats.woken_up = true;
                    continue;
                }
                if event.token() == TIMER_TOKEN {
                    continue;
                }
                // A source deregistered since the events were fetched is skipped: its slot is
                // empty, or holds a newer source with another generation.
                let token = event.token().0;
                match ios.slots.get(token & KEY_MASK) {
                    Some((generation, io)) if *generation as usize == token >> KEY_BITS => {
                        io.set_readiness(Ready::from_event(event), wakers);
                        stats.events += 1;
                    }
                    _ => {}
                }
            }
        }
        Ok(stats)
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
    /// moving here from another reactor), and returns its key.
    fn register(
        &self,
        source: &mut impl mio::event::Source,
        io: Arc<ScheduledIo>,
    ) -> io::Result<u32> {
        let (key, generation) = {
            let mut ios = self.inner.ios.lock();
            if self.inner.is_shutdown.load(Ordering::Relaxed) {
                return Err(io::Error::other(
                    "cannot register a socket: its event loop has shut down",
                ));
            }
            // Generations run up to 2^31 - 1 so that no token equals `WAKE_TOKEN`.
            ios.generation = (ios.generation + 1) & (u32::MAX >> 1);
            let generation = ios.generation;
            (ios.slots.insert((generation, io)), generation)
        };
        assert!(
            key <= KEY_MASK,
            "more than 2^32 sources registered with one reactor"
        );
        let token = mio::Token(key | (generation as usize) << KEY_BITS);
        // Everything, once: an `Interest` filters what is recorded, never the registration.
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE | mio::Interest::PRIORITY;
        if let Err(e) = self.inner.registry.register(source, token, interest) {
            self.inner.ios.lock().slots.remove(key);
            return Err(e);
        }
        Ok(key as u32)
    }

    fn deregister(&self, key: u32, source: &mut impl mio::event::Source) {
        // Deregistering can only fail if the fd was never registered or is already closed,
        // neither of which an `Evented` allows; the slot is freed either way.
        let _ = self.inner.registry.deregister(source);
        self.inner.ios.lock().slots.remove(key as usize);
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

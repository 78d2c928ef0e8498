//! One worker's timers: a timing wheel behind a lock, in milliseconds since the runtime started.
//!
//! The owning loop fires due timers after each reactor turn and sleeps in `epoll_wait` no longer
//! than the next expiration. Any thread may add or cancel a timer (a task can be polled, or its
//! `Sleep` dropped, away from the loop whose wheel holds it), so the wheel sits behind a mutex
//! that its owner takes briefly and others rarely. A timer added by another thread earlier than
//! the owner's current sleep wakes the owner so it can shorten that sleep.
//!
//! Parking takes no lock: the owner publishes how long it sleeps (`parked_until`) and then
//! reads the next expiration again, while a thread adding a timer publishes the new expiration
//! (`next_due`) and then reads `parked_until`. A `SeqCst` fence separates the store from the
//! load on both sides, so at least one side sees the other's store: the owner shortens its
//! sleep, or the adder wakes it. An adder whose timer comes no earlier than `next_due` skips
//! the store: the store of that `next_due` happened before its lock, and so before its fence,
//! which is all the pairing needs. The owner itself adds timers only while it runs, and reads
//! `next_due` again before it next sleeps, so it skips the fence and the look at
//! `parked_until` (an `mfence` per timer less). `next_due` is written only under the lock,
//! and never above the wheel's next expiration. The loom model below runs an adder that
//! stores and one that may skip against a parking owner (fences rather than `SeqCst` loads
//! and stores, which give the same guarantee, because loom models only the fences).
//!
//! Deadlines round up to the next millisecond and the clock rounds down, so a timer never fires
//! before its deadline.

use std::sync::atomic::Ordering;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::loom::{fence, AtomicU64, Mutex};

use super::clock::{millis, Clock};
use super::wheel::{Key, Wheel};

/// How far past the owner's latest turn a deadline must be for `register` to skip reading the
/// clock: longer than any turn of a loop that is not stuck.
const CLOCK_CHECK_MS: u64 = 1_000;

/// `parked_until` while the owner runs: no timer needs to wake it.
const RUNNING: u64 = 0;

/// The thread adding a timer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Adder {
    /// The owner, which adds timers only while it runs: it reads `next_due` before it next
    /// sleeps, so it needs neither the fence nor a wake.
    Owner,
    /// Any other thread, which may find the owner asleep.
    Other,
}

pub(crate) struct Timers {
    state: Mutex<State>,
    /// The wheel's next expiration: `fire` returns at once before it, without the lock. Set
    /// under the lock; it may be earlier than the truth (after a cancel), never later.
    next_due: AtomicU64,
    /// The tick the owner sleeps until (`u64::MAX`: no timer), or [`RUNNING`].
    parked_until: AtomicU64,
    /// The tick of the latest `fire` (the owner's turn, or a peer's for it), a hint that
    /// spares most sleeps a clock read (see `register`).
    last_tick: AtomicU64,
    /// The wheel's `elapsed` as of its latest advance: every timer set for this tick or
    /// earlier has fired, and no later one has. Written under the lock before the fired
    /// timers' wakers run, so a task woken by its timer reads it at or past its tick (see
    /// [`Timers::may_have_fired`]).
    fired_through: AtomicU64,
    /// The runtime's clock, shared by every worker.
    clock: Clock,
    reactor: net::Reactor,
}

struct State {
    wheel: Wheel<Option<Waker>>,
    shutdown: bool,
}

impl Timers {
    /// Timers counting milliseconds on `clock`, waking `reactor`'s owner when needed.
    pub(crate) fn new(reactor: net::Reactor, clock: Clock) -> Timers {
        Timers {
            state: Mutex::new(State {
                wheel: Wheel::new(),
                shutdown: false,
            }),
            next_due: AtomicU64::new(u64::MAX),
            parked_until: AtomicU64::new(RUNNING),
            last_tick: AtomicU64::new(0),
            fired_through: AtomicU64::new(0),
            clock,
            reactor,
        }
    }

    pub(crate) fn tick_ceil(&self, t: Instant) -> u64 {
        let since = t.saturating_duration_since(self.clock.origin());
        millis(since).saturating_add(u64::from(since.subsec_nanos() % 1_000_000 != 0))
    }

    /// Adds a timer for `deadline` that wakes `waker`: its key and the tick it is set for;
    /// `None` if it is due already. `adder` says whether the calling thread is the owner (see
    /// [`Adder`]).
    ///
    /// While the owner runs, only a deadline within [`CLOCK_CHECK_MS`] of its latest turn is
    /// checked against the clock: a later one cannot have passed unless the loop has gone
    /// that long without a turn, and then the timer fires at the next turn (late, never
    /// early).
    pub(crate) fn register(
        &self,
        deadline: Instant,
        waker: &Waker,
        adder: Adder,
    ) -> Option<(Key, u64)> {
        let tick = self.tick_ceil(deadline);
        // A parked owner's latest turn may be long past: then the clock decides.
        let parked = adder == Adder::Other && self.owner_parked();
        let near = self
            .last_tick
            .load(Ordering::Relaxed)
            .saturating_add(CLOCK_CHECK_MS);
        if (parked || tick <= near) && self.clock.instant_now() >= deadline {
            return None;
        }
        let mut state = self.state.lock();
        assert!(!state.shutdown, "{SHUT_DOWN}");
        let key = state.wheel.insert(tick, Some(waker.clone())).ok()?;
        // The timer's slot start, not its deadline: a timer on a higher level needs `advance`
        // at its level's cascade point, before its deadline. The wheel's next expiration is
        // the earlier of that and the one before, so `next_due` (a lower bound of the latter;
        // only written under the lock) moves only if this slot comes first: most timers, set
        // far beyond the next one, skip the store.
        let start = state
            .wheel
            .slot_start(key)
            .expect("a timer just inserted is pending");
        if start < self.next_due.load(Ordering::Relaxed) {
            self.next_due.store(start, Ordering::Relaxed);
        }
        drop(state);
        if adder == Adder::Owner {
            return Some((key, tick));
        }
        // Orders the store above, or the store of the earlier `next_due` that made it
        // unnecessary, before the look at the owner's sleep (see the module doc); `RUNNING`
        // is below every tick.
        fence(Ordering::SeqCst);
        if tick < self.parked_until.load(Ordering::Relaxed) {
            // The owner sleeps past this deadline; it recomputes its timeout when woken.
            let _ = self.reactor.wake();
        }
        Some((key, tick))
    }

    /// Whether a timer set for `tick` may have fired: false means it is still pending, so a
    /// sleep polled again with the waker it registered can answer `Pending` without the lock.
    /// A timer's firing is published (under the lock) before its waker runs, and a poll
    /// caused by that wake happens after the wake, so that poll reads true.
    #[inline]
    pub(crate) fn may_have_fired(&self, tick: u64) -> bool {
        self.fired_through.load(Ordering::Acquire) >= tick
    }

    /// `Ready` once the timer has fired (and forgets it); else makes sure `waker` is the one
    /// it wakes.
    pub(crate) fn poll(&self, key: Key, waker: &Waker) -> Poll<()> {
        let mut state = self.state.lock();
        assert!(!state.shutdown, "{SHUT_DOWN}");
        if state.wheel.is_fired(key) {
            state.wheel.remove(key);
            return Poll::Ready(());
        }
        let slot = state
            .wheel
            .get_mut(key)
            .expect("a timer's key stays valid until it is cancelled");
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            let old = slot.replace(waker.clone());
            drop(state);
            drop(old);
        }
        Poll::Pending
    }

    /// Removes a timer, fired or not, freeing its entry at once.
    pub(crate) fn cancel(&self, key: Key) {
        let removed = self.state.lock().wheel.remove(key);
        // A waker may run arbitrary code when dropped; not under the lock.
        drop(removed);
    }

    /// How long the owner may sleep from now: until the clock reads the next expiration, or
    /// without limit (and then the clock is not read). Records the answer so that other
    /// threads know when to wake the owner.
    ///
    /// The expiration it reads may be earlier than the wheel's (after a cancel): the owner then
    /// wakes early once, and the `fire` of that turn corrects it.
    pub(crate) fn park_timeout(&self) -> Option<Duration> {
        let mut next = self.next_due.load(Ordering::Relaxed);
        loop {
            self.parked_until
                .store(next.max(RUNNING + 1), Ordering::Relaxed);
            // A timer added before the store above may have been missed: read again, after
            // the fence that pairs with the adders'.
            fence(Ordering::SeqCst);
            let again = self.next_due.load(Ordering::Relaxed);
            if again >= next {
                break;
            }
            next = again;
        }
        if next == u64::MAX {
            return None;
        }
        self.clock.until(next)
    }

    /// The runtime's clock.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The next expiration on the wheel, or a little earlier (`u64::MAX`: none).
    pub(crate) fn next_due(&self) -> u64 {
        self.next_due.load(Ordering::Acquire)
    }

    /// Whether the owner is parking or parked (between `park_timeout` and `unparked`).
    pub(crate) fn owner_parked(&self) -> bool {
        self.parked_until.load(Ordering::Relaxed) != RUNNING
    }

    /// The owner is awake again: timers added from now on need not wake it.
    pub(crate) fn unparked(&self) {
        self.parked_until.store(RUNNING, Ordering::Release);
    }

    /// Fires every timer due now, for a peer standing in for a stuck owner.
    pub(crate) fn fire(&self) {
        self.fire_tick(self.clock.now_ms());
    }

    /// Fires every timer due at `tick`, a reading of the clock; the owner calls it after each
    /// reactor turn.
    #[inline]
    pub(crate) fn fire_tick(&self, tick: u64) {
        self.last_tick.store(tick, Ordering::Relaxed);
        // Every turn comes here, and most find nothing due: only this check inline.
        if tick >= self.next_due.load(Ordering::Acquire) {
            self.fire_due(tick);
        }
    }

    #[inline(never)]
    fn fire_due(&self, tick: u64) {
        let mut wakers = Vec::new();
        let mut state = self.state.lock();
        state
            .wheel
            .advance(tick, |_, waker| wakers.extend(waker.take()));
        self.fired_through
            .store(state.wheel.elapsed(), Ordering::Release);
        let next = state.wheel.next_expiration().unwrap_or(u64::MAX);
        self.next_due.store(next, Ordering::Relaxed);
        drop(state);
        net::wake_all(wakers);
    }

    /// Fires every timer, for good: their tasks are woken and find the runtime gone.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        let mut state = self.state.lock();
        state.shutdown = true;
        state
            .wheel
            .advance(u64::MAX, |_, waker| wakers.extend(waker.take()));
        self.fired_through.store(u64::MAX, Ordering::Release);
        drop(state);
        net::wake_all(wakers);
    }
}

const SHUT_DOWN: &str = "a timer was used after the runtime that owns it shut down";

/// loom models of a timer added while the owner parks: whatever the interleaving, the owner
/// sleeps no later than the timer, or finds its reactor woken. Run with
/// `RUSTFLAGS="--cfg loom" cargo test -p runtime --lib loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }

    /// Whether the owner, as `park_timeout` left it, sleeps until `tick` at the latest or has
    /// a wake waiting that ends its sleep at once.
    fn owner_wakes_by(timers: &Timers, tick: u64) -> bool {
        timers.parked_until.load(Ordering::Relaxed) <= tick
            || timers.reactor.turn(Some(Duration::ZERO)).unwrap().woken_up
    }

    /// A thread of the model with room for a wheel, which loom's default stacks lack.
    fn spawn(f: impl FnOnce() + Send + 'static) -> thread::JoinHandle<()> {
        thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(f)
            .expect("spawning a model thread")
    }

    /// A waker that records its wake.
    struct Flag(loom::sync::atomic::AtomicBool);
    impl std::task::Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.store(true, Ordering::Release);
        }
    }

    /// A sleep polled again by the task its timer woke must not take the lock-free
    /// `Pending`: whenever the wake is seen, so is the firing.
    #[test]
    fn a_task_woken_by_its_timer_sees_it_fired() {
        loom::model(|| {
            spawn(|| {
                let clock = Clock::new();
                let timers = Arc::new(Timers::new(net::Reactor::new().unwrap(), clock.clone()));
                let flag = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicBool::new(false)));
                let waker = std::task::Waker::from(flag.clone());
                let deadline = clock.origin() + Duration::from_secs(100);
                let (_, tick) = timers.register(deadline, &waker, Adder::Other).unwrap();
                let firer = {
                    let timers = timers.clone();
                    spawn(move || timers.fire_tick(tick))
                };
                if flag.0.load(Ordering::Acquire) {
                    assert!(timers.may_have_fired(tick));
                }
                firer.join().unwrap();
                assert!(timers.may_have_fired(tick));
            })
            .join()
            .unwrap();
        });
    }

    #[test]
    fn timers_added_while_the_owner_parks_are_not_slept_past() {
        loom::model(|| {
            spawn(|| {
                let clock = Clock::new();
                let timers = Arc::new(Timers::new(net::Reactor::new().unwrap(), clock.clone()));
                let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
                // A far timer is set: the first adder lowers `next_due`, the second finds its
                // slot no earlier than that and may skip the store.
                let far = clock.origin() + Duration::from_secs(1_000);
                timers.register(far, &waker, Adder::Other).unwrap();
                let first = clock.origin() + Duration::from_secs(100);
                let second = first + Duration::from_millis(1);
                let adders: Vec<_> = [second, first]
                    .into_iter()
                    .map(|deadline| {
                        let (timers, waker) = (timers.clone(), waker.clone());
                        spawn(move || {
                            timers.register(deadline, &waker, Adder::Other).unwrap();
                        })
                    })
                    .collect();
                let _ = timers.park_timeout();
                for adder in adders {
                    adder.join().unwrap();
                }
                assert!(owner_wakes_by(&timers, timers.tick_ceil(first)));
            })
            .join()
            .unwrap();
        });
    }
}

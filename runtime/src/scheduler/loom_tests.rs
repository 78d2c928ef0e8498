//! loom models of the hand-off between a worker going to sleep and threads handing it work:
//! whatever the interleaving, either the worker sees the work before it sleeps, or the thread
//! that handed it over wakes the worker's reactor (an eventfd write, which makes a later
//! `epoll_wait` return at once), and a peer standing in never swallows that wake. Of
//! `block_on`'s waiter: a wake is never lost between its look and its sleep. And of the idle
//! workers' bookkeeping: one wake of a parked peer in flight at a time, and a searching count
//! that always returns to zero. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p runtime --lib loom`.

use std::sync::atomic::Ordering;

use loom::sync::Arc;
use loom::thread;

use super::idle::Idle;
use super::inbox::Inbox;
use super::park::ParkState;
use super::stand_in;
use super::waiter::Signal;
use crate::loom::{fence, AtomicBool, AtomicUsize};
use crate::time::{Clock, Timers};

/// The worker's side: announce the sleep, look once more, and report whether it would sleep.
fn worker_parks(park: &ParkState, has_work: impl Fn() -> bool) -> bool {
    park.prepare();
    let sleeps = !has_work();
    if !sleeps {
        park.finish();
    }
    sleeps
}

#[test]
fn inbox_push_is_never_lost() {
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let inbox = Arc::new(Inbox::new());
        let woken = Arc::new(AtomicBool::new(false));
        let pushers: Vec<_> = (0..2)
            .map(|i| {
                let (park, inbox, woken) = (park.clone(), inbox.clone(), woken.clone());
                thread::spawn(move || {
                    if inbox.push(i, &park) {
                        woken.store(true, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let sleeps = worker_parks(&park, || !inbox.is_empty());
        for p in pushers {
            p.join().unwrap();
        }
        assert!(
            !sleeps || woken.load(Ordering::SeqCst),
            "a pinned task was handed over while its worker fell asleep unwoken"
        );
    });
}

#[test]
fn injector_push_is_never_lost() {
    // The injector side of `Shared::notify_parked`: publish, fence, look for a sleeper.
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let work = Arc::new(AtomicBool::new(false));
        let woken = Arc::new(AtomicBool::new(false));
        let spawner = {
            let (park, work, woken) = (park.clone(), work.clone(), woken.clone());
            thread::spawn(move || {
                work.store(true, Ordering::Release);
                fence(Ordering::SeqCst);
                if park.is_parked() && park.unpark() {
                    woken.store(true, Ordering::SeqCst);
                }
            })
        };
        let sleeps = worker_parks(&park, || work.load(Ordering::Acquire));
        spawner.join().unwrap();
        assert!(
            !sleeps || woken.load(Ordering::SeqCst),
            "a spawn from outside was missed by the sleeping worker"
        );
    });
}

#[test]
fn a_wake_through_unpark_is_never_lost() {
    // A flag set, then the worker unparked.
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let flag = Arc::new(AtomicBool::new(false));
        let woken = Arc::new(AtomicBool::new(false));
        let waker = {
            let (park, flag, woken) = (park.clone(), flag.clone(), woken.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::SeqCst);
                if park.unpark() {
                    woken.store(true, Ordering::SeqCst);
                }
            })
        };
        let sleeps = worker_parks(&park, || flag.load(Ordering::SeqCst));
        waker.join().unwrap();
        assert!(
            !sleeps || woken.load(Ordering::SeqCst),
            "a flag was set while its worker fell asleep unwoken"
        );
    });
}

#[test]
fn a_stand_ins_turn_never_swallows_the_owners_wake() {
    // A pinned task is handed to a worker that is parking while a peer stands in for it: the
    // stand-in may take the wake the hand-off wrote, and must pass it on.
    loom::model(|| {
        spawn_big(|| {
            let reactor = net::Reactor::new().unwrap();
            let timers = std::sync::Arc::new(Timers::new(reactor.clone(), Clock::new()));
            let park = Arc::new(ParkState::new());
            let inbox = Arc::new(Inbox::new());
            let pusher = {
                let (park, inbox, reactor) = (park.clone(), inbox.clone(), reactor.clone());
                thread::spawn(move || {
                    if inbox.push(1, &park) {
                        reactor.wake().unwrap();
                    }
                })
            };
            let stand_in = {
                let (reactor, timers) = (reactor.clone(), timers.clone());
                spawn_big(move || {
                    stand_in::turn_for(&reactor, &timers, &mut Vec::new());
                })
            };
            let sleeps = worker_parks(&park, || !inbox.is_empty());
            pusher.join().unwrap();
            stand_in.join().unwrap();
            if sleeps {
                let turn = reactor.turn(Some(std::time::Duration::ZERO)).unwrap();
                assert!(
                    turn.woken_up,
                    "the owner sleeps through a task handed to it"
                );
            }
        })
        .join()
        .unwrap();
    });
}

#[test]
fn block_on_waiter_never_misses_a_wake() {
    // `block_on`: the future is polled (here: the flag looked at), then the thread waits; a
    // wake between the two must end the wait, or the model deadlocks.
    loom::model(|| {
        let signal = std::sync::Arc::new(Signal::new());
        let ready = Arc::new(AtomicBool::new(false));
        let waker = {
            let (signal, ready) = (signal.clone(), ready.clone());
            thread::spawn(move || {
                ready.store(true, Ordering::Release);
                signal.notify();
                // A second wake while the first is pending changes nothing.
                signal.notify();
            })
        };
        while !ready.load(Ordering::Acquire) {
            signal.wait();
        }
        // Not joined: loom's `unpark` of a thread blocked in `join` breaks its model of the
        // join. The model still runs the waker to its end.
        drop(waker);
    });
}

/// A thread of the model with room for a timer wheel, which loom's default stacks lack.
fn spawn_big(f: impl FnOnce() + Send + 'static) -> thread::JoinHandle<()> {
    thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("spawning a model thread")
}

#[test]
fn a_second_sleep_after_notified_is_woken() {
    // After a hand-off left the state NOTIFIED, the worker runs, sleeps again, and a new
    // hand-off must wake it again.
    loom::model(|| {
        let park = Arc::new(ParkState::new());
        let inbox = Arc::new(Inbox::new());
        assert!(!inbox.push(0, &park), "a running worker needs no wake");
        let mut batch = Vec::new();
        inbox.take(&mut batch);
        let woken = Arc::new(AtomicBool::new(false));
        let pusher = {
            let (park, inbox, woken) = (park.clone(), inbox.clone(), woken.clone());
            thread::spawn(move || {
                if inbox.push(1, &park) {
                    woken.store(true, Ordering::SeqCst);
                }
            })
        };
        let sleeps = worker_parks(&park, || !inbox.is_empty());
        pusher.join().unwrap();
        assert!(!sleeps || woken.load(Ordering::SeqCst));
    });
}

#[test]
fn one_wake_of_a_parked_peer_in_flight_at_a_time() {
    // `Idle`: two workers with surplus work race to wake a peer while a third searches. At
    // most one claims the wake until it is released, and the searching count returns to zero.
    loom::model(|| {
        let idle = Arc::new(Idle::new(3));
        let holders = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (idle, holders) = (idle.clone(), holders.clone());
                thread::spawn(move || {
                    if idle.claim_wake() {
                        assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0, "two wakes");
                        holders.fetch_sub(1, Ordering::SeqCst);
                        idle.release_wake();
                    }
                })
            })
            .collect();
        if idle.start_search() {
            idle.end_search();
        }
        for w in wakers {
            w.join().unwrap();
        }
        assert!(idle.start_search(), "a searcher was never counted out");
        assert!(idle.end_search(), "the count did not return to zero");
    });
}

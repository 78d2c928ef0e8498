//! loom models of the hand-off between a worker going to sleep and threads handing it work:
//! whatever the interleaving, either the worker sees the work before it sleeps, or the thread
//! that handed it over wakes the worker's reactor (an eventfd write, which makes a later
//! `epoll_wait` return at once). And of the idle workers' bookkeeping: one wake of a parked
//! peer in flight at a time, and a searching count that always returns to zero. Run with `RUSTFLAGS="--cfg loom" cargo test -p runtime --lib
//! loom`.

use std::sync::atomic::Ordering;

use loom::sync::Arc;
use loom::thread;

use super::idle::Idle;
use super::inbox::Inbox;
use super::park::ParkState;
use crate::loom::{fence, AtomicBool, AtomicUsize};

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
fn block_on_wake_is_never_lost() {
    // `MainWaker`: set the flag, then unpark the worker.
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
            "the block_on future was woken while its worker fell asleep unwoken"
        );
    });
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

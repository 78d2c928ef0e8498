//! The timer wheel against a `BTreeMap` model under arbitrary inserts, removes and advances:
//! every entry fires exactly once, at the first advance that reaches its deadline, in deadline
//! order, never early; removes free entries at once; `next_expiration` is never after the
//! earliest pending deadline.

#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "../../runtime/src/time/wheel.rs"]
#[allow(dead_code)]
mod wheel;

use wheel::{Key, Wheel};

#[derive(Arbitrary, Debug)]
enum Op {
    /// Insert at `elapsed + delta` (saturating).
    Insert(u64),
    /// Insert at a small offset, where most timers are.
    InsertNear(u16),
    /// Remove the n-th live entry.
    Remove(u16),
    /// Advance by `delta` ticks.
    Advance(u64),
    /// Advance by a small step.
    Step(u8),
}

fuzz_target!(|input: (u64, Vec<Op>)| {
    let (start, ops) = input;
    let mut wheel = Wheel::new();
    wheel.advance(start, |_, _| panic!("an empty wheel fired"));
    // Pending entries by (deadline, seq) -> key; every live entry by seq.
    let mut pending: BTreeMap<(u64, u64), Key> = BTreeMap::new();
    let mut live: BTreeMap<u64, (Key, u64)> = BTreeMap::new();
    let mut seq = 0u64;
    for op in ops {
        let elapsed = wheel.elapsed();
        match op {
            Op::Insert(delta) => insert(&mut wheel, elapsed.saturating_add(delta), &mut seq, &mut pending, &mut live),
            Op::InsertNear(delta) => insert(&mut wheel, elapsed.saturating_add(u64::from(delta)), &mut seq, &mut pending, &mut live),
            Op::Remove(n) => {
                if let Some((&s, &(key, deadline))) = live.iter().nth(usize::from(n) % live.len().max(1)) {
                    assert_eq!(wheel.remove(key), Some(s));
                    assert!(wheel.remove(key).is_none(), "a key removed twice");
                    live.remove(&s);
                    pending.remove(&(deadline, s));
                }
            }
            Op::Advance(delta) => advance(&mut wheel, elapsed.saturating_add(delta), &mut pending),
            Op::Step(delta) => advance(&mut wheel, elapsed.saturating_add(u64::from(delta)), &mut pending),
        }
        assert_eq!(wheel.len(), live.len(), "entries stored");
        let earliest = pending.keys().next().map(|&(deadline, _)| deadline);
        let next = wheel.next_expiration();
        assert_eq!(next.is_some(), earliest.is_some());
        assert!(next <= earliest, "next expiration {next:?} after the earliest deadline {earliest:?}");
    }
});

fn insert(
    wheel: &mut Wheel<u64>,
    deadline: u64,
    seq: &mut u64,
    pending: &mut BTreeMap<(u64, u64), Key>,
    live: &mut BTreeMap<u64, (Key, u64)>,
) {
    let s = *seq;
    *seq += 1;
    match wheel.insert(deadline, s) {
        Ok(key) => {
            assert!(deadline > wheel.elapsed());
            pending.insert((deadline, s), key);
            live.insert(s, (key, deadline));
        }
        Err(value) => {
            assert_eq!(value, s);
            assert!(deadline <= wheel.elapsed(), "a future deadline was refused");
        }
    }
}

fn advance(wheel: &mut Wheel<u64>, now: u64, pending: &mut BTreeMap<(u64, u64), Key>) {
    let mut fired = Vec::new();
    wheel.advance(now, |key, &mut s| fired.push((key, s)));
    // Exactly the entries due by `now`, in deadline order.
    let due: Vec<(u64, u64)> = pending.range(..=(now, u64::MAX)).map(|(&k, _)| k).collect();
    assert_eq!(fired.len(), due.len(), "fired {fired:?}, due {due:?}");
    let mut last = 0;
    for (key, s) in fired {
        let deadline = due.iter().find(|&&(_, ds)| ds == s).expect("fired an entry not due").0;
        assert!(deadline >= last, "fired out of deadline order");
        last = deadline;
        assert_eq!(pending.remove(&(deadline, s)), Some(key));
        assert!(wheel.is_fired(key));
    }
}

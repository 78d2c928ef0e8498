//! A hierarchical timing wheel over integer millisecond ticks.
//!
//! This is a pure data structure: it knows nothing about clocks, wakers or threads. The caller
//! inserts entries with an absolute deadline, calls [`Wheel::advance`] with the current tick and
//! uses [`Wheel::next_expiration`] as its poll timeout.
//!
//! # Levels
//!
//! There are 6 levels of 64 slots. A slot on level `L` spans `64^L` ticks, so level 0 resolves
//! single ticks and the top level covers `64^6` ticks (about 2.2 years) in total. Each level
//! keeps a `u64` occupancy mask, so the next occupied slot is found with a rotate and
//! `trailing_zeros` instead of scanning.
//!
//! # Placement
//!
//! An entry goes on the level of the most significant bit in which its deadline differs from
//! `elapsed` (as in tokio's wheel), in the slot given by the deadline's digit on that level.
//! Below the top level this means the deadline lies in the same `64^(L+1)` block as `elapsed`,
//! in a later slot than the one `elapsed` is in; every slot of level `L` therefore starts later
//! than every slot of level `L - 1`, and the next slot to visit is always on the lowest occupied
//! level.
//!
//! # Cascade
//!
//! When `advance` reaches the start of an occupied slot, it sets `elapsed` to that tick and
//! empties the slot: entries whose deadline is that tick become due, the others are placed
//! again relative to the new `elapsed`, which puts them on a lower level. An entry moves at most
//! once per level, and entries become due in deadline order.
//!
//! # Far deadlines
//!
//! A deadline that differs from `elapsed` above the top level (it lies in a later `64^6`-tick
//! block, which includes everything more than `64^6` ticks ahead, up to `u64::MAX`) has its
//! level clamped to the top one, in the slot of its own top-level digit, and keeps its true
//! deadline. Top-level slots can thus mix deadlines of different turns of
//! the wheel, so each one also records the earliest slot start among the deadlines put in it
//! (`top_due`). The slot is visited at that tick rather than at every turn, which keeps
//! `advance` from revisiting far entries every 2.2 years of a large jump; entries of later turns
//! are simply placed again when it is visited. Removals leave `top_due` alone: it stays a lower
//! bound, so at worst the slot is visited early. Slot starts are computed by masking bits of
//! `elapsed` or of a deadline, never by adding spans, so nothing overflows and nothing depends on
//! how long the process has been up.
//!
//! # Removal
//!
//! Entries live in a [`Slab`], and each slot is an intrusive doubly-linked list threaded
//! through the entries by slab index. Removing an entry unlinks it in O(1) and frees its storage
//! at once, whether it is pending or has fired, instead of leaving a cancelled entry around
//! until its deadline.
//!
//! Expired slots move their due entries to a separate due list before any callback runs, and
//! `advance` fires from that list one entry at a time, so a panicking callback leaves every
//! entry in a list that `remove` and the next `advance` handle correctly.

use slab::Slab;

/// Bits of a deadline resolved by one level.
const LEVEL_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << LEVEL_BITS;
/// Number of levels.
const LEVELS: usize = 6;
/// The top level, where far deadlines are kept.
const TOP: usize = LEVELS - 1;
/// Index in `Wheel::heads` of the list of entries that are due but not fired yet. The slot
/// lists come first, with slot `s` of level `L` at `L * SLOTS + s`.
const DUE: usize = LEVELS * SLOTS;

/// A timing wheel holding values of type `T`; see the module documentation.
pub(crate) struct Wheel<T> {
    entries: Slab<Entry<T>>,
    /// Head of each slot list, then of the due list.
    heads: [Option<usize>; DUE + 1],
    /// Per level, bit `s` is set when slot `s` is non-empty.
    occupied: [u64; LEVELS],
    /// For each non-empty top-level slot, a lower bound of its entries' slot starts: the tick at
    /// which it must be visited.
    top_due: [u64; SLOTS],
    elapsed: u64,
    /// Sequence number of the next insertion, so that a stale key never matches a reused slab
    /// index.
    next_seq: u64,
}

/// Handle of one entry, valid until the entry is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    index: usize,
    seq: u64,
}

struct Entry<T> {
    value: T,
    deadline: u64,
    seq: u64,
    /// The list the entry is in, or `None` once it has fired.
    link: Option<Link>,
}

#[derive(Clone, Copy)]
struct Link {
    list: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Slab::new(),
            heads: [None; DUE + 1],
            occupied: [0; LEVELS],
            top_due: [0; SLOTS],
            elapsed: 0,
            next_seq: 0,
        }
    }

    /// The tick up to which time has been processed.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of entries stored, pending or fired but not removed.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(any(test, fuzzing))]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inserts `value` to fire at `deadline`. Returns `Err(value)` if `deadline <= elapsed`, in
    /// which case the caller should treat it as already due.
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> Result<Key, T> {
        if deadline <= self.elapsed {
            return Err(value);
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        let index = self.entries.insert(Entry {
            value,
            deadline,
            seq,
            link: None,
        });
        self.place(index);
        Ok(Key { index, seq })
    }

    /// Removes a pending or fired entry, freeing its storage at once. Returns `None` if `key`
    /// is not live.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        self.entry(key)?;
        self.unlink(key.index);
        Some(self.entries.remove(key.index).value)
    }

    /// Whether the entry has been passed to an `advance` callback. `false` for dead keys.
    pub(crate) fn is_fired(&self, key: Key) -> bool {
        self.entry(key).is_some_and(|entry| entry.link.is_none())
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.entries
            .get_mut(key.index)
            .filter(|entry| entry.seq == key.seq)
            .map(|entry| &mut entry.value)
    }

    /// Advances time to `now` (no-op if `now <= elapsed`). Every pending entry whose deadline
    /// is at most `now` is unlinked, marked fired and passed to `fire`, in deadline order. Fired
    /// entries stay stored until removed.
    pub(crate) fn advance(&mut self, now: u64, mut fire: impl FnMut(Key, &mut T)) {
        loop {
            // The due list is empty on entry unless an earlier `fire` panicked; those entries
            // are due at `elapsed`, so they go before anything found below.
            while let Some(index) = self.heads[DUE] {
                self.unlink(index);
                let entry = &mut self.entries[index];
                fire(
                    Key {
                        index,
                        seq: entry.seq,
                    },
                    &mut entry.value,
                );
            }
            match self.next_slot() {
                Some((list, start)) if start <= now => {
                    self.elapsed = start;
                    self.expire(list);
                }
                _ => break,
            }
        }
        // No slot starts at or before `now` any more, so every entry keeps a valid position.
        self.elapsed = self.elapsed.max(now);
    }

    /// The earliest tick at which `advance` could have work to do: a deadline or an earlier
    /// cascade point, never later than the earliest pending deadline. `None` when nothing is
    /// pending.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.heads[DUE].is_some() {
            // Left over by a panicking callback: due already.
            return Some(self.elapsed);
        }
        self.next_slot().map(|(_, start)| start)
    }

    /// The start of the slot holding a pending entry: `advance` visits it then, so after an
    /// insert the next expiration is the earlier of this and the one before. `None` for a
    /// fired or dead key, and for one on the due list (left there by a panicking callback).
    pub(crate) fn slot_start(&self, key: Key) -> Option<u64> {
        let entry = self.entry(key)?;
        let list = entry.link?.list;
        if list == DUE {
            return None;
        }
        Some(slot_start(entry.deadline, list / SLOTS))
    }

    fn entry(&self, key: Key) -> Option<&Entry<T>> {
        self.entries
            .get(key.index)
            .filter(|entry| entry.seq == key.seq)
    }

    /// Links a pending entry into its slot relative to `elapsed`.
    fn place(&mut self, index: usize) {
        let deadline = self.entries[index].deadline;
        debug_assert!(deadline > self.elapsed);
        let level = level_for(self.elapsed, deadline);
        let shift = LEVEL_BITS * level as u32;
        let slot = (deadline >> shift) as usize % SLOTS;
        if level == TOP {
            let start = slot_start(deadline, level);
            if self.occupied[TOP] & (1 << slot) == 0 || start < self.top_due[slot] {
                self.top_due[slot] = start;
            }
        }
        self.push(level * SLOTS + slot, index);
    }

    /// The next slot to visit and the tick at which it starts, always after `elapsed`.
    fn next_slot(&self) -> Option<(usize, u64)> {
        let level = (0..LEVELS).find(|&level| self.occupied[level] != 0)?;
        if level == TOP {
            // Slots may be due on different turns of the wheel, so compare their due ticks.
            let mut mask = self.occupied[TOP];
            let mut next: Option<(usize, u64)> = None;
            while mask != 0 {
                let slot = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let due = self.top_due[slot];
                if next.is_none_or(|(_, earliest)| due < earliest) {
                    next = Some((TOP * SLOTS + slot, due));
                }
            }
            return next;
        }
        // Occupied slots on this level all lie after the one holding `elapsed`, in the same
        // block, so the first one found rotating from `elapsed`'s digit is the next.
        let shift = LEVEL_BITS * level as u32;
        let current = (self.elapsed >> shift) as u32 % SLOTS as u32;
        let offset = self.occupied[level].rotate_right(current).trailing_zeros();
        let slot = (current + offset) % SLOTS as u32;
        let block = self.elapsed & !((1 << (shift + LEVEL_BITS)) - 1);
        Some((
            level * SLOTS + slot as usize,
            block | u64::from(slot) << shift,
        ))
    }

    /// Empties a slot that starts at `elapsed`: due entries go to the due list, the others are
    /// placed again (on a lower level, or for far deadlines back on the top level).
    fn expire(&mut self, list: usize) {
        // Detach the whole list first: an entry may go back into this very slot.
        let mut next = self.heads[list].take();
        self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        while let Some(index) = next {
            let entry = &self.entries[index];
            next = entry.link.and_then(|link| link.next);
            if entry.deadline <= self.elapsed {
                self.push(DUE, index);
            } else {
                self.place(index);
            }
        }
    }

    fn push(&mut self, list: usize, index: usize) {
        let next = self.heads[list].replace(index);
        if let Some(next) = next {
            self.link_mut(next).prev = Some(index);
        }
        self.entries[index].link = Some(Link {
            list,
            prev: None,
            next,
        });
        if list != DUE {
            self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
        }
    }

    /// Takes an entry out of its list, leaving it marked fired. No-op if it already is.
    fn unlink(&mut self, index: usize) {
        let Some(link) = self.entries[index].link.take() else {
            return;
        };
        match link.prev {
            Some(prev) => self.link_mut(prev).next = link.next,
            None => self.heads[link.list] = link.next,
        }
        if let Some(next) = link.next {
            self.link_mut(next).prev = link.prev;
        }
        if link.list != DUE && self.heads[link.list].is_none() {
            self.occupied[link.list / SLOTS] &= !(1 << (link.list % SLOTS));
        }
    }

    fn link_mut(&mut self, index: usize) -> &mut Link {
        self.entries[index]
            .link
            .as_mut()
            .expect("neighbours in a list are linked")
    }
}

/// The start of the slot of `level` that holds `deadline`.
fn slot_start(deadline: u64, level: usize) -> u64 {
    deadline & !((1 << (LEVEL_BITS * level as u32)) - 1)
}

/// The level for `deadline`: that of the most significant bit in which it differs from
/// `elapsed`, clamped to the top level.
fn level_for(elapsed: u64, deadline: u64) -> usize {
    // Differences below level 1 all belong on level 0; masking them in keeps the result >= 0.
    let masked = (elapsed ^ deadline) | (SLOTS as u64 - 1);
    let significant = u64::BITS - 1 - masked.leading_zeros();
    (significant / LEVEL_BITS).min(TOP as u32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashMap};

    /// Advances to `now`, returning `(key, deadline)` of the fired entries in firing order.
    fn advance(wheel: &mut Wheel<u64>, now: u64) -> Vec<(Key, u64)> {
        let mut fired = Vec::new();
        wheel.advance(now, |key, deadline| fired.push((key, *deadline)));
        fired
    }

    /// Steps through every `next_expiration` until nothing is pending, checking that each
    /// entry (whose value is its deadline) fires exactly at its deadline, in order.
    fn drain_stepwise(wheel: &mut Wheel<u64>) -> Vec<u64> {
        let mut order = Vec::new();
        while let Some(next) = wheel.next_expiration() {
            assert!(next > wheel.elapsed());
            for (_, deadline) in advance(wheel, next) {
                assert_eq!(deadline, next, "fired at the wrong tick");
                order.push(deadline);
            }
        }
        order
    }

    fn insert_all(wheel: &mut Wheel<u64>, deadlines: &[u64]) -> Vec<Key> {
        deadlines
            .iter()
            .map(|&deadline| wheel.insert(deadline, deadline).ok().unwrap())
            .collect()
    }

    #[test]
    fn new_is_empty() {
        let wheel = Wheel::<u64>::new();
        assert_eq!(wheel.elapsed(), 0);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn insert_not_after_elapsed_is_rejected() {
        let mut wheel = Wheel::new();
        assert_eq!(wheel.insert(0, 7), Err(7));
        wheel.advance(100, |_, _| {});
        assert_eq!(wheel.elapsed(), 100);
        assert_eq!(wheel.insert(100, 8), Err(8));
        assert_eq!(wheel.insert(3, 9), Err(9));
        assert!(wheel.insert(101, 10).is_ok());
        // Going backwards is a no-op.
        wheel.advance(50, |_, _| panic!("nothing is due"));
        assert_eq!(wheel.elapsed(), 100);
    }

    #[test]
    fn fires_in_deadline_order_across_levels() {
        let mut wheel = Wheel::new();
        let deadlines = [
            1 << 30,
            5,
            4096 + 3,
            64,
            63,
            1,
            (1 << 36) + 1,
            262_143,
            4096 + 3,
            65,
            (1 << 24) + 17,
            1 << 36,
            u64::MAX,
            1 << 50,
        ];
        insert_all(&mut wheel, &deadlines);
        let mut sorted = deadlines.to_vec();
        sorted.sort_unstable();
        // In a single jump ...
        let mut jump = Wheel::new();
        insert_all(&mut jump, &deadlines);
        let fired: Vec<u64> = advance(&mut jump, u64::MAX)
            .into_iter()
            .map(|f| f.1)
            .collect();
        assert_eq!(fired, sorted);
        // ... and stepping through every expiration.
        assert_eq!(drain_stepwise(&mut wheel), sorted);
        assert_eq!(wheel.len(), deadlines.len());
    }

    #[test]
    fn remove_before_fire() {
        let mut wheel = Wheel::new();
        let keys = insert_all(&mut wheel, &[10, 10, 5000, 1 << 40]);
        assert_eq!(wheel.remove(keys[0]), Some(10));
        assert_eq!(wheel.remove(keys[2]), Some(5000));
        assert_eq!(wheel.remove(keys[0]), None);
        assert!(!wheel.is_fired(keys[0]));
        assert_eq!(wheel.get_mut(keys[2]), None);
        assert_eq!(wheel.len(), 2);
        let fired = advance(&mut wheel, u64::MAX);
        assert_eq!(fired, vec![(keys[1], 10), (keys[3], 1 << 40)]);
    }

    #[test]
    fn remove_after_fire() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(70, 70).unwrap();
        assert!(!wheel.is_fired(key));
        assert_eq!(advance(&mut wheel, 69), vec![]);
        assert_eq!(advance(&mut wheel, 70), vec![(key, 70)]);
        assert!(wheel.is_fired(key));
        assert_eq!(wheel.len(), 1);
        *wheel.get_mut(key).unwrap() += 1;
        // Fired entries never fire again.
        assert_eq!(advance(&mut wheel, u64::MAX), vec![]);
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.remove(key), Some(71));
        assert!(wheel.is_empty());
        assert_eq!(wheel.remove(key), None);
        assert!(!wheel.is_fired(key));
    }

    #[test]
    fn stale_key_does_not_match_reused_storage() {
        let mut wheel = Wheel::new();
        let old = wheel.insert(10, 1).unwrap();
        wheel.remove(old);
        let new = wheel.insert(10, 2).unwrap();
        assert_ne!(old, new);
        assert_eq!(wheel.remove(old), None);
        assert_eq!(wheel.get_mut(old), None);
        assert_eq!(wheel.remove(new), Some(2));
    }

    #[test]
    fn cascades_from_every_level() {
        for start in [0, 1, 63, (1 << 40) - 7, (1 << 50) + 12_345] {
            for level in 0..LEVELS as u32 {
                for offset in [1, 2, 63, 64, 65] {
                    let deadline = start + (1 << (LEVEL_BITS * level)) * 3 + offset;
                    let mut wheel = Wheel::new();
                    wheel.advance(start, |_, _| {});
                    let key = wheel.insert(deadline, deadline).unwrap();
                    assert_eq!(advance(&mut wheel, deadline - 1), vec![]);
                    assert!(wheel.next_expiration().unwrap() <= deadline);
                    assert_eq!(advance(&mut wheel, deadline), vec![(key, deadline)]);

                    let mut wheel = Wheel::new();
                    wheel.advance(start, |_, _| {});
                    wheel.insert(deadline, deadline).unwrap();
                    assert_eq!(drain_stepwise(&mut wheel), vec![deadline]);
                }
            }
        }
    }

    #[test]
    fn far_deadlines_fire_exactly_on_time() {
        let span = 1u64 << (LEVEL_BITS * LEVELS as u32);
        let deadlines = [
            span - 1,
            span,
            span + 5,
            3 * span + 12_345,
            1 << 50,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &deadline in &deadlines {
            let mut wheel = Wheel::new();
            let key = wheel.insert(deadline, deadline).unwrap();
            // Big jumps that stop short of the deadline never fire it.
            for now in [1 << 20, span - 2, span + 4, 1 << 49, 1 << 62, u64::MAX - 2] {
                if now < deadline {
                    assert_eq!(advance(&mut wheel, now), vec![]);
                    assert!(wheel.next_expiration().unwrap() <= deadline);
                }
            }
            assert_eq!(advance(&mut wheel, deadline - 1), vec![]);
            assert_eq!(advance(&mut wheel, deadline), vec![(key, deadline)]);
        }
        let mut wheel = Wheel::new();
        insert_all(&mut wheel, &deadlines);
        assert_eq!(drain_stepwise(&mut wheel), deadlines);
    }

    #[test]
    fn u64_max_never_fires_early() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(u64::MAX, 0).unwrap();
        let mut now = 0u64;
        for step in [1, 1 << 30, 1 << 36, 1 << 44, 1 << 62, 1 << 62, 1 << 62] {
            now += step;
            wheel.advance(now, |_, _| panic!("fired at {now}"));
        }
        wheel.advance(u64::MAX - 1, |_, _| panic!("fired early"));
        assert!(!wheel.is_fired(key));
        assert_eq!(wheel.next_expiration(), Some(u64::MAX));
        wheel.advance(u64::MAX, |_, _| {});
        assert!(wheel.is_fired(key));
        assert_eq!(wheel.insert(u64::MAX, 1), Err(1));
    }

    #[test]
    fn huge_elapsed_starting_points() {
        for start in [
            1 << 30,
            (1 << 40) - 1,
            1 << 50,
            (1 << 63) - 5,
            u64::MAX - 100_000,
        ] {
            let mut wheel = Wheel::new();
            wheel.advance(start, |_, _| {});
            assert_eq!(wheel.elapsed(), start);
            let deadlines: Vec<u64> = [1, 2, 64, 100, 4095, 4096, 70_000, 1 << 25, 1 << 33]
                .iter()
                .map(|offset| start.saturating_add(*offset))
                .chain([u64::MAX])
                .collect();
            let mut sorted = deadlines.clone();
            sorted.sort_unstable();
            let keys = insert_all(&mut wheel, &deadlines);
            assert_eq!(drain_stepwise(&mut wheel), sorted);
            for key in keys {
                assert!(wheel.remove(key).is_some());
            }
            assert!(wheel.is_empty());

            // Keep going from `start` with big steps, a timer per step.
            let mut wheel = Wheel::new();
            wheel.advance(start, |_, _| {});
            let mut now = start;
            for _ in 0..20 {
                let deadline = now.saturating_add(1 << 33);
                let Ok(key) = wheel.insert(deadline, deadline) else {
                    break;
                };
                now = now.saturating_add(1 << 34);
                assert_eq!(advance(&mut wheel, now), vec![(key, deadline)]);
                wheel.remove(key);
            }
        }
    }

    #[test]
    fn next_expiration_is_never_after_the_earliest_deadline() {
        let mut wheel = Wheel::new();
        let mut keys = Vec::new();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..500 {
            // xorshift, for deadlines spread over all levels.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let deadline = (wheel.elapsed() + 1).saturating_add(x >> (x % 64));
            keys.push((deadline, wheel.insert(deadline, deadline).unwrap()));
            if x % 3 == 0 {
                let now = wheel.elapsed() + (x % 5000);
                wheel.advance(now, |_, _| {});
            }
            let earliest = keys
                .iter()
                .filter(|(_, key)| !wheel.is_fired(*key))
                .map(|(deadline, _)| *deadline)
                .min();
            let next = wheel.next_expiration();
            assert_eq!(next.is_some(), earliest.is_some());
            assert!(next <= earliest);
        }
    }

    #[test]
    fn remove_frees_storage() {
        let mut wheel = Wheel::new();
        let keys: Vec<Key> = (1..=1000u64)
            .map(|i| wheel.insert(i * 997, i).unwrap())
            .collect();
        assert_eq!(wheel.len(), 1000);
        wheel.advance(500 * 997, |_, _| {});
        for key in keys {
            assert!(wheel.remove(key).is_some());
        }
        assert_eq!(wheel.len(), 0);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
        assert!(wheel.occupied.iter().all(|&mask| mask == 0));
        assert!(wheel.heads.iter().all(Option::is_none));
    }

    #[test]
    fn panicking_callback_leaves_the_wheel_consistent() {
        let mut wheel = Wheel::new();
        let keys = insert_all(&mut wheel, &[4096, 4096, 4096, 5000]);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wheel.advance(6000, |_, _| panic!("callback"));
        }));
        assert!(result.is_err());
        let fired: Vec<Key> = keys
            .iter()
            .copied()
            .filter(|&k| wheel.is_fired(k))
            .collect();
        assert_eq!(fired.len(), 1);
        // The rest are still due: next_expiration says so, remove works, advance fires them.
        assert_eq!(wheel.next_expiration(), Some(wheel.elapsed()));
        let unfired: Vec<Key> = keys[..3]
            .iter()
            .copied()
            .filter(|&k| !wheel.is_fired(k))
            .collect();
        assert_eq!(wheel.remove(unfired[0]), Some(4096));
        let rest = advance(&mut wheel, 6000);
        assert_eq!(rest, vec![(unfired[1], 4096), (keys[3], 5000)]);
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.len(), 3);
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Insert at `elapsed + delta` (saturating).
        Insert(u64),
        /// Insert at `u64::MAX`.
        InsertMax,
        /// Remove the `n % live`-th live key, pending or fired.
        Remove(usize),
        /// Remove an already removed key.
        RemoveStale(usize),
        /// Advance to `elapsed + delta` (saturating).
        Advance(u64),
        /// Advance to `next_expiration()`.
        AdvanceToNext,
    }

    fn delta() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => 0u64..130,
            3 => 0u64..300_000,
            2 => 0u64..(1 << 40),
            1 => any::<u64>(),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => delta().prop_map(Op::Insert),
            1 => Just(Op::InsertMax),
            3 => any::<usize>().prop_map(Op::Remove),
            1 => any::<usize>().prop_map(Op::RemoveStale),
            4 => delta().prop_map(Op::Advance),
            2 => Just(Op::AdvanceToNext),
        ]
    }

    fn start() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            0u64..(1 << 20),
            ((1u64 << 30) - 1000)..((1 << 30) + 1000),
            ((1u64 << 40) - 1000)..((1 << 40) + 1000),
            (1u64 << 50)..(1 << 51),
            (u64::MAX - (1 << 40))..=u64::MAX,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_model(start in start(), ops in prop::collection::vec(op(), 1..120)) {
            let mut wheel = Wheel::new();
            wheel.advance(start, |_, _| panic!("empty wheel fired"));
            prop_assert_eq!(wheel.elapsed(), start);

            let mut seq = 0u64;
            // Pending entries by (deadline, seq); value stored in the wheel is seq.
            let mut pending: BTreeMap<(u64, u64), Key> = BTreeMap::new();
            // Every live entry: seq -> (key, deadline, fired).
            let mut live: BTreeMap<u64, (Key, u64, bool)> = BTreeMap::new();
            let mut removed: Vec<Key> = Vec::new();

            for op in ops {
                let elapsed = wheel.elapsed();
                let now = match op {
                    Op::Insert(delta) => {
                        let deadline = elapsed.saturating_add(delta);
                        insert(&mut wheel, deadline, &mut seq, &mut pending, &mut live)?;
                        None
                    }
                    Op::InsertMax => {
                        insert(&mut wheel, u64::MAX, &mut seq, &mut pending, &mut live)?;
                        None
                    }
                    Op::Remove(n) => {
                        if !live.is_empty() {
                            let s = *live.keys().nth(n % live.len()).unwrap();
                            let (key, deadline, fired) = live.remove(&s).unwrap();
                            if !fired {
                                pending.remove(&(deadline, s));
                            }
                            prop_assert_eq!(wheel.is_fired(key), fired);
                            prop_assert_eq!(wheel.remove(key), Some(s));
                            removed.push(key);
                        }
                        None
                    }
                    Op::RemoveStale(n) => {
                        if !removed.is_empty() {
                            let key = removed[n % removed.len()];
                            prop_assert_eq!(wheel.remove(key), None);
                            prop_assert_eq!(wheel.get_mut(key), None);
                        }
                        None
                    }
                    Op::Advance(delta) => Some(elapsed.saturating_add(delta)),
                    Op::AdvanceToNext => wheel.next_expiration(),
                };

                if let Some(now) = now {
                    let mut fired = Vec::new();
                    wheel.advance(now, |key, value| fired.push((key, *value)));
                    prop_assert_eq!(wheel.elapsed(), elapsed.max(now));

                    let mut expected: HashMap<Key, u64> = HashMap::new();
                    while let Some(entry) = pending.first_entry() {
                        if entry.key().0 > now {
                            break;
                        }
                        let ((_, s), key) = entry.remove_entry();
                        expected.insert(key, s);
                    }
                    prop_assert_eq!(fired.len(), expected.len(), "fired {:?}", fired);
                    let mut last = 0;
                    for (key, s) in fired {
                        // Due, not fired twice, not some other entry.
                        prop_assert_eq!(expected.remove(&key), Some(s));
                        let state = live.get_mut(&s).unwrap();
                        prop_assert!(!state.2);
                        state.2 = true;
                        let deadline = state.1;
                        prop_assert!(deadline > elapsed && deadline <= now);
                        prop_assert!(deadline >= last, "out of order");
                        last = deadline;
                        prop_assert!(wheel.is_fired(key));
                    }
                }

                prop_assert_eq!(wheel.len(), live.len());
                let earliest = pending.keys().next().map(|&(deadline, _)| deadline);
                let next = wheel.next_expiration();
                prop_assert_eq!(next.is_some(), earliest.is_some());
                prop_assert!(next <= earliest, "{:?} > {:?}", next, earliest);
                if let Some(next) = next {
                    prop_assert!(next > wheel.elapsed());
                }
            }

            // Nothing lost: everything pending fires by u64::MAX, then removal empties it.
            let mut fired = 0;
            wheel.advance(u64::MAX, |_, _| fired += 1);
            prop_assert_eq!(fired, pending.len());
            for (key, _, _) in live.values() {
                prop_assert!(wheel.remove(*key).is_some());
            }
            prop_assert!(wheel.is_empty());
        }
    }

    fn insert(
        wheel: &mut Wheel<u64>,
        deadline: u64,
        seq: &mut u64,
        pending: &mut BTreeMap<(u64, u64), Key>,
        live: &mut BTreeMap<u64, (Key, u64, bool)>,
    ) -> Result<(), TestCaseError> {
        let s = *seq;
        *seq += 1;
        let before = wheel.next_expiration();
        match wheel.insert(deadline, s) {
            Ok(key) => {
                prop_assert!(deadline > wheel.elapsed());
                // What `Timers::register` relies on to skip `next_expiration`.
                let start = wheel.slot_start(key).unwrap();
                let expected = before.map_or(start, |b| b.min(start));
                prop_assert_eq!(wheel.next_expiration(), Some(expected));
                pending.insert((deadline, s), key);
                live.insert(s, (key, deadline, false));
            }
            Err(value) => {
                prop_assert!(deadline <= wheel.elapsed());
                prop_assert_eq!(value, s);
            }
        }
        Ok(())
    }
}

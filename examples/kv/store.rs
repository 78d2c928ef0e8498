//! The key-value store every connection shares: a fixed number of shards, each a hash map
//! behind its own lock, so that connections on different loops rarely wait for one another.
//!
//! A key's hash picks its shard; every command locks one shard at a time, for as long as it
//! takes to look a key up and copy a value, and never across an `.await`, so a plain
//! (`parking_lot`) mutex serves better than a read-write lock for a workload as write-heavy
//! as `SET`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use parking_lot::{Mutex, MutexGuard};

/// Enough shards for a lock to be rarely contended with dozens of loops.
const SHARDS: usize = 64;

/// Keys and values are byte strings, as in Redis.
pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
}

impl Store {
    pub fn new() -> Store {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    /// Locks the shard that holds `key`.
    pub fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let hash = self.hasher.hash_one(key);
        self.shards[hash as usize % SHARDS].lock()
    }
}

/// One shard's part of the keys.
#[derive(Default)]
pub struct Shard(HashMap<Box<[u8]>, Vec<u8>>);

impl Shard {
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.0.get(key).map(Vec::as_slice)
    }

    /// Sets `key` to `value`, reusing the old value's memory where there is one.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        match self.0.get_mut(key) {
            Some(old) => {
                old.clear();
                old.extend_from_slice(value);
            }
            None => {
                self.0.insert(key.into(), value.to_vec());
            }
        }
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.0.remove(key).is_some()
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.0.contains_key(key)
    }
}

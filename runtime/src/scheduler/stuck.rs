//! Watching for a worker stuck in a task: when peers last stood in for it (see `steal`), and
//! the warning that tells the user a task is blocking its loop.
//!
//! Each worker stamps `Remote::last_turn` when it turns its own reactor. A peer standing in
//! stamps [`StuckWatch::stood_in`] instead, so `last_turn` keeps telling how long the worker
//! itself has been away: that is the time reported. A stuck worker is reported once it has
//! been away [`REPORT_AFTER_MS`], once per stuck spell and at most once per
//! [`REPORT_EVERY_MS`], so a loop that blocks again and again does not flood the log.
//!
//! Worker 0 has no thread between two `block_on` calls: it is then unattended, which is idle,
//! not stuck (peers still stand in for it, to serve its sockets).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// A worker away from its reactor this long is reported.
const REPORT_AFTER_MS: u64 = 100;
/// The least time between two reports of one worker.
const REPORT_EVERY_MS: u64 = 1_000;

/// One worker's stuck-watch state, read and written by its peers; every field is advisory, so
/// relaxed orderings do.
#[derive(Debug, Default)]
pub(crate) struct StuckWatch {
    /// Whether a thread runs the worker.
    attended: AtomicBool,
    /// When a peer last turned the worker's reactor for it (`Shared::now_ms` milliseconds).
    stood_in: AtomicU64,
    /// When the worker was last reported stuck (`Shared::now_ms` milliseconds; 0: never, since a
    /// report comes `REPORT_AFTER_MS` after the runtime starts at the earliest).
    reported: AtomicU64,
}

impl StuckWatch {
    /// A thread starts (true) or stops (false) running the worker.
    pub(crate) fn set_attended(&self, attended: bool) {
        self.attended.store(attended, Relaxed);
    }

    /// A peer turned the worker's reactor for it at `now_ms`.
    pub(crate) fn stand_in(&self, now_ms: u64) {
        self.stood_in.store(now_ms, Relaxed);
    }

    /// When the worker's reactor was last turned, by the worker (`last_turn`) or a peer.
    pub(crate) fn last_visit(&self, last_turn: u64) -> u64 {
        last_turn.max(self.stood_in.load(Relaxed))
    }

    /// Warns if worker `worker`, last seen turning its reactor at `last_turn`, has been stuck
    /// long enough and was not reported in this spell or too recently. Of several peers
    /// looking at once, one reports.
    pub(crate) fn report(&self, worker: usize, last_turn: u64, now_ms: u64) {
        let stuck_ms = now_ms.saturating_sub(last_turn);
        let reported = self.reported.load(Relaxed);
        let this_spell = reported > last_turn;
        let too_soon = reported != 0 && now_ms.saturating_sub(reported) < REPORT_EVERY_MS;
        if stuck_ms < REPORT_AFTER_MS || this_spell || too_soon || !self.attended.load(Relaxed) {
            return;
        }
        if self
            .reported
            .compare_exchange(reported, now_ms, Relaxed, Relaxed)
            .is_ok()
        {
            tracing::warn!(
                worker,
                stuck_ms,
                "a task is keeping its event loop from its sockets and timers; run blocking or \
                 long work with `spawn_blocking`"
            );
        }
    }
}

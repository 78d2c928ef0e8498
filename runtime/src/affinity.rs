//! Pinning worker threads to cores.
//!
//! Workers the runtime spawns are pinned for good. Worker 0 runs on the thread that calls
//! `block_on`, a thread the runtime does not own, so its pinning lasts only as long as the call:
//! the thread's previous CPU mask is saved and put back.

use std::mem::MaybeUninit;

/// The cores this process may run on, in the order workers take them.
pub(crate) fn cores() -> Vec<core_affinity::CoreId> {
    core_affinity::get_core_ids().unwrap_or_default()
}

/// Pins the current thread, which runs worker `worker`, to `core`; false (and a warning) if the
/// OS refused.
pub(crate) fn pin(worker: usize, core: core_affinity::CoreId) -> bool {
    let pinned = core_affinity::set_for_current(core);
    if !pinned {
        tracing::warn!(
            worker,
            core = core.id,
            "could not pin the worker to its core; it runs unpinned"
        );
    }
    pinned
}

/// Warns when there are more workers to pin than cores to pin them to.
pub(crate) fn check_enough(workers: usize, cores: &[core_affinity::CoreId]) {
    if workers > cores.len() {
        tracing::warn!(
            workers,
            cores = cores.len(),
            "more workers than cores to pin them to; workers {}.. run unpinned",
            cores.len()
        );
    }
}

/// The current thread's CPU mask, put back when dropped.
pub(crate) struct Restore {
    mask: libc::cpu_set_t,
}

impl Restore {
    /// Saves the current thread's CPU mask; `None` if it cannot be read.
    pub(crate) fn save() -> Option<Restore> {
        let mut mask = MaybeUninit::<libc::cpu_set_t>::zeroed();
        // SAFETY: `mask` points to a writable, zeroed `cpu_set_t` of the size passed; pid 0 is
        // the calling thread.
        let rc = unsafe {
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), mask.as_mut_ptr())
        };
        // SAFETY: an all-zero `cpu_set_t` is a valid (empty) set, and the call succeeded or
        // left it so.
        let mask = unsafe { mask.assume_init() };
        (rc == 0).then_some(Restore { mask })
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: `self.mask` is a valid `cpu_set_t` read by `sched_getaffinity` for this
        // thread; pid 0 is the calling thread. A failure leaves the thread pinned, no worse.
        unsafe {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &self.mask);
        }
    }
}

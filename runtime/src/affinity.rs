//! Pinning worker threads to cores: worker `i` takes the `i`-th core this process may run on,
//! for good.

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

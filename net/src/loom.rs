//! The primitives of the readiness protocol (`reactor::scheduled_io`), from loom under
//! `cfg(loom)` so that the models in `reactor::loom_tests` explore every interleaving of the
//! real code, and from std and atomic-waker otherwise.

#[cfg(not(loom))]
pub(crate) use atomic_waker::AtomicWaker;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU64;

/// loom's atomic waker with atomic-waker's method names.
#[cfg(loom)]
#[derive(Debug, Default)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(loom)]
impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn take(&self) -> Option<std::task::Waker> {
        self.0.take_waker()
    }
}

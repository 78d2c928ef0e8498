//! The primitives of the readiness protocol (`reactor::scheduled_io` and `reactor::waiters`) and
//! of a registration's move (`reactor::rehome`), from loom under `cfg(loom)` so that the models in
//! `reactor::loom_tests` explore every interleaving of the real code, and from std and
//! parking_lot otherwise.

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
pub(crate) use parking_lot::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU64;

/// loom's mutex with parking_lot's `lock`.
#[cfg(loom)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex(loom::sync::Mutex::new(T::default()))
    }
}

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}

/// std's `UnsafeCell` with loom's access methods, which let loom check that no two threads
/// touch the value at once.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

//! The wrapper every spawned future runs in: it turns a panic into a [`JoinError`] (a panic
//! in `poll`, or in the future's destructor once it has finished or been aborted), drops the future instead of
//! polling it once the task is aborted, and takes the task out of the registry when its future
//! is dropped, whether it finished, panicked, was aborted or was dropped at shutdown.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::cell::{Meta, MetaRef};
use super::registry::Slot;
use super::{id, JoinError};

pub(crate) struct Harness<F> {
    /// Structurally pinned: never moved out, dropped in place once (see `drop_future`).
    future: ManuallyDrop<F>,
    /// Whether `future` has been dropped already.
    dropped: bool,
    /// The task's metadata, in the header of the cell that holds this harness.
    meta: MetaRef,
    /// Held for its drop, after the future's (see `Drop`): it takes the task out of the
    /// registry.
    _slot: Slot,
}

/// A future and its registry slot, before the task cell that will hold them hands over the
/// task's metadata.
pub(crate) struct Unbound<F> {
    future: F,
    slot: Slot,
}

impl<F> Unbound<F> {
    pub(crate) fn new(future: F, slot: Slot) -> Unbound<F> {
        Unbound { future, slot }
    }

    /// The harness, for the cell whose metadata is `meta`.
    pub(crate) fn bind(self, meta: &Meta) -> Harness<F> {
        Harness {
            future: ManuallyDrop::new(self.future),
            dropped: false,
            meta: MetaRef::new(meta),
            _slot: self.slot,
        }
    }
}

impl<F: Future> Future for Harness<F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: nothing is moved out of the harness: the future is polled and dropped in
        // place (`drop_future`), which keeps the pinning promise.
        let harness = unsafe { self.get_unchecked_mut() };
        let _current = id::enter(harness.meta);
        // SAFETY: the harness is owned by the task cell whose header holds the metadata (in
        // the cell, or in a box the cell owns for a large future), and the cell is allocated
        // while it polls the harness.
        if unsafe { harness.meta.get() }.is_aborted() {
            // As in tokio, a destructor that panics makes the aborted task a panicked one.
            let id = harness.meta.id();
            let error = match harness.drop_future() {
                Ok(()) => JoinError::cancelled(id),
                Err(payload) => JoinError::panic(id, payload),
            };
            return Poll::Ready(Output(Some(Err(error))));
        }
        // SAFETY: `future` is pinned whenever the harness is (see above).
        let future = unsafe { Pin::new_unchecked(&mut *harness.future) };
        let mut result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => {
                let error = JoinError::panic(harness.meta.id(), payload);
                // The `JoinHandle` reports it; this is for whoever watches the logs.
                tracing::debug!(%error, "a task panicked");
                Err(error)
            }
        };
        // Dropped now rather than with the task, so that a destructor that panics is the
        // task's panic, reported through its handle, as one in `poll` is.
        if let Err(payload) = harness.drop_future() {
            if result.is_ok() {
                result = Err(JoinError::panic(harness.meta.id(), payload));
            }
        }
        Poll::Ready(Output(Some(result)))
    }
}

impl<F> Harness<F> {
    /// Drops the future in place, once, containing a panic of its destructor, and marks the
    /// task finished.
    fn drop_future(&mut self) -> std::thread::Result<()> {
        if std::mem::replace(&mut self.dropped, true) {
            return Ok(());
        }
        let dropped = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `dropped` guards this to once, and the future is dropped where it lies,
            // never moved, which keeps the pinning promise made in `poll`.
            unsafe { ManuallyDrop::drop(&mut self.future) }
        }));
        // SAFETY: as in `poll`: the cell that owns this harness is allocated while it drops it.
        unsafe { self.meta.get() }.finish();
        dropped
    }
}

/// A task's result as the task cell stores it. Nobody may await a detached task's output, so
/// the cell drops it, where a panic would abort the process; this wrapper contains such a
/// panic instead.
pub(crate) struct Output<T>(Option<Result<T, JoinError>>);

impl<T> Output<T> {
    pub(crate) fn into_inner(mut self) -> Result<T, JoinError> {
        self.0.take().expect("an output is taken once")
    }
}

impl<T> Drop for Output<T> {
    fn drop(&mut self) {
        if let Some(result) = self.0.take() {
            // The panic hook has reported it; the loop goes on.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(result)));
        }
    }
}

impl<F> Drop for Harness<F> {
    fn drop(&mut self) {
        let _current = id::enter(self.meta);
        // A destructor that panics must not take the event loop down with it; the panic hook
        // has reported it already.
        let _ = self.drop_future();
        // `_slot` is dropped next, which takes the task out of the registry.
    }
}

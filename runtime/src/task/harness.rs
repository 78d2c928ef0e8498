//! The wrapper every spawned future runs in: it turns a panic into a [`JoinError`] and takes
//! the task out of the registry when its future is dropped, whether it finished, panicked,
//! was aborted or was dropped at shutdown.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::registry::Slot;
use super::JoinError;
use crate::scheduler::Shared;

pub(crate) struct Harness<F> {
    /// Structurally pinned: never moved out, dropped in place by `Drop`.
    future: ManuallyDrop<F>,
    shared: Arc<Shared>,
    slot: Slot,
}

impl<F> Harness<F> {
    pub(crate) fn new(future: F, shared: Arc<Shared>, slot: Slot) -> Harness<F> {
        Harness {
            future: ManuallyDrop::new(future),
            shared,
            slot,
        }
    }
}

impl<F: Future> Future for Harness<F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is pinned whenever `self` is: it is never moved out of the harness,
        // and `Drop` drops it in place.
        let future = unsafe { self.map_unchecked_mut(|h| &mut *h.future) };
        let result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => {
                let error = JoinError::panic(payload);
                // The `JoinHandle` reports it; this is for whoever watches the logs.
                tracing::debug!(%error, "a task panicked");
                Err(error)
            }
        };
        Poll::Ready(Output(Some(result)))
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
        // A destructor that panics must not take the event loop down with it; the panic hook
        // has reported it already.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: this is the only place the future is dropped, once, and in place, which
            // keeps the pinning promise made in `poll`.
            unsafe { ManuallyDrop::drop(&mut self.future) }
        }));
        self.shared.registry.remove(self.slot);
    }
}

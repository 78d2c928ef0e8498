//! The task cell: a future, its scheduling state and its output, in one allocation.
//!
//! The task cell is `async-task`'s, made for exactly this: one allocation holding the state
//! word, the future (later its output), the schedule function and the awaiter's waker, with a
//! reference count over the `Runnable` (the permission to poll, held by whichever queue the task
//! sits in), the wakers and the `Task` handle. This module adds what a runtime needs around it:
//!
//! - [`Harness`](super::harness::Harness) wraps each future: a panic becomes a
//!   [`JoinError`](super::JoinError) instead of unwinding into the loop, and dropping the future
//!   takes the task out of the registry.
//! - [`Registry`] holds a waker of every live task, so shutdown can reach tasks that sit in no
//!   queue.
//! - [`Meta`] rides in the task's header: the scheduler's tag for where the task runs, and the
//!   aborted and finished flags. An abort sets its flag and wakes the task;
//!   the harness sees it when the task is next polled and drops the future there, on the loop
//!   that polls it (a pinned task's future must never be dropped elsewhere). The look is
//!   inside `poll`, not before `Runnable::run`: a wake that finds the task already scheduled
//!   changes nothing, and only the task cell's own hand-off from scheduled to running orders
//!   the flag before the look. Looked at between the pop and `run`, an abort landing in that
//!   gap would be lost: the task would be polled once more, go back to waiting, and never be
//!   woken again.
//!
//! Where a task goes when it is woken is the scheduler's business: it hands each task its
//! schedule function (see `scheduler::spawn`).

use std::future::Future;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

use super::harness::{self, Unbound};
use super::registry::Registry;
use super::{Id, JoinHandle};

/// A task ready to be polled, as the queues hold it.
pub(crate) type Runnable = async_task::Runnable<Meta>;

/// Per-task data kept in the task's header. It fits the padding the header has without it
/// (four bytes with the task cell's own flag), so it costs no memory per task: a schedule
/// function that carried the placement itself made every task's cell 16 bytes larger.
#[derive(Debug)]
pub(crate) struct Meta {
    /// `ABORTED` and `FINISHED`.
    flags: AtomicU8,
    tag: u16,
}

/// An abort was asked for: the next poll drops the future instead.
const ABORTED: u8 = 1;
/// The future has been dropped (it completed, panicked or was cancelled).
const FINISHED: u8 = 1 << 1;

impl Meta {
    /// The scheduler's two-byte note of where the task runs, given at creation.
    pub(crate) fn tag(&self) -> u16 {
        self.tag
    }

    pub(super) fn abort(&self) {
        // Release: pairs with the loop's acquire, which then drops the future unpolled.
        self.flags.fetch_or(ABORTED, Ordering::Release);
    }

    pub(super) fn is_aborted(&self) -> bool {
        self.flags.load(Ordering::Acquire) & ABORTED != 0
    }

    pub(super) fn finish(&self) {
        self.flags.fetch_or(FINISHED, Ordering::Release);
    }

    pub(super) fn is_finished(&self) -> bool {
        self.flags.load(Ordering::Acquire) & FINISHED != 0
    }
}

/// A pointer to the `Meta` in a task's header, which async-task's handles do not expose, for
/// what lives beside the task rather than in its `Runnable`: the harnessed future, and an
/// abort handle.
#[derive(Clone, Copy)]
pub(super) struct MetaRef(NonNull<Meta>);

// SAFETY: `Meta` is `Sync` (atomics only), so sharing a pointer to it between threads is
// sound; the pointer is only dereferenced while its holder keeps the task allocated.
unsafe impl Send for MetaRef {}
// SAFETY: as for `Send`: only `&Meta` is ever made from it.
unsafe impl Sync for MetaRef {}

impl MetaRef {
    pub(super) fn new(meta: &Meta) -> MetaRef {
        MetaRef(NonNull::from(meta))
    }

    /// The task's id, made from its header's address (see `Id`).
    pub(super) fn id(self) -> Id {
        Id::from_address(self.0.as_ptr() as usize)
    }

    /// # Safety
    ///
    /// The task must stay allocated while the reference is used.
    pub(super) unsafe fn get<'a>(self) -> &'a Meta {
        // SAFETY: the header, and so the metadata, is allocated (the caller's promise), and
        // is never written but through its atomics.
        unsafe { self.0.as_ref() }
    }
}

/// What decides where a task goes when it is woken: the scheduler's, for its placement.
pub(crate) trait Schedule: async_task::Schedule<Meta> + Send + Sync + 'static {}

impl<S: async_task::Schedule<Meta> + Send + Sync + 'static> Schedule for S {}

/// Creates a `Send` task, recorded in registry shard `shard` and tagged `tag`, that `schedule`
/// queues when it is woken. The caller starts it with the returned runnable.
pub(crate) fn new<F, S>(
    registry: &Registry,
    shard: usize,
    tag: u16,
    future: F,
    schedule: S,
) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    create(registry, shard, tag, future, |f, b| {
        b.spawn(|meta| f.bind(meta), schedule)
    })
}

/// Creates a `!Send` task, as [`new`] does; it may only be polled and dropped on this thread.
pub(crate) fn new_pinned<F, S>(
    registry: &Registry,
    shard: usize,
    tag: u16,
    future: F,
    schedule: S,
) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    create(registry, shard, tag, future, |f, b| {
        b.spawn_local(|meta| f.bind(meta), schedule)
    })
}

/// The task cell's handle to a task's output.
type Task<T> = async_task::Task<harness::Output<T>, Meta>;

/// Records a task in registry shard `shard`, has `build` make its cell (with the given task
/// builder, carrying `tag`) around the future, harnessed once the cell hands it the task's
/// metadata.
fn create<F: Future>(
    registry: &Registry,
    shard: usize,
    tag: u16,
    future: F,
    build: impl FnOnce(Unbound<F>, async_task::Builder<Meta>) -> (Runnable, Task<F::Output>),
) -> (Runnable, JoinHandle<F::Output>) {
    let (runnable, task) = registry.insert(shard, |slot| {
        let future = Unbound::new(future, slot);
        build(
            future,
            async_task::Builder::new().metadata(Meta {
                flags: AtomicU8::new(0),
                tag,
            }),
        )
    });
    let handle = JoinHandle::new(task, runnable.waker());
    (runnable, handle)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Meta;

    /// The task cell's header is three words, this metadata and a flag of the cell's own; a
    /// `Meta` larger than this would add a word to every task.
    #[test]
    fn meta_fits_beside_the_cells_flag_in_one_word() {
        assert!(std::mem::size_of::<Meta>() < std::mem::size_of::<usize>());
        assert!(std::mem::align_of::<Meta>() < std::mem::size_of::<usize>());
    }
}

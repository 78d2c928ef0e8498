//! Tasks: a future, its scheduling state and its output, in one allocation.
//!
//! The task cell is `async-task`'s, made for exactly this: one allocation holding the state
//! word, the future (later its output), the schedule function and the awaiter's waker, with a
//! reference count over the `Runnable` (the permission to poll, held by whichever queue the task
//! sits in), the wakers and the `Task` handle. This module adds what a runtime needs around it:
//!
//! - [`Harness`](harness::Harness) wraps each future: a panic becomes a [`JoinError`] instead of
//!   unwinding into the loop, and dropping the future takes the task out of the registry.
//! - [`Registry`](registry::Registry) holds a waker of every live task, so shutdown can reach
//!   tasks that sit in no queue.
//! - [`Meta`] rides in the task's header: the abort flag. An abort sets it and wakes the task;
//!   the harness sees it when the task is next polled and drops the future there, on the loop
//!   that polls it (a pinned task's future must never be dropped elsewhere). The look is
//!   inside `poll`, not before `Runnable::run`: a wake that finds the task already scheduled
//!   changes nothing, and only the task cell's own hand-off from scheduled to running orders
//!   the flag before the look. Looked at between the pop and `run`, an abort landing in that
//!   gap would be lost: the task would be polled once more, go back to waiting, and never be
//!   woken again.
//!
//! A `Send` task's schedule function sends it to the run queue of the worker that wakes it (or
//! the injector, from outside); a pinned task's always sends it home (see `scheduler`); a
//! blocking task's sends it to the blocking pool (see `blocking`).

mod harness;
mod join;
mod join_set;
mod registry;
mod yield_now;

use std::future::Future;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub(crate) use join::AbortHandle;
pub use join::{JoinError, JoinHandle};
pub use join_set::JoinSet;
pub(crate) use registry::Registry;
pub use yield_now::yield_now;

use crate::scheduler::{context, Shared};
use harness::Unbound;

/// A task ready to be polled, as the queues hold it.
pub(crate) type Runnable = async_task::Runnable<Meta>;

/// Per-task data kept in the task's header.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    aborted: AtomicBool,
}

impl Meta {
    fn abort(&self) {
        // Release: pairs with the loop's acquire, which then drops the future unpolled.
        self.aborted.store(true, Ordering::Release);
    }

    fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }
}

/// A pointer to the `Meta` in a task's header, which async-task's handles do not expose, for
/// what lives beside the task rather than in its `Runnable`: the harnessed future, and an
/// abort handle.
#[derive(Clone, Copy)]
struct MetaRef(NonNull<Meta>);

// SAFETY: `Meta` is `Sync` (atomics only), so sharing a pointer to it between threads is
// sound; the pointer is only dereferenced while its holder keeps the task allocated.
unsafe impl Send for MetaRef {}
// SAFETY: as for `Send`: only `&Meta` is ever made from it.
unsafe impl Sync for MetaRef {}

impl MetaRef {
    fn new(meta: &Meta) -> MetaRef {
        MetaRef(NonNull::from(meta))
    }

    /// # Safety
    ///
    /// The task must stay allocated while the reference is used.
    unsafe fn get<'a>(self) -> &'a Meta {
        // SAFETY: the header, and so the metadata, is allocated (the caller's promise), and
        // is never written but through its atomics.
        unsafe { self.0.as_ref() }
    }
}

/// Creates a stealable task and schedules it.
pub(crate) fn spawn<F>(shared: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let schedule = {
        let shared = shared.clone();
        async_task::WithInfo(move |runnable, info: async_task::ScheduleInfo| {
            shared.schedule(runnable, info.woken_while_running)
        })
    };
    let shard = shared.registry.send_shard();
    create(shared, shard, future, |f, b| {
        b.spawn(|meta| f.bind(meta), schedule)
    })
}

/// Creates a task that calls `f` on a thread of the blocking pool, and queues it there. The
/// closure runs inside the runtime, so it may spawn tasks.
pub(crate) fn spawn_blocking<F, T>(shared: &Arc<Shared>, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let schedule = {
        let pool = shared.blocking.clone();
        move |runnable| pool.schedule(runnable)
    };
    let runtime = shared.clone();
    let future = async move {
        let _enter = context::enter_handle(runtime);
        f()
    };
    let shard = shared.registry.blocking_shard();
    create(shared, shard, future, |f, b| {
        b.spawn(|meta| f.bind(meta), schedule)
    })
}

/// Creates a task pinned to `worker`, which must be the worker running on this thread, and
/// schedules it there.
pub(crate) fn spawn_local<F>(
    shared: &Arc<Shared>,
    worker: usize,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let schedule = {
        let shared = shared.clone();
        move |runnable| shared.schedule_local(worker, runnable)
    };
    let shard = shared.registry.local_shard(worker);
    create(shared, shard, future, |f, b| {
        b.spawn_local(|meta| f.bind(meta), schedule)
    })
}

/// Creates a `Send` task that always runs on `worker` (its schedule function sends it home
/// like a pinned task's) and schedules it there.
fn spawn_on<F>(shared: &Arc<Shared>, worker: usize, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let schedule = {
        let shared = shared.clone();
        move |runnable| shared.schedule_local(worker, runnable)
    };
    let shard = shared.registry.local_shard(worker);
    create(shared, shard, future, |f, b| {
        b.spawn(|meta| f.bind(meta), schedule)
    })
}

/// Runs `make()` on every worker as a task pinned there. A `Send` task is sent to each
/// worker, and creates the (possibly `!Send`) future there, as a pinned task it awaits.
pub(crate) fn on_each_worker<F, Fut>(shared: &Arc<Shared>, make: F) -> Vec<JoinHandle<Fut::Output>>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let make = Arc::new(make);
    (0..shared.workers.len())
        .map(|worker| {
            let make = make.clone();
            let pinned = shared.clone();
            spawn_on(shared, worker, async move {
                let mut inner = AbortOnDrop(spawn_local(&pinned, worker, make()));
                drop(pinned);
                match (&mut inner.0).await {
                    Ok(output) => output,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled: only at shutdown, which drops this task too.
                    Err(_) => std::future::pending().await,
                }
            })
        })
        .collect()
}

/// Aborts the task when dropped, so that aborting a task aborts what it waits for.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The task cell's handle to a task's output.
type Task<T> = async_task::Task<harness::Output<T>, Meta>;

/// Records a task in registry shard `shard`, has `build` make its cell (with the given task
/// builder) around the future, harnessed once the cell hands it the task's metadata, and
/// starts it.
fn create<F: Future>(
    shared: &Arc<Shared>,
    shard: usize,
    future: F,
    build: impl FnOnce(Unbound<F>, async_task::Builder<Meta>) -> (Runnable, Task<F::Output>),
) -> JoinHandle<F::Output> {
    let (runnable, task) = shared.registry.insert(shard, |slot| {
        let future = Unbound::new(future, slot);
        build(future, async_task::Builder::new().metadata(Meta::default()))
    });
    start(shared, runnable, task)
}

fn start<T>(shared: &Shared, runnable: Runnable, task: Task<T>) -> JoinHandle<T> {
    let handle = JoinHandle::new(task, runnable.waker());
    if shared.is_closing() {
        // Too late to run: dropping the runnable drops the future here, and the handle
        // reports the task cancelled.
        drop(runnable);
    } else {
        runnable.schedule();
    }
    handle
}

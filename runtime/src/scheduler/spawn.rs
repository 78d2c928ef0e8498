//! The one way a task enters the scheduler: a [`Placement`] says where it runs, and
//! [`Shared::spawn`] records it in the registry shard of that placement, gives it the schedule
//! function of that placement, and queues it, unless the runtime is closing.
//!
//! A `!Send` future can only be created on the worker it is pinned to: [`Shared::spawn_here`]
//! takes it there, and [`Shared::spawn_pinned`] sends a `Send` closure to the worker to create
//! it (what `on_each_worker` and `#[runtime::main]` build on).

use std::future::Future;
use std::sync::Arc;

use super::hooks::{self, Point};
use super::{context, Shared};
use crate::blocking::AtShutdown;
use crate::task::{self, JoinHandle, Runnable};

/// Where a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// On the worker that wakes it, or on whichever steals it.
    Stealable,
    /// Always on this worker.
    Pinned(usize),
    /// On a thread of the blocking pool; what shutdown does with it if it has not started.
    Blocking(AtShutdown),
}

/// The most workers a runtime can have: a pinned task's worker must fit its two-byte tag.
pub(crate) const MAX_WORKERS: usize = BLOCKING_MUST_RUN as usize;

const STEALABLE: u16 = u16::MAX;
const BLOCKING: u16 = u16::MAX - 1;
const BLOCKING_MUST_RUN: u16 = u16::MAX - 2;

impl Placement {
    /// The placement as the task's tag (see `task::Meta`).
    fn tag(self) -> u16 {
        match self {
            Placement::Stealable => STEALABLE,
            Placement::Blocking(AtShutdown::Drop) => BLOCKING,
            Placement::Blocking(AtShutdown::Run) => BLOCKING_MUST_RUN,
            Placement::Pinned(worker) => {
                debug_assert!(worker < MAX_WORKERS);
                worker as u16
            }
        }
    }

    fn from_tag(tag: u16) -> Placement {
        match tag {
            STEALABLE => Placement::Stealable,
            BLOCKING => Placement::Blocking(AtShutdown::Drop),
            BLOCKING_MUST_RUN => Placement::Blocking(AtShutdown::Run),
            worker => Placement::Pinned(worker.into()),
        }
    }
}

impl Shared {
    /// Creates a task placed as `placement` and schedules it.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        placement: Placement,
        future: F,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.start(task::new(
            &self.registry,
            self.shard(placement),
            placement.tag(),
            future,
            self.schedule_fn(),
        ))
    }

    /// Creates a `!Send` task pinned to `worker`, which must be the worker running on this
    /// thread, and schedules it there.
    pub(crate) fn spawn_here<F>(self: &Arc<Self>, worker: usize, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        debug_assert_eq!(context::worker_index(), Some(worker));
        let placement = Placement::Pinned(worker);
        self.start(task::new_pinned(
            &self.registry,
            self.shard(placement),
            placement.tag(),
            future,
            self.schedule_fn(),
        ))
    }

    /// Runs the future `make` creates on worker `worker`, as a task pinned there. A `Send` task
    /// is sent to the worker and creates the (possibly `!Send`) future there, as a pinned task
    /// it awaits; aborting it aborts that task.
    pub(crate) fn spawn_pinned<F, Fut>(
        self: &Arc<Self>,
        worker: usize,
        make: F,
    ) -> JoinHandle<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let shared = self.clone();
        self.spawn(Placement::Pinned(worker), async move {
            let mut inner = AbortOnDrop(shared.spawn_here(worker, make()));
            drop(shared);
            match (&mut inner.0).await {
                Ok(output) => output,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: only at shutdown, which drops this task too.
                Err(_) => std::future::pending().await,
            }
        })
    }

    /// Creates a task that calls `f` on a thread of the blocking pool, and queues it there;
    /// `at_shutdown` says whether a shutdown before it starts drops or runs it. The closure runs
    /// inside the runtime, so it may spawn tasks.
    pub(crate) fn spawn_blocking<F, T>(
        self: &Arc<Self>,
        at_shutdown: AtShutdown,
        f: F,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self.clone();
        self.spawn(Placement::Blocking(at_shutdown), async move {
            let _enter = context::enter_outside(runtime);
            f()
        })
    }

    fn shard(&self, placement: Placement) -> usize {
        match placement {
            Placement::Stealable => self.registry.send_shard(),
            Placement::Pinned(worker) => self.registry.pinned_shard(worker),
            Placement::Blocking(_) => self.registry.blocking_shard(),
        }
    }

    /// Where a woken task goes, by the placement in its tag.
    fn schedule_fn(self: &Arc<Self>) -> impl task::Schedule {
        let shared = self.clone();
        async_task::WithInfo(move |runnable: Runnable, info: async_task::ScheduleInfo| {
            match Placement::from_tag(runnable.metadata().tag()) {
                Placement::Stealable => shared.schedule(runnable, info.woken_while_running),
                Placement::Pinned(worker) => shared.schedule_pinned(worker, runnable),
                Placement::Blocking(at_shutdown) => shared.blocking.schedule(runnable, at_shutdown),
            }
        })
    }

    /// Queues a new task, or drops it if the runtime is closing: its handle then reports it
    /// cancelled. The task is in the registry already, so a shutdown that starts after this
    /// look waits for it to reach a queue (see `shutdown`).
    fn start<T>(&self, (runnable, handle): (Runnable, JoinHandle<T>)) -> JoinHandle<T> {
        if self.is_closing() {
            drop(runnable);
        } else {
            hooks::pause(Point::Spawn);
            runnable.schedule();
        }
        handle
    }
}

/// Runs the future `make(worker)` creates on every worker, pinned there.
pub(crate) fn on_each_worker<F, Fut>(shared: &Arc<Shared>, make: F) -> Vec<JoinHandle<Fut::Output>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let make = Arc::new(make);
    (0..shared.workers.len())
        .map(|worker| {
            let make = make.clone();
            shared.spawn_pinned(worker, move || make(worker))
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{AtShutdown, Placement, MAX_WORKERS};

    #[test]
    fn a_placement_survives_its_tag() {
        for placement in [
            Placement::Stealable,
            Placement::Blocking(AtShutdown::Drop),
            Placement::Blocking(AtShutdown::Run),
            Placement::Pinned(0),
            Placement::Pinned(MAX_WORKERS - 1),
        ] {
            assert_eq!(Placement::from_tag(placement.tag()), placement);
        }
    }
}

//! The scheduler: one event loop per worker, each on a thread of its own with its own reactor,
//! timers and queues.
//!
//! - [`shared`]: what the workers share, and the rules for where a woken task goes;
//!   [`spawn`]: the one path by which a task enters, by [`Placement`].
//! - [`context`]: which worker (if any) the current thread is; [`local`]: a worker's own
//!   queues.
//! - [`worker`]: the loop itself; [`steal`]: taking work from peers; [`stand_in`]: turning
//!   the reactor of a peer stuck in a task, and telling the user about it; [`rehome`]: taking
//!   connections from loops that are behind.
//! - [`park`], [`inbox`], [`idle`]: the protocols that let a worker sleep in `epoll_wait`
//!   without missing work, and keep wake-ups of sleeping workers rare.
//! - [`waiter`]: `block_on` on a thread that is no worker.
//! - [`shutdown`]: dropping every task left once the runtime closes.
//! - [`auto_advance`]: a paused clock moving to the next timer when every worker is idle.
//! - [`metrics`]: per-worker counters; [`poll_histogram`]: how long polls take.

mod auto_advance;
pub(crate) mod context;
mod hooks;
mod idle;
mod inbox;
mod local;
pub(crate) mod metrics;
mod park;
pub(crate) mod poll_histogram;
mod rehome;
mod shared;
mod shutdown;
mod spawn;
mod stand_in;
mod steal;
mod waiter;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod queue_props;
#[cfg(all(test, not(loom)))]
mod shutdown_tests;

pub(crate) use local::Local;
pub(crate) use shared::{Balancing, Remote, Shared};
pub(crate) use shutdown::drop_stealable;
pub(crate) use spawn::{on_each_worker, Placement, MAX_WORKERS};
pub(crate) use waiter::{assert_may_block, block_on};

/// Runs worker `local` on this thread until the runtime closes, then drops the tasks pinned
/// to it; the last worker to get there drops the stealable tasks left.
pub(crate) fn run_worker(local: Local) {
    let mut worker = worker::Worker::enter(local);
    worker.run();
    shutdown::drop_pinned(&mut worker);
    if worker.shared().worker_stopped() {
        shutdown::drop_stealable(worker.shared(), || worker.local().pop());
    }
}

//! The scheduler: one event loop per worker, each with its own reactor, timers and queues.
//!
//! - [`shared`]: what the workers share, and the rules for where a woken task goes.
//! - [`context`]: which worker (if any) the current thread is.
//! - [`worker`]: the loop itself; [`steal`]: taking work from peers, and turning the reactor
//!   of a peer stuck in a task; [`stuck`]: telling the user about such a peer.
//! - [`park`], [`inbox`], [`idle`]: the protocols that let a worker sleep in `epoll_wait`
//!   without missing work, and keep wake-ups of sleeping workers rare.
//! - [`guest`]: `block_on` on a thread that cannot be a worker.
//! - [`metrics`]: per-worker counters.

pub(crate) mod context;
pub(crate) mod guest;
mod idle;
mod inbox;
pub(crate) mod metrics;
mod park;
mod shared;
mod steal;
mod stuck;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod queue_props;

pub(crate) use context::Local;
pub(crate) use shared::{Remote, Shared};
pub(crate) use worker::{drop_send_tasks, Worker};

//! The scheduler: one event loop per worker, each with its own reactor, timers and queues.
//!
//! - [`shared`]: what the workers share, and the rules for where a woken task goes.
//! - [`context`]: which worker (if any) the current thread is.
//! - [`worker`]: the loop itself.
//! - [`park`]: the protocol that lets a worker sleep in `epoll_wait` without missing work.

pub(crate) mod context;
mod park;
mod shared;
mod worker;

pub(crate) use context::Local;
pub(crate) use shared::{Remote, Shared};
pub(crate) use worker::{drop_send_tasks, Worker};

//! Tasks: spawning them, their handles and ids, and the cooperative budget, as in tokio's
//! `task` module.
//!
//! A task is a future the runtime polls until it completes: [`spawn`] for a `Send` future that
//! may run on any worker, [`spawn_local`] for one pinned to the current worker, and
//! [`spawn_blocking`] for a closure that blocks, run on a pool of threads of its own. Each
//! returns a [`JoinHandle`] to await its output; an [`AbortHandle`] cancels a task without
//! awaiting it, and a [`JoinSet`] keeps many. Every live task has an [`Id`].
//!
//! ```
//! # runtime::Runtime::new()?.block_on(async {
//! let handle = runtime::task::spawn(async { 6 * 7 });
//! let abort = handle.abort_handle();
//! assert_eq!(abort.id(), handle.id());
//! assert_eq!(handle.await.unwrap(), 42);
//! assert!(abort.is_finished());
//! # });
//! # std::io::Result::Ok(())
//! ```
//!
//! Inside, a task is one allocation, the task cell (see `cell`), wrapped in a harness that
//! contains its panics (`harness`), and recorded in a registry that shutdown goes through
//! (`registry`).

mod budget;
mod cell;
mod harness;
mod id;
mod join;
mod registry;
mod yield_now;

pub use crate::join_set::JoinSet;
pub use crate::{spawn, spawn_blocking, spawn_local};
pub use budget::{consume_budget, unconstrained, Unconstrained};
pub(crate) use cell::{new, new_pinned, Runnable, Schedule};
pub(crate) use id::hide_address;
pub use id::{id, try_id, Id};
pub use join::{AbortHandle, JoinError, JoinHandle};
pub(crate) use registry::Registry;
pub use yield_now::yield_now;

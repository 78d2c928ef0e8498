//! Reaping the children nobody waits for.
//!
//! A child that exits stays a zombie, holding its pid and a slot in the process table, until
//! its parent waits for it. A [`Child`](super::Child) dropped before its child was reaped
//! therefore hands the [`Exit`] on:
//!
//! 1. to a detached task on the runtime that spawned the child (or, if that one is gone, the
//!    runtime the dropping thread is in), which waits for the exit as
//!    [`Child::wait`](super::Child::wait) does and reaps it;
//! 2. if that runtime is gone (or closes before the exit), to the orphan queue: a process-wide
//!    list that is tried (`waitpid(pid, WNOHANG)` each) whenever a child is queued or spawned,
//!    and on each `SIGCHLD` the fallback watch receives.

use std::future::{poll_fn, Future};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::exit::Exit;
use crate::scheduler::{context, Placement, Shared};

/// Children whose exit nobody watches any more, not yet reaped.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Owns an [`Exit`] and, if dropped before the child was reaped, sees that it is reaped.
#[derive(Debug)]
pub(super) struct Reaper {
    /// `Some` until dropped.
    exit: Option<Exit>,
    /// Where a task waits for the exit once this is dropped; dangling for that task itself.
    runtime: Weak<Shared>,
    /// Whether this is that task's own: dropped, it queues the child rather than start
    /// another task (which, on a closing runtime, would be dropped in turn).
    in_task: bool,
}

impl Reaper {
    pub(super) fn new(exit: Exit, runtime: &Arc<Shared>) -> Reaper {
        Reaper {
            exit: Some(exit),
            runtime: Arc::downgrade(runtime),
            in_task: false,
        }
    }

    pub(super) fn get(&mut self) -> &mut Exit {
        self.exit.as_mut().expect("the exit is taken only on drop")
    }

    pub(super) fn get_ref(&self) -> &Exit {
        self.exit.as_ref().expect("the exit is taken only on drop")
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        let Some(mut exit) = self.exit.take() else {
            return;
        };
        // Reaped already, or `waitpid` refuses it (someone else reaped it).
        if !matches!(exit.try_wait(), Ok(None)) {
            return;
        }
        // The spawning runtime, or else the one this thread is in: on a kernel with pidfds
        // nothing retries the queue but a later spawn.
        let runtime = match self.in_task {
            true => None,
            false => self.runtime.upgrade().or_else(context::try_current),
        };
        match runtime {
            Some(runtime) => drop(runtime.spawn(Placement::Stealable, wait_in_task(exit))),
            None => queue(exit.into_std()),
        }
    }
}

/// Waits for the exit. The future owns a [`Reaper`] from the start, so that dropped before the
/// exit, even unpolled (the runtime was closing), it queues the child.
fn wait_in_task(exit: Exit) -> impl Future<Output = ()> + Send {
    let mut reaper = Reaper {
        exit: Some(exit),
        runtime: Weak::new(),
        in_task: true,
    };
    async move {
        // An error (the reactor shut down) leaves the child to the queue.
        let _ = poll_fn(|cx| reaper.get().poll_wait(cx)).await;
    }
}

/// Adds `child` to the orphan queue, and tries the queue.
fn queue(child: std::process::Child) {
    let mut orphans = ORPHANS.lock();
    orphans.push(child);
    reap(&mut orphans);
}

/// Reaps the queued children that have exited.
pub(super) fn reap_orphans() {
    reap(&mut ORPHANS.lock());
}

fn reap(orphans: &mut Vec<std::process::Child>) {
    // An error means the child cannot be waited for at all: keeping it would not help.
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

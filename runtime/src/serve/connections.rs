//! The connection tasks of a server, so that a shutdown can wait for them and abort the rest.
//!
//! Each connection's [`JoinHandle`] sits in a `futures_util` `FuturesUnordered` owned by the
//! accept loop that spawned it: a finishing task wakes that loop, which drops the handle
//! ([`Connections::reap`]). There is no lock and nothing shared between loops; a connection
//! costs its handle and the collection's node for it.

use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::JoinHandle;

/// Running connection tasks.
#[derive(Default)]
pub(super) struct Connections {
    tasks: FuturesUnordered<JoinHandle<()>>,
}

impl Connections {
    pub(super) fn push(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Moves `other`'s tasks into this set.
    pub(super) fn append(&mut self, other: Connections) {
        self.tasks.extend(other.tasks);
    }

    /// Forgets the tasks that have finished; `cx` is woken when another one does.
    pub(super) fn reap(&mut self, cx: &mut Context<'_>) {
        while let Poll::Ready(Some(_)) = self.tasks.poll_next_unpin(cx) {}
    }

    /// Waits until every task has finished or `deadline` has passed, then aborts those still
    /// running and waits for them to go. Returns how many finished on their own (returned or
    /// panicked) and how many were aborted.
    pub(super) async fn finish_by(mut self, deadline: Instant) -> (usize, usize) {
        let mut finished = 0;
        let _ = crate::time::timeout_at(deadline, async {
            while self.tasks.next().await.is_some() {
                finished += 1;
            }
        })
        .await;
        self.tasks.iter().for_each(JoinHandle::abort);
        let mut aborted = 0;
        while let Some(ended) = self.tasks.next().await {
            match ended {
                Err(e) if e.is_cancelled() => aborted += 1,
                // Finished just before the abort reached it.
                _ => finished += 1,
            }
        }
        (finished, aborted)
    }
}

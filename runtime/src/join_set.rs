//! A set of spawned tasks, awaited in the order they finish.
//!
//! The set holds the tasks' [`JoinHandle`]s in a `futures_util` `FuturesUnordered`, the
//! well-kept collection made for exactly this: each handle gets a waker of its own, so a task
//! that finishes queues just its handle to be polled, and `join_next` polls only those, in the
//! order they finished, however many tasks the set holds.

use std::fmt;
use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::{JoinError, JoinHandle};

/// A collection of tasks spawned on the runtime, whose outputs come out as the tasks finish.
///
/// Dropping the set aborts every task still in it.
///
/// ```
/// use std::time::Duration;
/// use runtime::JoinSet;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut set = JoinSet::new();
/// set.spawn(async {
///     runtime::time::sleep(Duration::from_secs(60)).await;
///     "slow"
/// });
/// set.spawn(async { "fast" });
/// assert_eq!(set.len(), 2);
///
/// // Outputs come out in the order the tasks finish, not the order they were spawned.
/// assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
/// set.abort_all();
/// assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
/// assert!(set.join_next().await.is_none());
/// # });
/// # std::io::Result::Ok(())
/// ```
pub struct JoinSet<T> {
    tasks: FuturesUnordered<JoinHandle<T>>,
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: FuturesUnordered::new(),
        }
    }

    /// The number of tasks in the set: spawned and not yet returned by
    /// [`join_next`](Self::join_next), including those finished but not yet joined.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Spawns a task that may run on any worker (see [`spawn`](crate::spawn)) into the set.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.tasks.push(crate::spawn(future));
    }

    /// Spawns a task pinned to the current worker (see [`spawn_local`](crate::spawn_local))
    /// into the set.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// # runtime::Runtime::new()?.block_on_pinned(|| async {
    /// let mut set = runtime::JoinSet::new();
    /// let shared = Rc::new(5);
    /// for i in 0..3 {
    ///     let shared = shared.clone();
    ///     set.spawn_local(async move { *shared + i });
    /// }
    /// let mut sum = 0;
    /// while let Some(output) = set.join_next().await {
    ///     sum += output.unwrap();
    /// }
    /// assert_eq!(sum, 18);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// On a thread that is not one of the runtime's workers.
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.tasks.push(crate::spawn_local(future));
    }

    /// Waits for the next task of the set to finish and takes it out of the set: its output,
    /// or a [`JoinError`] if it panicked or was aborted. `None` once the set is empty.
    ///
    /// Cancel-safe: dropping the returned future loses no task's output.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.tasks.next().await
    }

    /// Aborts every task of the set (see [`JoinHandle::abort`]). They stay in the set until
    /// [`join_next`](Self::join_next) returns them, cancelled unless they had finished.
    pub fn abort_all(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }

    /// Aborts every task of the set and waits until all of them are gone, which leaves the
    /// set empty.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// for _ in 0..3 {
    ///     set.spawn(std::future::pending::<()>());
    /// }
    /// set.shutdown().await;
    /// assert!(set.is_empty());
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

//! A set of spawned tasks, awaited in the order they finish.
//!
//! The set holds the tasks' [`JoinHandle`]s in a `futures_util` `FuturesUnordered`, the
//! well-kept collection made for exactly this: each handle gets a waker of its own, so a task
//! that finishes queues just its handle to be polled, and `join_next` polls only those, in the
//! order they finished, however many tasks the set holds.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use crate::task::{AbortHandle, Id};
use crate::{Handle, JoinError, JoinHandle};

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
    tasks: FuturesUnordered<WithId<T>>,
}

/// A task's handle whose output carries the task's id, for [`JoinSet::join_next_with_id`].
struct WithId<T>(JoinHandle<T>);

impl<T> Future for WithId<T> {
    type Output = Result<(Id, T), JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.0.id();
        Pin::new(&mut self.0).poll(cx).map_ok(|output| (id, output))
    }
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

    /// Spawns a task that may run on any worker (see [`spawn`](crate::spawn)) into the set,
    /// and returns a handle that can abort it alone.
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Runs `f` on the blocking pool (see [`spawn_blocking`](crate::spawn_blocking)) as a task
    /// of the set.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// set.spawn_blocking(|| 2 + 2);
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), 4);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Spawns a task on the runtime of `handle` into the set, from anywhere (see
    /// [`Handle::spawn`]).
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let mut set = runtime::JoinSet::new();
    /// // On a thread outside the runtime.
    /// set.spawn_on(async { "spawned from outside" }, runtime.handle());
    /// let joined = runtime.block_on(set.join_next()).unwrap().unwrap();
    /// assert_eq!(joined, "spawned from outside");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs `f` on the blocking pool of the runtime of `handle` as a task of the set, from
    /// anywhere (see [`Handle::spawn_blocking`]).
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let mut set = runtime::JoinSet::new();
    /// set.spawn_blocking_on(|| 2 + 2, runtime.handle());
    /// assert_eq!(runtime.block_on(set.join_next()).unwrap().unwrap(), 4);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.tasks.push(WithId(handle));
        abort
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
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(crate::spawn_local(future))
    }

    /// Waits for the next task of the set to finish and takes it out of the set: its output,
    /// or a [`JoinError`] if it panicked or was aborted. `None` once the set is empty.
    ///
    /// Cancel-safe: dropping the returned future loses no task's output.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        Some(self.join_next_with_id().await?.map(|(_, output)| output))
    }

    /// As [`join_next`](Self::join_next), with the id of the task that finished (a
    /// [`JoinError`] carries it too).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// let id = set.spawn(async { "done" }).id();
    /// assert_eq!(set.join_next_with_id().await.unwrap().unwrap(), (id, "done"));
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Polls for the next task of the set to finish, for a hand-written `Future` or `Stream`:
    /// `Ready(None)` once the set is empty; `Pending` (with `cx`'s waker registered, replacing
    /// the one of the previous call) while no task has finished.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// set.spawn(async { 7 });
    /// let output = poll_fn(|cx| set.poll_join_next(cx)).await;
    /// assert_eq!(output.unwrap().unwrap(), 7);
    /// assert!(poll_fn(|cx| set.poll_join_next(cx)).await.is_none());
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|joined| Some(joined?.map(|(_, output)| output)))
    }

    /// As [`poll_join_next`](Self::poll_join_next), with the id of the task that finished.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// let id = set.spawn(async { 7 }).id();
    /// let joined = poll_fn(|cx| set.poll_join_next_with_id(cx)).await;
    /// assert_eq!(joined.unwrap().unwrap(), (id, 7));
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        self.tasks.poll_next_unpin(cx)
    }

    /// Takes a task that has finished out of the set without waiting: `None` if no task has
    /// finished (or the set is empty).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut set = runtime::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// assert!(set.try_join_next().is_none());
    /// set.abort_all();
    /// let cancelled = loop {
    ///     match set.try_join_next() {
    ///         Some(result) => break result,
    ///         None => runtime::yield_now().await,
    ///     }
    /// };
    /// assert!(cancelled.unwrap_err().is_cancelled());
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        Some(self.try_join_next_with_id()?.map(|(_, output)| output))
    }

    /// As [`try_join_next`](Self::try_join_next), with the id of the task that finished.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        // Not an `await`, so it cannot yield: the budget must not make a finished task look
        // unfinished.
        net::coop::unconstrained(|| self.tasks.next().now_or_never().flatten())
    }

    /// Waits for every task of the set and returns their outputs, in the order they finished.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let set: runtime::JoinSet<u32> = (1..=3).map(|i| async move { i * 10 }).collect();
    /// let mut outputs = set.join_all().await;
    /// outputs.sort();
    /// assert_eq!(outputs, [10, 20, 30]);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// If a task panicked (resuming its panic) or was cancelled; the set's other tasks are
    /// aborted first, as the set is dropped.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("a task of the `JoinSet` failed: {e}"),
            }
        }
        outputs
    }

    /// Aborts every task of the set (see [`JoinHandle::abort`]). They stay in the set until
    /// [`join_next`](Self::join_next) returns them, cancelled unless they had finished.
    pub fn abort_all(&mut self) {
        self.tasks.iter().for_each(|task| task.0.abort());
    }

    /// Lets go of every task of the set without aborting them: they run on, detached, and the
    /// set is left empty.
    pub fn detach_all(&mut self) {
        // Dropping a handle detaches its task.
        self.tasks.clear();
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

/// Spawns each future into the set, as [`JoinSet::spawn`] does.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

/// A set with a task spawned for each future, as [`JoinSet::spawn`] does.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
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

//! `Handle`: a cloneable reference to a runtime, for code that spawns from anywhere (a library
//! holding one, a thread the runtime did not start), as tokio's `Handle`.
//!
//! [`Handle::enter`] guards nest: each counts the guards of the thread made before it, and
//! one dropped while a later one is still alive panics, as in tokio, rather than leave the
//! thread inside the wrong runtime.
//!
//! A handle does not keep the runtime running: once the `Runtime` is dropped, tasks spawned
//! through a handle are cancelled at once (their `JoinHandle` reports it), as they are on
//! tokio.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::sync::Arc;

use crate::blocking::AtShutdown;
use crate::scheduler::metrics::RuntimeMetrics;
use crate::scheduler::{self, context, Placement, Shared};
use crate::task::{hide_address, JoinHandle};
use crate::thread_hooks::TokioGuard;

/// A reference to a runtime: spawn on it, enter it, block on it, read its metrics.
///
/// ```
/// let runtime = runtime::Runtime::new()?;
/// let handle = runtime.handle().clone();
/// let answer = std::thread::spawn(move || {
///     // A thread the runtime did not start.
///     let task = handle.spawn(async { 6 * 7 });
///     handle.block_on(task).unwrap()
/// })
/// .join()
/// .unwrap();
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the runtime this thread is inside: on a worker, in a task, in
    /// `block_on`, on a blocking-pool thread, or under [`Handle::enter`].
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let workers = runtime.block_on(async { runtime::Handle::current().metrics().workers.len() });
    /// assert_eq!(workers, runtime.workers());
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a runtime; see [`try_current`](Self::try_current).
    pub fn current() -> Handle {
        let (shared, _) = context::current("`runtime::Handle::current`");
        Handle { shared }
    }

    /// The handle of the runtime this thread is inside, or an error outside one.
    ///
    /// ```
    /// assert!(runtime::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_current()
            .map(|shared| Handle { shared })
            .ok_or(TryCurrentError(()))
    }

    /// Spawns a `Send` task on the runtime; see [`spawn`](crate::spawn).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(Placement::Stealable, future)
    }

    /// Runs a blocking closure on the runtime's blocking pool; see
    /// [`spawn_blocking`](crate::spawn_blocking).
    pub fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared.spawn_blocking(AtShutdown::Drop, f)
    }

    /// Runs `future` to completion on the current thread; see
    /// [`Runtime::block_on`](crate::Runtime::block_on), whose rules it follows.
    ///
    /// # Panics
    ///
    /// On a worker of any runtime, or inside another `block_on`.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _tokio = self.shared.hooks.enter_tokio();
        scheduler::block_on(&self.shared, future)
    }

    /// Makes this thread part of the runtime until the guard is dropped: [`spawn`](crate::spawn),
    /// sockets and timers then work on a thread the runtime did not start (sockets and timers
    /// go to a worker chosen in turn, which serves them). On a thread already inside this
    /// runtime it changes nothing.
    ///
    /// ```
    /// let runtime = runtime::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     let task = runtime::spawn(async { "spawned from a plain thread" });
    ///     assert_eq!(handle.block_on(task).unwrap(), "spawned from a plain thread");
    /// })
    /// .join()
    /// .unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// The guard panics when dropped while a guard made after it on this thread is still
    /// alive (unless the thread is panicking already).
    pub fn enter(&self) -> EnterGuard<'_> {
        let inside = context::try_current().is_some_and(|s| Arc::ptr_eq(&s, &self.shared));
        EnterGuard {
            _depth: Depth::enter(),
            _guard: (!inside).then(|| context::enter_outside(self.shared.clone())),
            _tokio: self.shared.hooks.enter_tokio(),
            _handle: PhantomData,
        }
    }

    /// The runtime's id: the same from every handle of one runtime, different from that of
    /// every other runtime alive (a runtime dropped may leave its id to a new one), as in
    /// tokio.
    ///
    /// ```
    /// let a = runtime::Runtime::new()?;
    /// let b = runtime::Runtime::new()?;
    /// assert_eq!(a.handle().id(), a.handle().clone().id());
    /// assert_ne!(a.handle().id(), b.handle().id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> Id {
        Id(hide_address(Arc::as_ptr(&self.shared) as usize))
    }

    /// What each worker has done so far; see [`Runtime::metrics`](crate::Runtime::metrics).
    pub fn metrics(&self) -> RuntimeMetrics {
        self.shared.metrics()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.workers.len())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// The number of [`EnterGuard`]s alive on this thread.
    static ENTERED: Cell<usize> = const { Cell::new(0) };
}

/// Keeps the thread inside a runtime; see [`Handle::enter`]. Guards must be dropped in the
/// reverse order of their making.
#[must_use = "the thread leaves the runtime when the guard is dropped"]
pub struct EnterGuard<'a> {
    /// Checked first: the fields after it restore what the thread was before this guard.
    _depth: Depth,
    _guard: Option<context::EnterGuard>,
    /// Dropped after `_guard`, in the reverse order of entering.
    _tokio: Option<TokioGuard<'a>>,
    _handle: PhantomData<&'a Handle>,
}

/// An [`EnterGuard`]'s place among the thread's guards (1 for the first), checked when it is
/// dropped. A field of its own, so that the guard needs no `Drop` of its own and may outlive
/// the handle it came from (`Handle::current().enter()`), as in tokio.
struct Depth(usize);

impl Depth {
    fn enter() -> Depth {
        let depth = ENTERED.try_with(|d| d.get() + 1).unwrap_or(1);
        let _ = ENTERED.try_with(|d| d.set(depth));
        Depth(depth)
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        let alive = ENTERED.try_with(|d| d.replace(self.0 - 1));
        if alive.is_ok_and(|alive| alive != self.0) && !std::thread::panicking() {
            panic!(
                "`EnterGuard`s dropped out of order: the guards of `Handle::enter` and \
                 `Runtime::enter` must be dropped in the reverse order of their making"
            );
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// The error of [`Handle::try_current`]: this thread is inside no runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this thread is not inside a runtime")
    }
}

impl std::error::Error for TryCurrentError {}

/// The id of a runtime; see [`Handle::id`]. Shown as a number.
///
/// ```
/// let runtime = runtime::Runtime::new()?;
/// let id: runtime::Id = runtime.handle().id();
/// assert!(id.to_string().parse::<u64>().is_ok());
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

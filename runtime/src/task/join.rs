//! The handle to a spawned task's output.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::cell::{Meta, MetaRef};
use super::harness::Output;
use super::Id;

/// An owned permission to await a spawned task's output, returned by [`spawn`](crate::spawn)
/// and [`spawn_local`](crate::spawn_local).
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was aborted.
/// Dropping it detaches the task, which goes on running; [`abort`](JoinHandle::abort) cancels it.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let handle = runtime::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// # std::io::Result::Ok(())
/// ```
pub struct JoinHandle<T> {
    task: Option<async_task::FallibleTask<Output<T>, Meta>>,
    abort: AbortHandle,
    /// The waker this handle was last polled with, and the one that stands in for it with the
    /// task (see [`ContainPanic`]).
    awaiter: Option<(Waker, Waker)>,
}

/// The permission to cancel a task, without its output: what a collection of tasks that
/// never awaits them keeps (a server's connections). Made by [`JoinHandle::abort_handle`] and
/// [`JoinSet::spawn`](crate::JoinSet::spawn); it can be cloned and outlive the `JoinHandle`.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let handle = runtime::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// drop(handle); // the task goes on, detached
/// assert!(!abort.is_finished());
/// abort.abort();
/// while !abort.is_finished() {
///     runtime::yield_now().await;
/// }
/// # });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    /// The task's metadata, where the abort and finished flags are.
    meta: MetaRef,
    /// Wakes the task so that it sees an abort even while it waits for something else; it
    /// also keeps the task's allocation, and so `meta`, alive.
    waker: Waker,
}

impl AbortHandle {
    /// Cancels the task (see [`JoinHandle::abort`]); no effect once it has finished.
    pub fn abort(&self) {
        self.meta().abort();
        self.waker.wake_by_ref();
    }

    /// Whether the task has finished: completed, panicked or been cancelled (its future is
    /// gone).
    pub fn is_finished(&self) -> bool {
        self.meta().is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.meta.id()
    }

    fn meta(&self) -> &Meta {
        // SAFETY: `self.waker` holds a reference to the task, which keeps it allocated.
        unsafe { self.meta.get() }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<Output<T>, Meta>, waker: Waker) -> Self {
        JoinHandle {
            abort: AbortHandle {
                meta: MetaRef::new(task.metadata()),
                waker,
            },
            task: Some(task.fallible()),
            awaiter: None,
        }
    }

    /// A handle that cancels the task without awaiting it, and may outlive this one.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.abort.id()
    }

    /// Cancels the task: its future is dropped on the loop that runs it, at its next
    /// scheduling (at once if it is waiting), and awaiting the handle then gives a
    /// [`JoinError`] for which [`is_cancelled`](JoinError::is_cancelled) is true. A task that has
    /// already finished keeps its output.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let handle = runtime::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn abort(&self) {
        if self.task.is_some() {
            self.abort.abort();
        }
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let handle = runtime::spawn(async { "done" });
    /// while !handle.is_finished() {
    ///     runtime::yield_now().await;
    /// }
    /// assert_eq!(handle.await.unwrap(), "done");
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

/// Polling a handle is an operation of the task's cooperative budget, as in tokio: a task
/// joining many finished tasks in one poll yields to its loop once the budget is spent.
impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        net::coop::poll_budgeted(cx, |cx| self.poll_output(cx))
    }
}

impl<T> JoinHandle<T> {
    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let task = self
            .task
            .as_mut()
            .expect("`JoinHandle` polled after it completed");
        let contained = match &self.awaiter {
            Some((given, contained)) if given.will_wake(cx.waker()) => contained,
            _ => {
                let contained = Waker::from(Arc::new(ContainPanic(cx.waker().clone())));
                &self.awaiter.insert((cx.waker().clone(), contained)).1
            }
        };
        let output = match Pin::new(task).poll(&mut Context::from_waker(contained)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(output) => output,
        };
        self.task = None;
        self.awaiter = None;
        // `None`: the future was dropped before it finished.
        let id = self.id();
        Poll::Ready(output.map_or_else(|| Err(JoinError::cancelled(id)), Output::into_inner))
    }
}

/// Wakes the waker a `JoinHandle` was polled with, containing its panic. The task cell wakes
/// its awaiter where a panic aborts the process; a waker is arbitrary code (a combinator's, a
/// hand-written executor's), and one that panics must not take the server down.
struct ContainPanic(Waker);

impl Wake for ContainPanic {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The panic hook has reported it; the waker's owner is left to notice.
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.wake_by_ref()));
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Why a task produced no output: it was cancelled, or it panicked.
///
/// It converts into an `io::Error`, so `?` passes it on from a function returning
/// `io::Result`:
///
/// ```
/// async fn checksum(data: Vec<u8>) -> std::io::Result<u32> {
///     let sum = runtime::spawn_blocking(move || data.iter().map(|&b| u32::from(b)).sum()).await?;
///     Ok(sum)
/// }
/// # runtime::Runtime::new()?.block_on(async {
/// assert_eq!(checksum(vec![1, 2, 3]).await?, 6);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct JoinError {
    repr: Repr,
    id: Id,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(payload),
            id,
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Whether the task was cancelled (aborted, or dropped when the runtime shut down).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let err = runtime::spawn(async { panic!("boom") }).await.unwrap_err();
    /// assert!(err.is_panic());
    /// assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic's payload, to inspect or to resume unwinding with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicking.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(payload) => payload,
            Repr::Cancelled => panic!("`JoinError::into_panic` called on a cancelled task"),
        }
    }

    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Repr::Panic(_), Some(msg)) => {
                write!(f, "task {} panicked with message {msg:?}", self.id)
            }
            (Repr::Panic(_), None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "JoinError::Cancelled({:?})", self.id),
            (Repr::Panic(_), Some(msg)) => {
                write!(f, "JoinError::Panic({:?}, {msg:?}, ...)", self.id)
            }
            (Repr::Panic(_), None) => write!(f, "JoinError::Panic({:?}, ...)", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}

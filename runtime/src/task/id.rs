//! Task ids: a number that tells a live task apart from every other, for logs and maps.
//!
//! An id is made from the address of the task's header, mixed with a key drawn once per
//! process (so that logs carry no heap addresses): it costs no field in the task, and no
//! counter shared by every spawn. As with tokio's ids, it is unique among the tasks alive at
//! once, and may be given to a new task once an old one has finished and every handle to it
//! is gone.
//!
//! [`id`] and [`try_id`] read the id of the task being polled on this thread, which the harness
//! sets around each poll.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroU64;
use std::sync::OnceLock;

use super::cell::MetaRef;

/// The id of a task; see [`id`](crate::task::id).
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let handle = runtime::spawn(async { runtime::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    pub(super) fn from_address(address: usize) -> Id {
        Id(hide_address(address))
    }
}

/// An id made from an address (a task's, a runtime's), mixed with a key drawn once per
/// process so that the id shows no heap address.
pub(crate) fn hide_address(address: usize) -> NonZeroU64 {
    static KEY: OnceLock<u64> = OnceLock::new();
    let key = *KEY.get_or_init(|| RandomState::new().hash_one(0u64) | 1);
    let mixed = (address as u64) ^ key;
    NonZeroU64::new(mixed).unwrap_or(NonZeroU64::MAX)
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

thread_local! {
    /// The task being polled; its id is made only when asked for, so that each poll pays a
    /// pointer's store and restore.
    static CURRENT: Cell<Option<MetaRef>> = const { Cell::new(None) };
}

/// Makes `task` the current task until the guard is dropped.
pub(super) fn enter(task: MetaRef) -> Current {
    Current(CURRENT.replace(Some(task)))
}

/// Restores the task that was current before [`enter`].
pub(super) struct Current(Option<MetaRef>);

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.set(self.0);
    }
}

/// The id of the task being polled.
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// let a = runtime::spawn(async { runtime::task::id() });
/// let b = runtime::spawn(async { runtime::task::id() });
/// assert_ne!(a.await.unwrap(), b.await.unwrap());
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside a task (in `Runtime::block_on`'s future, or on a plain thread); see [`try_id`].
pub fn id() -> Id {
    try_id().expect("`runtime::task::id` called outside a task")
}

/// The id of the task being polled, or `None` outside a task.
///
/// ```
/// assert_eq!(runtime::task::try_id(), None);
/// ```
pub fn try_id() -> Option<Id> {
    CURRENT.get().map(MetaRef::id)
}

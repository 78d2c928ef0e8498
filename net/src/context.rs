//! The event loop running on this thread: its reactor, and what the scheduler tells its sources.
//!
//! A socket registers with the loop it is created on, so a listener bound inside a loop's task
//! is polled by that loop's reactor. The scheduler enters a reactor for as long as its loop runs
//! on a thread; sockets look it up here.
//!
//! The scheduler may also install a [`Rehome`] hook with the reactor ([`enter_rehoming`]): then a
//! connection whose task keeps waiting on this thread while its registration is with another,
//! busy loop moves here (see the reactor's `rehome` module). The reactor's id has a thread-local
//! of its own, a plain integer, because every wait of every source compares it with the id of
//! the reactor the source is registered with.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::Reactor;

/// What a source asks the scheduler before it moves to the loop of the thread its task waits
/// on. The scheduler installs one on each of its loops' threads with [`enter_rehoming`]; on a
/// thread without one, nothing moves to its loop.
///
/// A connection moves once its task has waited on it several times in a row from this thread
/// while the connection is registered with another loop, and only if that loop is behind and
/// the connection has not moved just before (see `Builder::rehome` in the runtime for the
/// policy as users see it).
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// /// Takes every connection whose home loop is `busy`, and counts them.
/// struct TakeFrom {
///     busy: net::Reactor,
///     moved: Cell<u64>,
/// }
///
/// impl net::Rehome for TakeFrom {
///     fn home_is_behind(&self, home: &net::Reactor) -> bool {
///         home.ptr_eq(&self.busy)
///     }
///
///     fn moved_here(&self) {
///         self.moved.set(self.moved.get() + 1);
///     }
/// }
///
/// let (busy, idle) = (net::Reactor::new()?, net::Reactor::new()?);
/// let hook = Rc::new(TakeFrom { busy, moved: Cell::new(0) });
/// let _guard = net::enter_rehoming(&idle, hook.clone());
/// assert!(net::Reactor::current().ptr_eq(&idle));
/// assert_eq!(hook.moved.get(), 0);
/// # std::io::Result::Ok(())
/// ```
pub trait Rehome {
    /// Whether the loop whose reactor is `home` is behind with its work (a task keeping it
    /// from its reactor, or more work than it can do for a while), so that a connection of it
    /// served from this thread should move here.
    fn home_is_behind(&self, home: &Reactor) -> bool;

    /// A connection has just moved to this thread's loop.
    fn moved_here(&self);
}

#[derive(Clone)]
struct Loop {
    reactor: Reactor,
    rehome: Option<Rc<dyn Rehome>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Loop>> = const { RefCell::new(None) };
    /// The id of `CURRENT`'s reactor, 0 without one.
    static CURRENT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Makes `reactor` the current one on this thread until the guard is dropped, when the one
/// current before (if any) is restored. No connection moves to it (see [`enter_rehoming`]).
///
/// ```
/// let reactor = net::Reactor::new()?;
/// let _guard = net::enter(&reactor);
/// assert!(net::Reactor::current().ptr_eq(&reactor));
/// # std::io::Result::Ok(())
/// ```
///
/// During the thread's exit, once its thread-locals are being destroyed, it does nothing.
pub fn enter(reactor: &Reactor) -> EnterGuard {
    set(Some(Loop {
        reactor: reactor.clone(),
        rehome: None,
    }))
}

/// [`enter`], for the thread of an event loop that takes connections from busy loops: the
/// sources whose tasks wait on this thread ask `rehome` whether to move here (see [`Rehome`]).
pub fn enter_rehoming(reactor: &Reactor, rehome: Rc<dyn Rehome>) -> EnterGuard {
    set(Some(Loop {
        reactor: reactor.clone(),
        rehome: Some(rehome),
    }))
}

/// Makes `current` this thread's loop, returning the guard that restores the one before.
fn set(current: Option<Loop>) -> EnterGuard {
    let id = current.as_ref().map_or(0, |l| l.reactor.id());
    let previous = CURRENT
        .try_with(|c| {
            CURRENT_ID.set(id);
            c.replace(current)
        })
        .ok()
        .flatten();
    EnterGuard { previous }
}

/// Restores the previously current reactor when dropped; returned by [`enter`].
#[must_use = "the reactor stops being current when the guard is dropped"]
pub struct EnterGuard {
    previous: Option<Loop>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let id = previous.as_ref().map_or(0, |l| l.reactor.id());
        let _ = CURRENT.try_with(|c| {
            CURRENT_ID.set(id);
            *c.borrow_mut() = previous;
        });
    }
}

pub(crate) fn current() -> Reactor {
    current_reactor().expect(
        "there is no event loop running on this thread: sockets must be created inside the \
             runtime (within `Runtime::block_on` or a task it spawned)",
    )
}

/// The reactor current on this thread, if any.
pub(crate) fn current_reactor() -> Option<Reactor> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|l| l.reactor.clone()))
        .ok()
        .flatten()
}

/// The id of the reactor current on this thread, 0 if none.
#[inline]
pub(crate) fn current_id() -> u32 {
    CURRENT_ID.get()
}

/// This thread's [`Rehome`] hook, if its loop takes connections from others.
pub(crate) fn rehome() -> Option<Rc<dyn Rehome>> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().and_then(|l| l.rehome.clone()))
        .ok()
        .flatten()
}

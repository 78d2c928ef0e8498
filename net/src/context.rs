//! The reactor of the event loop running on this thread.
//!
//! A socket registers with the loop it is created on, so a listener bound inside a loop's task
//! is polled by that loop's reactor. The scheduler enters a reactor for as long as its loop runs
//! on a thread; sockets look it up here.

use std::cell::RefCell;

use crate::Reactor;

thread_local! {
    static CURRENT: RefCell<Option<Reactor>> = const { RefCell::new(None) };
}

/// Makes `reactor` the current one on this thread until the guard is dropped, when the one
/// current before (if any) is restored.
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
    let previous = CURRENT
        .try_with(|c| c.replace(Some(reactor.clone())))
        .ok()
        .flatten();
    EnterGuard { previous }
}

/// Restores the previously current reactor when dropped; returned by [`enter`].
#[must_use = "the reactor stops being current when the guard is dropped"]
pub struct EnterGuard {
    previous: Option<Reactor>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

pub(crate) fn current() -> Reactor {
    CURRENT.with(|c| c.borrow().clone()).expect(
        "there is no event loop running on this thread: sockets must be created inside the \
             runtime (within `Runtime::block_on` or a task it spawned)",
    )
}

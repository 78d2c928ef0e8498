//! A mio source registered with a reactor: the building block of every socket type.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::rehome::{Home, Registry};
use super::scheduled_io::{ReadyEvent, ScheduledIo};
use super::{Direction, Reactor};
use crate::{Interest, Ready};

/// A mio source registered with one [`Reactor`] for as long as it lives. Dropping it
/// deregisters the source and then closes it. (The crate's connected streams are the
/// exception: a stream may move to the reactor of the loop that keeps serving it; see
/// [`Rehome`](crate::Rehome).)
///
/// The reactor makes every `epoll_ctl` call for it, on the descriptor the source lends
/// ([`AsFd`]), rather than letting the source's own `mio::event::Source::register` do so:
/// an event names its registration by the address of the registration's state (see
/// [`Reactor`]), and a source free to add descriptors under tokens of its choosing could
/// name any address. [`from_source`](Evented::from_source) is the `unsafe` way for a source
/// that must register itself.
///
/// Every socket of this crate is one of these; a source it does not wrap can be driven the
/// same way:
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// use std::future::poll_fn;
/// use net::{Direction, Evented};
///
/// let socket = Evented::new(mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap())?)?;
/// let addr = socket.get_ref().local_addr()?;
/// socket.get_ref().send_to(b"hi", addr)?;
/// let mut buf = [0; 8];
/// let n = poll_fn(|cx| socket.poll_io(cx, Direction::Read, |s| s.recv(&mut buf))).await?;
/// assert_eq!(&buf[..n], b"hi");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Evented<S: mio::event::Source> {
    source: S,
    io: Arc<ScheduledIo>,
    /// Where the source is registered, and when it moves.
    home: Home,
}

impl<S: mio::event::Source> Evented<S> {
    /// Registers `source` with the reactor of the current event loop.
    ///
    /// # Panics
    ///
    /// Outside an event loop.
    pub fn new(source: S) -> io::Result<Evented<S>>
    where
        S: AsFd,
    {
        Evented::with_reactor(source, Reactor::current())
    }

    /// Registers `source` with `reactor`, by its descriptor, for readiness in both directions
    /// and priority. The descriptor stays open while the source is registered: the source
    /// owns it or borrows it for at least as long ([`AsFd`]'s promise), and `Evented` hands
    /// out no `&mut S` but to [`into_inner`](Evented::into_inner), which deregisters first.
    pub fn with_reactor(source: S, reactor: Reactor) -> io::Result<Evented<S>>
    where
        S: AsFd,
    {
        let fd = source.as_fd().as_raw_fd();
        let io = Arc::new(ScheduledIo::new());
        let key = reactor.add(fd, &io)?;
        Ok(Evented {
            source,
            io,
            home: Home::fixed(reactor, key, fd),
        })
    }

    /// Registers `source` with the reactor of the current event loop through the source's
    /// own `mio::event::Source::register` (and deregisters it through its `deregister`), for
    /// a source that lends no descriptor.
    ///
    /// # Safety
    ///
    /// `source`'s `register` must add one descriptor to the registry it is given, under the
    /// token it is given, and nothing else, and add nothing if it fails; the source must keep
    /// no handle to the registry (no `Registry::try_clone`) to add anything later; and
    /// `deregister` must take that descriptor out of the registry, which it must stay open
    /// until. (Events name the registration by the address of its state: another token, or a
    /// descriptor left in the epoll set, would make the reactor read memory that is not a
    /// registration.)
    ///
    /// # Panics
    ///
    /// Outside an event loop.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use net::Evented;
    ///
    /// let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// // SAFETY: mio's own sockets register and deregister their one descriptor, which they
    /// // own, as asked.
    /// let socket = unsafe { Evented::from_source(socket) }?;
    /// assert!(socket.get_ref().local_addr()?.port() > 0);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub unsafe fn from_source(mut source: S) -> io::Result<Evented<S>> {
        let reactor = Reactor::current();
        let io = Arc::new(ScheduledIo::new());
        // SAFETY: the caller's promise, which `register` relies on.
        let key = unsafe { reactor.register(&mut source, io.clone()) }?;
        Ok(Evented {
            source,
            io,
            home: Home::fixed(reactor, key, -1),
        })
    }

    /// Registers `source`, a connected stream, with the reactor of the current event loop, by
    /// its descriptor, so that it may move to another loop's reactor later (see
    /// [`rehome`](super::rehome)).
    pub(crate) fn movable(source: S) -> io::Result<Evented<S>>
    where
        S: AsFd,
    {
        let reactor = Reactor::current();
        let fd = source.as_fd().as_raw_fd();
        let io = Arc::new(ScheduledIo::new());
        let key = reactor.add(fd, &io)?;
        Ok(Evented {
            source,
            io,
            home: Home::movable(reactor, key, fd),
        })
    }

    /// The registered source, for operations that never block.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// Deregisters the source and hands it back, for the sockets' `into_std`.
    pub fn into_inner(self) -> S {
        let mut this = std::mem::ManuallyDrop::new(self);
        let this = &mut *this;
        this.deregister();
        // SAFETY: `this` is never dropped or used again, so each field is read out exactly
        // once and dropped (or returned) exactly once.
        unsafe {
            drop(std::ptr::read(&this.home));
            drop(std::ptr::read(&this.io));
            std::ptr::read(&this.source)
        }
    }

    /// Takes the source out of its reactor, wherever it is registered now, for good.
    fn deregister(&mut self) {
        let (registration, _) = self.home.get_mut();
        match registration.fd {
            -1 => registration
                .reactor
                .deregister(registration.key, &mut self.source),
            fd => registration.reactor.remove(registration.key, fd),
        }
        self.io.forget_waiters();
    }

    /// Moves the registration to `reactor`, if the source is a connected stream (see
    /// [`rehome`](super::rehome)). `Ok(false)` if it did not move: the source is of another
    /// kind, already there, or being moved by another thread.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn move_to(&self, reactor: &Reactor) -> io::Result<bool> {
        self.home.move_to(&self.io, reactor)
    }

    /// Runs `op` once the source is ready in `direction`, and again after each readiness
    /// until it returns something other than `WouldBlock`. `EINTR` is retried, never returned.
    /// Each completed operation spends one unit of the task's [`coop`](crate::coop) budget.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_event(cx, direction, op)
            .map_ok(|(result, _)| result)
    }

    /// [`poll_io`](Self::poll_io) for a read or write of `len` bytes on a byte stream. A
    /// transfer of fewer bytes, but some, proves the socket's buffer drained (or full) at that
    /// moment, so the readiness is forgotten at once: the next operation waits for the next
    /// edge instead of spending a system call to learn `WouldBlock`. (Edge-triggered epoll
    /// reports data, or room, that arrives later, and an event since the one this operation
    /// used keeps the readiness set.)
    #[inline]
    pub fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_event(cx, direction, op).map_ok(|(n, event)| {
            if n > 0 && n < len {
                self.io.clear_readiness(event.without_closed());
            }
            n
        })
    }

    #[inline]
    fn poll_io_event<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<(R, ReadyEvent)>> {
        if !crate::coop::has_budget(cx) {
            return Poll::Pending;
        }
        loop {
            let event = match self.io.poll_ready(cx, direction) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return self.pending(),
            };
            match self.run(event, |s| retry_interrupted(|| op(s))) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                result => {
                    crate::coop::spend();
                    return Poll::Ready(result.map(|r| (r, event)));
                }
            }
        }
    }

    /// Runs `op` once if the source was last seen ready in a direction of `interest`, without
    /// waiting: `WouldBlock` when it is not ready, and a `WouldBlock` from `op` forgets the
    /// readiness until the next event. For code that waits with
    /// [`poll_ready`](Self::poll_ready) and then works in place, such as a handler that holds
    /// no buffer while its connection is idle. `op` runs once: calls on a non-blocking socket
    /// do not sleep, so no signal interrupts them.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        match self.io.ready_event(interest.mask()) {
            // Closed bits stay: with both directions in `interest`, a `WouldBlock` says
            // nothing of the other direction's close, which the reactor would never report
            // again. (Its plain readiness is cleared, as tokio's `try_io` does: see there.)
            Some(event) => self.run(event?.without_closed(), op),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Runs `op`; a `WouldBlock` clears the readiness `event` reported (unless a newer event
    /// has arrived since).
    fn run<R>(&self, event: ReadyEvent, op: impl FnOnce(&S) -> io::Result<R>) -> io::Result<R> {
        let result = op(&self.source);
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(event);
        }
        result
    }

    /// Waits until `op` completes in `direction`; the async form of [`poll_io`](Self::poll_io).
    pub async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
    }

    /// Waits until the source reports readiness in `direction`, without running an operation.
    /// The readiness stays set until an operation sees `WouldBlock`.
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        match self.io.poll_ready(cx, direction) {
            Poll::Ready(ready) => Poll::Ready(ready.map(|_| ())),
            Poll::Pending => self.pending(),
        }
    }

    /// Waits until the source is ready in any direction of `interest`, and tells which
    /// readiness it saw (only that of `interest`'s directions).
    pub fn poll_readiness(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<Ready>> {
        match self.io.poll_ready_interest(cx, interest) {
            Poll::Ready(ready) => Poll::Ready(ready.map(ReadyEvent::ready)),
            Poll::Pending => self.pending(),
        }
    }

    /// `Pending`, for a task that has just stored its waker to wait on the source, after
    /// noting the wait (which may move the registration to the task's loop: see
    /// [`rehome`](super::rehome)).
    #[inline]
    fn pending<R>(&self) -> Poll<R> {
        self.home.note_wait(&self.io);
        Poll::Pending
    }

    /// The reactor this source is registered with now. (A connected stream may move to
    /// another reactor while it is shared, hence `&mut`.)
    pub fn reactor(&mut self) -> &Reactor {
        &self.home.get_mut().0.reactor
    }
}

/// Runs `op` until it gives something other than `EINTR`.
#[inline]
fn retry_interrupted<R>(mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

impl<S: mio::event::Source> Drop for Evented<S> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evented")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::mem::size_of;

    use super::*;

    const SCHEDULED_IO: usize = 56;
    /// The source (16 bytes in a debug build, where mio keeps the id of its registry beside
    /// the descriptor; 4, padded to 8, in a release build), the `ScheduledIo` and the `Home`:
    /// its word (which decides moves with one load on each wait) and the registration (reactor,
    /// key and descriptor).
    const EVENTED: usize = 48;

    /// Every idle connection pays for these: a change of size is a decision, not an accident.
    #[test]
    fn sizes_of_a_registration_and_the_sockets() {
        assert_eq!(size_of::<ScheduledIo>(), SCHEDULED_IO);
        assert_eq!(size_of::<Evented<mio::net::TcpStream>>(), EVENTED);
        for socket in [
            size_of::<crate::TcpStream>(),
            size_of::<crate::UnixStream>(),
            size_of::<crate::UdpSocket>(),
            size_of::<crate::UnixDatagram>(),
        ] {
            assert_eq!(socket, EVENTED);
        }
    }
}

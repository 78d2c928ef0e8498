//! The accept loop each worker runs for its own listener, and how the server stops it.
//!
//! A loop accepts, spawns each connection's handler and keeps the task among its
//! [`Connections`] (which it leaves as it ends), so that a shutdown can wait for and abort the
//! rest. Told to stop, it returns its listener, still open, and those
//! connections, for the shutdown to drain and close in the order it chooses (see `shutdown`).
//!
//! With a cap on connections ([`Limit`]), a loop at the cap does not accept: it parks until a
//! connection of the server ends, and the connections wait in the kernel's accept queue.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use net::{TcpListener, TcpStream};

use super::connections::{Connections, Place};
use super::limit::{Limit, Permit};
use super::signal::ShutdownSignal;
use crate::scheduler::context;
use crate::time::Sleep;
use crate::JoinHandle;

/// Spawns the handler of one connection, which holds its [`Place`] (in its loop's set and
/// under the server's cap) until it ends: the server's handler, behind one type.
pub(super) type Handler = Arc<dyn Fn(TcpStream, SocketAddr, Place) -> JoinHandle<()> + Send + Sync>;

/// Starts a server's connections: its handler and its cap, if any.
#[derive(Clone)]
pub(super) struct Spawner {
    pub(super) handler: Handler,
    pub(super) limit: Option<Arc<Limit>>,
}

impl Spawner {
    fn start(&self, (stream, peer): Accepted, permit: Option<Permit>, into: &Connections) {
        context::count_accepted();
        into.start(permit, |place| (self.handler)(stream, peer, place));
    }

    /// Starts a connection whatever the cap: for those a shutdown accepts from the queues of
    /// listeners it is about to close.
    fn start_past_cap(&self, accepted: Accepted, into: &Connections) {
        let permit = self.limit.as_ref().map(Limit::force);
        self.start(accepted, permit, into);
    }
}

/// An accepted connection and its peer's address.
type Accepted = (TcpStream, SocketAddr);

/// How long a loop stops accepting after an error of the listener (out of file descriptors,
/// say), before it retries; the connection stays queued meanwhile.
const ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What an accept loop hands back when stopped.
pub(super) struct Parked {
    pub(super) listener: TcpListener,
    pub(super) connections: Connections,
    /// The connection the loop accepted but had no place for under the cap, if any.
    pub(super) held: Option<Accepted>,
}

/// Tells every accept loop of a server to stop; one waker per loop.
pub(super) struct Stop {
    stopped: AtomicBool,
    wakers: Box<[AtomicWaker]>,
    /// What the connections' handlers learn the shutdown by, raised once the loops have
    /// stopped (see `shutdown`).
    pub(super) signal: ShutdownSignal,
}

impl Stop {
    pub(super) fn new(loops: usize) -> Stop {
        Stop {
            stopped: AtomicBool::new(false),
            wakers: (0..loops).map(|_| AtomicWaker::new()).collect(),
            signal: ShutdownSignal::default(),
        }
    }

    pub(super) fn stop(&self) {
        // Release: pairs with the acquire in `poll_stopped`, after the loop's waker is stored.
        self.stopped.store(true, Ordering::Release);
        self.wakers.iter().for_each(AtomicWaker::wake);
    }

    fn poll_stopped(&self, worker: usize, cx: &Context<'_>) -> Poll<()> {
        self.wakers[worker].register(cx.waker());
        if self.stopped.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Accepts on `listener` until `stop` says so, spawning every connection, and not accepting
/// while the server is at its cap.
///
/// Accept errors are handled as a server must: a connection that failed before it was
/// accepted is skipped; any other error (running out of file descriptors) pauses the loop for
/// [`ERROR_PAUSE`], then it retries.
pub(super) async fn accept_loop(
    listener: TcpListener,
    spawn: Spawner,
    stop: Arc<Stop>,
    worker: usize,
) -> Parked {
    let connections = Connections::new(stop.signal.clone());
    let mut pause: Option<Sleep> = None;
    // Whether the last accept failed: one warning per episode of back-off, not per retry.
    let mut backing_off = false;
    // A connection accepted while another loop took the last place waits here, and the loop
    // accepts no other, until a place frees.
    let mut held = None;
    poll_fn(|cx| loop {
        if stop.poll_stopped(worker, cx).is_ready() {
            return Poll::Ready(());
        }
        if let Some(sleep) = &mut pause {
            ready!(Pin::new(sleep).poll(cx));
            pause = None;
        }
        if let Some(limit) = &spawn.limit {
            ready!(limit.poll_room(worker, cx));
        }
        let accepted = match held.take() {
            Some(accepted) => accepted,
            None => match sort(ready!(listener.poll_accept(cx))) {
                Ok(Some(accepted)) => {
                    backing_off = false;
                    accepted
                }
                Ok(None) => {
                    backing_off = false;
                    continue;
                }
                Err(e) => {
                    if !std::mem::replace(&mut backing_off, true) {
                        tracing::warn!(error = %e, worker, "accept failed; retrying every 100 ms");
                    }
                    pause = Some(crate::time::sleep(ERROR_PAUSE));
                    continue;
                }
            },
        };
        match spawn.limit.as_ref().map(Limit::try_acquire) {
            Some(None) => held = Some(accepted),
            permit => spawn.start(accepted, permit.flatten(), &connections),
        }
    })
    .await;
    connections.start_counting();
    Parked {
        listener,
        connections,
        held,
    }
}

/// Accepts every connection queued on `listener` until the kernel says the queue is empty (or
/// the listener fails), and spawns each, past the server's cap if need be.
pub(super) fn accept_queued(listener: &TcpListener, spawn: &Spawner, connections: &Connections) {
    while let Ok(accepted) = sort(listener.try_accept()) {
        if let Some(accepted) = accepted {
            spawn.start_past_cap(accepted, connections);
        }
    }
}

/// Accepts on every listener as connections arrive, spawning each past the server's cap if
/// need be; never completes.
pub(super) async fn accept_all(
    listeners: &[TcpListener],
    spawn: &Spawner,
    connections: &Connections,
) {
    poll_fn(|cx| {
        for listener in listeners {
            // A listener that fails is left to the final `accept_queued`.
            while let Poll::Ready(Ok(accepted)) = listener.poll_accept(cx).map(sort) {
                if let Some(accepted) = accepted {
                    spawn.start_past_cap(accepted, connections);
                }
            }
        }
        Poll::Pending
    })
    .await
}

/// Starts a connection a stopped loop accepted but had no place for, past the server's cap.
pub(super) fn start_held(held: Option<Accepted>, spawn: &Spawner, connections: &Connections) {
    if let Some(accepted) = held {
        spawn.start_past_cap(accepted, connections);
    }
}

/// Sorts the result of an accept: a connection; `None` for a connection that failed before it
/// was accepted, to skip; or an error of the listener.
fn sort(accepted: io::Result<Accepted>) -> io::Result<Option<Accepted>> {
    match accepted {
        Ok(accepted) => Ok(Some(accepted)),
        Err(e) if is_connection_error(&e) => {
            tracing::debug!(error = %e, "a connection failed before it was accepted");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Errors of one connection, not of the listener: the next accept may succeed at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

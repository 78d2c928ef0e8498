//! The accept loop each worker runs for its own listener, and how the server stops it.
//!
//! A loop accepts, spawns each connection's handler and keeps the handler's [`JoinHandle`]
//! among its [`Connections`], which it reaps as they finish, so that a shutdown can wait for
//! and abort the rest. Told to stop, it returns its listener, still open, and those
//! connections, for the shutdown to drain and close in the order it chooses (see `shutdown`).

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

use super::connections::Connections;
use crate::scheduler::context;
use crate::time::Sleep;
use crate::JoinHandle;

/// Spawns the handler of one connection: the server's handler, behind one type.
pub(super) type Spawner = Arc<dyn Fn(TcpStream, SocketAddr) -> JoinHandle<()> + Send + Sync>;

/// How long a loop stops accepting after an error of the listener (out of file descriptors,
/// say), before it retries; the connection stays queued meanwhile.
const ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What an accept loop hands back when stopped.
pub(super) struct Parked {
    pub(super) listener: TcpListener,
    pub(super) connections: Connections,
}

/// Tells every accept loop of a server to stop; one waker per loop.
pub(super) struct Stop {
    stopped: AtomicBool,
    wakers: Box<[AtomicWaker]>,
}

impl Stop {
    pub(super) fn new(loops: usize) -> Stop {
        Stop {
            stopped: AtomicBool::new(false),
            wakers: (0..loops).map(|_| AtomicWaker::new()).collect(),
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

/// Accepts on `listener` until `stop` says so, spawning every connection.
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
    let mut connections = Connections::default();
    let mut pause: Option<Sleep> = None;
    // Whether the last accept failed: one warning per episode of back-off, not per retry.
    let mut backing_off = false;
    poll_fn(|cx| loop {
        connections.reap(cx);
        if stop.poll_stopped(worker, cx).is_ready() {
            return Poll::Ready(());
        }
        if let Some(sleep) = &mut pause {
            ready!(Pin::new(sleep).poll(cx));
            pause = None;
        }
        let accepted = ready!(listener.poll_accept(cx));
        match start(accepted, &spawn, &mut connections) {
            Ok(()) => backing_off = false,
            Err(e) => {
                if !std::mem::replace(&mut backing_off, true) {
                    tracing::warn!(error = %e, worker, "accept failed; retrying every 100 ms");
                }
                pause = Some(crate::time::sleep(ERROR_PAUSE));
            }
        }
    })
    .await;
    Parked {
        listener,
        connections,
    }
}

/// Accepts every connection queued on `listener` until the kernel says the queue is empty (or
/// the listener fails), and spawns each.
pub(super) fn accept_queued(
    listener: &TcpListener,
    spawn: &Spawner,
    connections: &mut Connections,
) {
    while start(listener.try_accept(), spawn, connections).is_ok() {}
}

/// Accepts on every listener as connections arrive, spawning each; never completes.
pub(super) async fn accept_all(
    listeners: &[TcpListener],
    spawn: &Spawner,
    connections: &mut Connections,
) {
    poll_fn(|cx| {
        for listener in listeners {
            // A listener that fails is left to the final `accept_queued`.
            while let Poll::Ready(accepted) = listener.poll_accept(cx) {
                if start(accepted, spawn, connections).is_err() {
                    break;
                }
            }
        }
        Poll::Pending
    })
    .await
}

/// Spawns the handler of an accepted connection. An error of one connection (which failed
/// before it was accepted) is skipped; an error of the listener is returned.
fn start(
    accepted: io::Result<(TcpStream, SocketAddr)>,
    spawn: &Spawner,
    connections: &mut Connections,
) -> io::Result<()> {
    match accepted {
        Ok((stream, peer)) => {
            context::count_accepted();
            connections.push(spawn(stream, peer));
            Ok(())
        }
        Err(e) if is_connection_error(&e) => {
            tracing::debug!(error = %e, "a connection failed before it was accepted");
            Ok(())
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

//! Graceful shutdown: stop accepting without resetting a connection, let the connections
//! finish, abort those that outlast the deadline.
//!
//! Closing a `SO_REUSEPORT` listener resets the connections still in its accept queue, and
//! while the kernel routes new connections to a listener, one may complete its handshake
//! between the last accept and the close. So the order is:
//!
//! 1. The accept loops stop and hand their listeners over, still open (connections queue
//!    meanwhile; none is lost).
//! 2. A BPF program on the listeners' group stops the kernel from routing new connections to
//!    them ([`Drain`]; see `net::tcp::reuseport`): refused outright with eBPF, or steered to
//!    the first listener with classic BPF when eBPF is not allowed.
//! 3. For [`HANDSHAKE_SETTLE`], every listener keeps accepting: what was queued, and the
//!    handshakes that were under way when the program was attached.
//! 4. Each listener is drained (accepting until the kernel says its queue is empty) and closed
//!    at once; a listener new connections are steered to closes last.
//! 5. The connections, those of the accept loops and those accepted since, get until the
//!    deadline to finish; the rest are aborted. Their handlers learn of the shutdown when the
//!    accept loops have stopped, before step 2 ([`ShutdownSignal`](super::ShutdownSignal)),
//!    and those that drain (an idle HTTP connection) end early.
//!
//! A server's cap on connections does not hold back steps 3 and 4: a connection left in a
//! queue would be reset, so every one is accepted and served, past the cap if need be.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::time::Instant;

use net::TcpListener;

use super::accept::{accept_all, accept_queued, start_held, Parked, Spawner, Stop};
use super::connections::Connections;
use crate::JoinHandle;

/// How long the listeners keep accepting once new connections are refused or steered, for
/// the handshakes already under way: each needs one round trip to complete, and one that
/// completes after its listener closed is reset.
const HANDSHAKE_SETTLE: Duration = Duration::from_millis(250);

/// What [`Server::shutdown`](super::Server::shutdown) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Connections that ended on their own during the shutdown (their handler returned or
    /// panicked), including those accepted while the listeners were drained.
    pub finished: usize,
    /// Connections still running at the deadline, which were aborted.
    pub aborted: usize,
    /// How the kernel was kept from sending new connections to the listeners being closed.
    pub drain: Drain,
}

/// How [`Server::shutdown`](super::Server::shutdown) stopped new connections before closing
/// the listeners, which decides whether a connection could be lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drain {
    /// An eBPF program made the kernel refuse new connections (clients get
    /// `ConnectionRefused`) while the listeners were drained: no connection whose handshake
    /// completed was reset, except one whose handshake took longer than the settling time
    /// (250 ms). Loading it needs `CAP_BPF` or `CAP_SYS_ADMIN`.
    Refused,
    /// No eBPF allowed: a classic BPF program steered new connections to the first listener,
    /// so every other one was drained and closed with no loss; the first one kept receiving
    /// connections until it closed, last, and a handshake completing between its final
    /// accept and its close was reset. The window is the time of one `accept` call.
    Steered,
    /// Neither program could be attached (or the first listener had closed early, so that
    /// steering had no known target): each listener was drained and closed in turn, and a
    /// handshake completing between its final accept and its close was reset.
    Unsteered,
}

/// Runs the shutdown of the accept loops `loops`, stopped through `stop`, whose connections
/// `spawn` starts, with `grace` for the connections to finish.
pub(super) async fn shutdown(
    loops: Vec<JoinHandle<io::Result<Parked>>>,
    stop: Arc<Stop>,
    spawn: Spawner,
    grace: Duration,
) -> ShutdownReport {
    // A grace past a year is as good as forever, and keeps the addition from overflowing.
    let deadline = Instant::now() + grace.min(Duration::from_secs(365 * 86_400));
    stop.stop();
    let mut listeners = Vec::with_capacity(loops.len());
    // Those of the accept loops, then those accepted while the listeners drain.
    let mut sets = Vec::with_capacity(loops.len() + 1);
    let connections = Connections::new(stop.signal.clone());
    let mut first_open = true;
    for (worker, accept_loop) in loops.into_iter().enumerate() {
        match accept_loop.await {
            Ok(Ok(parked)) => {
                listeners.push(parked.listener);
                sets.push(parked.connections);
                start_held(parked.held, &spawn, &connections);
            }
            // It failed to start, or `Server::stop` ended it: its listener is closed.
            _ if worker == 0 => first_open = false,
            _ => {}
        }
    }
    // Only now: the loops' sets count the connections that end from their stop on, and one
    // that ended at the signal before its loop stopped would be missed.
    stop.signal.start();
    let drain = steer(&listeners, first_open);
    if drain != Drain::Unsteered {
        let settled = deadline.min(Instant::now() + HANDSHAKE_SETTLE);
        let _ =
            crate::time::timeout_at(settled, accept_all(&listeners, &spawn, &connections)).await;
    }
    if drain == Drain::Steered {
        // The one new connections go to closes last.
        listeners.rotate_left(1);
    }
    for listener in listeners {
        accept_queued(&listener, &spawn, &connections);
        drop(listener);
    }
    sets.push(connections);
    let (finished, aborted) = Connections::finish_by(&sets, deadline).await;
    ShutdownReport {
        finished,
        aborted,
        drain,
    }
}

/// Attaches the program that keeps new connections from the listeners being closed.
/// `listeners` are those of the group still open, in the order they were bound; `first_open`
/// tells whether the first one bound is among them.
fn steer(listeners: &[TcpListener], first_open: bool) -> Drain {
    let Some(first) = listeners.first() else {
        return Drain::Unsteered;
    };
    if first.refuse_new_connections().is_ok() {
        return Drain::Refused;
    }
    // Steering goes to the group's first socket, which is the first bound as long as that
    // one is open (the kernel gives a closed socket's place to the group's last one).
    if first_open && first.steer_new_connections_to_first().is_ok() {
        return Drain::Steered;
    }
    Drain::Unsteered
}

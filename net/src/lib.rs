//! The I/O half of the runtime's event loops: the reactor and the sockets.
//!
//! Each event loop owns one [`Reactor`], a `mio::Poll` (epoll on Linux). Sockets register with
//! the reactor current on the thread that creates them ([`enter`] sets it), so a connection is
//! polled by the loop that accepted it and a loop's sockets never share an epoll instance with
//! another loop's. Listeners can be sharded across loops with `SO_REUSEPORT`
//! ([`ListenOptions::reuse_port`]): one socket per loop, the kernel spreading connections.
//!
//! Sockets: TCP ([`TcpListener`], [`TcpStream`], and [`TcpSocket`] to set options before
//! connecting or listening), UDP ([`UdpSocket`]) and Unix domain sockets ([`UnixListener`],
//! [`UnixStream`], [`UnixDatagram`]). The two stream types share their reading, writing and
//! splitting methods ([`Connection`]) and implement the standard async I/O traits:
//! `futures_io::AsyncRead`/`AsyncWrite` always, and `tokio::io::AsyncRead`/`AsyncWrite` with the
//! `tokio-io` feature. Every socket can also be driven by readiness, as tokio's are: wait with
//! `ready` (an [`Interest`], answered with a [`Ready`]), `readable` or `writable`, then work
//! in place with the `try_` operations until `WouldBlock`.
//!
//! This crate knows nothing of tasks or schedulers; it deals only in `std::task::Waker`s. Users
//! reach it as `runtime::net`, which is where the sockets are meant to be used from.

#![warn(missing_docs)]

mod buf;
mod connection;
mod context;
pub mod coop;
mod datagram;
mod interest;
mod io_traits;
mod loom;
mod reactor;
mod ready;
mod socket_methods;
mod split;
mod sys;
mod tcp;
mod udp;
mod unix;
mod wake;

pub use connection::Connection;
pub use context::{enter, enter_rehoming, EnterGuard, Rehome};
pub use interest::Interest;
pub use reactor::{Direction, Evented, Reactor, TurnStats};
pub use ready::Ready;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use tcp::{ListenOptions, TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UCred, UnixDatagram, UnixListener, UnixStream};
pub use wake::wake_all;

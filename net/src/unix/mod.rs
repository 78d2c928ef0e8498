//! Unix domain sockets: a listener and streams for connections between processes of one host,
//! and datagram sockets. They register with the current loop as the TCP and UDP sockets do,
//! and [`UnixStream`] shares [`TcpStream`](crate::TcpStream)'s reading, writing and splitting
//! methods.
//!
//! Addresses are `std::os::unix::net::SocketAddr`: a path, Linux's abstract names, or unnamed
//! (a socket from [`UnixStream::pair`] or never bound). A listener leaves its socket file
//! behind when dropped; removing it is up to whoever bound it.

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;

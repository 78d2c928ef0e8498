//! Unix domain sockets: a listener and streams for connections between processes of one host,
//! and datagram sockets. They register with the current loop as the TCP and UDP sockets do,
//! and [`UnixStream`] shares [`TcpStream`](crate::TcpStream)'s reading, writing and splitting
//! methods.
//!
//! Addresses are `std::os::unix::net::SocketAddr`: a path, Linux's abstract names, or unnamed
//! (a socket from [`UnixStream::pair`] or never bound). Where a method takes a path, one that
//! starts with a NUL byte (`"\0name"`) names `name` in the abstract namespace, as in tokio: no
//! file is made, and the name goes away with the last socket bound to it. A listener bound to a
//! file path leaves the file behind when dropped; removing it is up to whoever bound it.

mod datagram;
mod listener;
mod stream;
mod ucred;

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr;
use std::path::Path;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
pub use ucred::UCred;

/// The address `path` names: an abstract name after a leading NUL byte, a file path otherwise.
fn socket_addr(path: &Path) -> io::Result<SocketAddr> {
    match path.as_os_str().as_bytes() {
        [0, name @ ..] => SocketAddr::from_abstract_name(name),
        _ => SocketAddr::from_pathname(path),
    }
}

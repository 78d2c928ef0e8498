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

/// A sender's address as the kernel gives it (rustix's), in the standard library's type: a
/// path, an abstract name, or unnamed (a socket never bound). The standard library makes no
/// unnamed address directly; the empty path is one, of the length the kernel gives for it.
fn sender(from: Option<rustix::net::SocketAddrAny>) -> io::Result<SocketAddr> {
    let Some(from) = from else {
        return SocketAddr::from_pathname("");
    };
    let from = rustix::net::SocketAddrUnix::try_from(from)?;
    if let Some(path) = from.path_bytes() {
        SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))
    } else if let Some(name) = from.abstract_name() {
        SocketAddr::from_abstract_name(name)
    } else {
        SocketAddr::from_pathname("")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn the_empty_path_is_an_unnamed_address() {
        let addr = super::sender(None).unwrap();
        assert!(addr.is_unnamed());
        assert_eq!(addr.as_pathname(), None);
    }
}

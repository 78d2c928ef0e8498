//! [`UCred`]: who is at the other end of a Unix stream, as the kernel recorded it when the
//! connection was made (`SO_PEERCRED`).

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// The credentials of a Unix stream's peer process, as tokio's `UCred`: its user, group and
/// process ids at the time it connected (or created the pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    uid: libc::uid_t,
    gid: libc::gid_t,
    pid: Option<libc::pid_t>,
}

impl UCred {
    pub(crate) fn of_peer(socket: impl AsFd) -> io::Result<UCred> {
        // Read into libc's plain struct: the kernel reports pid 0 for a peer outside this
        // process's pid namespace, which a type with a non-zero pid cannot hold.
        let mut cred = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: the fd is borrowed for the call, `cred` is a writable `ucred` of `len`
        // bytes, and `len` is a writable `socklen_t`, as `getsockopt(SO_PEERCRED)` needs.
        let rc = unsafe {
            libc::getsockopt(
                socket.as_fd().as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut cred as *mut libc::ucred).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(UCred {
            uid: cred.uid,
            gid: cred.gid,
            pid: (cred.pid != 0).then_some(cred.pid),
        })
    }

    /// The peer's effective user id.
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> libc::gid_t {
        self.gid
    }

    /// The peer's process id; `None` when the peer lives in a pid namespace this process
    /// cannot see into.
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

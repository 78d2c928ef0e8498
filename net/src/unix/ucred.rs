//! [`UCred`]: who is at the other end of a Unix stream, as the kernel recorded it when the
//! connection was made (`SO_PEERCRED`).

use std::io;
use std::os::fd::AsFd;

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
        let cred = rustix::net::sockopt::socket_peercred(socket)?;
        Ok(UCred {
            uid: cred.uid.as_raw(),
            gid: cred.gid.as_raw(),
            pid: Some(cred.pid.as_raw_pid()),
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

    /// The peer's process id; Linux always reports it.
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

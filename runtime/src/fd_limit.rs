//! Raising the limit on open files, as a server with many connections needs.
//!
//! Each connection is a file descriptor, and Linux's default soft limit is 1,024 while the hard
//! limit is usually far higher (524,288 on systemd systems). Like Go's runtime, the runtime
//! raises the soft limit to the hard one when it starts, so 10^5 connections work out of the
//! box; `Builder::raise_fd_limit(false)` leaves the limit alone.

use std::io;

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit and returns the new soft limit.
pub(crate) fn raise() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `rlimit` that the call only reads.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

//! Waiting for one child to exit, and reaping it.
//!
//! The reactor learns of the exit in one of two ways, chosen at spawn:
//!
//! - A pidfd (`pidfd_open`, Linux 5.3): a file descriptor for the process that polls readable
//!   once it has exited, registered with the reactor like a socket. Readiness then reaps the
//!   child with `waitpid(pid, WNOHANG)`; an event that finds it still running is spurious and
//!   only clears the readiness.
//! - Otherwise (`ENOSYS` on an older kernel, `EPERM` under a seccomp filter, or the pidfd could
//!   not be registered), a `SIGCHLD` stream from [`crate::signal`]: after each delivery the
//!   waiting task tries `waitpid(pid, WNOHANG)` again. The stream starts watching before the
//!   first try, so an exit in between still wakes it. Deliveries coalesce and name no child,
//!   so each also gives the orphan queue ([`super::reap`]) a pass.
//!
//! Until the child is reaped its pid cannot be reused, so signals sent by pid reach it.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitStatus;
use std::task::{ready, Context, Poll};

use net::{Direction, Evented, Reactor};
use rustix::process::{pidfd_open, Pid, PidfdFlags};

use super::reap;
use crate::signal::{signal, Signal, SignalKind};

/// A spawned child, its exit status once reaped, and how its exit is watched for.
pub(super) struct Exit {
    child: std::process::Child,
    status: Option<ExitStatus>,
    watch: Watch,
}

enum Watch {
    /// Registered with the loop that spawned the child, then with the loop of a waiter once
    /// that one has shut down.
    PidFd(Evented<PidFd>),
    /// Created by the first wait, on that waiter's loop.
    SigChld(Option<Signal>),
}

/// A pidfd as a mio source.
struct PidFd(OwnedFd);

impl PidFd {
    /// Registers `fd` with the current loop's reactor.
    fn register(fd: OwnedFd) -> io::Result<Evented<PidFd>> {
        // SAFETY: `PidFd`'s `register` and `deregister` (below) add and remove its one
        // descriptor, which it owns, through mio's `SourceFd`, under the token given.
        unsafe { Evented::from_source(PidFd(fd)) }
    }
}

impl mio::event::Source for PidFd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

impl Exit {
    /// Watches `child` through a pidfd registered with the current loop, or through `SIGCHLD`
    /// where that fails.
    pub(super) fn new(child: std::process::Child) -> Exit {
        let pidfd = pidfd_open(Pid::from_child(&child), PidfdFlags::empty())
            .map_err(io::Error::from)
            .and_then(PidFd::register);
        match pidfd {
            Ok(io) => Exit::with_watch(child, Watch::PidFd(io)),
            Err(_) => Exit::on_sigchld(child),
        }
    }

    /// Watches `child` through `SIGCHLD` deliveries.
    pub(super) fn on_sigchld(child: std::process::Child) -> Exit {
        Exit::with_watch(child, Watch::SigChld(None))
    }

    fn with_watch(child: std::process::Child, watch: Watch) -> Exit {
        Exit {
            child,
            status: None,
            watch,
        }
    }

    /// The child's process id.
    pub(super) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once the child has been reaped.
    pub(super) fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Reaps the child if it has exited, without waiting.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        try_reap(&mut self.child, &mut self.status)
    }

    /// Sends `SIGKILL`, unless the child has been reaped already (its pid may be another
    /// process's by now).
    pub(super) fn start_kill(&mut self) -> io::Result<()> {
        match self.status {
            Some(_) => Ok(()),
            None => self.child.kill(),
        }
    }

    /// Waits for the exit and reaps the child.
    pub(super) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let Exit {
            child,
            status,
            watch,
        } = self;
        loop {
            match watch {
                Watch::PidFd(io) => {
                    // The outer result is the readiness; the inner one, `waitpid`'s.
                    let polled = ready!(io.poll_io(cx, Direction::Read, |_| {
                        match try_reap(child, status) {
                            Ok(Some(status)) => Ok(Ok(status)),
                            Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
                            Err(e) => Ok(Err(e)),
                        }
                    }));
                    match polled {
                        Ok(reaped) => return Poll::Ready(reaped),
                        // The registering loop shut down: this waiter's loop takes over.
                        Err(e) if !io.reactor().ptr_eq(&Reactor::current()) => {
                            let fd = io.get_ref().0.try_clone().map_err(|_| e)?;
                            *io = PidFd::register(fd)?;
                        }
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                Watch::SigChld(stream) => {
                    let stream = match stream {
                        Some(stream) => stream,
                        None => stream.insert(signal(SignalKind::from_raw(libc::SIGCHLD))?),
                    };
                    if let Some(status) = try_reap(child, status)? {
                        return Poll::Ready(Ok(status));
                    }
                    match ready!(stream.poll_recv(cx)) {
                        Some(()) => reap::reap_orphans(),
                        // Its loop shut down: the next pass watches from this waiter's loop.
                        None => *watch = Watch::SigChld(None),
                    }
                }
            }
        }
    }

    /// The child, for the orphan queue; the watch ends.
    pub(super) fn into_std(self) -> std::process::Child {
        self.child
    }
}

/// `waitpid(pid, WNOHANG)`, keeping the status: once reaped, the pid is no longer ours.
fn try_reap(
    child: &mut std::process::Child,
    status: &mut Option<ExitStatus>,
) -> io::Result<Option<ExitStatus>> {
    if status.is_none() {
        *status = child.try_wait()?;
    }
    Ok(*status)
}

impl fmt::Debug for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exit")
            .field("pid", &self.id())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::process::Stdio;
    use std::time::Duration;

    use super::*;

    /// The fallback, which a kernel with pidfds never takes: a child that exits while a task
    /// (on either worker) waits is seen through `SIGCHLD` and reaped.
    #[test]
    fn sigchld_wakes_the_waiter_and_reaps_the_child() {
        let rt = crate::Builder::new()
            .workers(2)
            .pin_workers(false)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut child = std::process::Command::new("sh")
                .args(["-c", "read line; exit 4"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let stdin = child.stdin.take().unwrap();
            let mut exit = Exit::on_sigchld(child);
            let waiter = crate::spawn(async move {
                let status = poll_fn(|cx| exit.poll_wait(cx)).await;
                (status, exit)
            });
            // End of input: `sh` exits, whether or not the waiter has started watching.
            drop(stdin);
            let (status, mut exit) = crate::time::timeout(Duration::from_secs(30), waiter)
                .await
                .expect("the wait took too long")
                .unwrap();
            assert_eq!(status.unwrap().code(), Some(4));
            assert_eq!(exit.try_wait().unwrap().unwrap().code(), Some(4));
        });
    }
}

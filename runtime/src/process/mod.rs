//! Child processes: [`Command`] spawns a [`Child`] whose exit and pipes the runtime waits on
//! without blocking a loop, with tokio's `tokio::process` names and behaviour.
//!
//! ```
//! use std::process::Stdio;
//! use futures_util::{AsyncReadExt, AsyncWriteExt};
//! use runtime::process::Command;
//!
//! # runtime::Runtime::new()?.block_on(async {
//! let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
//! let mut stdin = child.stdin.take().unwrap();
//! let mut stdout = child.stdout.take().unwrap();
//! // Written and read at once: `cat` stops reading while its output pipe is full.
//! let write = async move { stdin.write_all(b"round trip").await };
//! let mut echoed = Vec::new();
//! let read = stdout.read_to_end(&mut echoed);
//! runtime::try_join!(write, read)?;
//! assert!(child.wait().await?.success());
//! assert_eq!(echoed, b"round trip");
//! # std::io::Result::Ok(())
//! # })?;
//! # std::io::Result::Ok(())
//! ```
//!
//! # Design
//!
//! - **Exit** (`exit.rs`): each child gets a pidfd, a descriptor that polls readable once the
//!   process has exited, registered with the reactor like a socket; readiness then reaps it
//!   with `waitpid(pid, WNOHANG)`. No thread waits and no signal is involved. Where the kernel
//!   has no pidfd (before Linux 5.3, or a seccomp filter forbids it), waiters fall back to
//!   `SIGCHLD` through [`crate::signal`], retrying their child after each delivery.
//! - **Pipes** (`pipe.rs`): the parent's ends of piped standard I/O are made non-blocking and
//!   registered with the reactor of the loop that spawned the child, as a socket is with the
//!   loop that creates it: the spawning task is the likeliest to use them, so their events
//!   wake it on its own loop, and any task on any worker of that runtime may still use them
//!   (the waker moves the work, not the registration). They do not outlive that runtime: once
//!   it has shut down, their reads and writes fail, as its sockets' do. The pidfd is
//!   registered there too; a waiter on another runtime, once the spawning one has shut down,
//!   registers it again on its own loop.
//! - **Orphans** (`reap.rs`): a [`Child`] dropped before its process was reaped hands it to a
//!   detached task on the runtime that spawned it, which waits for the exit and reaps it, so
//!   no zombie is left; a child outliving its runtime goes to a task on the runtime the
//!   dropping thread is in, or else to a process-wide queue that is retried at each spawn (and
//!   each `SIGCHLD` in the fallback). With
//!   [`kill_on_drop`](Command::kill_on_drop) the drop sends `SIGKILL` first.
//!
//! Spawning needs the runtime (it panics outside, like creating a socket there); so does
//! waiting.

mod child;
mod command;
mod exit;
mod pipe;
mod reap;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

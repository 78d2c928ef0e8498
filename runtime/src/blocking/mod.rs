//! The blocking pool: threads of their own for closures that block (file I/O, a blocking
//! library, a long computation), so they never stall an event loop.
//!
//! [`spawn_blocking`](crate::spawn_blocking) makes an ordinary task (see `task`) whose future
//! calls the closure once, and whose schedule function hands it to this runtime's [`Pool`]
//! instead of a run queue. The task keeps everything a task has: the harness turns a panic into
//! a [`JoinError`](crate::JoinError), the abort flag makes the pool drop a task it has not
//! started, and the [`JoinHandle`](crate::JoinHandle) awaits it like any other.
//!
//! The pool starts with no thread. A task finds an idle thread if there is one, else a new
//! thread is started while there are fewer than the maximum, else it waits in the queue for the
//! first thread to be done. A thread idle for the keep-alive exits.
//!
//! # Shutdown
//!
//! When the runtime shuts down, the tasks still queued are dropped (their handles report them
//! cancelled) and idle threads exit. A closure that is running cannot be interrupted, and
//! waiting for it could hang the shutdown forever: it is detached instead, and its thread exits
//! once it returns.
//!
//! Some work cannot be dropped: a [`File`](crate::fs::File) write returns as soon as its data is
//! copied, so the write itself must still happen. Such a task is queued as
//! [`AtShutdown::Run`] (tokio's "mandatory" tasks): shutdown leaves it queued, the pool's
//! threads run it, and dropping the runtime waits until it is done.

mod pool;

pub(crate) use pool::{AtShutdown, Config, Pool};

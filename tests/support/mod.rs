//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses its own subset

pub mod http;

use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

/// A runtime with `workers` workers, unpinned (tests run side by side).
pub fn rt(workers: usize) -> runtime::Runtime {
    runtime::Builder::new()
        .workers(workers)
        .pin_workers(false)
        .build()
        .expect("runtime builds")
}

/// Runs the same test body on a 1-worker and a 2-worker runtime, on worker 0 as
/// `#[runtime::test]` does.
#[macro_export]
macro_rules! rt_test {
    ($(#[$attr:meta])* async fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$attr])*
            #[test]
            fn one_worker() {
                $crate::support::rt(1).block_on_pinned(|| async $body)
            }

            $(#[$attr])*
            #[test]
            fn two_workers() {
                $crate::support::rt(2).block_on_pinned(|| async $body)
            }
        }
    };
}

/// Fails the test instead of hanging when `future` takes longer than `limit`.
pub async fn bounded<F: std::future::Future>(limit: Duration, future: F) -> F::Output {
    runtime::time::timeout(limit, future)
        .await
        .expect("the test took too long")
}

/// A connected pair of TCP streams over 127.0.0.1: (client, server). The listener is dropped.
pub async fn tcp_pair() -> (runtime::net::TcpStream, runtime::net::TcpStream) {
    let listener = runtime::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = runtime::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Polls `future` once, from the current task: whether it is still pending.
pub async fn is_pending_once<F: std::future::Future + Unpin>(future: &mut F) -> bool {
    poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_pending())).await
}

/// Raises this process's soft limit on open files to its hard limit.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the calls.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    lim.rlim_cur
}

/// The number of open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .count()
}

/// The number of threads of this process.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task is readable")
        .count()
}

/// The number of threads of this process once it is at most `limit`, waiting up to 20 s for
/// it: a joined thread can still be listed for a moment after `join` returns, until the
/// kernel has reaped it.
pub fn thread_count_settled(limit: usize) -> usize {
    let give_up = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let count = thread_count();
        if count <= limit || std::time::Instant::now() > give_up {
            return count;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Counts its own drops, to observe that a future was dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }

    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A one-shot event: `wait` completes once `notify` has been called, from any thread.
#[derive(Default)]
pub struct Notify {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Notify {
    pub fn notify(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn is_notified(&self) -> bool {
        self.state.lock().unwrap().0
    }

    pub async fn wait(&self) {
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Spawns a task that holds `held` until its future is dropped and otherwise never finishes;
/// it has been polled once when this returns.
pub async fn spawn_started<T: Send + 'static>(held: T) -> runtime::JoinHandle<()> {
    let started = Arc::new(Notify::default());
    let handle = runtime::spawn({
        let started = started.clone();
        async move {
            let _held = held;
            started.notify();
            std::future::pending::<()>().await;
        }
    });
    bounded(Duration::from_secs(20), started.wait()).await;
    handle
}

/// Notifies when dropped (also while unwinding from a panic).
pub struct NotifyOnDrop(pub Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify();
    }
}

/// Runs `rt.block_on(make())` on a second thread, which is no worker, bounded to a minute,
/// and returns its output (or resumes its panic).
pub fn block_on_second_thread<F, Fut>(rt: &runtime::Runtime, make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send,
    Fut: std::future::Future,
    Fut::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| rt.block_on(bounded(Duration::from_secs(60), make())))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// An example server run as a process with 2 workers on a free loopback port, killed when
/// dropped.
pub struct ExampleServer {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
    /// The rest of its stderr, kept open so that it can still print.
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl ExampleServer {
    /// Starts `target/<profile>/examples/<example> <flags> 127.0.0.1:0` and reads the address
    /// it prints (`... listening on <addr>`, its first line on stderr).
    pub fn start(example: &str, flags: &[&str]) -> ExampleServer {
        let mut command = ExampleServer::command(example);
        command.args(flags).arg("127.0.0.1:0");
        ExampleServer::spawn(command)
    }

    /// The command that runs `example` with 2 workers, for arguments and settings of the
    /// caller's before [`spawn`](Self::spawn).
    pub fn command(example: &str) -> std::process::Command {
        // Integration tests live in target/<profile>/deps; examples in target/<profile>/examples.
        let exe = std::env::current_exe()
            .unwrap()
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap()
            .join("examples")
            .join(example);
        let mut command = std::process::Command::new(exe);
        command.env("RUNTIME_WORKERS", "2");
        command
    }

    /// Starts `command` and reads the address the server prints first on stderr.
    pub fn spawn(mut command: std::process::Command) -> ExampleServer {
        use std::io::BufRead;
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let mut line = String::new();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .rsplit(' ')
            .next()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        ExampleServer {
            child,
            addr,
            stderr,
        }
    }

    /// Sends signal `signum` to the server.
    pub fn signal(&self, signum: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: `kill` has no memory preconditions; `pid` is our child, not yet reaped (it
        // is reaped only by `wait_exit` or the drop), so the pid cannot name another process.
        assert_eq!(unsafe { libc::kill(pid, signum) }, 0);
    }

    /// The next line the server prints to stderr (after its first), without its newline;
    /// waits for it.
    pub fn next_stderr_line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.stderr.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    /// Waits up to `limit` for the server to exit (panics if it does not), and returns its
    /// exit status and what it printed to stderr after its first line.
    pub fn wait_exit(&mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < limit, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        (status, rest)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ExampleServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

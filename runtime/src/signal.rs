//! Unix signals as futures: [`ctrl_c`], and a [`Signal`] stream per [`SignalKind`].
//!
//! A signal handler may do almost nothing (no locks, no allocation), so it cannot wake a task
//! itself. The well-kept crates made for this do the handler's part: `signal-hook-registry`
//! installs one process-wide handler per signal that runs every action registered for it (so
//! several streams, and other libraries, can watch the same signal), and `signal-hook-mio`
//! (with its `support-v1_0` feature, for mio 1) gives each watcher a self-pipe: the handler
//! sets a flag and writes a byte to the pipe. Each [`Signal`] registers its pipe's read end
//! with the current event loop's reactor like a socket, so a signal wakes the waiting task
//! through `epoll`, with no thread of its own.
//!
//! Deliveries coalesce: a stream yields once for one or more signals that arrived since it
//! last yielded, as the kernel itself merges a signal that is already pending.
//!
//! Once a handler is installed for a signal it stays installed for the rest of the process,
//! even after every stream for that signal is dropped: the signal's default action no longer
//! happens. After [`ctrl_c`] or [`signal`]`(SignalKind::interrupt())`, Ctrl-C no longer kills
//! the process; the program decides what it does (tokio behaves the same way).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use net::{Direction, Evented};
use signal_hook_mio::v1_0::Signals;

/// A kind of Unix signal, for [`signal`].
///
/// ```
/// use runtime::signal::SignalKind;
///
/// assert_eq!(SignalKind::interrupt(), SignalKind::from_raw(libc::SIGINT));
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// The signal numbered `signum`, for signals without a constructor of their own.
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGINT`: sent by the terminal on Ctrl-C. Its default action ends the process.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: the polite request to terminate (from `kill`, service managers, container
    /// runtimes). Its default action ends the process.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal hung up; daemons conventionally reload their configuration on
    /// it. Its default action ends the process.
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGUSR1`, whose meaning the program defines. Its default action ends the process.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`, whose meaning the program defines. Its default action ends the process.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }
}

/// A stream of the deliveries of one signal, from [`signal`].
///
/// Registered with the event loop that created it, like a socket; it may be moved to and
/// polled on any worker. Dropping it stops the watching, but the signal's handler stays
/// installed (see [`signal`]).
pub struct Signal {
    kind: SignalKind,
    io: Evented<Pipe>,
}

/// `signal-hook-mio`'s `Signals` as a `mio` source whose pending signals can be taken through
/// a shared reference, as [`Evented`] hands out only those.
struct Pipe(parking_lot::Mutex<Signals>);

impl mio::event::Source for Pipe {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        self.0.get_mut().register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        self.0.get_mut().reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        self.0.get_mut().deregister(registry)
    }
}

/// Starts watching for `kind`: the returned stream yields once for each delivery (or batch of
/// deliveries) from now on. Signals that arrived before the call are not seen.
///
/// The first call for a signal installs a process-wide handler for it (through
/// `signal-hook-registry`) that stays installed for the rest of the process, even after the
/// stream is dropped: **the signal's default action no longer happens**, so after
/// `signal(SignalKind::interrupt())`, Ctrl-C no longer ends the process on its own. Any number
/// of streams may watch the same signal; each sees every delivery.
///
/// Fails with `InvalidInput` for a signal that is no signal number or cannot be handled
/// (`SIGKILL`, `SIGSTOP`, and `SIGILL`, `SIGFPE`, `SIGSEGV`, which `signal-hook` refuses).
///
/// ```
/// use runtime::signal::{signal, SignalKind};
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut hangups = signal(SignalKind::hangup())?;
/// // Stands for `kill -HUP <pid>` from outside.
/// // SAFETY: `raise` has no preconditions.
/// unsafe { libc::raise(libc::SIGHUP) };
/// hangups.recv().await;
/// println!("reloading the configuration");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.as_raw_value();
    // `signal-hook` panics on these rather than failing.
    if !(1..=libc::SIGRTMAX()).contains(&signum) || signal_hook::consts::FORBIDDEN.contains(&signum)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signum} cannot be handled"),
        ));
    }
    let signals = Signals::new([signum])?;
    Ok(Signal {
        kind,
        // SAFETY: signal-hook-mio's `Signals`, which `Pipe` registers and deregisters (below),
        // adds and removes the read end of its self-pipe, one descriptor it owns, under the
        // token given.
        io: unsafe { Evented::from_source(Pipe(parking_lot::Mutex::new(signals))) }?,
    })
}

impl Signal {
    /// Waits for the next delivery of the signal: `Some(())` once it (or several) arrived
    /// since the last call, `None` if the stream can no longer receive (its event loop's
    /// runtime shut down).
    ///
    /// Cancel-safe: a delivery that arrives while no call waits is kept for the next one.
    ///
    /// ```
    /// use runtime::signal::{signal, SignalKind};
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut reloads = signal(SignalKind::user_defined1())?;
    /// unsafe { libc::raise(libc::SIGUSR1) };
    /// assert_eq!(reloads.recv().await, Some(()));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery of the signal, for use in hand-written futures: see
    /// [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.io
            .poll_io(cx, Direction::Read, |pipe| {
                // Empties the pipe, then takes the flag the handler set.
                match pipe.0.lock().pending().count() {
                    0 => Err(io::ErrorKind::WouldBlock.into()),
                    _ => Ok(()),
                }
            })
            .map(Result::ok)
    }

    /// The signal this stream watches.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Completes on the next `SIGINT` (Ctrl-C in a terminal) that arrives after the future is
/// first polled, which is when it starts watching.
///
/// The first poll installs a handler for `SIGINT` that stays installed for the rest of the
/// process: from then on, **Ctrl-C no longer ends the process on its own** (as with tokio's
/// `ctrl_c`); see [`signal`].
///
/// ```no_run
/// #[runtime::main]
/// async fn main() -> std::io::Result<()> {
///     let server = runtime::net::serve("127.0.0.1:7000", |_stream, _peer| async {})?;
///     runtime::signal::ctrl_c().await?;
///     let report = server.shutdown(std::time::Duration::from_secs(10)).await;
///     eprintln!("{} connections finished, {} aborted", report.finished, report.aborted);
///     Ok(())
/// }
/// ```
///
/// # Panics
///
/// When first polled outside the runtime.
pub async fn ctrl_c() -> io::Result<()> {
    signal(SignalKind::interrupt())?
        .recv()
        .await
        .ok_or_else(|| io::Error::other("the runtime shut down before Ctrl-C"))
}

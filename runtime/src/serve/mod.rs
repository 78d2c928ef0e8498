//! Sharded listeners: one `SO_REUSEPORT` socket per loop, each accepting on its own loop.
//!
//! The kernel hashes each incoming connection to one of the sockets, so connections spread over
//! the loops with no shared accept queue and no lock; a connection is handled on the loop that
//! accepted it (and may be stolen by an idle one).
//!
//! - [`accept`]: the loop each worker runs; the connections it spawns stay in its
//!   [`connections`] set until they end, so that a shutdown can wait for and abort them.
//! - [`limit`]: the cap on connections in flight ([`ServeOptions::max_connections`]), at which
//!   the loops stop accepting and connections wait in the kernel's queues.
//! - [`shutdown`]: stopping without losing a connection. Closing a `SO_REUSEPORT` socket resets
//!   the connections still queued on it, so [`Server::shutdown`] first has the kernel stop
//!   routing new connections to the listeners, then drains and closes them; [`Server::stop`]
//!   just closes them, and such connections are lost.

mod accept;
mod connections;
mod limit;
mod shutdown;
mod signal;

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use net::{ListenOptions, TcpListener, TcpStream};

use crate::JoinHandle;
use accept::{Handler, Parked, Spawner, Stop};
use connections::Tracked;
use limit::Limit;
pub use shutdown::{Drain, ShutdownReport};
pub use signal::{Scoped, ShutdownSignal};

/// Serves `addr` on every worker: binds one `SO_REUSEPORT` listener per worker, accepts on
/// each worker's own loop, and spawns `handler(stream, peer)` for each connection on the loop
/// that accepted it. The same as [`serve_with`] with the default [`ServeOptions`]: no cap on
/// connections.
///
/// Accept errors are handled as a server must: a connection that failed before it was
/// accepted is skipped; running out of file descriptors (or any other error) pauses that loop's
/// accepting for 100 ms, then retries (the connection stays queued meanwhile).
///
/// [`Server::shutdown`] stops it without losing a connection, letting those being served
/// finish; the example servers call it on Ctrl-C.
///
/// # Security
///
/// The listeners share the port through `SO_REUSEPORT` (a plain
/// [`TcpListener::bind`](net::TcpListener::bind) does not set it). Any process of the same
/// user can bind the same port with `SO_REUSEPORT` too: it joins the group and the kernel
/// gives it a share of the connections. Run a server that uses it only where every process of
/// its user is trusted.
///
/// ```no_run
/// #[runtime::main]
/// async fn main() -> std::io::Result<()> {
///     let server = runtime::net::serve("127.0.0.1:7000", |mut stream, _peer| async move {
///         let mut buf = vec![0; 4096];
///         while let Ok(n @ 1..) = stream.read(&mut buf).await {
///             if stream.write_all(&buf[..n]).await.is_err() {
///                 break;
///             }
///         }
///     })?;
///     println!("listening on {}", server.local_addr());
///     server.wait().await
/// }
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn serve<H, Fut>(addr: impl ToSocketAddrs, handler: H) -> io::Result<Server>
where
    H: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    serve_with(addr, ServeOptions::new(), handler)
}

/// How [`serve_with`] serves: the cap on connections in flight.
///
/// Without a cap (the default) every loop accepts as fast as connections come, and the only
/// bound is the file descriptor limit. With one, the loops stop accepting at the cap and the
/// connections wait in the kernel's accept queues, one per listener, each as long as the
/// listen backlog (4096, cut down to `net.core.somaxconn`); past that the kernel drops the
/// handshakes and clients retry them. The server itself queues nothing.
///
/// Like [`serve`], this shares the port with `SO_REUSEPORT`; see [`serve`]'s security notes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ServeOptions {
    max_connections: Option<usize>,
}

impl ServeOptions {
    /// No cap on connections.
    pub fn new() -> ServeOptions {
        ServeOptions::default()
    }

    /// Serves at most `n` connections at once, over all the workers together: a connection
    /// counts from its accept until its handler's task ends. At the cap the loops stop
    /// accepting until a connection ends (they wait for it; they do not poll).
    ///
    /// One exception: a [`Server::shutdown`] accepts every connection still queued, past the
    /// cap if need be, since closing a listener resets the connections in its queue.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn max_connections(mut self, n: usize) -> ServeOptions {
        assert!(n > 0, "a server needs room for one connection");
        self.max_connections = Some(n);
        self
    }
}

/// [`serve`], with options: binds one `SO_REUSEPORT` listener per worker and serves each
/// connection with `handler(stream, peer)`, as `options` say.
///
/// ```
/// use runtime::net::{ServeOptions, TcpStream};
///
/// # runtime::Runtime::new()?.block_on(async {
/// // One connection at a time: the second waits in the kernel's queue.
/// let options = ServeOptions::new().max_connections(1);
/// let server = runtime::net::serve_with("127.0.0.1:0", options, |mut stream, _peer| async move {
///     let _ = stream.write_all(b"hi").await;
/// })?;
/// for _ in 0..2 {
///     let mut client = TcpStream::connect(server.local_addr()).await?;
///     let mut greeting = [0; 2];
///     client.read_exact(&mut greeting).await?;
///     assert_eq!(&greeting, b"hi");
/// }
/// server.stop();
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn serve_with<H, Fut>(
    addr: impl ToSocketAddrs,
    options: ServeOptions,
    handler: H,
) -> io::Result<Server>
where
    H: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let workers = crate::scheduler::context::current("`runtime::net::serve`")
        .0
        .workers
        .len();
    let listen = ListenOptions::new().reuse_port(true);
    // The first bind fixes the port (for port 0), the others share it.
    let first = listen.bind_std(addr)?;
    let local_addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..workers {
        listeners.push(listen.bind_std(local_addr)?);
    }
    // Each worker takes its own listener out, on its own thread.
    let listeners: parking_lot::Mutex<Vec<Option<std::net::TcpListener>>> =
        parking_lot::Mutex::new(listeners.into_iter().map(Some).collect());
    let handler: Handler = Arc::new(move |stream, peer, place| {
        crate::spawn(Tracked::new(handler(stream, peer), place))
    });
    let limit = options
        .max_connections
        .map(|max| Arc::new(Limit::new(max, workers)));
    let spawn = Spawner { handler, limit };
    let stop = Arc::new(Stop::new(workers));
    let loops = crate::on_each_worker({
        let (spawn, stop) = (spawn.clone(), stop.clone());
        move |worker| {
            let listener = listeners.lock()[worker].take();
            let (spawn, stop) = (spawn.clone(), stop.clone());
            async move {
                let listener = listener.expect("each worker takes its own listener once");
                let listener = TcpListener::from_std(listener)?;
                Ok(accept::accept_loop(listener, spawn, stop, worker).await)
            }
        }
    });
    Ok(Server {
        local_addr,
        loops,
        stop,
        spawn,
    })
}

/// A running sharded server, from [`serve`].
pub struct Server {
    local_addr: SocketAddr,
    loops: Vec<JoinHandle<io::Result<Parked>>>,
    stop: Arc<Stop>,
    spawn: Spawner,
}

impl Server {
    /// The address the server listens on (with the port chosen, if 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits until every accept loop ends: never, unless one fails to start (its error is
    /// returned) or the server is stopped.
    pub async fn wait(self) -> io::Result<()> {
        for accept_loop in self.loops {
            match accept_loop.await {
                Ok(result) => drop(result?),
                Err(e) if e.is_cancelled() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The signal this server's connection handlers learn of its graceful shutdown by:
    /// raised when [`shutdown`](Self::shutdown) is first polled (not by [`stop`](Self::stop),
    /// which leaves the connections alone). In a handler, [`ShutdownSignal::current`] gives the
    /// same signal.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let server = runtime::net::serve("127.0.0.1:0", |_stream, _peer| async {})?;
    /// let signal = server.shutdown_signal();
    /// assert!(!signal.is_started());
    /// server.shutdown(Duration::from_secs(1)).await;
    /// assert!(signal.is_started());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_signal(&self) -> ShutdownSignal {
        self.stop.signal.clone()
    }

    /// Stops accepting at once: every listener closes, and the connections still in their
    /// accept queues are reset. Connections being served go on. [`shutdown`](Self::shutdown)
    /// stops without losing a connection.
    pub fn stop(&self) {
        for accept_loop in &self.loops {
            accept_loop.abort();
        }
    }

    /// Shuts the server down gracefully: stops accepting without resetting any connection
    /// whose handshake completed, lets the connections being served finish for up to `grace`,
    /// then aborts those still running. Tells how many finished and how many were aborted.
    ///
    /// Closing a `SO_REUSEPORT` listener resets the connections in its accept queue, so the
    /// listeners close in an order that loses none:
    ///
    /// 1. A BPF program attached to the listeners' group makes the kernel refuse new
    ///    connections (eBPF: needs `CAP_BPF` or `CAP_SYS_ADMIN`), or else (classic BPF, allowed
    ///    to anyone) send them all to the first listener.
    /// 2. For a moment (250 ms, or `grace` if shorter) the listeners keep accepting the
    ///    connections queued and the handshakes already under way, which are served like any
    ///    other.
    /// 3. Each listener is drained until the kernel says its queue is empty and closed at once;
    ///    the one new connections were steered to, if any, closes last.
    ///
    /// With eBPF no connection is lost; with classic BPF, a connection whose handshake
    /// completes on the last listener between its final accept and its close (a window of one
    /// system call) is reset. [`ShutdownReport::drain`] tells which happened ([`Drain`]).
    /// Clients that connect after step 1 are refused (eBPF) or, until the last listener
    /// closes, served.
    ///
    /// The program stays attached to the port's `SO_REUSEPORT` group for as long as the group
    /// exists, and the group includes every socket of the same user bound to the port with
    /// `SO_REUSEPORT`: a new instance of the server that binds the port before this one has
    /// closed its listeners joins the group and is refused, or starved, with it. Start the new
    /// instance after the old one's `shutdown` has returned (or use another port).
    ///
    /// Connections are counted from the moment `shutdown` is first polled (when it stops the
    /// accept loops): those that had finished before are not in the report. Dropping the
    /// future before it completes closes the listeners it has taken over at once, as
    /// [`stop`](Self::stop) does, and leaves the connections running.
    ///
    /// ```
    /// use std::time::Duration;
    /// use runtime::net::TcpStream;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let server = runtime::net::serve("127.0.0.1:0", |mut stream, _peer| async move {
    ///     let mut buf = [0; 64];
    ///     while let Ok(n @ 1..) = stream.read(&mut buf).await {
    ///         let _ = stream.write_all(&buf[..n]).await;
    ///     }
    /// })?;
    /// let mut client = TcpStream::connect(server.local_addr()).await?;
    /// let mut reply = [0; 4];
    /// client.write_all(b"ping").await?;
    /// client.read_exact(&mut reply).await?;
    ///
    /// // `join!` polls the shutdown first: the accept loops stop, and the connection goes on
    /// // being served until the client closes it (when the second future ends).
    /// let (report, served) = runtime::join!(server.shutdown(Duration::from_secs(10)), async {
    ///     let mut client = client;
    ///     client.write_all(b"pong").await?;
    ///     client.read_exact(&mut reply).await
    /// });
    /// served?;
    /// assert_eq!(&reply, b"pong");
    /// assert_eq!((report.finished, report.aborted), (1, 0));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(self, grace: Duration) -> impl Future<Output = ShutdownReport> + Send {
        shutdown::shutdown(self.loops, self.stop, self.spawn, grace)
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

//! Sharded listeners: one `SO_REUSEPORT` socket per loop, each accepting on its own loop.
//!
//! The kernel hashes each incoming connection to one of the sockets, so connections spread over
//! the loops with no shared accept queue and no lock; a connection is handled on the loop that
//! accepted it (and may be stolen by an idle one).
//!
//! Closing a `SO_REUSEPORT` socket resets the connections still queued on it: [`Server::stop`]
//! stops the accept loops, and such connections are lost.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use net::{ListenOptions, TcpListener, TcpStream};

use crate::scheduler::context;
use crate::{task, JoinHandle};

/// Serves `addr` on every worker: binds one `SO_REUSEPORT` listener per worker, accepts on
/// each worker's own loop, and spawns `handler(stream, peer)` for each connection on the loop
/// that accepted it.
///
/// Accept errors are handled as a server must: a connection that failed before it was
/// accepted is skipped; running out of file descriptors (or any other error) pauses that loop's
/// accepting for 100 ms, then retries (the connection stays queued meanwhile).
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
    let (shared, _) = context::current("`runtime::net::serve`");
    let options = ListenOptions::new().reuse_port(true);
    // The first bind fixes the port (for port 0), the others share it.
    let first = options.bind_std(addr)?;
    let local_addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..shared.workers.len() {
        listeners.push(options.bind_std(local_addr)?);
    }
    let listeners: Arc<Vec<parking_lot::Mutex<Option<std::net::TcpListener>>>> = Arc::new(
        listeners
            .into_iter()
            .map(|l| parking_lot::Mutex::new(Some(l)))
            .collect(),
    );
    let handler = Arc::new(handler);
    let loops = task::on_each_worker(&shared, move || {
        let worker = context::worker_index().expect("`on_each_worker` runs on a worker");
        let listener = listeners[worker].lock().take();
        let handler = handler.clone();
        async move {
            let listener = listener.expect("each worker takes its own listener once");
            accept_loop(TcpListener::from_std(listener)?, handler).await
        }
    });
    Ok(Server { local_addr, loops })
}

async fn accept_loop<H, Fut>(listener: TcpListener, handler: Arc<H>) -> io::Result<()>
where
    H: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Whether the last accept failed: one warning per episode of back-off, not per retry.
    let mut backing_off = false;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backing_off = false;
                context::count_accepted();
                drop(crate::spawn(handler(stream, peer)));
            }
            Err(e) if is_connection_error(&e) => {
                tracing::debug!(error = %e, "a connection failed before it was accepted");
            }
            Err(e) => {
                if !std::mem::replace(&mut backing_off, true) {
                    let worker = context::worker_index();
                    tracing::warn!(error = %e, ?worker, "accept failed; retrying every 100 ms");
                }
                crate::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Errors of one connection, not of the listener: the next accept may succeed at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A running sharded server, from [`serve`].
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    loops: Vec<JoinHandle<io::Result<()>>>,
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
                Ok(result) => result?,
                Err(e) if e.is_cancelled() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Stops accepting: every listener closes. Connections being served go on.
    pub fn stop(&self) {
        for accept_loop in &self.loops {
            accept_loop.abort();
        }
    }
}

//! [`serve`]: any `tower::Service` (an axum `Router`, tonic's routes) over HTTP/1.1 and
//! HTTP/2 on the sharded listeners, draining gracefully.
//!
//! Each connection is served by hyper-util's automatic builder, which reads the first bytes
//! to tell an HTTP/2 preface from an HTTP/1 request, with this runtime's [`Executor`] and
//! [`Timer`]. It runs as a handler of [`net::serve_with`](crate::net::serve_with), so it stays
//! on the loop that accepted it, and it watches its server's [`ShutdownSignal`]: once
//! [`Server::shutdown`] starts, hyper closes the connection as soon as no request is in flight
//! on it (an idle keep-alive connection at once) and sends HTTP/2 clients `GOAWAY`, letting
//! the streams already open finish.

use std::error::Error as StdError;
use std::io;
use std::net::ToSocketAddrs;
use std::pin::pin;
use std::sync::Arc;

use ::hyper::body::{Body, Incoming};
use ::hyper::{Request, Response};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;

use super::graceful::drain;
use super::{Executor, Io, Timer};
use crate::net::{ServeOptions, Server, ShutdownSignal, TcpStream};

type BoxError = Box<dyn StdError + Send + Sync>;

/// A `tower::Service` that [`serve`] can serve: of requests with hyper's body, answered with
/// responses whose body hyper can send, cloned for each connection and sent between loops.
/// Implemented for every such service: an axum `Router`, tonic's `Routes`, a
/// `tower::service_fn` of an `async` closure.
pub trait HttpService:
    tower_service::Service<
        Request<Incoming>,
        Response = Response<Self::ResBody>,
        Error: Into<BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The body of the responses.
    type ResBody: Body<Data: Send, Error: Into<BoxError>> + Send + 'static;
}

impl<S, B> HttpService for S
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data: Send, Error: Into<BoxError>> + Send + 'static,
{
    type ResBody = B;
}

/// Serves `service` over HTTP/1.1 and HTTP/2 (told apart by the client's first bytes; HTTP/2
/// without TLS is "prior knowledge") on `addr`, on every worker: the same as [`serve_with`]
/// with the default [`ServeOptions`].
///
/// `service` is any `tower::Service` of requests, an axum `Router` for one; each connection
/// gets a clone of it. Connections that send nothing for 30 seconds after connecting or
/// between requests are closed (hyper's header read timeout), and HTTP/1 upgrades (WebSocket)
/// are served. [`Server::shutdown`] drains: each connection closes as soon as no request is
/// in flight on it and HTTP/2 clients get `GOAWAY`, so a shutdown waits only for the requests
/// being answered.
///
/// ```no_run
/// use std::convert::Infallible;
/// use std::time::Duration;
///
/// use hyper::{body::Incoming, Request, Response};
///
/// #[runtime::main]
/// async fn main() -> std::io::Result<()> {
///     // A `tower::Service` of requests (in an application, an axum `Router`).
///     let hello = tower::service_fn(|_: Request<Incoming>| async {
///         Ok::<_, Infallible>(Response::new(String::from("Hello, World!")))
///     });
///     let server = runtime::hyper::serve("127.0.0.1:3000", hello)?;
///     runtime::signal::ctrl_c().await?;
///     server.shutdown(Duration::from_secs(10)).await;
///     Ok(())
/// }
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn serve<S: HttpService>(addr: impl ToSocketAddrs, service: S) -> io::Result<Server> {
    serve_with(addr, ServeOptions::new(), service)
}

/// [`serve`], with options (a cap on connections).
///
/// ```no_run
/// use std::convert::Infallible;
///
/// use hyper::{body::Incoming, Request, Response};
/// use runtime::net::ServeOptions;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let hello = tower::service_fn(|_: Request<Incoming>| async {
///     Ok::<_, Infallible>(Response::new(String::new()))
/// });
/// let options = ServeOptions::new().max_connections(10_000);
/// let server = runtime::hyper::serve_with("127.0.0.1:3000", options, hello)?;
/// server.wait().await
/// # })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime.
pub fn serve_with<S: HttpService>(
    addr: impl ToSocketAddrs,
    options: ServeOptions,
    service: S,
) -> io::Result<Server> {
    let builders = Arc::new(Builders::new());
    crate::net::serve_with(addr, options, move |stream, _peer| {
        let (builders, service) = (builders.clone(), service.clone());
        async move { serve_connection(&builders, stream, service).await }
    })
}

/// How a server's connections are served: while it runs, and once its shutdown started.
struct Builders {
    running: auto::Builder<Executor>,
    /// For the connections a shutdown accepts from the listeners' queues: their clients have
    /// sent, or are sending, a request, which a drain would drop unread (hyper ends a
    /// connection that has not sent its first bytes at once), so they are not drained; an
    /// HTTP/1 one serves one request instead, and an HTTP/2 one runs until its client ends
    /// it or the grace runs out.
    draining: auto::Builder<Executor>,
}

impl Builders {
    fn new() -> Builders {
        let mut running = auto::Builder::new(Executor);
        running.http1().timer(Timer);
        running.http2().timer(Timer);
        let mut draining = running.clone();
        draining.http1().keep_alive(false);
        Builders { running, draining }
    }
}

/// Serves one connection until it ends, or, once its server's shutdown starts, until the
/// requests in flight on it are answered.
async fn serve_connection<S: HttpService>(builders: &Builders, stream: TcpStream, service: S) {
    let signal = ShutdownSignal::current().expect("a handler of `net::serve_with`");
    let late = signal.is_started();
    let builder = if late {
        &builders.draining
    } else {
        &builders.running
    };
    let connection =
        pin!(builder
            .serve_connection_with_upgrades(Io::new(stream), TowerToHyperService::new(service)));
    // An error ends this connection only: the peer left, timed out or broke the protocol.
    let _ = drain(connection, &signal, late, |connection| {
        connection.graceful_shutdown()
    })
    .await;
}

//! [`graceful`]: a hyper connection that drains when its server shuts down.
//!
//! Once the server's [`ShutdownSignal`] is raised, hyper is told to shut the connection down
//! gracefully: an HTTP/1 connection closes as soon as no request is in flight on it (at once
//! if it is idle between requests), an HTTP/2 one sends `GOAWAY` and finishes the streams
//! already open. The connection then ends on its own, well before the server's grace period
//! does.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};

use hyper_util::server::graceful::GracefulConnection;

use crate::net::ShutdownSignal;

/// Serves `connection` (hyper's `http1::Connection` or `http2::Connection`, or hyper-util's
/// automatic one) until it ends, shutting it down gracefully once the server whose handler
/// runs this starts shutting down (see [`ShutdownSignal::current`]). Outside a server's
/// handler it just serves the connection.
///
/// [`serve`](super::serve) does this for a `tower::Service`; use `graceful` in a handler of
/// [`net::serve`](crate::net::serve) that builds its own hyper connections, over TLS say.
/// For hyper-util's automatic connection, prefer `serve`: hyper-util closes such a connection
/// that has not sent its first bytes when told to shut down, so a request queued when the
/// shutdown started would be dropped unread, which `serve` avoids.
///
/// ```no_run
/// use std::convert::Infallible;
///
/// use hyper::server::conn::http1;
/// use hyper::service::service_fn;
/// use hyper::{body::Incoming, Request, Response};
/// use runtime::hyper::{graceful, Io, Timer};
///
/// # runtime::Runtime::new()?.block_on(async {
/// let server = runtime::net::serve("127.0.0.1:3000", |stream, _peer| async move {
///     let hello = service_fn(|_: Request<Incoming>| async {
///         Ok::<_, Infallible>(Response::new(String::from("Hello, World!")))
///     });
///     let connection = http1::Builder::new()
///         .timer(Timer)
///         .serve_connection(Io::new(stream), hello);
///     // An error ends this connection only: the peer left or broke the protocol.
///     let _ = graceful(connection).await;
/// })?;
/// // Idle keep-alive connections close at once; requests in flight are answered.
/// server.shutdown(std::time::Duration::from_secs(10)).await;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn graceful<C: GracefulConnection>(connection: C) -> Result<(), C::Error> {
    let connection = pin!(connection);
    match ShutdownSignal::current() {
        Some(signal) => drain(connection, &signal, false, C::graceful_shutdown).await,
        None => connection.await,
    }
}

/// Polls `connection` to its end, calling `shut_down` on it once `signal` is raised, unless
/// `draining` says the caller wants it left alone.
pub(super) async fn drain<C: Future>(
    mut connection: Pin<&mut C>,
    signal: &ShutdownSignal,
    mut draining: bool,
    shut_down: impl Fn(Pin<&mut C>),
) -> C::Output {
    let mut started = pin!(signal.started());
    poll_fn(|cx| {
        if !draining && started.as_mut().poll(cx).is_ready() {
            draining = true;
            shut_down(connection.as_mut());
        }
        connection.as_mut().poll(cx)
    })
    .await
}

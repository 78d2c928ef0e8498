//! Serving one hyper connection, as the HTTP examples that build their own connections do.

use std::error::Error;
use std::future::Future;
use std::time::Duration;

use futures_util::{AsyncRead, AsyncWrite};
use hyper::body::{Body, Incoming};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};
use runtime::hyper::{graceful, Executor, Io, Timer};

/// How long a client may take to send a request head, from the first poll for it (on a
/// keep-alive connection: from the end of the previous response).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `stream` with `handler`, over HTTP/2 if `h2` or else HTTP/1.1, until it ends; once
/// the server shuts down, it drains (see `runtime::hyper::graceful`). An error ends this
/// connection only: the peer left, timed out or broke the protocol.
pub async fn serve_connection<T, F, Fut, B, E>(stream: T, h2: bool, handler: F)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn(Request<Incoming>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Response<B>, E>> + Send + 'static,
    E: Into<Box<dyn Error + Send + Sync>>,
    B: Body<Data: Send, Error: Into<Box<dyn Error + Send + Sync>>> + Send + 'static,
{
    let (io, service) = (Io::new(stream), service_fn(handler));
    let _ = if h2 {
        let connection = http2::Builder::new(Executor)
            .timer(Timer)
            .serve_connection(io, service);
        graceful(connection).await
    } else {
        let connection = http1::Builder::new()
            .timer(Timer)
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(io, service);
        graceful(connection).await
    };
}

//! What hyper 1.x needs from a runtime, for serving (and calling) HTTP/1 and HTTP/2 on this
//! one: enabled by the `hyper` feature.
//!
//! hyper brings the protocols and leaves three things to the runtime, each a small type here:
//!
//! - [`Executor`]: where hyper spawns its background work (HTTP/2 streams and connection tasks),
//!   on [`spawn`](crate::spawn);
//! - [`Timer`]: its timeouts (a header read timeout, HTTP/2 keep-alive pings), on
//!   [`time::sleep`](crate::time::sleep), each on the wheel of the loop that polls it;
//! - [`Io`]: its I/O traits, `hyper::rt::Read` and `Write`, over a [`TcpStream`](crate::net::TcpStream).
//!
//! A connection served on [`net::serve`](crate::net::serve) stays on the loop that accepted
//! it, like any other handler:
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use runtime::hyper::{Io, Timer};
//!
//! #[runtime::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = runtime::net::serve("127.0.0.1:3000", |stream, _peer| async move {
//!         let hello = service_fn(|_: Request<hyper::body::Incoming>| async {
//!             Ok::<_, Infallible>(Response::new(String::from("Hello, World!")))
//!         });
//!         // An error ends this connection only: the peer left or broke the protocol.
//!         let _ = http1::Builder::new()
//!             .timer(Timer)
//!             .header_read_timeout(Duration::from_secs(10))
//!             .serve_connection(Io::new(stream), hello)
//!             .await;
//!     })?;
//!     server.wait().await
//! }
//! ```

mod executor;
mod graceful;
mod io;
mod serve;
mod timer;

pub use executor::Executor;
pub use graceful::graceful;
pub use io::Io;
pub use serve::{serve, serve_with, HttpService};
pub use timer::Timer;

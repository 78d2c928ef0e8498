//! `runtime::hyper::serve`: a `tower::Service` (an axum `Router`) over HTTP/1.1 and HTTP/2 on
//! the sharded listeners, and its graceful drain: an idle keep-alive connection closes as
//! soon as the shutdown starts, a request in flight is answered, an HTTP/2 client gets
//! `GOAWAY` (its open stream is answered, a new one refused), and a handler learns of the
//! shutdown through `ShutdownSignal::current`.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use futures_util::AsyncReadExt;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{header, Request, Response, StatusCode};
use runtime::net::{ServeOptions, ShutdownReport, ShutdownSignal, TcpStream};
use support::http::{http1_client, http2_client};
use support::{bounded, Notify};

const LIMIT: Duration = Duration::from_secs(30);
/// Longer than any test's bound: a shutdown that waited it out would fail the test.
const GRACE: Duration = Duration::from_secs(3_600);

/// A router whose `/wait` answers once `release` is notified, after telling `entered`; `/`
/// answers at once, and `/signal` tells whether the handler sees its server's signal.
fn router(entered: Arc<Notify>, release: Arc<Notify>) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/wait",
            get(move || async move {
                entered.notify();
                release.wait().await;
                "released"
            }),
        )
        .route(
            "/signal",
            get(|| async {
                match ShutdownSignal::current() {
                    Some(signal) if !signal.is_started() => "running",
                    Some(_) => "started",
                    None => "none",
                }
            }),
        )
}

async fn body(response: Response<Incoming>) -> (StatusCode, String) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn get_request(addr: SocketAddr, path: &str) -> Request<Empty<Bytes>> {
    Request::get(format!("http://{addr}{path}"))
        .header(header::HOST, addr.to_string())
        .body(Empty::new())
        .unwrap()
}

rt_test! {
    async fn a_router_answers_over_http1_and_http2_and_its_handlers_see_the_signal() {
        bounded(LIMIT, async {
            let idle = Arc::new(Notify::default());
            let server = runtime::hyper::serve("127.0.0.1:0", router(idle.clone(), idle)).unwrap();
            let addr = server.local_addr();

            let (mut sender, _connection) = http1_client(addr).await;
            for path in ["/", "/signal"] {
                sender.ready().await.unwrap();
                let answer = body(sender.send_request(get_request(addr, path)).await.unwrap()).await;
                let expected = if path == "/" { "hello" } else { "running" };
                assert_eq!(answer, (StatusCode::OK, expected.to_owned()));
            }
            // HTTP/2 streams are answered in tasks of their own, which carry the signal too.
            let (mut sender, _connection) = http2_client(addr).await;
            sender.ready().await.unwrap();
            let answer = body(sender.send_request(get_request(addr, "/signal")).await.unwrap()).await;
            assert_eq!(answer, (StatusCode::OK, "running".to_owned()));
            server.stop();
        })
        .await;
    }
}

rt_test! {
    async fn shutdown_closes_an_idle_keep_alive_connection_at_once() {
        bounded(LIMIT, async {
            let idle = Arc::new(Notify::default());
            let server = runtime::hyper::serve("127.0.0.1:0", router(idle.clone(), idle)).unwrap();
            let addr = server.local_addr();
            let (mut sender, connection) = http1_client(addr).await;
            sender.ready().await.unwrap();
            let answer = body(sender.send_request(get_request(addr, "/")).await.unwrap()).await;
            assert_eq!(answer.0, StatusCode::OK);

            // Kept alive and idle: the shutdown closes it rather than wait out the grace.
            let report = server.shutdown(GRACE).await;
            assert_eq!((report.finished, report.aborted), (1, 0));
            connection.await.unwrap().unwrap();
            drop(sender);
        })
        .await;
    }
}

/// A server of [`router`], for a `/wait` request to be in flight on it.
struct Waiting {
    server: runtime::net::Server,
    addr: SocketAddr,
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

impl Waiting {
    fn serve(options: ServeOptions) -> Waiting {
        let (entered, release) = (Arc::new(Notify::default()), Arc::new(Notify::default()));
        let app = router(entered.clone(), release.clone());
        let server = runtime::hyper::serve_with("127.0.0.1:0", options, app).unwrap();
        let addr = server.local_addr();
        Waiting {
            server,
            addr,
            entered,
            release,
        }
    }

    /// Once the `/wait` request is being handled, starts the server's shutdown and waits
    /// until its handlers are told; the shutdown's task, and what answers the request.
    async fn shut_down(self) -> (runtime::JoinHandle<ShutdownReport>, Arc<Notify>) {
        self.entered.wait().await;
        self.shut_down_now().await
    }

    async fn shut_down_now(self) -> (runtime::JoinHandle<ShutdownReport>, Arc<Notify>) {
        let signal = self.server.shutdown_signal();
        let shutdown = runtime::spawn(self.server.shutdown(GRACE));
        signal.started().await;
        (shutdown, self.release)
    }
}

/// Answers the `/wait` request `in_flight`, which must then come back, its `connection` close
/// from the server's side, and the shutdown report it finished, aborting nothing.
async fn answered_then_closed(
    release: Arc<Notify>,
    in_flight: runtime::JoinHandle<hyper::Result<Response<Incoming>>>,
    connection: runtime::JoinHandle<hyper::Result<()>>,
    shutdown: runtime::JoinHandle<ShutdownReport>,
) {
    release.notify();
    let answer = body(in_flight.await.unwrap().unwrap()).await;
    assert_eq!(answer, (StatusCode::OK, "released".to_owned()));
    connection.await.unwrap().unwrap();
    let report = shutdown.await.unwrap();
    assert_eq!((report.finished, report.aborted), (1, 0));
}

rt_test! {
    async fn shutdown_answers_the_http1_request_in_flight_then_closes() {
        bounded(LIMIT, async {
            let waiting = Waiting::serve(ServeOptions::new());
            let addr = waiting.addr;
            let (mut sender, connection) = http1_client(addr).await;
            sender.ready().await.unwrap();
            let in_flight = runtime::spawn(sender.send_request(get_request(addr, "/wait")));
            let (shutdown, release) = waiting.shut_down().await;
            answered_then_closed(release, in_flight, connection, shutdown).await;
        })
        .await;
    }
}

rt_test! {
    async fn shutdown_sends_http2_goaway_and_answers_the_open_stream() {
        bounded(LIMIT, async {
            let waiting = Waiting::serve(ServeOptions::new());
            let addr = waiting.addr;
            let (mut sender, connection) = http2_client(addr).await;
            sender.ready().await.unwrap();
            let open = runtime::spawn(sender.send_request(get_request(addr, "/wait")));
            let (shutdown, release) = waiting.shut_down().await;
            // Once the client has read the GOAWAY, a new stream is refused; until then hyper
            // may still take one, which the server then refuses, so retry until one fails.
            loop {
                if sender.ready().await.is_err() {
                    break;
                }
                match sender.send_request(get_request(addr, "/")).await {
                    Err(_) => break,
                    Ok(response) => assert_eq!(response.status(), StatusCode::OK),
                }
                runtime::time::sleep(Duration::from_millis(1)).await;
            }
            answered_then_closed(release, open, connection, shutdown).await;
        })
        .await;
    }
}

rt_test! {
    async fn a_request_queued_when_the_shutdown_starts_is_answered() {
        bounded(LIMIT, async {
            // One connection at a time: the second waits in the kernel's accept queue.
            let waiting = Waiting::serve(ServeOptions::new().max_connections(1));
            let addr = waiting.addr;
            let (mut sender, _connection) = http1_client(addr).await;
            sender.ready().await.unwrap();
            let in_flight = runtime::spawn(sender.send_request(get_request(addr, "/wait")));
            // Accepted and served: the cap is reached.
            waiting.entered.wait().await;
            let mut queued = TcpStream::connect(addr).await.unwrap();
            queued
                .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
                .await
                .unwrap();

            // The shutdown accepts it past the cap and answers its request, then closes it.
            let (shutdown, release) = waiting.shut_down_now().await;
            let mut answer = Vec::new();
            queued.read_to_end(&mut answer).await.unwrap();
            let answer = String::from_utf8(answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
            assert!(answer.ends_with("hello"), "{answer}");
            release.notify();
            assert_eq!(in_flight.await.unwrap().unwrap().status(), StatusCode::OK);
            let report = shutdown.await.unwrap();
            assert_eq!((report.finished, report.aborted), (2, 0));
        })
        .await;
    }
}

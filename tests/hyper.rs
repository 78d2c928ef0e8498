//! hyper 1.x on the runtime (`runtime::hyper`): the `hyper_hello` example, run as a process,
//! answers hyper's own HTTP/1.1 and HTTP/2 clients (which run on this runtime too, through
//! `runtime::hyper::Io` over our sockets) and curl; and hyper's header read timeout, on
//! `runtime::hyper::Timer`, closes a connection that stalls in its request head.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1 as client1;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Request, Response, StatusCode};
use runtime::hyper::{Io, Timer};
use runtime::net::TcpStream;
use support::http::{curl, http1_client, http2_client};
use support::{bounded, rt, ExampleServer, Notify};

const LIMIT: Duration = Duration::from_secs(60);
const HELLO: &str = "Hello, World!";

/// Checks that `response` is the example's answer.
async fn assert_hello(response: Response<Incoming>) {
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, HELLO);
}

async fn http1_get(sender: &mut client1::SendRequest<Empty<Bytes>>, addr: SocketAddr, path: &str) {
    sender.ready().await.unwrap();
    let request = Request::get(path)
        .header(header::HOST, addr.to_string())
        .body(Empty::new())
        .unwrap();
    assert_hello(sender.send_request(request).await.unwrap()).await;
}

#[test]
fn http1_client_gets_hello_for_sequential_and_concurrent_requests() {
    let server = ExampleServer::start("hyper_hello", &[]);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        // One keep-alive connection, one request after another.
        let (mut sender, connection) = http1_client::<Empty<Bytes>>(addr).await;
        for i in 0..20 {
            http1_get(&mut sender, addr, &format!("/sequential/{i}")).await;
        }
        // Without a sender the connection closes cleanly.
        drop(sender);
        connection.await.unwrap().unwrap();

        // Many connections at once, spread over both loops of each side.
        let clients: Vec<_> = (0..32)
            .map(|c| {
                runtime::spawn(async move {
                    let (mut sender, connection) = http1_client::<Empty<Bytes>>(addr).await;
                    for i in 0..5 {
                        http1_get(&mut sender, addr, &format!("/concurrent/{c}/{i}")).await;
                    }
                    drop(sender);
                    connection.await.unwrap().unwrap();
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
    }));
}

#[test]
fn http2_client_gets_hello_for_requests_multiplexed_on_one_connection() {
    let server = ExampleServer::start("hyper_hello", &["--h2"]);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        let (sender, connection) = http2_client::<Empty<Bytes>>(addr).await;
        let requests: Vec<_> = (0..64)
            .map(|i| {
                let mut sender = sender.clone();
                runtime::spawn(async move {
                    sender.ready().await.unwrap();
                    let request = Request::get(format!("http://{addr}/stream/{i}"))
                        .body(Empty::<Bytes>::new())
                        .unwrap();
                    assert_hello(sender.send_request(request).await.unwrap()).await;
                })
            })
            .collect();
        for request in requests {
            request.await.unwrap();
        }
        drop(sender);
        connection.await.unwrap().unwrap();
    }));
}

#[test]
fn header_read_timeout_closes_a_connection_stalled_in_its_request_head() {
    rt(2).block_on(bounded(LIMIT, async {
        let timed_out = Arc::new(Notify::default());
        let server = runtime::net::serve("127.0.0.1:0", {
            let timed_out = timed_out.clone();
            move |stream, _| {
                let timed_out = timed_out.clone();
                async move {
                    let unanswered = service_fn(|_: Request<Incoming>| async {
                        Ok::<_, Infallible>(Response::new(String::new()))
                    });
                    let served = http1::Builder::new()
                        .timer(Timer)
                        .header_read_timeout(Duration::from_millis(100))
                        .serve_connection(Io::new(stream), unanswered)
                        .await;
                    if served.is_err_and(|e| e.is_timeout()) {
                        timed_out.notify();
                    }
                }
            }
        })
        .unwrap();

        let mut stalled = TcpStream::connect(server.local_addr()).await.unwrap();
        // A request head without its closing blank line, and then nothing.
        stalled
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        let mut buf = [0; 256];
        let n = stalled.read(&mut buf).await.unwrap();
        assert_eq!(
            n,
            0,
            "closed without an answer, got {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        timed_out.wait().await;
        server.stop();
    }));
}

#[test]
fn curl_gets_hello_over_http1_and_http2() {
    let Ok(version) = Command::new("curl").arg("--version").output() else {
        eprintln!("note: curl is not installed; skipping the curl test");
        return;
    };
    let h1 = ExampleServer::start("hyper_hello", &[]);
    assert_eq!(curl(&[], &format!("http://{}/", h1.addr)), HELLO);
    if String::from_utf8_lossy(&version.stdout).contains("HTTP2") {
        let h2 = ExampleServer::start("hyper_hello", &["--h2"]);
        let url = format!("http://{}/", h2.addr);
        assert_eq!(curl(&["--http2-prior-knowledge"], &url), HELLO);
    } else {
        eprintln!("note: this curl has no HTTP/2; skipping its HTTP/2 request");
    }
}

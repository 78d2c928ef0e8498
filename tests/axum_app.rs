//! The `axum_app` example, run as a process: its JSON API answers hyper's HTTP/1.1 and
//! HTTP/2 clients (on this runtime) and curl, compresses when asked, answers 404 where it
//! should, and drains on SIGTERM: the request in flight is answered and nothing is aborted.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1 as client1;
use hyper::{header, Method, Request, Response, StatusCode};
use support::http::{curl, http1_client, http2_client};
use support::{bounded, rt, ExampleServer};

const LIMIT: Duration = Duration::from_secs(60);

type Sender = client1::SendRequest<Full<Bytes>>;

async fn http1(addr: SocketAddr) -> Sender {
    http1_client(addr).await.0
}

fn request(
    method: Method,
    addr: SocketAddr,
    path: &str,
    json: Option<&str>,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header(header::HOST, addr.to_string());
    if json.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = Full::new(Bytes::from(json.unwrap_or_default().to_owned()));
    request.body(body).unwrap()
}

async fn text(response: Response<Incoming>) -> (StatusCode, String) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn call(sender: &mut Sender, request: Request<Full<Bytes>>) -> (StatusCode, String) {
    sender.ready().await.unwrap();
    text(sender.send_request(request).await.unwrap()).await
}

#[test]
fn the_json_api_answers_over_http1_and_http2() {
    let server = ExampleServer::start("axum_app", &[]);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        let mut sender = http1(addr).await;
        let get = |path: &str| request(Method::GET, addr, path, None);
        let ok = |body: &str| (StatusCode::OK, body.to_owned());
        assert_eq!(call(&mut sender, get("/")).await, ok("axum on runtime"));
        let created = request(Method::POST, addr, "/notes", Some(r#"{"text":"buy milk"}"#));
        assert_eq!(
            call(&mut sender, created).await,
            (
                StatusCode::CREATED,
                r#"{"id":1,"text":"buy milk"}"#.to_owned()
            )
        );
        let another = request(
            Method::POST,
            addr,
            "/notes",
            Some(r#"{"text":"call home"}"#),
        );
        assert_eq!(call(&mut sender, another).await.0, StatusCode::CREATED);
        assert_eq!(
            call(&mut sender, get("/notes/1")).await,
            ok(r#"{"id":1,"text":"buy milk"}"#)
        );
        assert_eq!(
            call(&mut sender, get("/notes?contains=home")).await,
            ok(r#"[{"id":2,"text":"call home"}]"#)
        );
        assert_eq!(
            call(&mut sender, get("/notes?limit=1"))
                .await
                .1
                .matches("\"id\"")
                .count(),
            1
        );
        assert_eq!(
            call(&mut sender, get("/notes/7")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(&mut sender, get("/no/such/route")).await.0,
            StatusCode::NOT_FOUND
        );
        let bad = request(Method::POST, addr, "/notes", Some("{not json"));
        assert!(call(&mut sender, bad).await.0.is_client_error());

        // Compressed when the client accepts it.
        let mut gzip = get("/notes");
        gzip.headers_mut()
            .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
        sender.ready().await.unwrap();
        let response = sender.send_request(gzip).await.unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");

        // HTTP/2 with prior knowledge, on the same port.
        let (mut h2, _connection) = http2_client(addr).await;
        h2.ready().await.unwrap();
        let response = h2.send_request(get("/notes/2")).await.unwrap();
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        assert_eq!(text(response).await, ok(r#"{"id":2,"text":"call home"}"#));
    }));
}

#[test]
fn curl_posts_and_gets_over_http1_and_http2() {
    let server = ExampleServer::start("axum_app", &[]);
    let url = format!("http://{}/notes", server.addr);
    let json = [
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"text":"from curl"}"#,
    ];
    assert_eq!(curl(&json, &url), r#"{"id":1,"text":"from curl"}"#);
    assert_eq!(
        curl(&["--http1.1"], &format!("{url}/1")),
        r#"{"id":1,"text":"from curl"}"#
    );
    let h2 = curl(
        &["--http2-prior-knowledge", "-w", " %{http_version}"],
        &format!("{url}/1"),
    );
    assert_eq!(h2, r#"{"id":1,"text":"from curl"} 2"#);
    let compressed = curl(&["--compressed", "-w", " %{http_code}"], &url);
    assert_eq!(compressed, r#"[{"id":1,"text":"from curl"}] 200"#);
}

#[test]
fn sigterm_drains_answering_the_request_in_flight() {
    let mut server = ExampleServer::start("axum_app", &[]);
    let addr = server.addr;
    let runtime = rt(1);
    let (mut sender, mut idle) = runtime.block_on(bounded(LIMIT, async move {
        (http1(addr).await, http1(addr).await)
    }));
    let answer = runtime.block_on(bounded(LIMIT, async {
        // Idle once answered: the drain closes it at once.
        assert_eq!(
            call(&mut idle, request(Method::GET, addr, "/", None))
                .await
                .0,
            StatusCode::OK
        );
        sender.ready().await.unwrap();
        let slow = sender.send_request(request(Method::GET, addr, "/slow?ms=300", None));
        let (answer, ()) = runtime::join!(slow, async {
            runtime::time::sleep(Duration::from_millis(50)).await;
            server.signal(libc::SIGTERM);
        });
        text(answer.unwrap()).await
    }));
    assert_eq!(answer, (StatusCode::OK, "slept 300 ms".to_owned()));
    let (status, stderr) = server.wait_exit(LIMIT);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(
        stderr.contains("2 connections finished, 0 aborted"),
        "{stderr}"
    );
}

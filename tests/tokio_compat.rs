//! tokio compatibility (`tokio-compat`, on by default with the feature): crates that call
//! tokio's runtime themselves work from this runtime's tasks, on every worker: tokio's timers,
//! `tokio::spawn`, `tokio::net`, reqwest against the runtime's own HTTP server, and tonic's
//! gRPC client against a tonic service served natively by `runtime::hyper::serve`. Off, they
//! fail as they do without tokio.

mod support;

use std::future::pending;
use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use support::bounded;

// `support::rt` leaves tokio compatibility on, as it is by default with the feature.

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `make(worker)` on every worker of a compat runtime, bounded, and waits for all.
fn on_each_worker<F, Fut>(make: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let runtime = support::rt(2);
    let tasks = runtime.on_each_worker(move |worker| bounded(LIMIT, make(worker)));
    assert_eq!(tasks.len(), 2);
    runtime.block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn tokio_timers_spawn_and_blocking_work_from_tasks_on_every_worker() {
    on_each_worker(|worker| async move {
        let start = tokio::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(start.elapsed() >= Duration::from_millis(5));
        let timed_out = tokio::time::timeout(Duration::from_millis(5), pending::<()>()).await;
        assert!(timed_out.is_err());
        let in_time = tokio::time::timeout(Duration::from_secs(10), async { worker }).await;
        assert_eq!(in_time.unwrap(), worker);
        let mut interval = tokio::time::interval(Duration::from_millis(1));
        for _ in 0..3 {
            interval.tick().await;
        }
        // Spawned on the tokio runtime's thread, awaited from this one's task.
        assert_eq!(
            tokio::spawn(async move { worker * 10 }).await.unwrap(),
            worker * 10
        );
        let blocking = tokio::task::spawn_blocking(move || worker + 1)
            .await
            .unwrap();
        assert_eq!(blocking, worker + 1);
        // The runtime's own blocking pool is in tokio's context too.
        let slept = runtime::spawn_blocking(|| {
            tokio::runtime::Handle::current().block_on(tokio::time::sleep(Duration::from_millis(1)))
        });
        slept.await.unwrap();
    });
}

#[test]
fn tokio_sockets_talk_to_the_runtimes_own() {
    on_each_worker(|_| async {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        // A tokio listener, and a client of this runtime.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = runtime::spawn(async move {
            let mut stream = runtime::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut reply = [0; 4];
            stream.read_exact(&mut reply).await.unwrap();
            reply
        });
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0; 4];
        stream.read_exact(&mut request).await.unwrap();
        assert_eq!(&request, b"ping");
        stream.write_all(b"pong").await.unwrap();
        assert_eq!(&client.await.unwrap(), b"pong");
    });
}

#[test]
fn a_thread_in_block_on_or_entered_is_in_tokios_context() {
    let runtime = support::rt(2);
    // As in tokio, the sleep is made inside `block_on`, where the context is.
    runtime.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let _guard = runtime.enter();
    assert!(tokio::runtime::Handle::try_current().is_ok());
}

#[test]
fn reqwest_gets_from_the_runtimes_own_server_on_every_worker() {
    on_each_worker(|worker| async move {
        let app = Router::new().route(
            "/hello/{name}",
            get(|path: axum::extract::Path<String>| async move { format!("hello {}", path.0) }),
        );
        let server = runtime::hyper::serve("127.0.0.1:0", app).unwrap();
        let url = format!("http://{}/hello/worker{worker}", server.local_addr());
        let client = reqwest::Client::new();
        for _ in 0..5 {
            let response = client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), reqwest::StatusCode::OK);
            assert_eq!(
                response.text().await.unwrap(),
                format!("hello worker{worker}")
            );
        }
        // From tasks spawned off this one, which may run on any worker.
        let gets: Vec<_> = (0..8)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                runtime::spawn(async move { client.get(&url).send().await?.text().await })
            })
            .collect();
        for get in gets {
            assert_eq!(get.await.unwrap().unwrap(), format!("hello worker{worker}"));
        }
        server.shutdown(Duration::from_secs(5)).await;
    });
}

/// A tonic health service, served by `runtime::hyper::serve` (HTTP/2 with prior knowledge).
fn serve_health() -> (runtime::net::Server, SocketAddr) {
    use tonic_health::server::health_reporter;
    let (_reporter, service) = health_reporter();
    let routes = tonic::service::Routes::new(service);
    let server = runtime::hyper::serve("127.0.0.1:0", routes).unwrap();
    let addr = server.local_addr();
    (server, addr)
}

#[test]
fn tonics_client_calls_a_tonic_service_served_natively() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    on_each_worker(|_| async {
        let (server, addr) = serve_health();
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = HealthClient::new(channel);
        for _ in 0..5 {
            let request = HealthCheckRequest {
                service: String::new(),
            };
            let response = client.check(request).await.unwrap().into_inner();
            assert_eq!(response.status(), ServingStatus::Serving);
        }
        let unknown = HealthCheckRequest {
            service: "no.such.Service".into(),
        };
        let status = client.check(unknown).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::NotFound);
        server.shutdown(Duration::from_secs(5)).await;
    });
}

#[test]
fn with_compat_off_tokio_calls_fail_as_without_tokio() {
    let runtime = runtime::Builder::new()
        .workers(1)
        .pin_workers(false)
        .tokio_compat(false)
        .build()
        .unwrap();
    let sleep = runtime.spawn(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let failed = runtime.block_on(sleep).unwrap_err();
    assert!(failed.is_panic());
    runtime.block_on(async {
        assert!(tokio::runtime::Handle::try_current().is_err());
    });
}

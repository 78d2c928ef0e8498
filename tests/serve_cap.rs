//! `ServeOptions::max_connections`: a server at its cap stops accepting, the connections wait
//! in the kernel's queue, and each one that ends lets the next in.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::net::{ServeOptions, TcpStream};
use support::{bounded, rt};

const CAP: usize = 4;
const CLIENTS: usize = 10;

/// What the handlers count.
#[derive(Default)]
struct Counts {
    /// Handlers that have started.
    started: AtomicUsize,
    /// Handlers running now.
    current: AtomicUsize,
    /// The most handlers seen running at once.
    max: AtomicUsize,
}

/// Waits until `count` reaches `n`.
async fn until(count: &AtomicUsize, n: usize) {
    while count.load(Ordering::SeqCst) < n {
        runtime::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_capped_server_serves_at_most_its_cap_and_the_rest_as_others_finish() {
    rt(2).block_on(bounded(Duration::from_secs(60), async {
        let counts = Arc::new(Counts::default());
        // Each token lets one handler finish.
        let (finish, finishing) = async_channel::unbounded::<()>();
        let options = ServeOptions::new().max_connections(CAP);
        let server = runtime::net::serve_with("127.0.0.1:0", options, {
            let counts = counts.clone();
            move |stream, _| {
                let (counts, finishing) = (counts.clone(), finishing.clone());
                async move {
                    counts.started.fetch_add(1, Ordering::SeqCst);
                    let now = counts.current.fetch_add(1, Ordering::SeqCst) + 1;
                    counts.max.fetch_max(now, Ordering::SeqCst);
                    finishing.recv().await.unwrap();
                    counts.current.fetch_sub(1, Ordering::SeqCst);
                    drop(stream);
                }
            }
        })
        .unwrap();
        let addr = server.local_addr();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                runtime::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    // Served and closed by the server: end of stream.
                    let mut byte = [0];
                    assert_eq!(stream.read(&mut byte).await.unwrap(), 0);
                })
            })
            .collect();

        until(&counts.started, CAP).await;
        // Time for any connection past the cap to be (wrongly) accepted.
        runtime::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(counts.started.load(Ordering::SeqCst), CAP);
        // Each finishing connection lets one more in.
        for served in CAP + 1..=CLIENTS {
            finish.send(()).await.unwrap();
            until(&counts.started, served).await;
        }
        for _ in 0..CAP {
            finish.send(()).await.unwrap();
        }
        for client in clients {
            client.await.unwrap();
        }
        assert_eq!(counts.started.load(Ordering::SeqCst), CLIENTS);
        assert_eq!(counts.max.load(Ordering::SeqCst), CAP);
        server.stop();
    }))
}

#[test]
fn a_capped_server_serves_past_its_cap_only_to_drain_at_shutdown() {
    rt(2).block_on(bounded(Duration::from_secs(60), async {
        let served = Arc::new(AtomicUsize::new(0));
        let options = ServeOptions::new().max_connections(1);
        let server = runtime::net::serve_with("127.0.0.1:0", options, {
            let served = served.clone();
            move |mut stream, _| {
                let served = served.clone();
                async move {
                    served.fetch_add(1, Ordering::SeqCst);
                    // Until the client closes.
                    let mut byte = [0];
                    let _ = stream.read(&mut byte).await;
                }
            }
        })
        .unwrap();
        let first = TcpStream::connect(server.local_addr()).await.unwrap();
        until(&served, 1).await;
        // Queued behind the cap.
        let second = TcpStream::connect(server.local_addr()).await.unwrap();
        runtime::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(served.load(Ordering::SeqCst), 1);
        // The shutdown accepts it rather than reset it.
        let shutdown = runtime::spawn(server.shutdown(Duration::from_secs(30)));
        until(&served, 2).await;
        drop((first, second));
        let report = shutdown.await.unwrap();
        assert_eq!((report.finished, report.aborted), (2, 0));
    }))
}

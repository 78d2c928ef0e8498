//! Moving connections to the loop that serves them (`Builder::rehome`): worker 0 accepts echo
//! connections and then gets stuck in a long task, so worker 1 serves them, standing in for its
//! reactor at first. With rehome on, each connection moves to worker 1's reactor once its task
//! has waited there a few times; with it off, none moves and the stand-ins go on delivering
//! their events. Either way every echo completes.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::net::{TcpListener, TcpStream};
use runtime::RuntimeMetrics;

const CONNECTIONS: usize = 8;
const ROUND_TRIPS: usize = 40;

async fn echo(mut stream: TcpStream, started: Arc<AtomicUsize>) {
    started.fetch_add(1, Ordering::SeqCst);
    let mut buf = [0; 64];
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A client: waits for `go`, then makes its round trips, each bounded by a read timeout.
fn client(addr: std::net::SocketAddr, go: &AtomicBool, id: usize) -> std::io::Result<()> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    while !go.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    for round in 0..ROUND_TRIPS {
        let message = format!("{id}:{round};");
        stream.write_all(message.as_bytes())?;
        let mut reply = vec![0; message.len()];
        stream.read_exact(&mut reply)?;
        if reply != message.as_bytes() {
            return Err(std::io::Error::other("a reply came back changed"));
        }
    }
    Ok(())
}

/// Serves `CONNECTIONS` echo connections accepted on worker 0 of a 2-worker runtime, and
/// blocks worker 0 in a task while the clients make their round trips.
fn echo_while_worker_0_is_stuck(rehome: bool) -> RuntimeMetrics {
    let runtime = runtime::Builder::new()
        .workers(2)
        .pin_workers(false)
        .rehome(rehome)
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let go = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|id| {
            let (go, done) = (go.clone(), done.clone());
            std::thread::spawn(move || {
                let result = client(addr, &go, id);
                done.fetch_add(1, Ordering::SeqCst);
                result
            })
        })
        .collect();
    runtime.block_on_pinned(|| async move {
        // Registered with worker 0's reactor, and so are the connections it accepts.
        let listener = TcpListener::from_std(listener).unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        for _ in 0..CONNECTIONS {
            let (stream, _) = listener.accept().await.unwrap();
            drop(runtime::spawn(echo(stream, started.clone())));
        }
        while started.load(Ordering::SeqCst) < CONNECTIONS {
            runtime::yield_now().await;
        }
        // Worker 0 is stuck in this task until every client is done.
        go.store(true, Ordering::SeqCst);
        let give_up = Instant::now() + Duration::from_secs(60);
        while done.load(Ordering::SeqCst) < CONNECTIONS {
            assert!(Instant::now() < give_up, "the clients never finished");
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    for (id, client) in clients.into_iter().enumerate() {
        client
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("client {id}: {e}"));
    }
    runtime.metrics()
}

#[test]
fn connections_of_a_stuck_loop_move_to_the_loop_serving_them() {
    let metrics = echo_while_worker_0_is_stuck(true);
    let moves: Vec<u64> = metrics.workers.iter().map(|w| w.moves).collect();
    assert_eq!(
        moves,
        [0, CONNECTIONS as u64],
        "each connection moved once, to worker 1: {metrics:?}"
    );
}

#[test]
fn with_rehome_off_no_connection_moves() {
    let metrics = echo_while_worker_0_is_stuck(false);
    assert!(metrics.workers.iter().all(|w| w.moves == 0), "{metrics:?}");
    assert!(metrics.workers[1].stand_ins > 0, "{metrics:?}");
}

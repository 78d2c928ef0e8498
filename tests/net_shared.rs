//! Several tasks waiting on one direction of one socket at once: tasks accepting on a shared
//! listener, receiving on a shared UDP socket, waiting for a shared stream to become readable.
//! Every one of them must be served, whichever of them registered last.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::sync::Arc;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream, UdpSocket};
use runtime::time::sleep;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);
const TASKS: usize = 50;

/// Long enough for spawned tasks to reach their `.await` and wait there. Only orders events;
/// nothing is asserted about how long anything takes.
const SETTLE: Duration = Duration::from_millis(50);

rt_test! {
    async fn fifty_tasks_accepting_on_one_listener_each_get_a_connection() {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let acceptors: Vec<_> = (0..TASKS)
            .map(|_| {
                let listener = listener.clone();
                runtime::spawn(async move { listener.accept().await.map(|(s, _)| s) })
            })
            .collect();
        sleep(SETTLE).await;
        bounded(LIMIT, async {
            let mut clients = Vec::new();
            for _ in 0..TASKS {
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            for acceptor in acceptors {
                acceptor.await.unwrap().expect("accepted");
            }
        })
        .await;
    }
}

rt_test! {
    async fn tasks_receiving_on_one_udp_socket_each_get_a_datagram() {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let addr = socket.local_addr().unwrap();
        let receivers: Vec<_> = (0..TASKS)
            .map(|_| {
                let socket = socket.clone();
                runtime::spawn(async move {
                    let mut buf = [0; 8];
                    socket.recv_from(&mut buf).await.map(|(n, _)| n)
                })
            })
            .collect();
        sleep(SETTLE).await;
        bounded(LIMIT, async {
            let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
            for _ in 0..TASKS {
                sender.send_to(b"x", addr).await.unwrap();
            }
            for receiver in receivers {
                assert_eq!(receiver.await.unwrap().unwrap(), 1);
            }
        })
        .await;
    }
}

rt_test! {
    async fn tasks_waiting_for_one_stream_to_be_readable_are_all_woken() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let server = Arc::new(server);
        // A new stream is assumed ready until an operation proves otherwise.
        let mut buf = [0; 8];
        let _ = server.try_read(&mut buf);
        let waiters: Vec<_> = (0..TASKS)
            .map(|_| {
                let server = server.clone();
                runtime::spawn(async move { server.readable().await })
            })
            .collect();
        sleep(SETTLE).await;
        bounded(LIMIT, async {
            client.write_all(b"x").await.unwrap();
            for waiter in waiters {
                waiter.await.unwrap().unwrap();
            }
        })
        .await;
    }
}

//! UDP through the runtime: datagrams between sockets on 127.0.0.1, connected sockets, and
//! receivers that wait before their datagram arrives.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime::net::UdpSocket;
use runtime::time::sleep;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);

/// Long enough for a spawned task to reach its `.await` and wait there. Only orders events;
/// nothing is asserted about how long anything takes.
const SETTLE: Duration = Duration::from_millis(30);

fn bind() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1")
}

rt_test! {
    async fn send_to_and_recv_from() {
        bounded(LIMIT, async {
            let a = bind();
            let b = bind();
            let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

            // Datagram boundaries are kept, an empty datagram included, and loopback keeps
            // their order.
            let datagrams: [&[u8]; 4] = [b"first", b"", b"a somewhat longer third datagram", b"4"];
            for d in datagrams {
                assert_eq!(a.send_to(d, b_addr).await.unwrap(), d.len());
            }
            let mut buf = [0; 1500];
            for d in datagrams {
                let (n, from) = b.recv_from(&mut buf).await.unwrap();
                assert_eq!((&buf[..n], from), (d, a_addr));
            }

            // And back the other way.
            b.send_to(b"reply", a_addr).await.unwrap();
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"reply"[..], b_addr));
        })
        .await
    }
}

rt_test! {
    async fn connect_send_recv() {
        bounded(LIMIT, async {
            let a = bind();
            let b = bind();
            let stray = bind();
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());

            let mut buf = [0; 64];
            assert_eq!(a.send(b"ping").await.unwrap(), 4);
            assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
            assert_eq!(&buf[..4], b"ping");
            b.send(b"pong!").await.unwrap();
            assert_eq!(a.recv(&mut buf).await.unwrap(), 5);
            assert_eq!(&buf[..5], b"pong!");

            // A connected socket only takes its peer's datagrams: the stray one, sent first,
            // is not what `recv` returns.
            stray.send_to(b"stray", a.local_addr().unwrap()).await.unwrap();
            b.send(b"from b").await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"from b");
        })
        .await
    }
}

rt_test! {
    async fn pending_recv_from_is_woken() {
        bounded(LIMIT, async {
            let receiver = bind();
            let addr = receiver.local_addr().unwrap();
            let sender = bind();
            let task = runtime::spawn(async move {
                let mut buf = [0; 64];
                let (n, from) = receiver.recv_from(&mut buf).await?;
                io::Result::Ok((buf[..n].to_vec(), from))
            });
            sleep(SETTLE).await;
            assert!(!task.is_finished(), "recv_from returned with nothing sent");
            sender.send_to(b"late", addr).await.unwrap();
            let (got, from) = task.await.unwrap().unwrap();
            assert_eq!(got, b"late");
            assert_eq!(from, sender.local_addr().unwrap());
        })
        .await
    }
}

rt_test! {
    async fn pending_recv_is_woken_by_another_thread() {
        bounded(LIMIT, async {
            // The datagram comes from a plain socket on a thread of its own, outside the
            // runtime, to a connected socket waiting in `recv`.
            let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let receiver = bind();
            receiver.connect(peer.local_addr().unwrap()).unwrap();
            let addr = receiver.local_addr().unwrap();
            let task = runtime::spawn(async move {
                let mut buf = [0; 64];
                let n = receiver.recv(&mut buf).await?;
                io::Result::Ok(buf[..n].to_vec())
            });
            sleep(SETTLE).await;
            assert!(!task.is_finished(), "recv returned with nothing sent");
            std::thread::spawn(move || peer.send_to(b"from a thread", addr))
                .join()
                .unwrap()
                .unwrap();
            assert_eq!(task.await.unwrap().unwrap(), b"from a thread");
        })
        .await
    }
}

rt_test! {
    async fn ping_pong_between_tasks() {
        bounded(LIMIT, async {
            // Each side waits in a receive before every datagram: many wake-ups in a row.
            const ROUNDS: u32 = 500;
            let a = Arc::new(bind());
            let b = bind();
            let b_addr = b.local_addr().unwrap();
            let ponger = runtime::spawn(async move {
                let mut buf = [0; 16];
                for _ in 0..ROUNDS {
                    let (n, from) = b.recv_from(&mut buf).await?;
                    let x = u32::from_le_bytes(buf[..n].try_into().unwrap());
                    b.send_to(&(x + 1).to_le_bytes(), from).await?;
                }
                io::Result::Ok(())
            });
            let mut buf = [0; 16];
            let mut x = 0u32;
            for _ in 0..ROUNDS {
                a.send_to(&x.to_le_bytes(), b_addr).await.unwrap();
                let (n, from) = a.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, b_addr);
                let y = u32::from_le_bytes(buf[..n].try_into().unwrap());
                assert_eq!(y, x + 1);
                x = y + 1;
            }
            ponger.await.unwrap().unwrap();
        })
        .await
    }
}

rt_test! {
    async fn pending_recv_sees_refused_port() {
        bounded(LIMIT, async {
            // Nothing listens on the port: the kernel answers with an ICMP port unreachable,
            // which a connected socket reports as an error to the receive waiting on it.
            let closed = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let socket = Arc::new(bind());
            socket.connect(closed).unwrap();
            let task = runtime::spawn({
                let socket = socket.clone();
                async move { socket.recv(&mut [0; 16]).await }
            });
            sleep(SETTLE).await;
            assert!(!task.is_finished(), "recv returned with nothing sent");
            socket.send(b"anyone there?").await.unwrap();
            let err = task.await.unwrap().expect_err("the port is closed");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        })
        .await
    }
}

//! UDP through the runtime: datagrams between sockets on 127.0.0.1, connected sockets,
//! receivers that wait before their datagram arrives, the `try_` and `poll_` operations with
//! readiness (`poll_send_ready`/`poll_recv_ready`, after tokio's `udp.rs`), peeking (from
//! any sender, and from the connected peer), and the socket options.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use runtime::net::{Interest, UdpSocket};
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

/// Receives with `readable` and `try_recv_from` until a datagram comes.
async fn try_recv_from(socket: &UdpSocket, buf: &mut [u8]) -> (usize, std::net::SocketAddr) {
    loop {
        socket.readable().await.unwrap();
        match socket.try_recv_from(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return result.unwrap(),
        }
    }
}

rt_test! {
    async fn try_send_and_try_recv_until_would_block() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            const COUNT: u8 = 16;
            for i in 0..COUNT {
                a.writable().await.unwrap();
                assert_eq!(a.try_send(&[i; 3]).unwrap(), 3);
            }
            // Every datagram arrives in order; then the queue is empty.
            let mut next = 0;
            let mut buf = [0; 16];
            while next < COUNT {
                let ready = b.ready(Interest::READABLE).await.unwrap();
                assert!(ready.is_readable());
                loop {
                    match b.try_recv(&mut buf) {
                        Ok(n) => {
                            assert_eq!(&buf[..n], &[next; 3]);
                            next += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("try_recv: {e}"),
                    }
                }
            }
            assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            // Waiting on both directions, the socket is writable at once.
            let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
            assert!(ready.is_writable() && !ready.is_readable());
        })
        .await
    }
}

rt_test! {
    async fn try_send_to_try_recv_from_and_peek_from() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            a.writable().await.unwrap();
            a.try_send_to(b"one", b_addr).unwrap();
            a.try_send_to(b"two", b_addr).unwrap();

            // Peeking, by waiting or by polling, leaves the datagram queued.
            let mut buf = [0; 16];
            assert_eq!(b.peek_from(&mut buf).await.unwrap(), (3, a_addr));
            assert_eq!(&buf[..3], b"one");
            buf = [0; 16];
            let peeked = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
            assert_eq!((peeked, &buf[..3]), ((3, a_addr), &b"one"[..]));

            for want in [&b"one"[..], b"two"] {
                let (n, from) = try_recv_from(&b, &mut buf).await;
                assert_eq!((&buf[..n], from), (want, a_addr));
            }
            let again = b.try_recv_from(&mut buf).unwrap_err();
            assert_eq!(again.kind(), io::ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    async fn poll_send_and_poll_recv() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            let b_addr = b.local_addr().unwrap();
            let sent = poll_fn(|cx| a.poll_send_to(cx, b"to", b_addr)).await.unwrap();
            assert_eq!(sent, 2);
            a.connect(b_addr).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"connected")).await.unwrap(), 9);

            let mut buf = [0; 16];
            let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"to");
            let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"connected");
        })
        .await
    }
}

rt_test! {
    async fn options_round_trip() {
        bounded(LIMIT, async {
            let socket = bind();
            for on in [true, false] {
                socket.set_broadcast(on).unwrap();
                assert_eq!(socket.broadcast().unwrap(), on);
                socket.set_multicast_loop_v4(on).unwrap();
                assert_eq!(socket.multicast_loop_v4().unwrap(), on);
            }
            socket.set_ttl(9).unwrap();
            assert_eq!(socket.ttl().unwrap(), 9);
            socket.set_multicast_ttl_v4(3).unwrap();
            assert_eq!(socket.multicast_ttl_v4().unwrap(), 3);
            assert!(socket.take_error().unwrap().is_none());
        })
        .await
    }
}

rt_test! {
    async fn multicast_on_the_loopback_interface_where_the_kernel_allows() {
        bounded(LIMIT, async {
            let group = Ipv4Addr::new(239, 255, 42, 99);
            let receiver = UdpSocket::bind("0.0.0.0:0").unwrap();
            if receiver.join_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err() {
                return; // no multicast on loopback here
            }
            let port = receiver.local_addr().unwrap().port();
            let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
            sender.set_multicast_loop_v4(true).unwrap();
            // Whether the group's datagrams reach the receiver depends on the host's routes;
            // joining and leaving are what the socket promises.
            let _ = sender.send_to(b"to the group", (group, port).into()).await;
            receiver.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();

            let Ok(v6) = UdpSocket::bind("[::1]:0") else { return };
            let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x4299);
            if v6.join_multicast_v6(&group, 0).is_ok() {
                v6.leave_multicast_v6(&group, 0).unwrap();
            }
        })
        .await
    }
}

rt_test! {
    async fn into_std_keeps_the_socket() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            let a_addr = a.local_addr().unwrap();
            let a = a.into_std().unwrap();
            assert_eq!(a.local_addr().unwrap(), a_addr);
            a.send_to(b"from std", b.local_addr().unwrap()).unwrap();
            let mut buf = [0; 16];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"from std"[..], a_addr));
        })
        .await
    }
}

rt_test! {
    // tokio's `peek_sender`, `poll_peek_sender` and `try_peek_sender`: the sender of the queued
    // datagram, which stays queued; and `send_to_try_peek_from`.
    async fn peek_sender_in_its_three_forms_leaves_the_datagram() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            let to = b.local_addr().unwrap();
            assert_eq!(b.try_peek_sender().unwrap_err().kind(), io::ErrorKind::WouldBlock);
            a.send_to(b"first", to).await.unwrap();
            assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
            assert_eq!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), a.local_addr().unwrap());
            assert_eq!(b.try_peek_sender().unwrap(), a.local_addr().unwrap());
            let mut buf = [0; 16];
            assert_eq!(b.try_peek_from(&mut buf).unwrap(), (5, a.local_addr().unwrap()));
            assert_eq!(b.recv_from(&mut buf).await.unwrap(), (5, a.local_addr().unwrap()));
            assert_eq!(&buf[..5], b"first");
            assert_eq!(b.try_peek_from(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    async fn poll_send_ready_and_poll_recv_ready_before_try_operations() {
        bounded(LIMIT, async {
            let (client, server) = (bind(), bind());
            let to = server.local_addr().unwrap();
            for i in 0..5u8 {
                let sent = loop {
                    poll_fn(|cx| client.poll_send_ready(cx)).await.unwrap();
                    match client.try_send_to(&[i; 11], to) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        sent => break sent.unwrap(),
                    }
                };
                assert_eq!(sent, 11);
                let mut buf = Vec::with_capacity(64);
                let (n, from) = loop {
                    poll_fn(|cx| server.poll_recv_ready(cx)).await.unwrap();
                    match server.try_recv_buf_from(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        received => break received.unwrap(),
                    }
                };
                assert_eq!((n, from, &buf[..]), (11, client.local_addr().unwrap(), &[i; 11][..]));
            }
        })
        .await
    }
}

rt_test! {
    async fn peek_poll_peek_and_try_peek_leave_the_datagram_queued() {
        bounded(LIMIT, async {
            let (a, b) = (bind(), bind());
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            let mut buf = [0; 16];
            assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);

            // A peek that waits is woken by the datagram.
            let waiting = Arc::new(b);
            let peeker = runtime::spawn({
                let b = waiting.clone();
                async move {
                    let mut buf = [0; 16];
                    let n = b.peek(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                }
            });
            sleep(SETTLE).await;
            a.send(b"first").await.unwrap();
            assert_eq!(peeker.await.unwrap(), b"first");
            let b = waiting;

            // Each peek sees the same datagram, cut to the buffer, until a receive takes it.
            let n = poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"first");
            assert_eq!(b.try_peek(&mut buf[..3]).unwrap(), 3);
            assert_eq!(&buf[..3], b"fir");
            assert_eq!(b.recv(&mut buf).await.unwrap(), 5);
            a.send(b"second").await.unwrap();
            let n = b.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"second");
        })
        .await
    }
}

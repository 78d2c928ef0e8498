//! `TcpSocket`: sockets configured before they connect or listen, on 127.0.0.1 (and ::1 where
//! the host has it), and the TCP stream options set after.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`), is bounded in time and
//! drops every listener it makes.

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use runtime::net::{TcpListener, TcpSocket, TcpStream};
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);

fn any_v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A listener made by `TcpSocket` on `addr`.
fn listen(socket: TcpSocket, addr: SocketAddr) -> TcpListener {
    socket.bind(addr).unwrap();
    socket.listen(128).unwrap()
}

/// Sends a byte from `client` to the stream `listener` accepts, proving the two connected.
async fn exchange(listener: &TcpListener, mut client: TcpStream) {
    let (mut server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    client.write_all(b"x").await.unwrap();
    let mut got = [0; 1];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"x");
}

rt_test! {
    async fn bind_then_listen_and_bind_then_connect_v4() {
        bounded(LIMIT, async {
            let listener = listen(TcpSocket::new_v4().unwrap(), any_v4());
            let client = TcpSocket::new_v4().unwrap();
            client.bind(any_v4()).unwrap();
            let bound = client.local_addr().unwrap();
            assert_ne!(bound.port(), 0);
            let stream = client.connect(listener.local_addr().unwrap()).await.unwrap();
            assert_eq!(stream.local_addr().unwrap(), bound);
            exchange(&listener, stream).await;
        })
        .await
    }
}

rt_test! {
    async fn connect_and_listen_v6_where_the_host_has_it() {
        bounded(LIMIT, async {
            let Ok(server) = TcpSocket::new_v6() else { return };
            if server.bind("[::1]:0".parse().unwrap()).is_err() {
                return; // no ::1 here
            }
            let listener = server.listen(128).unwrap();
            let client = TcpSocket::new_v6().unwrap();
            let stream = client.connect(listener.local_addr().unwrap()).await.unwrap();
            exchange(&listener, stream).await;
        })
        .await
    }
}

rt_test! {
    async fn connect_where_nobody_listens_is_refused() {
        bounded(LIMIT, async {
            let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            // The listener is dropped: nobody listens on `addr` now.
            let err = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        })
        .await
    }
}

rt_test! {
    async fn two_listeners_share_a_port_with_reuseport() {
        bounded(LIMIT, async {
            let socket = || {
                let s = TcpSocket::new_v4().unwrap();
                assert!(!s.reuseport().unwrap());
                s.set_reuseport(true).unwrap();
                assert!(s.reuseport().unwrap());
                s
            };
            let a = listen(socket(), any_v4());
            let addr = a.local_addr().unwrap();
            let b = listen(socket(), addr);
            assert_eq!(b.local_addr().unwrap(), addr);

            // Without the option, the port is taken.
            let plain = TcpSocket::new_v4().unwrap();
            assert_eq!(plain.bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);

            // The kernel hands each connection to one of the two.
            let client = TcpStream::connect(addr).await.unwrap();
            let accepted = runtime::future::select(Box::pin(a.accept()), Box::pin(b.accept()))
                .await
                .factor_first()
                .0
                .unwrap();
            assert_eq!(accepted.1, client.local_addr().unwrap());
        })
        .await
    }
}

rt_test! {
    async fn reuseaddr_binds_a_port_left_in_time_wait() {
        bounded(LIMIT, async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            assert!(socket.reuseaddr().unwrap());
            let listener = listen(socket, any_v4());
            let addr = listener.local_addr().unwrap();
            // The server closes first, which leaves its end in TIME_WAIT.
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            drop(server);
            drop(listener);
            drop(client);

            let again = TcpSocket::new_v4().unwrap();
            again.set_reuseaddr(true).unwrap();
            let listener = listen(again, addr);
            assert_eq!(listener.local_addr().unwrap(), addr);
        })
        .await
    }
}

rt_test! {
    async fn options_round_trip() {
        bounded(LIMIT, async {
            let socket = TcpSocket::new_v4().unwrap();
            // Linux doubles a buffer size for its bookkeeping, within its limits.
            socket.set_send_buffer_size(32 * 1024).unwrap();
            assert!(socket.send_buffer_size().unwrap() >= 32 * 1024);
            socket.set_recv_buffer_size(32 * 1024).unwrap();
            assert!(socket.recv_buffer_size().unwrap() >= 32 * 1024);
            for on in [true, false] {
                socket.set_keepalive(on).unwrap();
                assert_eq!(socket.keepalive().unwrap(), on);
                socket.set_nodelay(on).unwrap();
                assert_eq!(socket.nodelay().unwrap(), on);
            }
            assert_eq!(socket.linger().unwrap(), None);
            for linger in [Some(Duration::ZERO), Some(Duration::from_secs(3)), None] {
                socket.set_linger(linger).unwrap();
                assert_eq!(socket.linger().unwrap(), linger);
            }
            socket.set_tos(0x10).unwrap();
            assert_eq!(socket.tos().unwrap(), 0x10);
            assert!(socket.take_error().unwrap().is_none());

            // Options set before the connect hold on the stream.
            socket.set_nodelay(true).unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let stream = socket.connect(listener.local_addr().unwrap()).await.unwrap();
            assert!(stream.nodelay().unwrap());
            stream.set_linger(Some(Duration::from_secs(1))).unwrap();
            assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(1)));
            stream.set_ttl(7).unwrap();
            assert_eq!(stream.ttl().unwrap(), 7);
            assert!(stream.take_error().unwrap().is_none());
        })
        .await
    }
}

rt_test! {
    async fn file_descriptors_and_std_streams() {
        bounded(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();

            // A raw descriptor handed back and forth stays the same socket.
            let socket = TcpSocket::new_v4().unwrap();
            let fd = socket.as_raw_fd();
            let raw = socket.into_raw_fd();
            assert_eq!(raw, fd);
            // SAFETY: `raw` was just released by `into_raw_fd` and nothing else owns it.
            let socket = unsafe { TcpSocket::from_raw_fd(raw) };
            let stream = socket.connect(addr).await.unwrap();
            exchange(&listener, stream).await;

            // A std stream's options read through `from_std_stream`.
            let std_stream = std::net::TcpStream::connect(addr).unwrap();
            std_stream.set_nodelay(true).unwrap();
            let local = std_stream.local_addr().unwrap();
            let socket = TcpSocket::from_std_stream(std_stream);
            assert!(socket.nodelay().unwrap());
            assert_eq!(socket.local_addr().unwrap(), local);
            let (_server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, local);

            // A stream leaves the loop as a working std stream.
            let client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let mut std_client = client.into_std().unwrap();
            std_client.set_nonblocking(false).unwrap();
            runtime::spawn_blocking(move || {
                std::io::Write::write_all(&mut std_client, b"std").unwrap();
            })
            .await
            .unwrap();
            let mut got = [0; 3];
            server.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"std");
        })
        .await
    }
}

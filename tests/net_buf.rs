//! The `bytes::BufMut` operations: `try_read_buf` on the streams and their read halves,
//! `recv_buf`, `try_recv_buf`, `recv_buf_from` and `try_recv_buf_from` on the datagram
//! sockets, receiving into spare capacity that was never initialized, over 127.0.0.1 and Unix
//! socket pairs.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::io::ErrorKind;
use std::time::Duration;

use runtime::net::{Interest, UdpSocket, UnixDatagram, UnixStream};
use support::{bounded, tcp_pair};

const LIMIT: Duration = Duration::from_secs(30);

fn udp() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1")
}

/// Two UDP sockets, each connected to the other.
fn connected_udp_pair() -> (UdpSocket, UdpSocket) {
    let (a, b) = (udp(), udp());
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    (a, b)
}

/// Receives `len` bytes with `readable` and `try`, into one `Vec` that starts with no capacity
/// and grows as `BufMut` makes it (each receive appends).
async fn read_buf_until(
    len: usize,
    readable: impl AsyncFn() -> std::io::Result<()>,
    try_read_buf: impl Fn(&mut Vec<u8>) -> std::io::Result<usize>,
) -> Vec<u8> {
    let mut buf = Vec::new();
    while buf.len() < len {
        readable().await.unwrap();
        loop {
            match try_read_buf(&mut buf) {
                Ok(0) => panic!("end of stream after {} bytes", buf.len()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("try_read_buf: {e}"),
            }
        }
    }
    buf
}

rt_test! {
    // tokio's tcp_stream `try_read_buf`: the bytes written arrive, in order, in the buffer.
    async fn tcp_try_read_buf_appends_what_arrives() {
        bounded(LIMIT, async {
            let (mut a, b) = tcp_pair().await;
            let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
            let writer = runtime::spawn(async move {
                a.write_all(&data).await.unwrap();
                a
            });
            let got = read_buf_until(200_000, || b.readable(), |buf| b.try_read_buf(buf)).await;
            assert!(got.iter().enumerate().all(|(i, &x)| x == i as u8));
            let _a = writer.await.unwrap();
            assert_eq!(b.try_read_buf(&mut Vec::new()).unwrap_err().kind(), ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    // tokio's uds_stream `try_read_buf`, and the read halves' form of it.
    async fn unix_try_read_buf_on_the_stream_and_its_read_halves() {
        bounded(LIMIT, async {
            let (mut a, mut b) = UnixStream::pair().expect("a connected pair");
            a.write_all(b"whole").await.unwrap();
            let got = read_buf_until(5, || b.readable(), |buf| b.try_read_buf(buf)).await;
            assert_eq!(got, b"whole");

            let (reader, _writer) = b.split();
            a.write_all(b"borrowed").await.unwrap();
            let got = read_buf_until(8, || reader.readable(), |buf| reader.try_read_buf(buf)).await;
            assert_eq!(got, b"borrowed");

            let (reader, _writer) = b.into_split();
            a.write_all(b"owned").await.unwrap();
            let got = read_buf_until(5, || reader.readable(), |buf| reader.try_read_buf(buf)).await;
            assert_eq!(got, b"owned");

            // End of stream is `Ok(0)`, with room in the buffer.
            drop(a);
            reader.readable().await.unwrap();
            assert_eq!(reader.try_read_buf(&mut Vec::with_capacity(8)).unwrap(), 0);
        })
        .await
    }
}

rt_test! {
    // tokio's udp `recv_buf`, `recv_buf_from`, `try_recv_buf` and `try_recv_buf_from`.
    async fn udp_buf_receives_give_the_datagram_and_its_sender() {
        bounded(LIMIT, async {
            let (a, b) = connected_udp_pair();

            a.send(b"one").await.unwrap();
            let mut buf = Vec::with_capacity(16);
            assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 3);
            a.send(b"two").await.unwrap();
            let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (3, a.local_addr().unwrap()));
            assert_eq!(buf, b"onetwo", "each receive appends");

            for (i, msg) in [&b"three"[..], b"four"].into_iter().enumerate() {
                a.send(msg).await.unwrap();
                let mut buf = Vec::with_capacity(16);
                let n = loop {
                    b.readable().await.unwrap();
                    let got = if i == 0 {
                        b.try_recv_buf(&mut buf)
                    } else {
                        b.try_recv_buf_from(&mut buf).map(|(n, from)| {
                            assert_eq!(from, a.local_addr().unwrap());
                            n
                        })
                    };
                    match got {
                        Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                        got => break got.unwrap(),
                    }
                };
                assert_eq!((n, &buf[..]), (msg.len(), msg));
            }
            assert_eq!(b.try_recv_buf(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    // tokio's udp `poll_ready`: five rounds of readiness, then `try_` send and buffer receive.
    async fn udp_rounds_of_readiness_and_try_recv_buf_from() {
        bounded(LIMIT, async {
            let (server, client) = (udp(), udp());
            for _ in 0..5 {
                loop {
                    client.ready(Interest::WRITABLE).await.unwrap();
                    match client.try_send_to(b"hello world", server.local_addr().unwrap()) {
                        Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                        sent => break assert_eq!(sent.unwrap(), 11),
                    }
                }
                loop {
                    server.ready(Interest::READABLE).await.unwrap();
                    let mut buf = Vec::with_capacity(512);
                    match server.try_recv_buf_from(&mut buf) {
                        Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                        got => {
                            let (n, from) = got.unwrap();
                            assert_eq!((n, from), (11, client.local_addr().unwrap()));
                            assert_eq!(buf, b"hello world");
                            break;
                        }
                    }
                }
            }
        })
        .await
    }
}

rt_test! {
    // tokio's uds_datagram `try_recv_buf_never_block`: fill the queue, then drain it with
    // `try_recv_buf`, one datagram a receive.
    async fn unix_datagram_try_recv_buf_drains_a_full_queue() {
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut sent = 0;
            loop {
                a.writable().await.unwrap();
                match a.try_send(b"PAYLOAD") {
                    Ok(n) => assert_eq!(n, 7),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => break,
                    Err(e) => panic!("try_send: {e}"),
                }
                sent += 1;
            }
            assert!(sent > 0);
            for _ in 0..sent {
                let mut buf = Vec::with_capacity(16);
                loop {
                    b.readable().await.unwrap();
                    match b.try_recv_buf(&mut buf) {
                        Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                        got => break assert_eq!(got.unwrap(), 7),
                    }
                }
                assert_eq!(buf, b"PAYLOAD");
            }
            assert_eq!(b.try_recv_buf(&mut Vec::new()).unwrap_err().kind(), ErrorKind::WouldBlock);
        })
        .await
    }
}

/// Numbers the Unix datagram test's runs: one counter for the 1- and 2-worker copies of its
/// body (a `static` inside the body would be two counters, both starting at 0, and the two
/// copies, running side by side, would bind the same names).
static UNIX_RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

rt_test! {
    // tokio's uds_datagram `recv_buf`, `recv_buf_from` and `try_recv_buf_from`, with senders
    // that are unnamed, bound to a path and bound to an abstract name.
    async fn unix_datagram_buf_receives_name_the_sender() {
        use std::os::linux::net::SocketAddrExt;
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            a.send(b"pair").await.unwrap();
            let mut buf = Vec::with_capacity(16);
            assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 4);
            a.send(b"unnamed").await.unwrap();
            let mut buf = Vec::with_capacity(16);
            let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!((n, &buf[..]), (7, &b"unnamed"[..]));
            assert!(from.is_unnamed());

            // One directory and one abstract name per run: the two runtimes' runs go side by side.
            let run = UNIX_RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tag = format!("runtime-net-buf-{}-{run}", std::process::id());
            let dir = std::env::temp_dir().join(&tag);
            // A run of an earlier process with the same id that failed left its sockets.
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let (rx_path, tx_path) = (dir.join("rx"), dir.join("tx"));
            let rx = UnixDatagram::bind(&rx_path).unwrap();
            let tx = UnixDatagram::bind(&tx_path).unwrap();
            tx.send_to(b"path", &rx_path).await.unwrap();
            let mut buf = Vec::with_capacity(16);
            let (n, from) = loop {
                rx.readable().await.unwrap();
                match rx.try_recv_buf_from(&mut buf) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    got => break got.unwrap(),
                }
            };
            assert_eq!((n, &buf[..], from.as_pathname()), (4, &b"path"[..], Some(&*tx_path)));

            let name = format!("\0{tag}");
            let named = UnixDatagram::bind(&name).unwrap();
            named.send_to(b"abstract", &rx_path).await.unwrap();
            let (_, from) = rx.recv_buf_from(&mut Vec::with_capacity(16)).await.unwrap();
            assert_eq!(from.as_abstract_name(), Some(&name.as_bytes()[1..]));
            std::fs::remove_dir_all(&dir).unwrap();
        })
        .await
    }
}

//! Readiness on TCP streams: `ready` with one interest or both, `readable`/`writable` with the
//! `try_` operations drained to `WouldBlock`, vectored `try_` reads and writes, `try_io`,
//! `peek`, the priority and error interests, and `poll_read_ready`/`poll_write_ready` (after
//! tokio's `tcp_stream.rs`), on connections over 127.0.0.1.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::time::Duration;

use runtime::net::{Interest, TcpStream, UdpSocket};
use support::{bounded, is_pending_once, tcp_pair};

const LIMIT: Duration = Duration::from_secs(30);

/// Writes with `try_write` until the socket takes no more; the number of bytes written.
async fn fill(stream: &TcpStream) -> usize {
    let chunk = vec![7; 64 * 1024];
    let mut total = 0;
    stream.writable().await.unwrap();
    loop {
        match stream.try_write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("try_write: {e}"),
        }
    }
}

/// Reads `len` bytes with `ready` and `try_read`, draining each readiness to `WouldBlock`.
async fn drain(stream: &TcpStream, len: usize) {
    let mut buf = vec![0; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let ready = stream.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable());
        loop {
            match stream.try_read(&mut buf) {
                Ok(0) => panic!("end of stream with {left} bytes to come"),
                Ok(n) => left -= n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("try_read: {e}"),
            }
        }
    }
}

/// A connected pair whose first end has proved it has nothing to read: its next `ready`
/// waits for an event.
async fn idle_pair() -> (TcpStream, TcpStream) {
    let (a, b) = tcp_pair().await;
    a.readable().await.unwrap();
    assert_eq!(
        a.try_read(&mut [0; 8]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    (a, b)
}

rt_test! {
    async fn try_write_until_would_block_then_ready_waits_for_room() {
        bounded(LIMIT, async {
            let (a, b) = tcp_pair().await;
            let sent = fill(&a).await;
            assert!(sent > 0);
            // Full: waiting for room stays pending until the peer reads.
            let mut room = Box::pin(a.ready(Interest::WRITABLE));
            assert!(is_pending_once(&mut room).await);
            drain(&b, sent).await;
            assert!(room.await.unwrap().is_writable());
            assert_eq!(b.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    async fn ready_on_both_directions_wakes_on_either() {
        bounded(LIMIT, async {
            let (a, b) = tcp_pair().await;
            let sent = fill(&a).await;
            // `a` can neither write nor read now.
            assert_eq!(a.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
            let both = Interest::READABLE | Interest::WRITABLE;
            let mut either = Box::pin(a.ready(both));
            assert!(is_pending_once(&mut either).await);

            // Data from the peer wakes it as readable, with no room to write yet.
            b.writable().await.unwrap();
            assert_eq!(b.try_write(b"hi").unwrap(), 2);
            let ready = either.await.unwrap();
            assert!(ready.is_readable());
            let mut got = [0; 2];
            assert_eq!(a.try_read(&mut got).unwrap(), 2);
            assert_eq!(&got, b"hi");

            // Room made by the peer's reading wakes it as writable.
            drain(&b, sent).await;
            loop {
                let ready = a.ready(both).await.unwrap();
                if ready.is_writable() {
                    break;
                }
                // Stale readability: the read proves it and waits again.
                assert_eq!(a.try_read(&mut got).unwrap_err().kind(), ErrorKind::WouldBlock);
            }
        })
        .await
    }
}

rt_test! {
    async fn read_closed_after_the_peer_closes() {
        bounded(LIMIT, async {
            let (a, b) = idle_pair().await;
            drop(b);
            let ready = a.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable() && ready.is_read_closed());
            assert_eq!(a.try_read(&mut [0; 8]).unwrap(), 0);
        })
        .await
    }
}

rt_test! {
    async fn vectored_try_read_and_write() {
        bounded(LIMIT, async {
            let (a, b) = tcp_pair().await;
            a.writable().await.unwrap();
            let parts = [IoSlice::new(b"head:"), IoSlice::new(b""), IoSlice::new(b"body")];
            assert_eq!(a.try_write_vectored(&parts).unwrap(), 9);

            // One small write on loopback arrives as one segment, read in one call.
            let (mut head, mut body) = ([0; 5], [0; 16]);
            let n = loop {
                b.readable().await.unwrap();
                let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
                match b.try_read_vectored(&mut bufs) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    result => break result.unwrap(),
                }
            };
            assert_eq!(n, 9);
            assert_eq!((&head, &body[..4]), (b"head:", &b"body"[..]));
        })
        .await
    }
}

rt_test! {
    async fn try_io_runs_the_callers_own_call() {
        bounded(LIMIT, async {
            let (a, b) = tcp_pair().await;
            a.writable().await.unwrap();
            let sent = a
                .try_io(Interest::WRITABLE, || socket2::SockRef::from(&a).send(b"raw"))
                .unwrap();
            assert_eq!(sent, 3);
            let mut got = [0; 3];
            loop {
                b.readable().await.unwrap();
                let read = b.try_io(Interest::READABLE, || {
                    std::io::Read::read(&mut &*socket2::SockRef::from(&b), &mut got)
                });
                match read {
                    Ok(n) => {
                        assert_eq!(&got[..n], &b"raw"[..n]);
                        break;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("try_io: {e}"),
                }
            }
            // A `WouldBlock` from the closure forgets the readiness: `try_io` then refuses
            // to run anything until the next event.
            let err = b
                .try_io(Interest::READABLE, || std::io::Result::<()>::Err(ErrorKind::WouldBlock.into()))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            let ran = b.try_io(Interest::READABLE, || Ok(()));
            assert_eq!(ran.unwrap_err().kind(), ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    async fn peek_leaves_data_for_the_next_read() {
        bounded(LIMIT, async {
            let (mut a, mut b) = tcp_pair().await;
            a.write_all(b"hello").await.unwrap();
            let mut buf = [0; 16];
            let mut n = 0;
            // Loopback may deliver the five bytes in pieces; peeking never takes them.
            while n < 5 {
                n = b.peek(&mut buf).await.unwrap();
            }
            assert_eq!(&buf[..n], b"hello");
            let again = poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!(again, 5);
            let mut got = [0; 5];
            b.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"hello");

            // A peek that waits is woken by the data that arrives after it.
            let waiting = runtime::spawn(async move {
                let mut buf = [0; 4];
                let n = b.peek(&mut buf).await.unwrap();
                buf[..n].to_vec()
            });
            runtime::time::sleep(Duration::from_millis(20)).await;
            a.write_all(b"late").await.unwrap();
            let peeked = waiting.await.unwrap();
            assert!(!peeked.is_empty() && b"late".starts_with(&peeked));
        })
        .await
    }
}

rt_test! {
    async fn priority_waits_for_out_of_band_data() {
        bounded(LIMIT, async {
            let (a, b) = tcp_pair().await;
            // In-band data does not satisfy a priority interest.
            a.writable().await.unwrap();
            a.try_write(b"in band").unwrap();
            b.readable().await.unwrap();
            let mut waiting = Box::pin(b.ready(Interest::PRIORITY));
            assert!(is_pending_once(&mut waiting).await);

            socket2::SockRef::from(&a).send_out_of_band(b"!").unwrap();
            let ready = waiting.await.unwrap();
            assert!(ready.is_priority() && !ready.is_readable());
            let mut urgent = [std::mem::MaybeUninit::new(0)];
            // The urgent byte is read with `MSG_OOB`, through `try_io`.
            let n = b
                .try_io(Interest::PRIORITY, || {
                    socket2::SockRef::from(&b).recv_out_of_band(&mut urgent)
                })
                .unwrap();
            assert_eq!(n, 1);
            // SAFETY: `recv_out_of_band` initialized the one byte it returned.
            assert_eq!(unsafe { urgent[0].assume_init() }, b'!');
        })
        .await
    }
}

rt_test! {
    async fn error_interest_sees_an_icmp_error_and_take_error_reads_it() {
        bounded(LIMIT, async {
            let closed = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.connect(closed).unwrap();
            let mut waiting = Box::pin(socket.ready(Interest::ERROR));
            assert!(is_pending_once(&mut waiting).await);
            socket.send(b"anyone?").await.unwrap();
            let ready = waiting.await.unwrap();
            assert!(ready.is_error());
            let error = socket.take_error().unwrap().expect("a pending error");
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
            assert!(socket.take_error().unwrap().is_none());
        })
        .await
    }
}

rt_test! {
    // tokio's tcp_stream `read_closed` and `write_closed`: closed readiness is best effort, so
    // only its false positives are tested: data, or room, does not report a closed side.
    async fn data_and_room_are_not_reported_as_closed() {
        bounded(LIMIT, async {
            let (a, b) = idle_pair().await;
            let mut data = Box::pin(a.ready(Interest::READABLE));
            assert!(is_pending_once(&mut data).await);
            b.writable().await.unwrap();
            b.try_write(b"ping").unwrap();
            assert!(!data.await.unwrap().is_read_closed());

            let sent = fill(&a).await;
            let mut room = Box::pin(a.ready(Interest::WRITABLE));
            assert!(is_pending_once(&mut room).await);
            drain(&b, sent).await;
            assert!(!room.await.unwrap().is_write_closed());
        })
        .await
    }
}

rt_test! {
    async fn poll_read_ready_until_a_read_would_block_and_on_close() {
        bounded(LIMIT, async {
            let (mut server, client) = idle_pair().await;
            assert!(is_pending_once(&mut Box::pin(poll_fn(|cx| server.poll_read_ready(cx)))).await);

            client.try_write(b"ping").unwrap();
            poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
            // Still readable after a read, until one gives `WouldBlock`.
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
            let would_block = server.try_read(&mut buf).unwrap_err();
            assert_eq!(would_block.kind(), ErrorKind::WouldBlock);
            assert!(is_pending_once(&mut Box::pin(poll_fn(|cx| server.poll_read_ready(cx)))).await);

            drop(client);
            poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
            assert_eq!(server.try_read(&mut buf).unwrap(), 0);
        })
        .await
    }
}

rt_test! {
    async fn poll_write_ready_until_the_buffer_fills_and_on_close() {
        bounded(LIMIT, async {
            let (client, server) = tcp_pair().await;
            poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
            fill(&client).await;
            assert!(is_pending_once(&mut Box::pin(poll_fn(|cx| client.poll_write_ready(cx)))).await);

            // The peer's close (a reset, with data unread) makes the socket writable: the
            // next write reports the error.
            drop(server);
            poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
        })
        .await
    }
}

//! The halves of a split TCP stream (borrowed and owned) driven by readiness, as tokio's
//! `tcp_split` and `tcp_into_split` tests drive theirs: `ready`, `readable`/`writable`, the
//! `try_` operations, `peek`, the addresses, and the end of stream a dropped write half
//! sends.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::time::Duration;

use runtime::net::{Interest, TcpStream};
use support::{bounded, tcp_pair};

const LIMIT: Duration = Duration::from_secs(30);

/// Reads exactly `n` bytes from `stream`.
async fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0; n];
    stream.read_exact(&mut got).await.unwrap();
    got
}

rt_test! {
    // tokio's tcp_split `split`: peek and read on the read half, write on the write half,
    // against a peer; here with the readiness forms.
    async fn borrowed_halves_peek_read_and_write_by_readiness() {
        bounded(LIMIT, async {
            let (mut a, mut b) = tcp_pair().await;
            let (local, peer) = (a.local_addr().unwrap(), a.peer_addr().unwrap());
            let (mut reader, writer) = a.split();
            assert_eq!((reader.local_addr().unwrap(), reader.peer_addr().unwrap()), (local, peer));
            assert_eq!((writer.local_addr().unwrap(), writer.peer_addr().unwrap()), (local, peer));

            b.write_all(b"ping").await.unwrap();
            let mut peeked = [0; 4];
            let mut n = 0;
            while n < 4 {
                n = reader.peek(&mut peeked).await.unwrap();
            }
            assert_eq!(poll_fn(|cx| reader.poll_peek(cx, &mut peeked)).await.unwrap(), 4);
            assert!(reader.ready(Interest::READABLE).await.unwrap().is_readable());
            let (mut head, mut tail) = ([0; 2], [0; 2]);
            let got = reader
                .try_read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut tail)])
                .unwrap();
            assert_eq!((got, &head, &tail), (4, b"pi", b"ng"));
            assert_eq!(reader.try_read(&mut peeked).unwrap_err().kind(), ErrorKind::WouldBlock);

            assert!(writer.ready(Interest::WRITABLE).await.unwrap().is_writable());
            writer.writable().await.unwrap();
            let n = writer.try_write_vectored(&[IoSlice::new(b"po"), IoSlice::new(b"ng")]).unwrap();
            assert_eq!(n, 4);
            assert_eq!(read_n(&mut b, 4).await, b"pong");
        })
        .await
    }
}

rt_test! {
    // tokio's tcp_into_split `split`: the owned halves read and write from two tasks at once,
    // by readiness.
    async fn owned_halves_on_two_tasks_by_readiness() {
        bounded(LIMIT, async {
            let (a, mut b) = tcp_pair().await;
            let (reader, writer) = a.into_split();
            let write = runtime::spawn(async move {
                let mut left = &b"from the write half"[..];
                while !left.is_empty() {
                    writer.writable().await.unwrap();
                    match writer.try_write(left) {
                        Ok(n) => left = &left[n..],
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => panic!("try_write: {e}"),
                    }
                }
                writer
            });
            let read = runtime::spawn(async move {
                let mut got = Vec::new();
                while got.len() < 5 {
                    reader.readable().await.unwrap();
                    let mut buf = [0; 16];
                    match reader.try_read(&mut buf) {
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => panic!("try_read: {e}"),
                    }
                }
                (reader, got)
            });
            b.write_all(b"hello").await.unwrap();
            assert_eq!(read_n(&mut b, 19).await, b"from the write half");
            let (reader, read) = read.await.unwrap();
            assert_eq!(read, b"hello");
            let writer = write.await.unwrap();
            reader.reunite(writer).expect("halves of one stream");
        })
        .await
    }
}

rt_test! {
    // tokio's tcp_into_split `drop_write`: dropping the write half ends the peer's stream,
    // and the read half still reads what the peer sends after.
    async fn dropping_the_write_half_ends_the_stream_and_the_read_half_reads_on() {
        bounded(LIMIT, async {
            let (a, mut b) = tcp_pair().await;
            let (mut reader, writer) = a.into_split();
            drop(writer);
            let mut buf = [0; 8];
            assert_eq!(b.read(&mut buf).await.unwrap(), 0);
            b.write_all(b"after").await.unwrap();
            let mut got = [0; 5];
            reader.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"after");
        })
        .await
    }
}

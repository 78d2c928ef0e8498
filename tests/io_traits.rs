//! The standard async I/O traits on the runtime's streams: `futures-util`'s and tokio's
//! extension methods and copy functions drive `TcpStream`, `UnixStream` and the split halves,
//! and closing through a trait makes the peer read end of stream.
//!
//! Methods the streams also have as inherent methods (`write_all`, `read_exact`, tokio's
//! `shutdown`) are called through the trait by path, so that the trait is what is tested.
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`), is bounded in time, and
//! ends the server task it starts.

mod support;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use runtime::net::{ReadHalf, TcpListener, TcpStream, UnixStream, WriteHalf};
use runtime::JoinHandle;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);

/// More than the socket buffers hold, so an echo gets through only if reading and writing
/// make progress together.
const LARGE: usize = 4 * 1024 * 1024;

/// `len` bytes cycling with a prime period, so a chunk lost or repeated shows.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A listener on 127.0.0.1 and a task serving its first connection with `serve`.
fn serve_one<F, Fut>(serve: F) -> (SocketAddr, JoinHandle<io::Result<()>>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    let server = runtime::spawn(async move {
        let (stream, _) = listener.accept().await?;
        serve(stream).await
    });
    (addr, server)
}

mod futures_traits {
    use futures_util::future::join;
    use futures_util::io::{copy, AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Echoes with `futures_util::io::copy` between the owned halves, then closes.
    async fn echo(stream: TcpStream) -> io::Result<()> {
        let (mut r, mut w) = stream.into_split();
        copy(&mut r, &mut w).await?;
        w.close().await
    }

    rt_test! {
        async fn echo_over_stream() {
            bounded(LIMIT, async {
                let (addr, server) = serve_one(echo);
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let sent = payload(64 * 1024);
                // Fits the socket buffers: write it all, close, then read the echo.
                AsyncWriteExt::write_all(&mut stream, &sent).await.unwrap();
                stream.close().await.unwrap();
                let mut got = Vec::new();
                stream.read_to_end(&mut got).await.unwrap();
                assert!(got == sent, "the echo differs from what was sent");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn echo_over_borrowed_halves() {
            bounded(LIMIT, async {
                let (addr, server) = serve_one(echo);
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let sent = payload(LARGE);
                // By path: `AsyncReadExt::split`, which takes the stream by value, would be
                // found first.
                let (mut r, mut w): (ReadHalf<'_>, WriteHalf<'_>) = TcpStream::split(&mut stream);
                let mut got = Vec::new();
                let (wrote, read) = join(
                    async {
                        AsyncWriteExt::write_all(&mut w, &sent).await?;
                        w.close().await
                    },
                    r.read_to_end(&mut got),
                )
                .await;
                wrote.unwrap();
                assert_eq!(read.unwrap(), LARGE);
                assert!(got == sent, "the echo differs from what was sent");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn echo_over_owned_halves_in_two_tasks() {
            bounded(LIMIT, async {
                let (addr, server) = serve_one(echo);
                let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
                let sent = payload(LARGE);
                let writer = runtime::spawn({
                    let sent = sent.clone();
                    async move {
                        AsyncWriteExt::write_all(&mut w, &sent).await?;
                        w.close().await
                    }
                });
                let mut got = Vec::new();
                r.read_to_end(&mut got).await.unwrap();
                writer.await.unwrap().unwrap();
                assert!(got == sent, "the echo differs from what was sent");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn unix_pair() {
            bounded(LIMIT, async {
                let (a, b) = UnixStream::pair().unwrap();
                let echo = runtime::spawn(async move {
                    let (mut r, mut w) = b.into_split();
                    copy(&mut r, &mut w).await?;
                    w.close().await
                });
                let sent = payload(LARGE);
                let (mut r, mut w) = a.into_split();
                let mut got = Vec::new();
                let (wrote, read) = join(
                    async {
                        AsyncWriteExt::write_all(&mut w, &sent).await?;
                        w.close().await
                    },
                    r.read_to_end(&mut got),
                )
                .await;
                wrote.unwrap();
                read.unwrap();
                assert!(got == sent, "the echo differs from what was sent");
                echo.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn close_makes_the_peer_read_end_of_stream() {
            bounded(LIMIT, async {
                // The server reads to end of stream, then answers: it can only answer once the
                // client's close has reached it, and the client can still read after closing.
                let (addr, server) = serve_one(|mut stream| async move {
                    let mut got = Vec::new();
                    stream.read_to_end(&mut got).await?;
                    assert_eq!(got, b"request");
                    AsyncWriteExt::write_all(&mut stream, b"response").await?;
                    stream.close().await
                });
                let mut stream = TcpStream::connect(addr).await.unwrap();
                AsyncWriteExt::write_all(&mut stream, b"request").await.unwrap();
                stream.close().await.unwrap();
                let mut got = Vec::new();
                stream.read_to_end(&mut got).await.unwrap();
                assert_eq!(got, b"response");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }
}

mod tokio_traits {
    use tokio::io::{copy, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    use super::*;

    /// Echoes with `tokio::io::copy` between the borrowed halves, then shuts down writing.
    async fn echo(mut stream: TcpStream) -> io::Result<()> {
        let (mut r, mut w) = stream.split();
        copy(&mut r, &mut w).await?;
        AsyncWriteExt::shutdown(&mut w).await
    }

    rt_test! {
        async fn copy_echo() {
            bounded(LIMIT, async {
                let (addr, server) = serve_one(echo);
                let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
                let sent = payload(LARGE);
                let writer = runtime::spawn({
                    let sent = sent.clone();
                    async move {
                        AsyncWriteExt::write_all(&mut w, &sent).await?;
                        AsyncWriteExt::shutdown(&mut w).await
                    }
                });
                let mut got = Vec::new();
                r.read_to_end(&mut got).await.unwrap();
                writer.await.unwrap().unwrap();
                assert!(got == sent, "the echo differs from what was sent");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn buf_reader_lines() {
            bounded(LIMIT, async {
                const LINES: usize = 1_000;
                let (addr, server) = serve_one(|mut stream| async move {
                    for i in 0..LINES {
                        AsyncWriteExt::write_all(&mut stream, format!("line {i}\n").as_bytes())
                            .await?;
                    }
                    AsyncWriteExt::shutdown(&mut stream).await
                });
                let stream = TcpStream::connect(addr).await.unwrap();
                let mut lines = BufReader::new(stream).lines();
                for i in 0..LINES {
                    let line = lines.next_line().await.unwrap();
                    assert_eq!(line.as_deref(), Some(format!("line {i}").as_str()));
                }
                assert_eq!(lines.next_line().await.unwrap(), None, "a line after the last");
                server.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn unix_pair_copy() {
            bounded(LIMIT, async {
                let (mut a, mut b) = UnixStream::pair().unwrap();
                let echo = runtime::spawn(async move {
                    let (mut r, mut w) = b.split();
                    copy(&mut r, &mut w).await?;
                    AsyncWriteExt::shutdown(&mut w).await
                });
                let sent = payload(LARGE);
                let (mut r, mut w) = a.split();
                let mut got = Vec::new();
                let (wrote, read) = futures_util::future::join(
                    async {
                        AsyncWriteExt::write_all(&mut w, &sent).await?;
                        AsyncWriteExt::shutdown(&mut w).await
                    },
                    r.read_to_end(&mut got),
                )
                .await;
                wrote.unwrap();
                read.unwrap();
                assert!(got == sent, "the echo differs from what was sent");
                echo.await.unwrap().unwrap();
            })
            .await
        }
    }

    rt_test! {
        async fn shutdown_makes_the_peer_read_end_of_stream() {
            bounded(LIMIT, async {
                let (mut a, mut b) = UnixStream::pair().unwrap();
                AsyncWriteExt::write_all(&mut a, b"last words").await.unwrap();
                AsyncWriteExt::shutdown(&mut a).await.unwrap();
                let mut got = String::new();
                b.read_to_string(&mut got).await.unwrap();
                assert_eq!(got, "last words");
                // The other direction is still open.
                AsyncWriteExt::write_all(&mut b, b"reply").await.unwrap();
                let mut reply = [0; 5];
                AsyncReadExt::read_exact(&mut a, &mut reply).await.unwrap();
                assert_eq!(&reply, b"reply");
            })
            .await
        }
    }
}

//! TCP failures seen through the runtime: refused connects, resets, closed peers, half-close.
//!
//! A peer that must send a reset is a standard socket with `SO_LINGER` set to zero, closed.
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::net::TcpStream;
use runtime::time::sleep;
use support::{bounded, tcp_pair};

const LIMIT: Duration = Duration::from_secs(30);

/// Long enough for a spawned task to reach its `.await` and wait there. Only orders events;
/// nothing is asserted about how long anything takes.
const SETTLE: Duration = Duration::from_millis(30);

/// A runtime stream connected to a standard one, whose owner can make it send a reset.
async fn pair_with_std_peer() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    // The handshake is done, so this blocking accept returns at once.
    let (peer, _) = listener.accept().unwrap();
    (client, peer)
}

/// Closes `stream` with a reset instead of a FIN: `SO_LINGER` with a zero timeout.
fn reset(stream: std::net::TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open for the whole call (borrowed from `stream`), and the option
    // value points to a live `libc::linger` whose size is the length passed.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER: {}", io::Error::last_os_error());
    drop(stream);
}

/// A port on 127.0.0.1 that nothing listens on (it did a moment ago).
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn assert_write_failure(err: &io::Error) {
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "expected BrokenPipe or ConnectionReset, got {:?}: {err}",
        err.kind()
    );
}

/// Writes small chunks, letting the loop turn between them, until a write fails; the peer
/// is gone, so one must.
async fn write_until_error(stream: &mut TcpStream) -> io::Error {
    for _ in 0..2_000 {
        if let Err(e) = stream.write(&[0x5a; 1024]).await {
            return e;
        }
        sleep(Duration::from_millis(1)).await;
    }
    panic!("2,000 writes to a closed peer all succeeded");
}

rt_test! {
    async fn connect_to_closed_port_is_refused() {
        bounded(LIMIT, async {
            let addr = closed_port();
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");

            // Many at once, from tasks: each gets its own refusal.
            let tasks: Vec<_> = (0..20)
                .map(|_| runtime::spawn(TcpStream::connect(addr)))
                .collect();
            for task in tasks {
                let err = task.await.unwrap().unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
            }
        })
        .await
    }
}

rt_test! {
    async fn reset_during_pending_read_is_an_error() {
        bounded(LIMIT, async {
            let (mut client, mut peer) = pair_with_std_peer().await;
            peer.write_all(b"hello").unwrap();
            let mut hello = [0; 5];
            client.read_exact(&mut hello).await.unwrap();
            assert_eq!(&hello, b"hello");

            let reader = runtime::spawn(async move {
                let mut buf = [0; 64];
                client.read(&mut buf).await
            });
            sleep(SETTLE).await;
            assert!(!reader.is_finished(), "read returned with nothing sent");
            reset(peer);
            let err = reader.await.unwrap().expect_err("a read from a reset connection");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        })
        .await
    }
}

rt_test! {
    async fn read_after_peer_closed_is_eof() {
        bounded(LIMIT, async {
            // The peer closes while the read waits.
            let (mut client, server) = tcp_pair().await;
            let reader = runtime::spawn(async move {
                let mut buf = [0; 64];
                let n = client.read(&mut buf).await;
                (client, n)
            });
            sleep(SETTLE).await;
            assert!(!reader.is_finished(), "read returned with nothing sent");
            drop(server);
            let (mut client, n) = reader.await.unwrap();
            assert_eq!(n.unwrap(), 0);
            // End of stream stays.
            for _ in 0..3 {
                assert_eq!(client.read(&mut [0; 64]).await.unwrap(), 0);
            }

            // The peer sends, then closes, before the read: the data, then end of stream.
            let (mut client, mut server) = tcp_pair().await;
            server.write_all(b"last words").await.unwrap();
            drop(server);
            sleep(SETTLE).await;
            let mut buf = [0; 64];
            let mut got = Vec::new();
            loop {
                match client.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert_eq!(got, b"last words");
            assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        })
        .await
    }
}

rt_test! {
    async fn write_after_peer_closed_fails() {
        bounded(LIMIT, async {
            let (mut client, server) = tcp_pair().await;
            drop(server);
            assert_eq!(client.read(&mut [0; 8]).await.unwrap(), 0, "the FIN arrives");
            // The first writes may be taken; the closed peer answers them with a reset.
            let err = write_until_error(&mut client).await;
            assert_write_failure(&err);
        })
        .await
    }
}

rt_test! {
    async fn write_after_peer_reset_fails() {
        bounded(LIMIT, async {
            let (mut client, peer) = pair_with_std_peer().await;
            reset(peer);
            sleep(SETTLE).await;
            let err = write_until_error(&mut client).await;
            assert_write_failure(&err);
        })
        .await
    }
}

rt_test! {
    async fn reset_during_pending_write_is_an_error() {
        bounded(LIMIT, async {
            let (client, peer) = pair_with_std_peer().await;
            let written = Arc::new(AtomicUsize::new(0));
            // The peer never reads: the writes fill both socket buffers, then one waits.
            let writer = runtime::spawn({
                let written = written.clone();
                async move {
                    let mut client = client;
                    let chunk = vec![0xa5; 1024 * 1024];
                    loop {
                        match client.write(&chunk).await {
                            Ok(n) => written.fetch_add(n, Ordering::SeqCst),
                            Err(e) => return e,
                        };
                        let total = written.load(Ordering::SeqCst);
                        assert!(total < 1 << 30, "1 GiB went into a socket nobody reads");
                    }
                }
            });
            while written.load(Ordering::SeqCst) == 0 {
                sleep(Duration::from_millis(1)).await;
            }
            sleep(SETTLE).await;
            assert!(!writer.is_finished(), "the writer should be waiting for room");
            reset(peer);
            let err = writer.await.unwrap();
            assert_write_failure(&err);
        })
        .await
    }
}

rt_test! {
    async fn half_close_then_write_back() {
        bounded(LIMIT, async {
            let reply = vec![0x3c; 1024 * 1024];

            // The server reads until the client's shutdown, then writes a reply larger than
            // the socket buffers, then closes.
            let serve = |mut server: TcpStream, reply: Vec<u8>| async move {
                let mut got = Vec::new();
                let mut buf = [0; 4096];
                loop {
                    match server.read(&mut buf).await? {
                        0 => break,
                        n => got.extend_from_slice(&buf[..n]),
                    }
                }
                // End of stream stays, and the write side is still open.
                assert_eq!(server.read(&mut buf).await?, 0);
                server.write_all(&reply).await?;
                io::Result::Ok(got)
            };

            // Shut down with `TcpStream::shutdown`; the request arrives after the server
            // waits in its read.
            let (mut client, server) = tcp_pair().await;
            let task = runtime::spawn(serve(server, reply.clone()));
            sleep(SETTLE).await;
            client.write_all(b"request").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0; 64 * 1024];
            loop {
                match client.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert!(got == reply, "reply of {} bytes differs", got.len());
            assert_eq!(task.await.unwrap().unwrap(), b"request");
            // Our write side is shut: writing fails.
            let err = client.write(b"more").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");

            // Shut down by dropping an owned write half.
            let (client, server) = tcp_pair().await;
            let task = runtime::spawn(serve(server, reply.clone()));
            let (mut r, mut w) = client.into_split();
            w.write_all(b"request two").await.unwrap();
            drop(w);
            let mut got = Vec::new();
            loop {
                match r.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert!(got == reply, "reply of {} bytes differs", got.len());
            assert_eq!(task.await.unwrap().unwrap(), b"request two");
        })
        .await
    }
}

rt_test! {
    async fn std_peer_half_close() {
        bounded(LIMIT, async {
            // The peer is a plain blocking socket on its own thread.
            let (mut client, mut peer) = pair_with_std_peer().await;
            // Keeps the thread (and the join below) from hanging if the runtime misbehaves.
            peer.set_read_timeout(Some(LIMIT)).unwrap();
            let thread = std::thread::spawn(move || {
                peer.write_all(b"from std").unwrap();
                peer.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                peer.read_to_end(&mut back).unwrap();
                back
            });
            let mut got = Vec::new();
            let mut buf = [0; 64];
            loop {
                match client.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert_eq!(got, b"from std");
            client.write_all(b"written after EOF").await.unwrap();
            drop(client);
            // The thread is done once our FIN arrives; joining cannot wait long.
            assert_eq!(thread.join().unwrap(), b"written after EOF");
        })
        .await
    }
}

rt_test! {
    async fn shutdown_after_the_peer_reset_succeeds() {
        // tokio's `shutdown_after_tcp_reset`: closing the write side of a connection the peer
        // has reset is no failure (the kernel answers `NotConnected`), through either I/O
        // trait family and the write halves.
        bounded(LIMIT, async {
            let (mut client, peer) = pair_with_std_peer().await;
            reset(peer);
            let mut buf = [0; 8];
            let err = client.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
            tokio::io::AsyncWriteExt::shutdown(&mut client).await.unwrap();
            futures_util::AsyncWriteExt::close(&mut client).await.unwrap();
            let (_read, write) = client.into_split();
            write.shutdown().unwrap();
        })
        .await
    }
}

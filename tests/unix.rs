//! Unix domain sockets through the runtime: an echo server on a listener bound in the temp
//! directory with concurrent clients, socket pairs, split streams, half-close, datagrams (with
//! their `try_` and `poll_` operations and readiness), peeking, the poll readiness methods
//! (after tokio's `uds_stream.rs`), a forgotten write half, conversion to the standard
//! library's sockets, and connecting where nobody listens.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`), is bounded in time, ends
//! the server task it starts and removes the socket files it binds.

mod support;

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use runtime::net::{Interest, UnixDatagram, UnixListener, UnixStream};
use support::{bounded, is_pending_once};

const LIMIT: Duration = Duration::from_secs(30);

/// A socket path in the temp directory, unique to this process and call, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(what: &str) -> TempPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("runtime-test-{}-{what}-{n}.sock", std::process::id());
        TempPath(std::env::temp_dir().join(name))
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        // Absent when the test failed before binding it.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes back everything it reads until end of stream, then shuts down its write side.
async fn echo(mut stream: UnixStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        match stream.read(&mut buf).await? {
            0 => return stream.shutdown(Shutdown::Write),
            n => stream.write_all(&buf[..n]).await?,
        }
    }
}

/// Reads until end of stream.
async fn read_to_end(stream: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(got),
            n => got.extend_from_slice(&buf[..n]),
        }
    }
}

const CLIENTS: usize = 16;
const MESSAGES: usize = 50;

/// Echoes `MESSAGES` messages of its own, one after the other, then half-closes and expects
/// end of stream back.
async fn client(path: PathBuf, id: usize) -> io::Result<()> {
    let mut stream = UnixStream::connect(&path).await?;
    assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    assert!(stream.local_addr()?.is_unnamed());
    let mut back = [0; 64];
    for m in 0..MESSAGES {
        let msg = format!("client {id} message {m}");
        stream.write_all(msg.as_bytes()).await?;
        stream.read_exact(&mut back[..msg.len()]).await?;
        assert_eq!(&back[..msg.len()], msg.as_bytes(), "client {id}");
    }
    stream.shutdown(Shutdown::Write)?;
    assert_eq!(stream.read(&mut back).await?, 0, "client {id}: extra bytes");
    Ok(())
}

rt_test! {
    async fn echo_with_concurrent_clients() {
        bounded(LIMIT, async {
            let path = TempPath::new("echo");
            let listener = UnixListener::bind(&path).unwrap();
            assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.0.as_path()));
            // Serves exactly `CLIENTS` connections, each in a task of its own, and ends.
            let server = runtime::spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..CLIENTS {
                    let (stream, peer) = listener.accept().await?;
                    assert!(peer.is_unnamed());
                    conns.push(runtime::spawn(echo(stream)));
                }
                for conn in conns {
                    conn.await.unwrap()?;
                }
                io::Result::Ok(())
            });
            let clients: Vec<_> = (0..CLIENTS)
                .map(|id| runtime::spawn(client(path.0.clone(), id)))
                .collect();
            for (id, c) in clients.into_iter().enumerate() {
                c.await.unwrap().unwrap_or_else(|e| panic!("client {id}: {e}"));
            }
            server.await.unwrap().unwrap();
        })
        .await
    }
}

rt_test! {
    async fn listener_from_std() {
        bounded(LIMIT, async {
            let path = TempPath::new("from-std");
            let listener =
                UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path).unwrap())
                    .unwrap();
            let mut client = UnixStream::connect(&path).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(b"over a std listener").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut server).await.unwrap(), b"over a std listener");
        })
        .await
    }
}

rt_test! {
    async fn pair() {
        bounded(LIMIT, async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            assert!(a.peer_addr().unwrap().is_unnamed());
            a.write_all(b"to b").await.unwrap();
            b.write_all(b"to a").await.unwrap();
            let mut buf = [0; 4];
            b.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"to b");
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"to a");

            // A pair made from standard sockets works the same.
            let (c, d) = std::os::unix::net::UnixStream::pair().unwrap();
            let mut c = UnixStream::from_std(c).unwrap();
            let mut d = UnixStream::from_std(d).unwrap();
            c.write_all(b"std").await.unwrap();
            let mut buf = [0; 3];
            d.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"std");
        })
        .await
    }
}

rt_test! {
    async fn half_close() {
        bounded(LIMIT, async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            a.write_all(b"all of it").await.unwrap();
            a.shutdown(Shutdown::Write).unwrap();
            // The data first, then end of stream, and again end of stream.
            assert_eq!(read_to_end(&mut b).await.unwrap(), b"all of it");
            assert_eq!(b.read(&mut [0; 8]).await.unwrap(), 0);
            // The other direction is still open.
            b.write_all(b"still here").await.unwrap();
            b.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut a).await.unwrap(), b"still here");
        })
        .await
    }
}

rt_test! {
    async fn split_and_reunite() {
        bounded(LIMIT, async {
            // More than the socket buffers hold: the writer and the reader must take turns.
            const LEN: usize = 2 * 1024 * 1024;
            let sent: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
            let (a, b) = UnixStream::pair().unwrap();
            let echo = runtime::spawn(echo(b));

            // Owned halves in two tasks.
            let (mut r, mut w) = a.into_split();
            let writer = runtime::spawn({
                let sent = sent.clone();
                async move {
                    w.write_all(&sent).await?;
                    io::Result::Ok(w)
                }
            });
            let mut got = vec![0; LEN];
            r.read_exact(&mut got).await.unwrap();
            assert!(got == sent, "the echo through owned halves differs");
            let w = writer.await.unwrap().unwrap();

            // Put back together, the stream is still open for writing; borrowed halves then
            // write and read at once in one task.
            let mut a = r.reunite(w).unwrap();
            let (mut r, mut w) = a.split();
            let mut got = vec![0; LEN];
            let (wrote, read) = futures_util::future::join(
                async {
                    w.write_all(&sent).await?;
                    w.shutdown()
                },
                r.read_exact(&mut got),
            )
            .await;
            wrote.unwrap();
            read.unwrap();
            assert!(got == sent, "the echo through borrowed halves differs");
            assert_eq!(a.read(&mut [0; 8]).await.unwrap(), 0, "end of stream after the echo");
            echo.await.unwrap().unwrap();
        })
        .await
    }
}

rt_test! {
    async fn reunite_refuses_halves_of_two_streams() {
        bounded(LIMIT, async {
            let (a, b) = UnixStream::pair().unwrap();
            let (ra, _wa) = a.into_split();
            let (_rb, wb) = b.into_split();
            let err = ra.reunite(wb).expect_err("the halves are from different streams");
            assert!(err.to_string().contains("not from the same stream"), "{err}");
        })
        .await
    }
}

rt_test! {
    async fn connect_where_nobody_listens() {
        bounded(LIMIT, async {
            let missing = TempPath::new("missing");
            let err = UnixStream::connect(&missing).await.expect_err("no such socket");
            assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");

            // The socket file of a closed listener stays behind, with nobody listening.
            let stale = TempPath::new("stale");
            drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
            let err = UnixStream::connect(&stale).await.expect_err("nobody listens");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        })
        .await
    }
}

rt_test! {
    async fn datagram_pair_send_recv() {
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            // Boundaries are kept, an empty datagram included, and so is their order.
            let datagrams: [&[u8]; 3] = [b"first", b"", b"a somewhat longer third"];
            for d in datagrams {
                assert_eq!(a.send(d).await.unwrap(), d.len());
            }
            let mut buf = [0; 64];
            for d in datagrams {
                let n = b.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], d);
            }
            // A receive that waits is woken by the datagram sent after it.
            let waiting = runtime::spawn(async move {
                let mut buf = [0; 16];
                let n = b.recv(&mut buf).await?;
                io::Result::Ok(buf[..n].to_vec())
            });
            runtime::time::sleep(Duration::from_millis(20)).await;
            a.send(b"late").await.unwrap();
            assert_eq!(waiting.await.unwrap().unwrap(), b"late");
        })
        .await
    }
}

rt_test! {
    async fn datagram_send_to_recv_from() {
        bounded(LIMIT, async {
            let (pa, pb) = (TempPath::new("dgram-a"), TempPath::new("dgram-b"));
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::bind(&pb).unwrap();
            assert_eq!(a.local_addr().unwrap().as_pathname(), Some(pa.0.as_path()));

            a.send_to(b"from a", &pb).await.unwrap();
            let mut buf = [0; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from.as_pathname()), (&b"from a"[..], Some(pa.0.as_path())));

            // An unbound sender is unnamed to its receiver.
            let unbound = UnixDatagram::unbound().unwrap();
            unbound.send_to(b"anonymous", &pb).await.unwrap();
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"anonymous");
            assert!(from.is_unnamed());

            // Connected, a socket sends without naming the peer.
            b.connect(&pa).unwrap();
            assert_eq!(b.peer_addr().unwrap().as_pathname(), Some(pa.0.as_path()));
            b.send(b"reply").await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"reply");

            // A standard socket wraps the same way.
            let c = UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound().unwrap())
                .unwrap();
            c.send_to(b"wrapped", &pa).await.unwrap();
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"wrapped");
            assert!(from.is_unnamed());
        })
        .await
    }
}

/// A name in the abstract namespace unique to this process and `tag` ("\0" then the name).
fn abstract_name(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("\0runtime-test-{}-{tag}-{n}", std::process::id())
}

rt_test! {
    async fn abstract_names_bind_connect_and_send() {
        use std::os::linux::net::SocketAddrExt;
        bounded(LIMIT, async {
            // tokio's `abstract_socket_name`: a leading NUL names the abstract namespace.
            let name = abstract_name("stream");
            let listener = UnixListener::bind(&name).unwrap();
            let local = listener.local_addr().unwrap();
            assert_eq!(local.as_abstract_name(), Some(&name.as_bytes()[1..]));
            assert!(!Path::new(&name[1..]).exists(), "no file is made");
            let client = runtime::spawn(client_for(name.clone()));
            let (stream, _) = listener.accept().await.unwrap();
            echo(stream).await.unwrap();
            client.await.unwrap().unwrap();

            let name = abstract_name("datagram");
            let server = UnixDatagram::bind(&name).unwrap();
            let sender = UnixDatagram::unbound().unwrap();
            sender.send_to(b"one", &name).await.unwrap();
            sender.connect(&name).unwrap();
            sender.send(b"two").await.unwrap();
            let mut buf = [0; 8];
            for expected in [&b"one"[..], b"two"] {
                let n = server.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], expected);
            }
        })
        .await
    }
}

/// Connects to the abstract `name`, sends a message and reads its echo.
async fn client_for(name: String) -> io::Result<()> {
    let mut stream = UnixStream::connect(&name).await?;
    stream.write_all(b"hello").await?;
    stream.shutdown(Shutdown::Write)?;
    assert_eq!(read_to_end(&mut stream).await?, b"hello");
    Ok(())
}

rt_test! {
    async fn datagram_try_send_until_full_then_drain() {
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            // The receiver's queue is bounded: sending without waiting ends in WouldBlock.
            let mut sent = 0u32;
            a.writable().await.unwrap();
            loop {
                match a.try_send(&sent.to_le_bytes()) {
                    Ok(4) => sent += 1,
                    Ok(n) => panic!("a datagram sent in part ({n} bytes)"),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("try_send: {e}"),
                }
            }
            assert!(sent > 0);
            let mut room = Box::pin(a.ready(Interest::WRITABLE));
            assert!(support::is_pending_once(&mut room).await);

            let mut got = 0u32;
            let mut buf = [0; 8];
            while got < sent {
                b.readable().await.unwrap();
                loop {
                    match b.try_recv(&mut buf) {
                        Ok(n) => {
                            assert_eq!(&buf[..n], &got.to_le_bytes());
                            got += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("try_recv: {e}"),
                    }
                }
            }
            // Draining the queue makes room for the waiting sender.
            assert!(room.await.unwrap().is_writable());
        })
        .await
    }
}

rt_test! {
    async fn datagram_try_send_to_try_recv_from_and_poll_send_to() {
        bounded(LIMIT, async {
            let (pa, pb) = (TempPath::new("try-dgram-a"), TempPath::new("try-dgram-b"));
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::bind(&pb).unwrap();
            a.writable().await.unwrap();
            assert_eq!(a.try_send_to(b"try", &pb).unwrap(), 3);
            let sent = std::future::poll_fn(|cx| a.poll_send_to(cx, b"poll", &pb)).await;
            assert_eq!(sent.unwrap(), 4);

            let mut buf = [0; 16];
            for want in [&b"try"[..], b"poll"] {
                let (n, from) = loop {
                    b.ready(Interest::READABLE).await.unwrap();
                    match b.try_recv_from(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        result => break result.unwrap(),
                    }
                };
                assert_eq!((&buf[..n], from.as_pathname()), (want, Some(pa.0.as_path())));
            }
            let n = std::future::poll_fn(|cx| {
                b.connect(&pa).unwrap();
                b.poll_send(cx, b"back")
            })
            .await
            .unwrap();
            assert_eq!(n, 4);
            let n = std::future::poll_fn(|cx| a.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"back");

            // Out of the loop, the socket still works as the standard library's.
            let a = a.into_std().unwrap();
            a.send_to(b"std", &pb).unwrap();
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"std");
        })
        .await
    }
}

rt_test! {
    async fn stream_peek_vectored_try_ops_and_into_std() {
        bounded(LIMIT, async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            a.write_all(b"peeked").await.unwrap();
            let mut buf = [0; 16];
            let n = b.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"peeked");
            let mut got = [0; 6];
            b.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"peeked");

            a.writable().await.unwrap();
            let parts = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cd")];
            assert_eq!(a.try_write_vectored(&parts).unwrap(), 4);
            let (mut x, mut y) = ([0; 1], [0; 8]);
            let n = loop {
                b.readable().await.unwrap();
                let mut bufs = [std::io::IoSliceMut::new(&mut x), std::io::IoSliceMut::new(&mut y)];
                match b.try_read_vectored(&mut bufs) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    result => break result.unwrap(),
                }
            };
            assert_eq!((n, &x, &y[..3]), (4, b"a", &b"bcd"[..]));

            let mut a = a.into_std().unwrap();
            a.set_nonblocking(false).unwrap();
            std::io::Write::write_all(&mut a, b"std").unwrap();
            let mut got = [0; 3];
            b.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"std");
        })
        .await
    }
}

rt_test! {
    async fn peer_credentials_name_this_process() {
        bounded(LIMIT, async {
            let path = TempPath::new("cred");
            let listener = UnixListener::bind(&path).unwrap();
            let client = UnixStream::connect(&path).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // SAFETY: `geteuid` and `getegid` only read this process's ids.
            let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
            for cred in [client.peer_cred().unwrap(), server.peer_cred().unwrap()] {
                assert_eq!((cred.uid(), cred.gid()), (uid, gid));
                assert_eq!(cred.pid(), Some(std::process::id() as libc::pid_t));
            }
            let _: runtime::net::unix::UCred = client.peer_cred().unwrap();
        })
        .await
    }
}

rt_test! {
    // The UDP socket's `peek_from` family on a Unix datagram socket: the datagram stays
    // queued, and the sender is named (unnamed for a pair).
    async fn datagram_peek_from_leaves_the_datagram() {
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = [0; 16];
            assert_eq!(b.try_peek_from(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            a.send(b"peeked").await.unwrap();
            let (n, from) = b.peek_from(&mut buf).await.unwrap();
            assert!(from.is_unnamed());
            assert_eq!(&buf[..n], b"peeked");
            let (again, _) = std::future::poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
            assert_eq!(again, n);
            assert_eq!(b.recv(&mut buf).await.unwrap(), n);
            assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    // tokio's `pair_starts_writable`: a new pair is writable at once and not readable until the
    // peer writes.
    async fn a_new_pair_is_writable_and_not_readable() {
        bounded(LIMIT, async {
            let (a, b) = UnixStream::pair().unwrap();
            a.writable().await.unwrap();
            assert_eq!(a.try_write(b"hi").unwrap(), 2);
            let (c, _d) = UnixStream::pair().unwrap();
            assert_eq!(c.try_read(&mut [0; 1]).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            let mut readable = Box::pin(c.readable());
            assert!(support::is_pending_once(&mut readable).await);
            b.readable().await.unwrap();
            assert_eq!(b.try_read(&mut [0; 8]).unwrap(), 2);
        })
        .await
    }
}

rt_test! {
    // tokio's `epollhup`: a connect under way when its listener goes away fails.
    async fn connect_fails_when_the_listener_goes_away() {
        bounded(LIMIT, async {
            let name = abstract_name("hup");
            let listener = UnixListener::bind(&name).unwrap();
            let mut connect = Box::pin(UnixStream::connect(&name));
            let first = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(std::future::Future::poll(connect.as_mut(), cx))
            })
            .await;
            drop(listener);
            let connected = match first {
                std::task::Poll::Ready(connected) => connected,
                std::task::Poll::Pending => connect.await,
            };
            match connected {
                // The kernel finishes a Unix connect within the call, so it may have
                // succeeded before the listener went: the connection then ends at once.
                Ok(mut stream) => {
                    let end = stream.read(&mut [0; 1]).await;
                    assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
                }
                Err(e) => assert!(
                    matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ),
                    "{e}"
                ),
            }
        })
        .await
    }
}

rt_test! {
    async fn stream_poll_read_ready_and_poll_write_ready() {
        bounded(LIMIT, async {
            let (a, b) = UnixStream::pair().unwrap();
            // A new pair is assumed ready until a read proves otherwise.
            poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
            let mut buf = vec![0; 64 * 1024];
            assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            assert!(is_pending_once(&mut Box::pin(poll_fn(|cx| b.poll_read_ready(cx)))).await);
            a.try_write(b"ping").unwrap();
            poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
            assert_eq!(b.try_read(&mut buf).unwrap(), 4);

            // Writable until the buffer is full.
            poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
            while a.try_write(&buf).is_ok() {}
            assert!(is_pending_once(&mut Box::pin(poll_fn(|cx| a.poll_write_ready(cx)))).await);
            // Room again once the peer reads, and on the peer's close.
            drop(b);
            poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
            poll_fn(|cx| a.poll_read_ready(cx)).await.unwrap();
        })
        .await
    }
}

rt_test! {
    async fn datagram_poll_ready_and_peeks_of_the_connected_peer() {
        bounded(LIMIT, async {
            let (a, b) = UnixDatagram::pair().unwrap();
            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            a.try_send(b"one").unwrap();
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            let mut buf = [0; 8];
            assert_eq!(b.try_peek(&mut buf).unwrap(), 3);
            let n = poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!(b.peek(&mut buf).await.unwrap(), n);
            assert_eq!(b.try_recv(&mut buf).unwrap(), 3);
            assert_eq!(&buf[..3], b"one");
            assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        })
        .await
    }
}

rt_test! {
    async fn a_forgotten_write_half_leaves_the_write_side_open() {
        bounded(LIMIT, async {
            let (a, mut b) = UnixStream::pair().unwrap();
            let (a_read, a_write) = a.into_split();
            a_write.forget();
            let mut buf = [0; 4];
            assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            // The stream itself is still open both ways.
            b.write_all(b"ping").await.unwrap();
            let mut a_read = a_read;
            a_read.read_exact(&mut buf).await.unwrap();
            drop(a_read);
            assert_eq!(b.read(&mut buf).await.unwrap(), 0, "closed with the last half");
        })
        .await
    }
}

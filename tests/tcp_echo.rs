//! TCP echo through the runtime: an echo server task and its clients in one runtime, every
//! byte checked against a non-repeating pattern.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`), bounds its body in time
//! and stops the server it starts.

mod support;

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use runtime::net::{OwnedReadHalf, ReadHalf, TcpListener, TcpStream};
use runtime::JoinHandle;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);

/// `len` bytes of a xorshift sequence seeded by `seed`: no period a misplaced chunk could hide
/// in, and a different sequence for every seed.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Compares two byte strings without printing megabytes when they differ.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {i} of {}: got {:#04x}, want {:#04x}",
            want.len(),
            got[i],
            want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: length differs");
}

/// Polls both futures until both are done, on the current task.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Reading, the same on both kinds of read half.
trait Reader {
    fn read_some<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
}

impl Reader for ReadHalf<'_> {
    fn read_some<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        self.read(buf)
    }
}

impl Reader for OwnedReadHalf {
    fn read_some<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        self.read(buf)
    }
}

/// Reads until end of stream.
async fn read_to_end(r: &mut impl Reader) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match r.read_some(&mut buf).await? {
            0 => return Ok(got),
            n => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Aborts the tasks it holds when dropped, so the connections of a stopped server stop too.
struct AbortOnDrop(Vec<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

/// An echo server task on 127.0.0.1, one task per connection.
struct EchoServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
    accepted: Arc<AtomicUsize>,
}

impl EchoServer {
    fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the echo server");
        let addr = listener.local_addr().expect("the listener's address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = runtime::spawn(async move {
            // Dropped with this task when it is aborted: that aborts every connection too.
            let mut conns = AbortOnDrop(Vec::new());
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                count.fetch_add(1, Ordering::SeqCst);
                conns.0.push(runtime::spawn(echo(stream)));
            }
        });
        EchoServer {
            addr,
            task,
            accepted,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Aborts the accept loop (and with it every connection task).
    async fn stop(self) {
        self.task.abort();
        match self.task.await {
            Err(e) if e.is_cancelled() => {}
            Err(e) => std::panic::resume_unwind(e.into_panic()),
            Ok(()) => unreachable!("the accept loop only ends when aborted"),
        }
    }
}

/// Writes back everything it reads; closes when the peer has closed its side.
async fn echo(mut stream: TcpStream) {
    // Small, since the many-connections test holds 2,000 of these at once.
    let mut buf = vec![0; 8 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends `payload` through the echo server with the borrowed halves of one stream, writing and
/// reading at once in one task, and returns what came back before end of stream.
async fn echo_split(addr: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let (mut r, mut w) = stream.split();
    let (wrote, got) = join(
        async {
            w.write_all(payload).await?;
            w.shutdown()
        },
        read_to_end(&mut r),
    )
    .await;
    wrote.expect("write the payload");
    got.expect("read the echo")
}

/// The same with owned halves: a spawned task writes while this one reads.
async fn echo_spawned_writer(addr: SocketAddr, payload: Arc<Vec<u8>>) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut r, mut w) = stream.into_split();
    let writer = runtime::spawn(async move {
        w.write_all(&payload).await
        // Dropping `w` shuts the write side down: the server sees end of stream.
    });
    let got = read_to_end(&mut r).await.expect("read the echo");
    writer.await.unwrap().expect("write the payload");
    got
}

async fn check_echo(len: usize, seed: u64) {
    let server = EchoServer::start();
    let payload = Arc::new(pattern(seed, len));
    let got = echo_split(server.addr, &payload).await;
    assert_same(&got, &payload, "echo through borrowed halves");
    let got = echo_spawned_writer(server.addr, payload.clone()).await;
    assert_same(&got, &payload, "echo with a spawned writer");
    assert_eq!(server.accepted(), 2);
    server.stop().await;
}

rt_test! {
    async fn echo_1_byte() {
        bounded(LIMIT, check_echo(1, 1)).await
    }
}

rt_test! {
    async fn echo_64_kib() {
        bounded(LIMIT, check_echo(64 * 1024, 2)).await
    }
}

rt_test! {
    async fn echo_8_mib() {
        // Far more than the socket buffers hold: only a client that reads while it writes
        // gets through.
        bounded(LIMIT, check_echo(8 * 1024 * 1024, 3)).await
    }
}

/// Releases every waiter once `n` tasks have arrived.
struct Gate {
    remaining: AtomicUsize,
    wakers: Mutex<Vec<Waker>>,
}

impl Gate {
    fn new(n: usize) -> Gate {
        Gate {
            remaining: AtomicUsize::new(n),
            wakers: Mutex::new(Vec::new()),
        }
    }

    async fn arrive_and_wait(&self) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            let wakers = std::mem::take(&mut *self.wakers.lock().unwrap());
            wakers.into_iter().for_each(Waker::wake);
        }
        poll_fn(|cx| {
            // Checked under the lock the last arrival takes after its decrement: a waiter
            // either sees zero or has its waker taken.
            let mut wakers = self.wakers.lock().unwrap();
            if self.remaining.load(Ordering::SeqCst) == 0 {
                Poll::Ready(())
            } else {
                wakers.push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

const CONNECTIONS: usize = 2_000;
const MESSAGES: u64 = 100;

/// Connects, waits until every client has connected, then echoes `MESSAGES` messages of
/// varying sizes one after the other.
async fn chatty_client(addr: SocketAddr, id: u64, gate: Arc<Gate>) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await;
    // Arrive even after a failed connect, so the others are not left waiting.
    gate.arrive_and_wait().await;
    let mut stream = stream?;
    let mut buf = [0; 256];
    for m in 0..MESSAGES {
        let len = 1 + ((id * 7 + m * 13) % 256) as usize;
        let msg = pattern(id << 16 | m, len);
        stream.write_all(&msg).await?;
        stream.read_exact(&mut buf[..len]).await?;
        if buf[..len] != msg[..] {
            assert_same(&buf[..len], &msg, &format!("connection {id}, message {m}"));
        }
    }
    stream.shutdown(Shutdown::Write)?;
    // The server closes once it has seen our end of stream, with nothing more to send.
    assert_eq!(
        stream.read(&mut buf).await?,
        0,
        "connection {id}: extra bytes"
    );
    Ok(())
}

rt_test! {
    async fn two_thousand_concurrent_connections() {
        // Two ends of 2,000 connections, times the two runtimes of this test running side
        // by side.
        let limit = support::raise_nofile_limit();
        assert!(
            limit >= 4 * CONNECTIONS as u64 + 1_000,
            "the hard limit on open files ({limit}) is too low for this test"
        );
        // A hang detector, generous for sanitizer builds on a loaded machine.
        bounded(Duration::from_secs(300), async {
            let server = EchoServer::start();
            let gate = Arc::new(Gate::new(CONNECTIONS));
            let clients: Vec<_> = (0..CONNECTIONS as u64)
                .map(|id| runtime::spawn(chatty_client(server.addr, id, gate.clone())))
                .collect();
            for (id, client) in clients.into_iter().enumerate() {
                client
                    .await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("connection {id}: {e}"));
            }
            assert_eq!(server.accepted(), CONNECTIONS);
            server.stop().await;
        })
        .await
    }
}

/// The slices of `parts` that remain after the first `skip` bytes.
fn remaining(parts: &[Vec<u8>], mut skip: usize) -> Vec<IoSlice<'_>> {
    parts
        .iter()
        .filter_map(|p| {
            if skip >= p.len() {
                skip -= p.len();
                None
            } else {
                let slice = IoSlice::new(&p[skip..]);
                skip = 0;
                Some(slice)
            }
        })
        .collect()
}

rt_test! {
    async fn write_vectored() {
        bounded(LIMIT, async {
            let server = EchoServer::start();
            let mut stream = TcpStream::connect(server.addr).await.unwrap();

            // A few small buffers go out in one call on a fresh connection.
            let small = [pattern(10, 1), pattern(11, 0), pattern(12, 100), pattern(13, 7)];
            let total: usize = small.iter().map(Vec::len).sum();
            let n = stream.write_vectored(&remaining(&small, 0)).await.unwrap();
            assert_eq!(n, total);
            let mut back = vec![0; total];
            stream.read_exact(&mut back).await.unwrap();
            assert_same(&back, &small.concat(), "small vectored write");

            // Buffers larger than the socket's: partial writes, resumed mid-buffer.
            let parts = Arc::new(vec![
                pattern(20, 3),
                pattern(21, 300_000),
                pattern(22, 1),
                pattern(23, 1_500_000),
                pattern(24, 5_000),
            ]);
            let (mut r, mut w) = stream.into_split();
            let writer = runtime::spawn({
                let parts = parts.clone();
                async move {
                    let total: usize = parts.iter().map(Vec::len).sum();
                    let mut written = 0;
                    while written < total {
                        let n = w.write_vectored(&remaining(&parts, written)).await?;
                        assert!(n > 0, "writev wrote nothing");
                        written += n;
                    }
                    io::Result::Ok(written)
                }
            });
            let got = read_to_end(&mut r).await.unwrap();
            let written = writer.await.unwrap().unwrap();
            assert_eq!(written, got.len());
            assert_same(&got, &parts.concat(), "large vectored writes");
            server.stop().await;
        })
        .await
    }
}

rt_test! {
    async fn read_exact_unexpected_eof() {
        bounded(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = runtime::spawn(async move {
                // Two connections: one gets 8 bytes in three pieces, the other none at all.
                let (mut s, _) = listener.accept().await?;
                for piece in [&b"abc"[..], b"def", b"gh"] {
                    s.write_all(piece).await?;
                    runtime::time::sleep(Duration::from_millis(5)).await;
                }
                drop(s);
                let (s, _) = listener.accept().await?;
                drop(s);
                io::Result::Ok(())
            });

            let mut client = TcpStream::connect(addr).await.unwrap();
            let mut six = [0; 6];
            client.read_exact(&mut six).await.unwrap();
            assert_eq!(&six, b"abcdef");
            let mut ten = [0; 10];
            let err = client.read_exact(&mut ten).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
            assert_eq!(client.read(&mut ten).await.unwrap(), 0, "end of stream stays");

            // The same through an owned read half, with nothing sent at all.
            let (mut r, _w) = TcpStream::connect(addr).await.unwrap().into_split();
            let err = r.read_exact(&mut [0; 1]).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");

            server.await.unwrap().unwrap();
        })
        .await
    }
}

rt_test! {
    async fn owned_halves_from_two_tasks() {
        bounded(LIMIT, async {
            let server = EchoServer::start();
            let stream = TcpStream::connect(server.addr).await.unwrap();
            let (mut r, mut w) = stream.into_split();
            let data = Arc::new(pattern(77, 4 * 1024 * 1024));

            // Both tasks wait at the same time: the writer on a full send buffer, the reader
            // for the echo. Neither may take the other's wake-up.
            let writer = runtime::spawn({
                let data = data.clone();
                async move {
                    let mut at = 0;
                    let mut step = 0;
                    while at < data.len() {
                        step += 1;
                        let end = data.len().min(at + 1 + step * 7919 % 70_000);
                        at += w.write(&data[at..end]).await?;
                    }
                    io::Result::Ok(w)
                }
            });
            let reader = runtime::spawn({
                let data = data.clone();
                async move {
                    let mut got = Vec::with_capacity(data.len());
                    let mut buf = vec![0; 50_000];
                    let mut step = 0;
                    while got.len() < data.len() {
                        step += 1;
                        let want = (data.len() - got.len()).min(1 + step * 104_729 % 50_000);
                        match r.read(&mut buf[..want]).await? {
                            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                            n => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    assert_same(&got, &data, "echo read by one task, written by another");
                    io::Result::Ok(r)
                }
            });
            let w = writer.await.unwrap().expect("writer");
            let r = reader.await.unwrap().expect("reader");

            // Put back together, the stream still works both ways.
            let mut stream = r.reunite(w).expect("halves of the same stream");
            stream.write_all(b"again").await.unwrap();
            let mut back = [0; 5];
            stream.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"again");
            stream.shutdown(Shutdown::Write).unwrap();
            assert_eq!(stream.read(&mut back).await.unwrap(), 0);
            server.stop().await;
        })
        .await
    }
}

rt_test! {
    async fn reunite_rejects_halves_of_different_streams() {
        bounded(LIMIT, async {
            let server = EchoServer::start();
            let (r1, w1) = TcpStream::connect(server.addr).await.unwrap().into_split();
            let (r2, w2) = TcpStream::connect(server.addr).await.unwrap().into_split();
            let err = r1.reunite(w2).expect_err("halves of two streams");
            let runtime::net::ReuniteError(r1, w2) = err;
            r1.reunite(w1).expect("first stream");
            r2.reunite(w2).expect("second stream");
            server.stop().await;
        })
        .await
    }
}

rt_test! {
    async fn try_read_gives_would_block_until_data_arrives() {
        bounded(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut buf = [0; 16];
            let err = server.try_read(&mut buf).expect_err("nothing was sent");
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            client.write_all(b"hello").await.unwrap();
            server.readable().await.unwrap();
            assert_eq!(server.try_read(&mut buf).unwrap(), 5);
            assert_eq!(&buf[..5], b"hello");
            server.writable().await.unwrap();
            assert_eq!(server.try_write(b"back").unwrap(), 4);
            client.read_exact(&mut buf[..4]).await.unwrap();
            assert_eq!(&buf[..4], b"back");
        })
        .await
    }
}

rt_test! {
    async fn end_of_stream_after_a_short_read_is_seen() {
        // A short read forgets the stream's readiness (the buffer is drained), but not the
        // peer's close that came with the data: the next read returns 0 at once.
        bounded(LIMIT, async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            client.write_all(b"hello").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            // Both the data and the close are there before the first read.
            runtime::time::sleep(Duration::from_millis(50)).await;
            let mut buf = [0; 1024];
            assert_eq!(server.read(&mut buf).await.unwrap(), 5);
            assert_eq!(server.read(&mut buf).await.unwrap(), 0);
            // The other direction still works after the peer's half-close.
            server.write_all(b"bye").await.unwrap();
            client.read_exact(&mut buf[..3]).await.unwrap();
            assert_eq!(&buf[..3], b"bye");
        })
        .await
    }
}

//! The example servers close idle connections (`IDLE_TIMEOUT_SECS`): `hello_http` a client
//! that trickles its request head a byte at a time, while it goes on answering the others at
//! once; `echo` a client that sends nothing.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::net::TcpStream;
use support::{bounded, raise_nofile_limit, rt, ExampleServer};

/// The idle timeout the servers run with, in seconds.
const IDLE_SECS: &str = "2";
/// How long the server may take to close a trickling connection before the test fails: well
/// past the idle timeout, and far less than the time a client trickling forever would take.
const CLOSE_LIMIT: Duration = Duration::from_secs(30);
const TRICKLERS: usize = 1_000;
const NORMAL_CLIENTS: usize = 20;
/// The gap between two bytes of a trickling client.
const TRICKLE_GAP: Duration = Duration::from_millis(500);

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

fn start(example: &str, flags: &[&str]) -> ExampleServer {
    let mut command = ExampleServer::command(example);
    command
        .env("IDLE_TIMEOUT_SECS", IDLE_SECS)
        .args(flags)
        .arg("127.0.0.1:0");
    ExampleServer::spawn(command)
}

/// Sends a request line, then header bytes without end, one byte per [`TRICKLE_GAP`], until
/// the server closes the connection; returns how long that took from the connect. Each read
/// of the gap would reset a timeout per read: only a deadline per request head ends this.
async fn trickle(addr: std::net::SocketAddr) -> Duration {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let bytes = b"GET / HTTP/1.1\r\n"
        .iter()
        .chain(b"X-Slow: y\r\n".iter().cycle());
    for &byte in bytes {
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        let mut buf = [0; 64];
        match runtime::time::timeout(TRICKLE_GAP, stream.read(&mut buf)).await {
            Err(_elapsed) => {}
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => panic!("an incomplete request was answered: {:?}", &buf[..n]),
        }
    }
    start.elapsed()
}

/// Requests and reads the answer over one connection until `stop`; the latency of each.
async fn keep_alive(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut latencies = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        stream.write_all(REQUEST).await.unwrap();
        let mut back = vec![0; RESPONSE.len()];
        stream.read_exact(&mut back).await.unwrap();
        latencies.push(sent.elapsed());
        assert_eq!(back, RESPONSE);
        runtime::time::sleep(Duration::from_millis(10)).await;
    }
    latencies
}

#[test]
fn hello_http_closes_trickling_connections_and_serves_the_others_meanwhile() {
    // The clients' sockets here, and the server's (it inherits the limit).
    assert!(raise_nofile_limit() > 2 * (TRICKLERS + NORMAL_CLIENTS) as u64);
    let server = start("hello_http", &[]);
    let addr = server.addr;
    rt(2).block_on(bounded(Duration::from_secs(120), async move {
        let stop = Arc::new(AtomicBool::new(false));
        let normal: Vec<_> = (0..NORMAL_CLIENTS)
            .map(|_| runtime::spawn(keep_alive(addr, stop.clone())))
            .collect();
        let tricklers: Vec<_> = (0..TRICKLERS)
            .map(|_| runtime::spawn(bounded(CLOSE_LIMIT, trickle(addr))))
            .collect();
        let mut closed_after = Vec::with_capacity(TRICKLERS);
        for trickler in tricklers {
            closed_after.push(trickler.await.expect("a trickling connection stayed open"));
        }
        stop.store(true, Ordering::SeqCst);
        let mut latencies = Vec::new();
        for client in normal {
            let answered = client.await.expect("a normal client failed");
            assert!(!answered.is_empty());
            latencies.extend(answered);
        }
        closed_after.sort();
        latencies.sort();
        let at = |sorted: &[Duration], q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
        println!(
            "{TRICKLERS} trickling connections closed after {:?} (median) to {:?} (last); \
             {} requests of {NORMAL_CLIENTS} keep-alive clients meanwhile: p50 {:?}, p99 {:?}",
            at(&closed_after, 0.5),
            at(&closed_after, 1.0),
            latencies.len(),
            at(&latencies, 0.5),
            at(&latencies, 0.99),
        );
    }));
}

#[test]
fn echo_closes_a_connection_idle_past_the_timeout() {
    for flags in [&[][..], &["--unbuffered"]] {
        let server = start("echo", flags);
        let mut client = std::net::TcpStream::connect(server.addr).unwrap();
        client.set_read_timeout(Some(CLOSE_LIMIT)).unwrap();
        // Busy for longer than the timeout, never idle for long: the timer set at the start
        // fires while the connection is busy, and must only be pushed back.
        let busy_until = Instant::now() + 2 * Duration::from_secs(IDLE_SECS.parse().unwrap());
        while Instant::now() < busy_until {
            client.write_all(b"hi").unwrap();
            let mut back = [0; 2];
            (client.read_exact(&mut back))
                .unwrap_or_else(|e| panic!("echo {flags:?} closed a busy connection: {e}"));
            assert_eq!(&back, b"hi");
            std::thread::sleep(Duration::from_millis(250));
        }
        // Then nothing: the server closes it.
        match client.read(&mut [0; 8]) {
            Ok(0) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("echo {flags:?} kept an idle connection: {other:?}"),
        }
    }
}

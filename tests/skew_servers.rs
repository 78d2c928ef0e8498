//! The skewed workloads' servers (benches/compare.py): the runtime's `echo --skew` and the
//! reference servers' `echo-skew` mode answer marked requests with their own bytes, as any
//! echo, and report each connection's marked requests on stderr when it ends.

#[path = "../benches/servers/skew.rs"]
mod skew;
mod support;

use std::time::Duration;

use runtime::net::TcpStream;
use skew::Work;
use support::{bounded, rt, ExampleServer};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn markers_say_their_work_and_plain_bytes_none() {
    for work in [
        Work::Burn(Duration::from_micros(200)),
        Work::Burn(Duration::from_micros(6_300)),
        Work::Stall(Duration::from_millis(20)),
        Work::Stall(Duration::ZERO),
    ] {
        let marker = work.marker().expect("representable");
        assert!(marker >= 0x80, "{work:?}: {marker:#x} is not a marker");
        assert_eq!(Work::of_marker(marker), Some(work));
    }
    for byte in 0..0x80 {
        assert_eq!(Work::of_marker(byte), None, "{byte:#x}");
    }
    // Not a whole number of units, or too many of them.
    assert_eq!(Work::Burn(Duration::from_micros(250)).marker(), None);
    assert_eq!(Work::Burn(Duration::from_micros(6_400)).marker(), None);
    assert_eq!(Work::Stall(Duration::from_millis(64)).marker(), None);
}

#[test]
fn runtime_echo_serves_marked_requests() {
    serves_marked_requests("echo", &["--skew"], "runtime-");
}

#[test]
fn tokio_mt_serves_marked_requests() {
    serves_marked_requests("bench_tokio_mt", &["echo-skew"], "worker-");
}

#[test]
fn tokio_tpc_serves_marked_requests() {
    serves_marked_requests("bench_tokio_tpc", &["echo-skew"], "worker-");
}

#[test]
fn mio_serves_marked_requests() {
    serves_marked_requests("bench_mio", &["echo-skew"], "worker-");
}

/// One connection sends a burn, a stall and a plain message, then two burns in one write; every
/// reply is the bytes sent, and the connection's line counts the four marked requests.
fn serves_marked_requests(server: &str, args: &[&str], threads: &str) {
    let mut server = ExampleServer::start(server, args);
    let addr = server.addr;
    let burn = Work::Burn(Duration::from_micros(100)).marker().unwrap();
    let stall = Work::Stall(Duration::from_millis(1)).marker().unwrap();
    rt(1).block_on(bounded(LIMIT, async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for message in [
            vec![burn, 1, 2, 3],
            vec![stall, 4, 5, 6],
            vec![7, 8, 9, 10],
            vec![burn, 11, burn, 12],
        ] {
            stream.write_all(&message).await.unwrap();
            let mut back = vec![0; message.len()];
            stream.read_exact(&mut back).await.unwrap();
            assert_eq!(back, message);
        }
    }));
    // The connection is closed: the server prints its line as it ends.
    let line = server.next_stderr_line();
    let prefix = format!("skew: connection started on {threads}");
    assert!(line.starts_with(&prefix), "{line:?}");
    assert!(line.contains(": 4 marked requests, run on "), "{line:?}");
}

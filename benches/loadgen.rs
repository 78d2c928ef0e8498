//! Load generator: many connections, each sending a request and waiting for the whole reply
//! before the next (closed loop), recording every round trip's latency.
//!
//! ```text
//! cargo bench --bench loadgen -- --addr 127.0.0.1:7000 --mode echo --conns 1000 --secs 5
//! ```
//!
//! Modes: `echo` (a `--size`-byte message, the same bytes back) and `http` (a GET, the
//! `hello_http` response back). Prints one JSON line: requests, throughput, latency
//! percentiles in microseconds, and errors. The first second is warm-up and not counted in
//! the latencies; `total` counts every round trip, warm-up included.
//!
//! With `--requests N` instead of a duration, the connections make N round trips in all and
//! stop (for counting instructions or system calls per request).
//!
//! It runs one event loop per CPU (`--workers` to change that). With a single loop on a
//! 2-core machine the generator is the slower party: it sends each request as its own loop
//! gets to it, so requests reach the server spread out, one at a time, and a server that lets
//! some connections wait behind others under a burst never shows it. With a loop per core
//! each server meets bursts of ready connections, as under `wrk`, and its tail shows how
//! fairly it schedules them (BENCHMARKS.md has the runs that showed the difference).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use runtime::net::TcpStream;

const HTTP_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
/// What `hello_http` answers to each request.
const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

struct Args {
    addr: SocketAddr,
    http: bool,
    conns: usize,
    secs: f64,
    size: usize,
    workers: usize,
    requests: Option<u64>,
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:7000".parse().unwrap(),
        http: false,
        conns: 100,
        secs: 5.0,
        size: 64,
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        requests: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench` to every bench target.
        if flag == "--bench" {
            continue;
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value.parse().expect("--addr: an ip:port"),
            "--mode" => args.http = value == "http",
            "--conns" => args.conns = value.parse().expect("--conns: a number"),
            "--secs" => args.secs = value.parse().expect("--secs: a number"),
            "--size" => args.size = value.parse().expect("--size: a number"),
            "--workers" => args.workers = value.parse().expect("--workers: a number"),
            "--requests" => args.requests = Some(value.parse().expect("--requests: a number")),
            _ => panic!("unknown flag {flag}"),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let rt = runtime::Builder::new()
        .workers(args.workers)
        .build()
        .expect("runtime");
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(0));
    // Round trips left to make, with `--requests`.
    let left = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let (request, reply_len) = if args.http {
        (HTTP_REQUEST.to_vec(), HTTP_RESPONSE.len())
    } else {
        ((0..args.size).map(|i| i as u8).collect(), args.size)
    };
    let request: Arc<[u8]> = request.into();
    let (histogram, elapsed) = rt.block_on(async {
        let conns: Vec<_> = (0..args.conns)
            .map(|_| {
                let (recording, stop, errors, request, total, left) = (
                    recording.clone(),
                    stop.clone(),
                    errors.clone(),
                    request.clone(),
                    total.clone(),
                    left.clone(),
                );
                runtime::spawn(async move {
                    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                    let Ok(mut stream) = TcpStream::connect(args.addr).await else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return hist;
                    };
                    let _ = stream.set_nodelay(true);
                    let mut reply = vec![0; reply_len];
                    while !stop.load(Ordering::Relaxed)
                        && left
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            })
                            .is_ok()
                    {
                        let start = Instant::now();
                        let ok = stream.write_all(&request).await.is_ok()
                            && stream.read_exact(&mut reply).await.is_ok();
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                            return hist;
                        }
                        total.fetch_add(1, Ordering::Relaxed);
                        if recording.load(Ordering::Relaxed) || args.requests.is_some() {
                            let us = start.elapsed().as_micros() as u64;
                            hist.saturating_record(us.max(1));
                        }
                    }
                    hist
                })
            })
            .collect();
        let started = Instant::now();
        let mut window = None;
        if args.requests.is_none() {
            runtime::time::sleep(Duration::from_secs(1)).await;
            recording.store(true, Ordering::Relaxed);
            let start = Instant::now();
            runtime::time::sleep(Duration::from_secs_f64(args.secs)).await;
            recording.store(false, Ordering::Relaxed);
            window = Some(start.elapsed());
            stop.store(true, Ordering::Relaxed);
        }
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for c in conns {
            // A server that stopped answering leaves its connections waiting: give up on them.
            match runtime::time::timeout(Duration::from_secs(5), c).await {
                Ok(hist) => histogram.add(hist.expect("connection task")).unwrap(),
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        (histogram, window.unwrap_or_else(|| started.elapsed()))
    });
    let requests = histogram.len();
    println!(
        "{{\"mode\":\"{}\",\"conns\":{},\"requests\":{},\"total\":{},\"rps\":{:.0},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"errors\":{}}}",
        if args.http { "http" } else { "echo" },
        args.conns,
        requests,
        total.load(Ordering::Relaxed),
        requests as f64 / elapsed.as_secs_f64(),
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
        histogram.value_at_quantile(0.999),
        histogram.max(),
        errors.load(Ordering::Relaxed),
    );
}

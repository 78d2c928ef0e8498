//! Load generator: many connections, each sending a request and waiting for the whole reply
//! before the next (closed loop), recording every round trip's latency; or, with `--rate`,
//! sending on a schedule whatever the replies do (open loop).
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
//!
//! # Skewed workloads
//!
//! Echo requests come in classes, each with its own latency histogram and throughput under
//! `classes` in the JSON line (the top-level figures are those of all classes together):
//!
//! - `light`: a plain echo;
//! - `heavy`: every request of the first `--heavy-conns` connections asks the server for the
//!   work `--heavy` names (`burn:2ms`: that much CPU; `stall:20ms`: a blocking sleep);
//! - `rare`: one request every `--rare-every` (across the light connections: whichever sends
//!   next) asks for the work `--rare` names.
//!
//! The work is said by a marker byte the servers understand in skew mode
//! (benches/servers/skew.rs). `--over 1000,15000` adds, per class, how many requests took at
//! least each of these many microseconds.
//!
//! # Open loop
//!
//! With `--rate R`, the light connections send `R` requests per second in all, and each heavy
//! connection one every `--heavy-every`, on a fixed schedule: every connection sends at a
//! constant period, the connections of a class staggered evenly over it. A request is sent at
//! its time whether or not the replies before it have come back, and its latency runs from the
//! time it was *scheduled*, so a server that falls behind is charged for every request that
//! waited, not only for the one it was slow on (no coordinated omission). One thread, the
//! pacer, sleeps until each send (the runtime's timers tick in milliseconds, too coarse for a
//! schedule whose effects are of a millisecond) and writes on a second descriptor of the
//! socket; the runtime's loops read the replies. The pacer's own lateness, the time from a
//! request's schedule to its write, is reported as `send_lag_us`: where it is not small
//! against the latencies, the generator measured itself. Run it at real-time priority
//! (`chrt -f 50`) so that the server cannot delay the pacer or the readers.

// The skewed workloads' protocol, shared with the servers.
#[path = "servers/skew.rs"]
mod skew;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use runtime::net::TcpStream;
use serde_json::{json, Map, Value};
use skew::Work;

const HTTP_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
/// What `hello_http` answers to each request.
const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
/// Not counted in the latencies: connections opening, caches and queues filling.
const WARM_UP: Duration = Duration::from_secs(1);
/// How long the connections get to finish once the measurement is over; a server that has not
/// answered by then has stopped answering.
const DRAIN: Duration = Duration::from_secs(5);
/// Open loop: time for the readers to start before the first send.
const START_DELAY: Duration = Duration::from_millis(200);

struct Args {
    addr: SocketAddr,
    http: bool,
    conns: usize,
    secs: f64,
    size: usize,
    workers: usize,
    requests: Option<u64>,
    /// The first `heavy_conns` connections send only heavy requests.
    heavy_conns: usize,
    heavy: Option<Work>,
    /// One request in this period, across the light connections, asks for this work.
    rare: Option<Work>,
    rare_every: Option<Duration>,
    /// Open loop: the light connections' requests per second in all.
    rate: Option<f64>,
    /// Open loop: each heavy connection's period.
    heavy_every: Option<Duration>,
    /// Latencies in µs above which requests are counted, per class.
    over: Vec<u64>,
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
        heavy_conns: 0,
        heavy: None,
        rare: None,
        rare_every: None,
        rate: None,
        heavy_every: None,
        over: Vec::new(),
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
            "--heavy-conns" => args.heavy_conns = value.parse().expect("--heavy-conns: a number"),
            "--heavy" => args.heavy = Some(parse_work(&value)),
            "--rare" => args.rare = Some(parse_work(&value)),
            "--rare-every" => args.rare_every = Some(parse_duration(&value)),
            "--rate" => args.rate = Some(value.parse().expect("--rate: requests per second")),
            "--heavy-every" => args.heavy_every = Some(parse_duration(&value)),
            "--over" => {
                args.over = value
                    .split(',')
                    .map(|us| us.parse().expect("--over: microseconds, comma-separated"))
                    .collect()
            }
            _ => panic!("unknown flag {flag}"),
        }
    }
    let skewed = args.heavy_conns > 0 || args.rare.is_some() || args.rate.is_some();
    assert!(
        !(skewed && args.http),
        "classes and open loop are for --mode echo"
    );
    assert!(args.size > 0, "--size: at least the marker byte");
    assert!(
        args.heavy_conns == 0 || args.heavy.is_some(),
        "--heavy-conns needs --heavy"
    );
    assert!(
        args.heavy_conns <= args.conns,
        "more heavy connections than connections"
    );
    assert_eq!(
        args.rare.is_some(),
        args.rare_every.is_some(),
        "--rare and --rare-every go together"
    );
    if args.rate.is_some() {
        assert!(
            args.requests.is_none() && args.rare.is_none(),
            "open loop is timed, with light and heavy connections only"
        );
        assert!(
            args.heavy_conns == 0 || args.heavy_every.is_some(),
            "open loop: heavy connections need --heavy-every"
        );
    }
    args
}

/// `burn:<duration>` or `stall:<duration>`.
fn parse_work(text: &str) -> Work {
    let work = match text.split_once(':') {
        Some(("burn", d)) => Work::Burn(parse_duration(d)),
        Some(("stall", d)) => Work::Stall(parse_duration(d)),
        _ => panic!("{text}: burn:<duration> or stall:<duration>"),
    };
    assert!(
        work.marker().is_some(),
        "{text}: a burn is up to 63 times 100us, a stall up to 63 ms"
    );
    work
}

/// `<n>us`, `<n>ms` or `<n>s`.
fn parse_duration(text: &str) -> Duration {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| text.split_at(i))
        .unwrap_or_else(|| panic!("{text}: a duration with its unit (us, ms, s)"));
    let number: u64 = number.parse().expect("a whole number before the unit");
    match unit {
        "us" => Duration::from_micros(number),
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        _ => panic!("{text}: the unit is us, ms or s"),
    }
}

/// A request's class, which picks its histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Light,
    Heavy,
    Rare,
}

impl Class {
    const ALL: [Class; 3] = [Class::Light, Class::Heavy, Class::Rare];

    fn name(self) -> &'static str {
        match self {
            Class::Light => "light",
            Class::Heavy => "heavy",
            Class::Rare => "rare",
        }
    }
}

/// The latencies recorded, one histogram per class, in microseconds.
struct Latencies([Histogram<u64>; 3]);

impl Latencies {
    fn new() -> Latencies {
        Latencies(Class::ALL.map(|_| histogram()))
    }

    fn record(&mut self, class: Class, latency: Duration) {
        self.0[class as usize].saturating_record((latency.as_micros() as u64).max(1));
    }

    fn add(&mut self, other: &Latencies) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            mine.add(theirs).expect("histograms of the same bounds");
        }
    }

    fn class(&self, class: Class) -> &Histogram<u64> {
        &self.0[class as usize]
    }

    fn all(&self) -> Histogram<u64> {
        let mut all = histogram();
        for h in &self.0 {
            all.add(h).expect("histograms of the same bounds");
        }
        all
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap()
}

/// What a run measured.
struct Outcome {
    latencies: Latencies,
    /// The time over which `latencies` were recorded.
    window: Duration,
    /// Round trips completed, warm-up included.
    total: u64,
    errors: u64,
    /// Open loop: how late the pacer sent each request of the window, in microseconds.
    send_lag: Option<Histogram<u64>>,
}

/// The messages a connection sends: the echo request (`size` bytes below 0x80, so that none is
/// a marker), with its first byte the marker of `work` if any, or the HTTP request.
fn request(args: &Args, work: Option<Work>) -> Arc<[u8]> {
    if args.http {
        return HTTP_REQUEST.into();
    }
    let mut message: Vec<u8> = (0..args.size).map(|i| i as u8 & 0x7f).collect();
    if let Some(work) = work {
        message[0] = work.marker().expect("checked when parsed");
    }
    message.into()
}

fn main() {
    let args = parse_args();
    let rt = runtime::Builder::new()
        .workers(args.workers)
        .build()
        .expect("runtime");
    let outcome = if args.rate.is_some() {
        open_loop(&args, &rt)
    } else {
        closed_loop(&args, &rt)
    };
    println!("{}", report(&args, &outcome));
}

fn closed_loop(args: &Args, rt: &runtime::Runtime) -> Outcome {
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(0));
    // Round trips left to make, with `--requests`.
    let left = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    // Rare requests due and not yet sent: the ticker adds one per period, a light connection
    // about to send takes one.
    let rare_due = Arc::new(AtomicU64::new(0));
    let reply_len = if args.http {
        HTTP_RESPONSE.len()
    } else {
        args.size
    };
    let light = request(args, None);
    let heavy = request(args, args.heavy);
    let rare = request(args, args.rare);
    let timed = args.requests.is_none();
    let (addr, heavy_conns, rare_on) = (args.addr, args.heavy_conns, args.rare.is_some());
    let (latencies, window) = rt.block_on(async {
        let conns: Vec<_> = (0..args.conns)
            .map(|i| {
                let (recording, stop, errors, total, left, rare_due) = (
                    recording.clone(),
                    stop.clone(),
                    errors.clone(),
                    total.clone(),
                    left.clone(),
                    rare_due.clone(),
                );
                let (light, heavy, rare) = (light.clone(), heavy.clone(), rare.clone());
                runtime::spawn(async move {
                    let mut latencies = Latencies::new();
                    let Ok(mut stream) = TcpStream::connect(addr).await else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return latencies;
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
                        let (class, request) = if i < heavy_conns {
                            (Class::Heavy, &heavy)
                        } else if rare_on && take_one(&rare_due) {
                            (Class::Rare, &rare)
                        } else {
                            (Class::Light, &light)
                        };
                        let start = Instant::now();
                        let ok = stream.write_all(request).await.is_ok()
                            && stream.read_exact(&mut reply).await.is_ok();
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                            return latencies;
                        }
                        total.fetch_add(1, Ordering::Relaxed);
                        if recording.load(Ordering::Relaxed) || !timed {
                            latencies.record(class, start.elapsed());
                        }
                    }
                    latencies
                })
            })
            .collect();
        if let Some(every) = args.rare_every {
            let (rare_due, stop) = (rare_due.clone(), stop.clone());
            drop(runtime::spawn(async move {
                let mut ticks = runtime::time::interval(every);
                while !stop.load(Ordering::Relaxed) {
                    ticks.tick().await;
                    rare_due.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let started = Instant::now();
        let mut window = None;
        if timed {
            runtime::time::sleep(WARM_UP).await;
            recording.store(true, Ordering::Relaxed);
            let start = Instant::now();
            runtime::time::sleep(Duration::from_secs_f64(args.secs)).await;
            recording.store(false, Ordering::Relaxed);
            window = Some(start.elapsed());
            stop.store(true, Ordering::Relaxed);
        }
        let mut latencies = Latencies::new();
        for c in conns {
            // A server that stopped answering leaves its connections waiting: give up on them.
            match runtime::time::timeout(DRAIN, c).await {
                Ok(conn) => latencies.add(&conn.expect("connection task")),
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        (latencies, window.unwrap_or_else(|| started.elapsed()))
    });
    Outcome {
        latencies,
        window,
        total: total.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        send_lag: None,
    }
}

/// Takes one from `due` if it is not zero.
fn take_one(due: &AtomicU64) -> bool {
    due.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

/// When the open loop's measurement runs: requests scheduled in `from..to` are recorded;
/// none is scheduled after `to`.
#[derive(Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

/// The send times of a connection's requests whose replies have not come back, oldest first:
/// the pacer pushes each before it writes, the connection's reader pops one per reply.
type InFlight = Arc<Mutex<VecDeque<Instant>>>;

/// An open-loop connection as the pacer sees it: it sends `request` at `first`,
/// `first + period`, ... while that is before the window's end, on `writer`.
struct Paced {
    request: Arc<[u8]>,
    first: Instant,
    period: Duration,
    writer: std::net::TcpStream,
    in_flight: InFlight,
}

fn open_loop(args: &Args, rt: &runtime::Runtime) -> Outcome {
    let light_conns = args.conns - args.heavy_conns;
    let rate = args.rate.expect("open loop");
    let start = Instant::now() + START_DELAY;
    let window = Window {
        from: start + WARM_UP,
        to: start + WARM_UP + Duration::from_secs_f64(args.secs),
    };
    let (light, heavy) = (request(args, None), request(args, args.heavy));
    let mut errors = 0;
    // Two descriptors of each socket: the pacer writes on one, a reader task reads the other.
    let mut paced = Vec::with_capacity(args.conns);
    let mut readers = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        // The connections of a class share its period, staggered evenly over it.
        let (class, request, period, slot, slots) = if i < args.heavy_conns {
            let period = args.heavy_every.expect("checked when parsed");
            (Class::Heavy, &heavy, period, i, args.heavy_conns)
        } else {
            let period = Duration::from_secs_f64(light_conns as f64 / rate);
            (
                Class::Light,
                &light,
                period,
                i - args.heavy_conns,
                light_conns,
            )
        };
        let Ok(stream) = std::net::TcpStream::connect(args.addr) else {
            errors += 1;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let in_flight = InFlight::default();
        paced.push(Paced {
            request: request.clone(),
            first: start + period.mul_f64(slot as f64 / slots as f64),
            period,
            writer: stream.try_clone().expect("a second descriptor"),
            in_flight: in_flight.clone(),
        });
        readers.push((stream, class, in_flight));
    }
    let pacer = std::thread::Builder::new()
        .name("pacer".into())
        .spawn(move || pace(paced, window))
        .expect("the pacer thread");
    let reply_len = args.size;
    let replies = rt.block_on(async {
        let tasks: Vec<_> = readers
            .into_iter()
            .map(|(stream, class, in_flight)| {
                runtime::spawn(read_replies(stream, class, reply_len, in_flight, window))
            })
            .collect();
        let mut replies = Vec::with_capacity(tasks.len());
        for task in tasks {
            replies.push(task.await.expect("reader task"));
        }
        replies
    });
    let send_lag = pacer.join().expect("the pacer thread");
    let mut latencies = Latencies::new();
    let mut total = 0;
    for (conn, answered, failed) in replies {
        latencies.add(&conn);
        total += answered;
        errors += failed;
    }
    Outcome {
        latencies,
        window: window.to - window.from,
        total,
        errors,
        send_lag: Some(send_lag),
    }
}

/// The pacer: sends every connection's requests at their scheduled times, then shuts the
/// connections' write side so that the readers see the end. Returns how late it sent the
/// requests of the window, in microseconds.
fn pace(mut conns: Vec<Paced>, window: Window) -> Histogram<u64> {
    // Sleep as precisely as the kernel can: the default timer slack (50 µs) would add up to
    // that much lag to every send. (Real-time threads have none anyway.)
    // SAFETY: PR_SET_TIMERSLACK takes an integer argument and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
    let mut lag = histogram();
    let mut next: BinaryHeap<Reverse<(Instant, usize)>> = conns
        .iter()
        .enumerate()
        .map(|(i, conn)| Reverse((conn.first, i)))
        .collect();
    while let Some(Reverse((at, i))) = next.pop() {
        if at >= window.to {
            continue;
        }
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
        let sent = Instant::now();
        if at >= window.from {
            lag.saturating_record(sent.duration_since(at).as_micros() as u64);
        }
        let conn = &mut conns[i];
        conn.in_flight.lock().unwrap().push_back(at);
        // A connection that fails leaves the schedule; its reader counts the request as
        // unanswered.
        if send(&mut conn.writer, &conn.request).is_ok() {
            next.push(Reverse((at + conn.period, i)));
        }
    }
    for conn in &conns {
        let _ = conn.writer.shutdown(std::net::Shutdown::Write);
    }
    lag
}

/// Writes all of `message`. The socket is non-blocking (the runtime's descriptor shares the
/// flag); a full one means the server has stopped reading, and the wait for room shows as lag.
fn send(stream: &mut std::net::TcpStream, mut message: &[u8]) -> std::io::Result<()> {
    while !message.is_empty() {
        match stream.write(message) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => message = &message[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_micros(100))
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads a connection's replies until the pacer shuts it down and the server closes it (or
/// `DRAIN` after the window), timing each from its request's scheduled send. Returns the
/// latencies of the window's requests, the replies read, and the errors: a failed read and
/// every request left unanswered.
async fn read_replies(
    stream: std::net::TcpStream,
    class: Class,
    reply_len: usize,
    in_flight: InFlight,
    window: Window,
) -> (Latencies, u64, u64) {
    let mut latencies = Latencies::new();
    let Ok(mut stream) = TcpStream::from_std(stream) else {
        return (latencies, 0, 1);
    };
    let deadline =
        runtime::time::Instant::now() + window.to.saturating_duration_since(Instant::now()) + DRAIN;
    let mut reply = vec![0; reply_len];
    let (mut answered, mut errors) = (0, 0);
    loop {
        match runtime::time::timeout_at(deadline, stream.read_exact(&mut reply)).await {
            Ok(Ok(_)) => {}
            // End of stream once the server has answered everything: the normal end.
            Ok(Err(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                break;
            }
        }
        let now = Instant::now();
        let Some(scheduled) = in_flight.lock().unwrap().pop_front() else {
            // A reply to no request: the server sent more than it was sent.
            errors += 1;
            break;
        };
        answered += 1;
        if (window.from..window.to).contains(&scheduled) {
            latencies.record(class, now - scheduled);
        }
    }
    errors += in_flight.lock().unwrap().len() as u64;
    (latencies, answered, errors)
}

/// The JSON line: the figures of all classes at the top level (as before there were classes),
/// then per class, and the open loop's send lag.
fn report(args: &Args, outcome: &Outcome) -> Value {
    let secs = outcome.window.as_secs_f64();
    let mut out = Map::new();
    out.insert(
        "mode".into(),
        json!(if args.http { "http" } else { "echo" }),
    );
    out.insert("conns".into(), json!(args.conns));
    let all = outcome.latencies.all();
    let Value::Object(figures) = summary(&all, secs, &[]) else {
        unreachable!("a summary is an object")
    };
    out.extend(figures);
    out.insert("total".into(), json!(outcome.total));
    out.insert("errors".into(), json!(outcome.errors));
    let classes: Map<String, Value> = Class::ALL
        .iter()
        .filter(|&&class| match class {
            Class::Light => args.heavy_conns < args.conns,
            Class::Heavy => args.heavy_conns > 0,
            Class::Rare => args.rare.is_some(),
        })
        .map(|&class| {
            let h = outcome.latencies.class(class);
            (class.name().to_owned(), summary(h, secs, &args.over))
        })
        .collect();
    out.insert("classes".into(), Value::Object(classes));
    if let Some(lag) = &outcome.send_lag {
        out.insert(
            "send_lag_us".into(),
            json!({
                "p50": lag.value_at_quantile(0.5),
                "p99": lag.value_at_quantile(0.99),
                "p999": lag.value_at_quantile(0.999),
                "max": lag.max(),
            }),
        );
    }
    Value::Object(out)
}

/// A histogram's requests, throughput over `secs`, percentiles, and the counts at or above
/// each of `over` (microseconds).
fn summary(h: &Histogram<u64>, secs: f64, over: &[u64]) -> Value {
    let mut out = json!({
        "requests": h.len(),
        "rps": (h.len() as f64 / secs).round(),
        "p50_us": h.value_at_quantile(0.5),
        "p99_us": h.value_at_quantile(0.99),
        "p999_us": h.value_at_quantile(0.999),
        "max_us": h.max(),
    });
    if !over.is_empty() {
        let counts: Map<String, Value> = over
            .iter()
            .map(|&us| (us.to_string(), json!(h.count_between(us, u64::MAX))))
            .collect();
        out["over_us"] = Value::Object(counts);
    }
    out
}

//! The example servers' `/metrics` endpoint (`METRICS_ADDR`): an echo server under load,
//! scraped with curl, its Prometheus text parsed and checked.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use support::http::curl;
use support::ExampleServer;

/// Client connections kept open, each echoing messages, while the server is scraped.
const CONNECTIONS: usize = 32;
const WORKERS: [&str; 2] = ["0", "1"];

const PER_WORKER_COUNTERS: [&str; 12] = [
    "runtime_worker_polls_total",
    "runtime_worker_steals_total",
    "runtime_worker_steal_attempts_total",
    "runtime_worker_parks_total",
    "runtime_worker_reactor_turns_total",
    "runtime_worker_io_events_total",
    "runtime_worker_remote_wakes_total",
    "runtime_worker_injector_pulls_total",
    "runtime_worker_stand_ins_total",
    "runtime_worker_moves_total",
    "runtime_worker_accepted_connections_total",
    "runtime_worker_busy_seconds_total",
];

const PER_WORKER_GAUGES: [&str; 4] = [
    "runtime_worker_live_connections",
    "runtime_worker_local_queue_depth",
    "runtime_worker_pinned_queue_depth",
    "runtime_worker_inbox_depth",
];

const HISTOGRAM: &str = "runtime_worker_poll_time_seconds";

/// A loopback port free a moment ago.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The samples of a Prometheus text exposition: `name{labels}` (as printed) to value, plus
/// each metric's `# TYPE`.
struct Scrape {
    samples: BTreeMap<String, f64>,
    /// In the order printed, for the histogram buckets.
    lines: Vec<(String, f64)>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let (mut samples, mut lines, mut types) = (BTreeMap::new(), Vec::new(), BTreeMap::new());
        for line in text.lines() {
            if let Some(declared) = line.strip_prefix("# TYPE ") {
                let (name, kind) = declared.split_once(' ').unwrap();
                types.insert(name.to_owned(), kind.to_owned());
            } else if !line.starts_with('#') && !line.is_empty() {
                let (series, value) = line.rsplit_once(' ').unwrap();
                let value: f64 = match value {
                    "+Inf" => f64::INFINITY,
                    v => v.parse().unwrap_or_else(|_| panic!("value of {line:?}")),
                };
                samples.insert(series.to_owned(), value);
                lines.push((series.to_owned(), value));
            }
        }
        Scrape {
            samples,
            lines,
            types,
        }
    }

    fn get(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {:#?}", self.samples.keys()))
    }

    fn per_worker(&self, name: &str, worker: &str) -> f64 {
        self.get(&format!("{name}{{worker=\"{worker}\"}}"))
    }

    /// Worker `worker`'s histogram buckets, `(le, cumulative count)` in the order printed.
    fn buckets(&self, name: &str, worker: &str) -> Vec<(String, f64)> {
        let prefix = format!("{name}_bucket{{worker=\"{worker}\",le=\"");
        self.lines
            .iter()
            .filter_map(|(series, value)| {
                let le = series.strip_prefix(&prefix)?.strip_suffix("\"}")?;
                Some((le.to_owned(), *value))
            })
            .collect()
    }
}

/// Keeps `CONNECTIONS` clients echoing messages through `addr` until `stop`; each waits at
/// `connected` once its connection has been echoed to, so that it is open and accepted.
fn load(
    addr: SocketAddr,
    connected: Arc<Barrier>,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..CONNECTIONS)
        .map(|c| {
            let (connected, stop) = (connected.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut first = true;
                while first || (!stop.load(Ordering::Relaxed) && Instant::now() < deadline) {
                    let message = [c as u8; 256];
                    stream.write_all(&message).unwrap();
                    let mut back = [0; 256];
                    stream.read_exact(&mut back).unwrap();
                    assert_eq!(back, message, "connection {c}");
                    if first {
                        connected.wait();
                        first = false;
                    }
                }
            })
        })
        .collect()
}

#[test]
fn an_example_under_load_serves_its_metrics_to_prometheus() {
    let metrics_addr = free_port();
    let mut command = ExampleServer::command("echo");
    command
        .env("METRICS_ADDR", metrics_addr.to_string())
        .arg("127.0.0.1:0");
    let server = ExampleServer::spawn(command);

    let connected = Arc::new(Barrier::new(CONNECTIONS + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(server.addr, connected.clone(), stop.clone());
    connected.wait();
    // Every client connection is open and has been served: the server counts them live
    // until they close, which they do only once told to stop.
    let text = curl(&[], &format!("http://{metrics_addr}/metrics"));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let scrape = Scrape::parse(&text);

    assert_eq!(scrape.get("runtime_workers"), 2.0, "{text}");
    scrape.get("runtime_global_queue_depth");
    for name in PER_WORKER_COUNTERS {
        assert_eq!(scrape.types[name], "counter", "{name}");
        for worker in WORKERS {
            assert!(scrape.per_worker(name, worker) >= 0.0, "{name}");
        }
    }
    for name in PER_WORKER_GAUGES {
        assert_eq!(scrape.types[name], "gauge", "{name}");
        for worker in WORKERS {
            scrape.per_worker(name, worker);
        }
    }
    let total = |name: &str| -> f64 { WORKERS.iter().map(|w| scrape.per_worker(name, w)).sum() };
    // The scrape's own connection is live too, and accepted.
    assert!(
        total("runtime_worker_live_connections") > CONNECTIONS as f64,
        "{text}"
    );
    assert!(
        total("runtime_worker_accepted_connections_total") > CONNECTIONS as f64,
        "{text}"
    );
    assert!(total("runtime_worker_polls_total") > 0.0, "{text}");

    assert_eq!(scrape.types[HISTOGRAM], "histogram");
    let mut sampled = 0.0;
    for worker in WORKERS {
        let buckets = scrape.buckets(HISTOGRAM, worker);
        assert_eq!(buckets.len(), runtime::PollTimeHistogram::BUCKETS, "{text}");
        for pair in buckets.windows(2) {
            let (bound, next): (f64, f64) = (
                pair[0].0.parse().unwrap(),
                pair[1].0.replace("+Inf", "inf").parse().unwrap(),
            );
            assert!(bound < next, "bucket bounds in order: {buckets:?}");
            assert!(pair[0].1 <= pair[1].1, "cumulative counts: {buckets:?}");
        }
        let (last_bound, last_count) = buckets.last().unwrap();
        assert_eq!(last_bound, "+Inf");
        let count = scrape.per_worker(&format!("{HISTOGRAM}_count"), worker);
        assert_eq!(
            *last_count, count,
            "+Inf bucket and _count of worker {worker}"
        );
        assert!(scrape.per_worker(&format!("{HISTOGRAM}_sum"), worker) >= 0.0);
        sampled += count;
    }
    assert!(sampled > 0.0, "{text}");
}

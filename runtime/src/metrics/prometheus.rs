//! The runtime's metrics as Prometheus metrics, through `prometheus-client`'s [`Collector`]
//! trait: a snapshot is taken at each scrape and encoded on the spot, so nothing is kept or
//! updated between scrapes.
//!
//! Every per-worker value is a family with one label, `worker` (the worker's index). Totals are
//! counters (`_total`), busy time a counter of seconds, queue depths and live connections
//! gauges, and the poll times a histogram with [`PollTimeHistogram`]'s bucket bounds, in
//! seconds.

use prometheus_client::collector::Collector as PrometheusCollector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::{PollTimeHistogram, RuntimeMetrics, WorkerMetrics};
use crate::Handle;

/// Exports a runtime's metrics to a [`prometheus_client`] registry, with a snapshot taken at
/// each scrape (needs the `prometheus` feature).
///
/// ```
/// use prometheus_client::encoding::text::encode;
/// use prometheus_client::registry::Registry;
///
/// let runtime = runtime::Builder::new().workers(2).build()?;
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(runtime::metrics::Collector::new(runtime.handle().clone())));
///
/// runtime.block_on(async { runtime::spawn(async {}).await.unwrap() });
/// let mut text = String::new();
/// encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"runtime_worker_polls_total{worker="1"}"#));
/// assert!(text.contains("# TYPE runtime_worker_poll_time_seconds histogram"));
/// # std::io::Result::Ok(())
/// ```
///
/// The metrics, each per worker (label `worker`) but the first two:
///
/// | name | type | from |
/// | --- | --- | --- |
/// | `runtime_workers` | gauge | [`RuntimeMetrics::workers`]`.len()` |
/// | `runtime_global_queue_depth` | gauge | [`RuntimeMetrics::global_queue_depth`] |
/// | `runtime_worker_polls_total` | counter | [`WorkerMetrics::polls`] |
/// | `runtime_worker_steals_total` | counter | [`WorkerMetrics::steals`] |
/// | `runtime_worker_steal_attempts_total` | counter | [`WorkerMetrics::steal_attempts`] |
/// | `runtime_worker_parks_total` | counter | [`WorkerMetrics::parks`] |
/// | `runtime_worker_reactor_turns_total` | counter | [`WorkerMetrics::turns`] |
/// | `runtime_worker_io_events_total` | counter | [`WorkerMetrics::io_events`] |
/// | `runtime_worker_remote_wakes_total` | counter | [`WorkerMetrics::remote_wakes`] |
/// | `runtime_worker_injector_pulls_total` | counter | [`WorkerMetrics::injector_pulls`] |
/// | `runtime_worker_stand_ins_total` | counter | [`WorkerMetrics::stand_ins`] |
/// | `runtime_worker_moves_total` | counter | [`WorkerMetrics::moves`] |
/// | `runtime_worker_accepted_connections_total` | counter | [`WorkerMetrics::accepted`] |
/// | `runtime_worker_busy_seconds_total` | counter | [`WorkerMetrics::busy_duration`] |
/// | `runtime_worker_live_connections` | gauge | [`WorkerMetrics::live_connections`] |
/// | `runtime_worker_local_queue_depth` | gauge | [`WorkerMetrics::local_queue_depth`] |
/// | `runtime_worker_pinned_queue_depth` | gauge | [`WorkerMetrics::pinned_queue_depth`] |
/// | `runtime_worker_inbox_depth` | gauge | [`WorkerMetrics::inbox_depth`] |
/// | `runtime_worker_poll_time_seconds` | histogram | [`WorkerMetrics::poll_time_histogram`] |
///
/// The poll-time histogram is a sample of one poll in
/// [`PollTimeHistogram::SAMPLE_PERIOD`]: its `_count` grows about that many times slower than
/// `runtime_worker_polls_total`.
#[derive(Debug, Clone)]
pub struct Collector {
    handle: Handle,
}

impl Collector {
    /// A collector of the metrics of the runtime `handle` belongs to.
    pub fn new(handle: Handle) -> Collector {
        Collector { handle }
    }
}

impl PrometheusCollector for Collector {
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode(&self.handle.metrics(), encoder)
    }
}

/// A per-worker value: its name, its help text, and how to read it from a worker's metrics.
type PerWorker = (&'static str, &'static str, fn(&WorkerMetrics) -> u64);

/// The per-worker counters (their names before `_total`).
const COUNTERS: [PerWorker; 11] = [
    ("runtime_worker_polls", "Tasks polled.", |w| w.polls),
    (
        "runtime_worker_steals",
        "Tasks taken from peers' run queues.",
        |w| w.steals,
    ),
    (
        "runtime_worker_steal_attempts",
        "Peer run queues looked into for tasks to steal.",
        |w| w.steal_attempts,
    ),
    (
        "runtime_worker_parks",
        "Times the worker went to sleep for lack of work.",
        |w| w.parks,
    ),
    (
        "runtime_worker_reactor_turns",
        "Turns of the worker's reactor.",
        |w| w.turns,
    ),
    (
        "runtime_worker_io_events",
        "I/O events the worker's reactor delivered.",
        |w| w.io_events,
    ),
    (
        "runtime_worker_remote_wakes",
        "Wake-ups from other threads.",
        |w| w.remote_wakes,
    ),
    (
        "runtime_worker_injector_pulls",
        "Tasks taken from the global queue.",
        |w| w.injector_pulls,
    ),
    (
        "runtime_worker_stand_ins",
        "Turns of a stuck peer's reactor done on its behalf.",
        |w| w.stand_ins,
    ),
    (
        "runtime_worker_moves",
        "Connections moved to the worker's loop from a loop that was behind.",
        |w| w.moves,
    ),
    (
        "runtime_worker_accepted_connections",
        "Connections accepted on the worker's accept loops.",
        |w| w.accepted,
    ),
];

/// The per-worker gauges.
const GAUGES: [PerWorker; 4] = [
    (
        "runtime_worker_live_connections",
        "Connections accepted on the worker's accept loops that have not ended.",
        |w| w.live_connections,
    ),
    (
        "runtime_worker_local_queue_depth",
        "Tasks in the worker's run queue.",
        |w| w.local_queue_depth as u64,
    ),
    (
        "runtime_worker_pinned_queue_depth",
        "Tasks pinned to the worker waiting in its pinned queue.",
        |w| w.pinned_queue_depth as u64,
    ),
    (
        "runtime_worker_inbox_depth",
        "Pinned tasks woken on other threads waiting in the worker's inbox.",
        |w| w.inbox_depth as u64,
    ),
];

fn encode(metrics: &RuntimeMetrics, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
    let workers = ConstGauge::new(metrics.workers.len() as u64);
    workers.encode(encoder.encode_descriptor(
        "runtime_workers",
        "Worker threads.",
        None,
        workers.metric_type(),
    )?)?;
    let global = ConstGauge::new(metrics.global_queue_depth as u64);
    global.encode(encoder.encode_descriptor(
        "runtime_global_queue_depth",
        "Tasks spawned or woken outside the runtime waiting in the global queue.",
        None,
        global.metric_type(),
    )?)?;

    for (name, help, value) in COUNTERS {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for (worker, m) in metrics.workers.iter().enumerate() {
            ConstCounter::new(value(m)).encode(family.encode_family(&label(worker))?)?;
        }
    }
    let mut family = encoder.encode_descriptor(
        "runtime_worker_busy",
        "Time spent outside the reactor's sleep, running tasks and the rest.",
        Some(&Unit::Seconds),
        MetricType::Counter,
    )?;
    for (worker, m) in metrics.workers.iter().enumerate() {
        let seconds = m.busy_duration.as_secs_f64();
        ConstCounter::new(seconds).encode(family.encode_family(&label(worker))?)?;
    }

    for (name, help, value) in GAUGES {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (worker, m) in metrics.workers.iter().enumerate() {
            ConstGauge::new(value(m)).encode(family.encode_family(&label(worker))?)?;
        }
    }

    let help = format!(
        "Durations of a sample of the task polls, one in {}.",
        PollTimeHistogram::SAMPLE_PERIOD
    );
    let mut family = encoder.encode_descriptor(
        "runtime_worker_poll_time",
        &help,
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    for (worker, m) in metrics.workers.iter().enumerate() {
        let histogram = &m.poll_time_histogram;
        let buckets: Vec<(f64, u64)> = histogram
            .counts
            .iter()
            .enumerate()
            .map(|(i, &count)| (upper_bound(i), count))
            .collect();
        family
            .encode_family(&label(worker))?
            .encode_histogram::<NoLabelSet>(
                histogram.total.as_secs_f64(),
                histogram.count(),
                &buckets,
                None,
            )?;
    }
    Ok(())
}

/// The label set of worker `index`'s values.
fn label(index: usize) -> [(&'static str, String); 1] {
    [("worker", index.to_string())]
}

/// Bucket `i`'s upper bound in seconds, `+Inf` for the last.
fn upper_bound(i: usize) -> f64 {
    if i == PollTimeHistogram::BUCKETS - 1 {
        f64::INFINITY
    } else {
        PollTimeHistogram::bucket_range(i).end.as_secs_f64()
    }
}

//! What the runtime has done so far, and (with the `prometheus` feature) its export.
//!
//! [`Runtime::metrics`](crate::Runtime::metrics), [`Handle::metrics`](crate::Handle::metrics)
//! and [`metrics()`](crate::metrics()) take a snapshot, a [`RuntimeMetrics`] with one
//! [`WorkerMetrics`] per worker. The counters behind it are always on, written by each worker
//! on its own cache lines; a snapshot only reads them.
//!
//! With the `prometheus` feature, `Collector` exports the snapshot to a `prometheus-client`
//! registry, taking one at each scrape.

pub use crate::scheduler::metrics::{RuntimeMetrics, WorkerMetrics};
pub use crate::scheduler::poll_histogram::PollTimeHistogram;

#[cfg(feature = "prometheus")]
mod prometheus;
#[cfg(feature = "prometheus")]
pub use prometheus::Collector;

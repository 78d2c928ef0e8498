//! How long task polls take: a histogram per worker, with fixed log-scale buckets.
//!
//! Ten buckets ([`PollTimeHistogram::BUCKETS`]) whose bounds grow by a factor of 4 from 1,024 ns: bucket 0 holds polls
//! shorter than 2^10 ns (about 1 µs), bucket `i` those from 2^(8 + 2i) up to 2^(10 + 2i) ns,
//! and the last everything from 2^26 ns (about 67 ms) up. That spans the polls of a network
//! server (a few µs) to those that stall a loop (many ms) in ten counters, and the bucket of a
//! duration is a shift of its bit length, with no search and no float.
//!
//! The histogram is a sample: the worker times one poll in [`SAMPLE_PERIOD`], chosen by a
//! countdown ([`PollSampler`]), and records only those, in single-writer counters like the
//! others (see [`metrics`](super::metrics)), one per bucket and one for the total time. Timing
//! every poll costs two clock reads a poll, which shows on tasks whose polls take tens of ns;
//! one read pair in `SAMPLE_PERIOD` polls does not (see BENCHMARKS.md).
//!
//! A countdown rather than a random draw: it costs a decrement, and over many polls it
//! samples each kind of poll in proportion to how often it runs. Its bias is aliasing: a
//! workload whose polls repeat in a cycle whose length shares a factor with the period (two
//! tasks taking turns, a batch of 16 polls) is sampled at the same points of the cycle each
//! time, so one kind of poll can be over- or under-represented, or missed. The loop's own
//! periods (the reactor every 61 tasks, the inbox and injector every 31) are odd, so they do
//! not line up with it.
//!
//! The first poll of each worker is timed, so that a short run still has a sample.

use std::cell::Cell;
use std::ops::Range;
use std::time::{Duration, Instant};

use super::metrics::Counter;

const BUCKETS: usize = 10;

/// One poll in this many is timed.
const SAMPLE_PERIOD: u32 = 32;

/// The exclusive upper bound of bucket 0, as a power of two of nanoseconds.
const FIRST_BOUND_BITS: u32 = 10;

/// The worker's side: counters only it writes.
#[derive(Debug, Default)]
pub(crate) struct PollTimes {
    counts: [Counter; BUCKETS],
    total_ns: Counter,
}

impl PollTimes {
    /// Counts one sampled poll that started at `start` (from [`PollSampler::start`]) and has
    /// just ended; only the owning worker may call it.
    pub(crate) fn record_since(&self, start: Instant) {
        self.record(start.elapsed().as_nanos() as u64);
    }

    fn record(&self, nanos: u64) {
        self.counts[bucket(nanos)].add(1);
        self.total_ns.add(nanos);
    }

    pub(crate) fn snapshot(&self) -> PollTimeHistogram {
        PollTimeHistogram {
            counts: std::array::from_fn(|i| self.counts[i].get()),
            total: Duration::from_nanos(self.total_ns.get()),
        }
    }
}

/// Which polls a worker times: one in [`SAMPLE_PERIOD`], counted down on the worker's thread.
#[derive(Debug)]
pub(crate) struct PollSampler {
    /// Polls until the next timed one, that one included.
    countdown: Cell<u32>,
}

impl PollSampler {
    pub(crate) fn new() -> PollSampler {
        PollSampler {
            countdown: Cell::new(1),
        }
    }

    /// Called as a poll starts: the time now if this poll is one to time, else `None`.
    pub(crate) fn start(&self) -> Option<Instant> {
        let left = self.countdown.get() - 1;
        if left != 0 {
            self.countdown.set(left);
            return None;
        }
        self.countdown.set(SAMPLE_PERIOD);
        Some(Instant::now())
    }
}

/// The bucket of a poll that took `nanos`.
fn bucket(nanos: u64) -> usize {
    let bits = u64::BITS - nanos.leading_zeros();
    let above_first = bits.saturating_sub(FIRST_BOUND_BITS - 1);
    (above_first as usize / 2).min(BUCKETS - 1)
}

/// The durations of a sample of the polls one worker ran, in [`BUCKETS`](Self::BUCKETS)
/// log-scale buckets (tokio's `worker_poll_count_histogram_*`); see
/// [`WorkerMetrics`](crate::WorkerMetrics).
///
/// Only one poll in [`SAMPLE_PERIOD`](Self::SAMPLE_PERIOD) is timed (the first, then every
/// `SAMPLE_PERIOD`-th), so the counts add up to about `polls / SAMPLE_PERIOD`, and `total` to
/// about the time of that share of the polls: multiply both by `SAMPLE_PERIOD` for an estimate
/// of all polls. The shape (which share of polls falls in which bucket) needs no scaling. The
/// sample is taken by a countdown, not at random: a workload that repeats a cycle of polls
/// whose length is a multiple of a power of two may be sampled at the same points of its
/// cycle each time.
///
/// ```
/// let runtime = runtime::Builder::new().workers(1).build()?;
/// runtime.block_on_pinned(|| async {});
/// let polls = runtime.metrics().workers[0].poll_time_histogram;
/// for (i, count) in polls.counts.iter().enumerate() {
///     let range = runtime::PollTimeHistogram::bucket_range(i);
///     println!("{:?}..{:?}: {count} polls", range.start, range.end);
/// }
/// println!("{:?} polling in all", polls.total);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollTimeHistogram {
    /// How many sampled polls fell in each bucket (see [`bucket_range`](Self::bucket_range)).
    pub counts: [u64; BUCKETS],
    /// The time the sampled polls took together.
    pub total: Duration,
}

impl PollTimeHistogram {
    /// The number of buckets.
    ///
    /// ```
    /// assert_eq!(runtime::PollTimeHistogram::BUCKETS, 10);
    /// ```
    pub const BUCKETS: usize = BUCKETS;

    /// One poll in this many is timed and counted: multiply a count by it to estimate all
    /// polls.
    ///
    /// ```
    /// let runtime = runtime::Builder::new().workers(1).build()?;
    /// runtime.block_on_pinned(|| async {});
    /// let worker = runtime.metrics().workers[0];
    /// let estimate = worker.poll_time_histogram.count() * runtime::PollTimeHistogram::SAMPLE_PERIOD;
    /// println!("{} polls, about {estimate} by the histogram", worker.polls);
    /// # std::io::Result::Ok(())
    /// ```
    pub const SAMPLE_PERIOD: u64 = SAMPLE_PERIOD as u64;

    /// The durations bucket `i` holds: from 0 for the first, up to [`Duration::MAX`] for the
    /// last.
    ///
    /// ```
    /// use std::time::Duration;
    /// use runtime::PollTimeHistogram;
    ///
    /// assert_eq!(PollTimeHistogram::bucket_range(0), Duration::ZERO..Duration::from_nanos(1024));
    /// assert_eq!(PollTimeHistogram::bucket_range(1).end, Duration::from_nanos(4096));
    /// assert_eq!(PollTimeHistogram::bucket_range(9).end, Duration::MAX);
    /// ```
    ///
    /// # Panics
    ///
    /// If `i` is not below [`BUCKETS`](Self::BUCKETS).
    pub fn bucket_range(i: usize) -> Range<Duration> {
        assert!(i < BUCKETS, "there are {BUCKETS} buckets, not {}", i + 1);
        let bound = |i: usize| Duration::from_nanos(1 << (FIRST_BOUND_BITS + 2 * i as u32));
        let start = if i == 0 { Duration::ZERO } else { bound(i - 1) };
        let end = if i == BUCKETS - 1 {
            Duration::MAX
        } else {
            bound(i)
        };
        start..end
    }

    /// How many sampled polls the histogram holds.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_duration_falls_in_the_bucket_whose_range_holds_it() {
        let mut nanos = vec![0, 1, 1023, 1024, 1025, 4095, 4096, 1 << 26, u64::MAX];
        nanos.extend((0..64).flat_map(|bits| {
            let n = 1u64 << bits;
            [n - 1, n, n + 1]
        }));
        for n in nanos {
            let range = PollTimeHistogram::bucket_range(bucket(n));
            let d = Duration::from_nanos(n);
            assert!(range.contains(&d), "{n} ns in bucket {}", bucket(n));
        }
    }

    #[test]
    fn the_buckets_tile_the_durations() {
        for i in 1..BUCKETS {
            assert_eq!(
                PollTimeHistogram::bucket_range(i - 1).end,
                PollTimeHistogram::bucket_range(i).start
            );
        }
    }

    #[test]
    fn the_sampler_times_the_first_poll_then_one_in_the_period() {
        let sampler = PollSampler::new();
        let timed: Vec<usize> = (0..3 * SAMPLE_PERIOD as usize)
            .filter(|_| sampler.start().is_some())
            .collect();
        let period = SAMPLE_PERIOD as usize;
        assert_eq!(timed, [0, period, 2 * period]);
    }

    #[test]
    fn record_counts_a_poll_and_its_time() {
        let times = PollTimes::default();
        times.record(500);
        times.record(5_000_000);
        times.record(5_000_000);
        let histogram = times.snapshot();
        assert_eq!(histogram.counts[0], 1);
        assert_eq!(histogram.counts[bucket(5_000_000)], 2);
        assert_eq!(histogram.count(), 3);
        assert_eq!(histogram.total, Duration::from_nanos(10_000_500));
    }
}

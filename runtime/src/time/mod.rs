//! Time: sleeping, timeouts and intervals, driven by each loop's timing wheel.
//!
//! Every worker owns a hierarchical timing wheel (`wheel`) with millisecond resolution. A
//! timer goes on the wheel of the loop that first polls it; the loop fires due timers after
//! every reactor turn and sleeps in `epoll_wait` no longer than its next deadline, so an idle
//! runtime makes no system calls and a timer costs nothing while it waits.

mod clock;
pub(crate) mod current;
mod interval;
mod sleep;
mod timeout;
mod timers;
mod wheel;

pub(crate) use clock::Clock;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Instant;
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
pub(crate) use timers::{Adder, Timers};

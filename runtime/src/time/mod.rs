//! Time: sleeping, timeouts and intervals, driven by each loop's timing wheel.
//!
//! Every worker owns a hierarchical timing wheel (`wheel`) with millisecond resolution. A
//! timer goes on the wheel of the loop that first polls it; the loop fires due timers after
//! every reactor turn and sleeps in `epoll_wait` no longer than its next deadline, so an idle
//! runtime makes no system calls and a timer costs nothing while it waits.
//!
//! For tests, the runtime's clock can be paused ([`pause`], [`advance`], [`resume`]): timers
//! and [`Instant::now`] then read a clock that moves only when told to, or to the next timer
//! once every worker is idle.

mod clock;
pub(crate) mod current;
mod instant;
mod interval;
mod pause;
mod sleep;
mod timeout;
mod timers;
mod wheel;

pub(crate) use clock::Clock;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use pause::{advance, pause, resume};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
pub(crate) use timers::{Adder, Timers};

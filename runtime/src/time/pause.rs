//! Paused time, for tests: [`pause`], [`resume`] and [`advance`], with tokio's names and
//! rules (tokio's `test-util` feature; always present here, since a clock that is never paused
//! costs one relaxed load per reading).
//!
//! The clock is the runtime's, shared by every worker: pausing it from any task pauses it for
//! the whole runtime. While it is paused, timers and [`Instant::now`](super::Instant::now)
//! read the paused clock, which moves only by [`advance`], or by itself to the next timer once
//! every worker is idle: a test that sleeps for an hour, or waits for a 30-second timeout,
//! finishes at once, and always the same way.

use std::time::Duration;

use super::current;

/// Stops the runtime's clock: from now on it moves only by [`advance`], or to the next timer
/// when every worker is idle. `#[runtime::test(start_paused = true)]` does this first.
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{self, Instant};
///
/// # runtime::Runtime::new()?.block_on(async {
/// time::pause();
/// let start = Instant::now();
/// // Nothing else to do: the clock moves to the end of the hour at once.
/// time::sleep(Duration::from_secs(3600)).await;
/// assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// # time::resume();
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime, or if the clock is paused already.
pub fn pause() {
    let (timers, _) = current::timers("`runtime::time::pause`");
    assert!(timers.clock().pause(), "the clock is paused already");
}

/// Lets the paused clock run again, on from where it stands.
///
/// # Panics
///
/// Outside the runtime, or if the clock is not paused.
pub fn resume() {
    let (timers, _) = current::timers("`runtime::time::resume`");
    let clock = timers.clock();
    assert!(clock.resume(), "the clock is not paused");
    // The loops asleep by the paused clock sleep by the running one again.
    clock.wake_loops();
}

/// Moves the paused clock forward by `duration`, then yields so that the tasks whose timers
/// came due run before this one goes on.
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{self, Instant};
///
/// # runtime::Runtime::new()?.block_on(async {
/// time::pause();
/// let start = Instant::now();
/// time::advance(Duration::from_millis(250)).await;
/// assert_eq!(Instant::now() - start, Duration::from_millis(250));
/// # time::resume();
/// # });
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime, or if the clock is not paused.
pub async fn advance(duration: Duration) {
    let (timers, _) = current::timers("`runtime::time::advance`");
    let clock = timers.clock();
    assert!(clock.advance(duration), "the clock is not paused");
    // This thread's wheel fires now, so that its tasks run before this one resumes; the
    // other loops fire theirs when woken.
    timers.fire();
    clock.wake_loops();
    crate::yield_now().await;
}

//! `Interval` on paused time, after tokio's `time_interval.rs`: the same schedules of
//! advances and polls, and the same tick instants, for each `MissedTickBehavior` and for the
//! resets. Each test pauses the clock first, so the instants are exact and nothing waits on
//! real time.
//!
//! As in tokio's tests, the clock is first moved 1 ms past the interval's start, and a tick
//! scheduled from `Instant::now()` (`Delay`, the resets) lands 1 ms off the start's grid.

mod support;

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use runtime::time::{self, advance, interval_at, Instant, Interval, MissedTickBehavior};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls the interval once from the current task.
async fn poll_next(interval: &mut Interval) -> Poll<Instant> {
    poll_fn(|cx| Poll::Ready(interval.poll_tick(cx))).await
}

/// Polls the interval until it is pending: it must give `start + delta` for each of `deltas`
/// (in milliseconds), in order, and then nothing.
async fn ticks(interval: &mut Interval, start: Instant, deltas: &[u64]) {
    for &delta in deltas {
        assert_eq!(
            poll_next(interval).await,
            Poll::Ready(start + ms(delta)),
            "expected the tick at {delta} ms"
        );
    }
    assert!(
        poll_next(interval).await.is_pending(),
        "a tick after {deltas:?}"
    );
}

/// A paused clock and a 300 ms interval started at its current instant, with the clock 1 ms
/// past it: (start, interval).
async fn paused_interval(behavior: MissedTickBehavior) -> (Instant, Interval) {
    time::pause();
    let start = Instant::now();
    advance(ms(1)).await;
    let mut interval = interval_at(start, ms(300));
    interval.set_missed_tick_behavior(behavior);
    (start, interval)
}

/// A step of a schedule: advance by this many milliseconds, then expect these ticks.
type Step = (u64, &'static [u64]);

/// Runs a schedule of steps: each advances the clock by its milliseconds, then polls the
/// interval for the ticks it lists (see [`ticks`]).
async fn run(interval: &mut Interval, start: Instant, steps: &[Step]) {
    for &(by, deltas) in steps {
        advance(ms(by)).await;
        ticks(interval, start, deltas).await;
    }
}

/// The opening every schedule shares (the clock at 1 ms): the tick at the start at once,
/// nothing 100 ms later, the tick at 300 ms once the clock is past it (at 301 ms).
const OPENING: &[Step] = &[(0, &[0]), (100, &[]), (200, &[300])];

/// A 300 ms interval with `behavior` through the opening, then through the `rest` of a
/// schedule.
async fn opening_then(behavior: MissedTickBehavior, rest: &[Step]) {
    let (start, mut interval) = paused_interval(behavior).await;
    run(&mut interval, start, OPENING).await;
    run(&mut interval, start, rest).await;
    time::resume();
}

/// tokio's `burst`, `delay` and `skip` schedules, after the opening. At 951 ms the tick at 600
/// comes late (300 ms and 900 ms are missed): `Burst` gives the one at 900 too at once;
/// `Delay` schedules the next 300 ms after now (1251, with the 1 ms lead); `Skip` drops the
/// one at 900 and keeps the start's grid.
#[rustfmt::skip] // a table: one schedule a line
const MISSED_TICKS: [(MissedTickBehavior, &[Step]); 3] = [
    (MissedTickBehavior::Burst, &[(650, &[600, 900]), (200, &[]), (100, &[1200]), (250, &[1500]), (300, &[1800])]),
    (MissedTickBehavior::Delay, &[(650, &[600]), (100, &[]), (201, &[1251]), (300, &[1551]), (300, &[1851])]),
    (MissedTickBehavior::Skip, &[(650, &[600]), (250, &[1200]), (300, &[1500]), (300, &[1800])]),
];

rt_test! {
    async fn each_missed_tick_behavior_gives_tokios_ticks() {
        for (behavior, rest) in MISSED_TICKS {
            opening_then(behavior, rest).await;
        }
    }
}

/// A `Burst` interval through the opening and 100 ms more, before the tick at 600 ms: the
/// clock at 401 ms.
async fn at_401_ms() -> (Instant, Interval) {
    let (start, mut interval) = paused_interval(MissedTickBehavior::Burst).await;
    let opening_and_100_ms = [OPENING, &[(100, &[])]].concat();
    run(&mut interval, start, &opening_and_100_ms).await;
    (start, interval)
}

rt_test! {
    async fn reset_moves_the_next_tick_a_period_from_now() {
        let (start, mut i) = at_401_ms().await;
        // At 401 ms: the next tick is at 701 instead of 600.
        i.reset();
        run(&mut i, start, &[(250, &[]), (50, &[701]), (300, &[1001])]).await;
        time::resume();
    }
}

rt_test! {
    async fn reset_immediately_ticks_now_and_then_a_period_later() {
        let (start, mut i) = at_401_ms().await;
        // At 401 ms.
        i.reset_immediately();
        run(&mut i, start, &[(0, &[401]), (100, &[]), (200, &[701])]).await;
        time::resume();
    }
}

rt_test! {
    async fn reset_after_and_reset_at_set_the_next_tick() {
        let (start, mut i) = at_401_ms().await;
        // At 401 ms: 20 ms from now, then the period from there.
        i.reset_after(ms(20));
        run(&mut i, start, &[(0, &[]), (20, &[421]), (300, &[721])]).await;
        // At 721 ms: a deadline further than a period away.
        i.reset_at(start + ms(1500));
        run(&mut i, start, &[(300, &[]), (479, &[1500]), (300, &[1800])]).await;
        // At 1800 ms, a deadline in the past: it ticks at once, with that deadline, and the
        // ticks from there to now are missed ones, which `Burst` gives at once too.
        i.reset_at(start + ms(1000));
        run(&mut i, start, &[(0, &[1000, 1300, 1600]), (100, &[1900])]).await;
        time::resume();
    }
}

rt_test! {
    async fn a_tick_is_ready_exactly_at_its_deadline() {
        // Without the 1 ms lead of tokio's tests: a tick is due once the clock reaches it.
        time::pause();
        let start = Instant::now();
        let mut i = interval_at(start, ms(300));
        ticks(&mut i, start, &[0]).await;
        advance(ms(299)).await;
        ticks(&mut i, start, &[]).await;
        advance(ms(1)).await;
        ticks(&mut i, start, &[300]).await;
        advance(Duration::from_micros(299_999)).await;
        ticks(&mut i, start, &[]).await;
        advance(Duration::from_micros(1)).await;
        ticks(&mut i, start, &[600]).await;
        time::resume();
    }
}

rt_test! {
    async fn a_tick_waits_for_the_clock_without_polling() {
        // `tick().await` on the paused clock: the runtime moves the clock to the deadline.
        let (start, mut i) = paused_interval(MissedTickBehavior::Skip).await;
        assert_eq!(i.tick().await, start);
        assert_eq!(i.tick().await, start + ms(300));
        advance(ms(650)).await;
        assert_eq!(i.tick().await, start + ms(600));
        assert_eq!(i.tick().await, start + ms(1200));
        assert_eq!(Instant::now(), start + ms(1200));
        time::resume();
    }
}

//! Paused time (`runtime::time::{pause, resume, advance}`, `start_paused`), after tokio's
//! `time_pause.rs` and `test_clock.rs`: the clock stands still, moves by `advance`, and jumps
//! to the next timer when every worker is idle, so tests of long timeouts finish at once and
//! always the same way.
//!
//! The runtime's own timers stand still here, so each test is bounded by a watchdog on the
//! real clock instead: it aborts the run if a test takes longer than a minute.

mod support;

use std::future::pending;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use runtime::time::{self, advance, interval, sleep, timeout, Instant};

/// Aborts the process if not dropped within a minute of real time.
struct Watchdog(Option<mpsc::Sender<()>>);

impl Watchdog {
    fn new() -> Watchdog {
        let (done, finished) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_secs(60))
            {
                eprintln!("a paused-time test ran for a minute of real time");
                std::process::abort();
            }
        });
        Watchdog(Some(done))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

rt_test! {
    async fn an_hour_of_sleep_passes_at_once_and_exactly() {
        let _watchdog = Watchdog::new();
        time::pause();
        let start = Instant::now();
        sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
        // Tasks on any worker see the same clock.
        let seen = runtime::spawn(async move { start.elapsed() }).await.unwrap();
        assert_eq!(seen, Duration::from_secs(3600));
        time::resume();
    }
}

rt_test! {
    async fn a_timeout_of_a_future_that_never_completes_elapses_at_once() {
        let _watchdog = Watchdog::new();
        time::pause();
        let start = Instant::now();
        let never = timeout(Duration::from_secs(30), pending::<()>()).await;
        assert!(never.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        time::resume();
    }
}

rt_test! {
    async fn an_interval_ticks_on_the_paused_clock() {
        let _watchdog = Watchdog::new();
        time::pause();
        let mut ticks = interval(Duration::from_millis(10));
        let start = ticks.tick().await;
        for k in 1..=100u32 {
            assert_eq!(ticks.tick().await - start, Duration::from_millis(10) * k);
        }
        time::resume();
    }
}

#[test]
fn advance_moves_the_clock_and_runs_the_timers_it_made_due() {
    let _watchdog = Watchdog::new();
    support::rt(1).block_on_pinned(|| async {
        time::pause();
        let start = Instant::now();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let sleeper = runtime::spawn(async move {
            sleep(Duration::from_millis(100)).await;
            flag.store(true, Ordering::SeqCst);
        });
        runtime::yield_now().await; // the sleeper sets its timer
        advance(Duration::from_millis(99)).await;
        assert!(!fired.load(Ordering::SeqCst), "fired a millisecond early");
        assert_eq!(Instant::now() - start, Duration::from_millis(99));
        advance(Duration::from_millis(1)).await;
        assert!(fired.load(Ordering::SeqCst), "not fired once due");
        sleeper.await.unwrap();
        time::resume();
    });
}

rt_test! {
    async fn time_stands_still_while_a_blocking_closure_runs() {
        let _watchdog = Watchdog::new();
        time::pause();
        // Real time passes in the closure; the paused clock must not jump past the timeout
        // while the task it waits for is still running.
        let work = runtime::spawn_blocking(|| std::thread::sleep(Duration::from_millis(30)));
        let done = timeout(Duration::from_secs(1), work).await;
        assert!(done.is_ok(), "the paused clock jumped while a blocking closure ran");
        time::resume();
    }
}

rt_test! {
    async fn a_resumed_clock_runs_on_from_where_it_stood() {
        let _watchdog = Watchdog::new();
        time::pause();
        let start = Instant::now();
        advance(Duration::from_secs(60)).await;
        time::resume();
        // Real sleeps again.
        sleep(Duration::from_millis(2)).await;
        assert!(start.elapsed() >= Duration::from_secs(60) + Duration::from_millis(2));
    }
}

#[test]
fn pausing_twice_resuming_or_advancing_a_running_clock_panic() {
    let rt = support::rt(1);
    rt.block_on(async {
        let panics = |f: fn()| std::panic::catch_unwind(f).is_err();
        assert!(panics(time::resume), "resume of a running clock");
        time::pause();
        assert!(panics(time::pause), "pause of a paused clock");
        time::resume();
        let advanced = runtime::spawn(advance(Duration::from_secs(1))).await;
        assert!(
            advanced.unwrap_err().is_panic(),
            "advance of a running clock"
        );
    });
    assert!(
        std::panic::catch_unwind(time::pause).is_err(),
        "outside the runtime"
    );
}

#[runtime::test(start_paused = true)]
async fn start_paused_pauses_before_the_body() {
    let _watchdog = Watchdog::new();
    let start = Instant::now();
    sleep(Duration::from_secs(86_400)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(86_400));
}

/// Sleeps 2,000 pseudo-random durations under 1 s from a paused start: when each woke.
fn paused_sleeps(workers: usize) -> Vec<Duration> {
    support::rt(workers).block_on_pinned(|| async {
        time::pause();
        let start = Instant::now();
        let mut seed: u64 = 1;
        let mut woke = Vec::new();
        for _ in 0..2_000 {
            // A linear congruential generator: the same sequence every run.
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            sleep(Duration::from_micros((seed >> 33) % 1_000_000)).await;
            woke.push(start.elapsed());
        }
        time::resume();
        woke
    })
}

#[test]
fn paused_time_is_deterministic() {
    let _watchdog = Watchdog::new();
    for workers in [1, 2] {
        assert_eq!(paused_sleeps(workers), paused_sleeps(workers));
    }
}

#[runtime::test(start_paused = true)]
async fn advance_by_less_than_a_millisecond_is_exact() {
    let _watchdog = Watchdog::new();
    for micros in [51_592, 1, 3_141_592] {
        let before = Instant::now();
        advance(Duration::from_micros(micros)).await;
        assert_eq!(before.elapsed(), Duration::from_micros(micros));
    }
    // A 1 ms sleep fires once four quarter-millisecond advances add up to it.
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    let sleeper = runtime::spawn_local(async move {
        sleep(Duration::from_millis(1)).await;
        flag.store(true, Ordering::SeqCst);
    });
    runtime::yield_now().await;
    for _ in 0..3 {
        advance(Duration::from_micros(250)).await;
        assert!(!fired.load(Ordering::SeqCst));
    }
    advance(Duration::from_micros(250)).await;
    sleeper.await.unwrap();
}

rt_test! {
    async fn sleeps_of_years_and_of_the_wheels_span_complete_on_the_paused_clock() {
        let _watchdog = Watchdog::new();
        time::pause();
        const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
        // A deadline past the wheel's span; exactly its span (2^36 - 1 ms), and just under.
        let wheel_span = Duration::from_millis((1 << 36) - 1);
        for duration in [YEAR * 5, wheel_span, wheel_span - Duration::from_millis(1)] {
            let start = Instant::now();
            sleep(duration).await;
            assert_eq!(start.elapsed(), duration);
        }
        // Several long sleeps in a row, then ten years at once, exactly.
        for _ in 0..5 {
            sleep(YEAR).await;
        }
        let deadline = Instant::now() + YEAR * 10;
        time::sleep_until(deadline).await;
        assert_eq!(Instant::now(), deadline);
        time::resume();
    }
}

rt_test! {
    async fn a_sleep_past_what_instant_holds_loses_to_a_short_one() {
        let _watchdog = Watchdog::new();
        time::pause();
        let huge = Box::pin(sleep(Duration::from_secs(u64::MAX / 10)));
        let short = Box::pin(sleep(Duration::from_nanos(1)));
        let won = runtime::future::select(huge, short).await;
        assert!(matches!(won, runtime::future::Either::Right(_)));
        time::resume();
    }
}

rt_test! {
    async fn resets_on_the_paused_clock_fire_exactly() {
        let _watchdog = Watchdog::new();
        time::pause();
        let ms = Duration::from_millis;

        // Later, before it fired.
        let start = Instant::now();
        let mut s = Box::pin(time::sleep_until(start + ms(100)));
        assert!(support::is_pending_once(&mut s).await);
        s.as_mut().reset(start + ms(200));
        s.as_mut().await;
        assert_eq!(start.elapsed(), ms(200));

        // Earlier, after time passed, but not yet due.
        let start = Instant::now();
        let mut s = Box::pin(time::sleep_until(start + ms(100)));
        assert!(support::is_pending_once(&mut s).await);
        sleep(ms(10)).await;
        s.as_mut().reset(start + ms(80));
        s.as_mut().await;
        assert_eq!(start.elapsed(), ms(80));

        // After it fired, later again.
        s.as_mut().reset(start + ms(110));
        s.as_mut().await;
        assert_eq!(start.elapsed(), ms(110));

        // One of three pending sleeps moved later, then dropped once another fired.
        let start = Instant::now();
        let mut a = Box::pin(sleep(ms(5)));
        let mut b = Box::pin(sleep(ms(5)));
        let mut c = Box::pin(sleep(ms(10)));
        for s in [&mut a, &mut b, &mut c] {
            assert!(support::is_pending_once(s).await);
        }
        b.as_mut().reset(start + ms(10));
        a.await;
        drop(b);
        c.await;
        assert_eq!(start.elapsed(), ms(10));
        time::resume();
    }
}

rt_test! {
    async fn an_idle_timeout_pushed_back_on_every_read_fires_at_its_last_deadline() {
        let _watchdog = Watchdog::new();
        time::pause();
        let ms = Duration::from_millis;
        let start = Instant::now();
        let mut idle = Box::pin(time::sleep_until(start + ms(50)));
        assert!(support::is_pending_once(&mut idle).await);
        // A read every 10 ms pushes the deadline 50 ms past it: the timer set first fires
        // at 50 ms, finds the deadline moved, and sets the next.
        for read in 1..=20 {
            sleep(ms(10)).await;
            assert!(support::is_pending_once(&mut idle).await, "read {read}");
            idle.as_mut().reset(start + ms(10 * read + 50));
        }
        idle.as_mut().await;
        assert_eq!(start.elapsed(), ms(250));
        time::resume();
    }
}

rt_test! {
    async fn a_timeout_of_duration_max_waits_for_its_future() {
        let _watchdog = Watchdog::new();
        time::pause();
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let mut guarded = Box::pin(timeout(Duration::MAX, rx));
        assert!(support::is_pending_once(&mut guarded).await);
        advance(Duration::from_secs(86_400 * 365 * 10)).await;
        assert!(support::is_pending_once(&mut guarded).await);
        tx.send(5).unwrap();
        assert_eq!(guarded.await.unwrap().unwrap(), 5);
        time::resume();
    }
}

//! Timers: `sleep`, `timeout` and `interval`.
//!
//! No test asserts that something took less than some time: only that timers never fire early,
//! fire in deadline order, and fire at all.

mod support;

use support::Notify;

use std::cell::Cell;
use std::future::{pending, poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use runtime::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Elapsed, Instant,
    MissedTickBehavior, Sleep,
};
use support::{bounded, DropCounter};

const LIMIT: Duration = Duration::from_secs(20);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl CountingWaker {
    fn new() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `future` once with `waker`.
fn poll_with<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Polls `future` once with the current task's waker.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// A deterministic pseudo-random sequence (a 64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

rt_test! {
    async fn a_sleep_never_completes_before_its_deadline() {
        let nanos = [
            0,
            1,
            500_000,
            999_999,
            1_000_000,
            1_000_001,
            1_500_000,
            2_999_999,
            7_000_000,
            12_345_678,
        ];
        for n in nanos {
            let duration = Duration::from_nanos(n);
            let start = Instant::now();
            let sleep = sleep(duration);
            let deadline = sleep.deadline();
            assert!(deadline >= start + duration);
            bounded(LIMIT, sleep).await;
            let now = Instant::now();
            assert!(now >= deadline, "a sleep of {duration:?} woke early");
            assert!(now - start >= duration);
        }
        let deadline = Instant::now() + ms(3);
        bounded(LIMIT, sleep_until(deadline)).await;
        assert!(Instant::now() >= deadline);
    }
}

rt_test! {
    async fn a_deadline_in_the_past_is_ready_at_once() {
        let past = Instant::now();
        let mut sleep = sleep_until(past);
        assert!(sleep.is_elapsed());
        assert_eq!(sleep.deadline(), past);
        assert!(poll_once(&mut sleep).await.is_ready());
        assert!(poll_once(&mut runtime::time::sleep(Duration::ZERO)).await.is_ready());
    }
}

rt_test! {
    async fn a_far_deadline_that_passed_while_the_loop_was_blocked_still_completes() {
        // Far enough past the loop's last turn that the sleep does not read the clock when
        // first polled; the loop is blocked until after the deadline, so the timer is set
        // for a moment already past and must fire at the next turn.
        let mut sleep = runtime::time::sleep(ms(1_100));
        let deadline = sleep.deadline();
        thread::sleep(ms(1_200));
        let _ = poll_once(&mut sleep).await;
        bounded(LIMIT, sleep).await;
        assert!(Instant::now() >= deadline);
    }
}

#[test]
fn many_sleeps_wake_in_deadline_order() {
    // One worker: its wheel fires in deadline order and the tasks it wakes run in the order
    // they were woken. (With more, an idle peer may fire the timers of a worker it finds
    // stuck, and those wakes reach the worker through its inbox, after its own.)
    support::rt(1).block_on_pinned(|| async {
        const TASKS: usize = 200;
        let woken = Rc::new(Cell::new(0usize));
        let mut rng = Lcg(0x5eed);
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                let duration = ms(rng.next(200));
                let woken = woken.clone();
                runtime::spawn_local(async move {
                    let mut sleep = sleep(duration);
                    let deadline = sleep.deadline();
                    // A sleep already due when first polled completes at once, out of the
                    // wheel's order (a zero sleep, or one created on a very slow machine).
                    let on_the_wheel = poll_once(&mut sleep).await.is_pending();
                    if on_the_wheel {
                        sleep.await;
                    }
                    let now = Instant::now();
                    let order = woken.get();
                    woken.set(order + 1);
                    (deadline, now, order, on_the_wheel)
                })
            })
            .collect();
        let mut results = Vec::with_capacity(TASKS);
        for handle in handles {
            results.push(bounded(LIMIT, handle).await.unwrap());
        }
        for (deadline, woke, _, _) in &results {
            assert!(woke >= deadline, "a sleep woke before its deadline");
        }
        let on_the_wheel: Vec<_> = results.iter().filter(|r| r.3).collect();
        assert!(!on_the_wheel.is_empty());
        for a in &on_the_wheel {
            for b in &on_the_wheel {
                if a.0 + ms(2) <= b.0 {
                    assert!(
                        a.2 < b.2,
                        "a sleep due {:?} after another woke before it",
                        b.0 - a.0
                    );
                }
            }
        }
    });
}

rt_test! {
    async fn many_sleeps_in_send_tasks_all_complete_after_their_deadlines() {
        let mut rng = Lcg(7);
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let duration = Duration::from_micros(rng.next(100_000));
                runtime::spawn(async move {
                    let sleep = sleep(duration);
                    let deadline = sleep.deadline();
                    sleep.await;
                    (deadline, Instant::now())
                })
            })
            .collect();
        for handle in handles {
            let (deadline, woke) = bounded(LIMIT, handle).await.unwrap();
            assert!(woke >= deadline, "a sleep woke before its deadline");
        }
    }
}

rt_test! {
    async fn timeout_that_fires() {
        let drops = DropCounter::default();
        let start = Instant::now();
        let guard = drops.guard();
        let result = bounded(
            LIMIT,
            timeout(ms(15), async move {
                let _guard = guard;
                pending::<()>().await
            }),
        )
        .await;
        let err: Elapsed = result.unwrap_err();
        assert!(start.elapsed() >= ms(15));
        assert_eq!(drops.dropped(), 1, "the timed-out future was dropped");

        assert_eq!(err.to_string(), "deadline has elapsed");
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);

        // The same with a deadline, and with a future that would finish later.
        let deadline = Instant::now() + ms(5);
        let result = bounded(LIMIT, timeout_at(deadline, sleep(Duration::from_secs(3600)))).await;
        assert!(result.is_err());
        assert!(Instant::now() >= deadline);
    }
}

rt_test! {
    async fn timeout_that_does_not_fire() {
        let result = bounded(
            LIMIT,
            timeout(Duration::from_secs(60), async {
                sleep(ms(5)).await;
                "on time"
            }),
        )
        .await;
        assert_eq!(result, Ok("on time"));

        // Its timer is gone with it: the loop goes on without it.
        sleep(ms(2)).await;

        let result = timeout_at(Instant::now() + Duration::from_secs(60), async { 3 }).await;
        assert_eq!(result, Ok(3));
    }
}

rt_test! {
    async fn zero_timeout_of_a_ready_future_is_ok() {
        assert_eq!(timeout(Duration::ZERO, async { 9 }).await, Ok(9));
        assert_eq!(timeout(Duration::ZERO, std::future::ready("x")).await, Ok("x"));
        let past = Instant::now();
        assert_eq!(timeout_at(past, async { 1 }).await, Ok(1));
        // And of a pending one, an error at once.
        assert!(timeout(Duration::ZERO, pending::<()>()).await.is_err());
    }
}

rt_test! {
    async fn timeout_with_a_huge_duration() {
        // Past what `Instant` can hold: as good as never.
        assert_eq!(timeout(Duration::MAX, async { 1 }).await, Ok(1));
        let result = timeout(Duration::MAX, async {
            sleep(ms(2)).await;
            2
        })
        .await;
        assert_eq!(result, Ok(2));
    }
}

rt_test! {
    async fn interval_ticks_at_start_plus_multiples_of_the_period() {
        let period = ms(10);
        let start = Instant::now();
        let mut every = interval_at(start, period);
        assert_eq!(every.period(), period);
        // The first tick is immediate, and is the start itself.
        let first = bounded(LIMIT, every.tick()).await;
        assert_eq!(first, start);
        let mut previous_k = 0;
        for _ in 0..5 {
            let tick = bounded(LIMIT, every.tick()).await;
            assert!(Instant::now() >= tick, "a tick came early");
            let since = tick - start;
            let k = since.as_nanos() / period.as_nanos();
            assert_eq!(
                since,
                period * u32::try_from(k).unwrap(),
                "a tick off the start + k * period grid"
            );
            // Ticks missed on a slow machine come late, back to back: none is lost
            // (`MissedTickBehavior::Burst`, the default).
            assert_eq!(k, previous_k + 1);
            previous_k = k;
        }

        // `interval` starts now: its first tick is immediate too.
        let before = Instant::now();
        let mut every = interval(period);
        let first = bounded(LIMIT, every.tick()).await;
        assert!(first >= before && first <= Instant::now());
        let second = bounded(LIMIT, every.tick()).await;
        assert_eq!(second - first, period);
    }
}

rt_test! {
    async fn interval_with_a_start_in_the_future_or_the_past() {
        let period = ms(10);
        let start = Instant::now() + ms(15);
        let mut every = interval_at(start, period);
        assert_eq!(bounded(LIMIT, every.tick()).await, start);
        assert!(Instant::now() >= start);

        // Started 35 ms ago: the first tick is the start, and what comes next depends on the
        // missed-tick behavior.
        let late_start = || Instant::now() - ms(35);
        let start = late_start();
        let mut every = interval_at(start, period);
        assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
        assert_eq!(bounded(LIMIT, every.tick()).await, start);
        // Burst: the ticks at 10, 20 and 30 ms are due already and come back to back.
        for k in 1..=3 {
            assert_eq!(bounded(LIMIT, every.tick()).await, start + period * k);
        }

        let start = late_start();
        let mut every = interval_at(start, period);
        every.set_missed_tick_behavior(MissedTickBehavior::Skip);
        assert_eq!(bounded(LIMIT, every.tick()).await, start);
        // Skip: the phase is kept and the missed ticks are dropped.
        let tick = bounded(LIMIT, every.tick()).await;
        let k = (tick - start).as_nanos() / period.as_nanos();
        assert!(k >= 4, "a missed tick was not skipped: k = {k}");
        assert_eq!(tick - start, period * u32::try_from(k).unwrap());

        let start = late_start();
        let mut every = interval_at(start, period);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let before = Instant::now();
        assert_eq!(bounded(LIMIT, every.tick()).await, start);
        // Delay: the next tick is a full period after the late one was returned.
        assert!(bounded(LIMIT, every.tick()).await >= before + period);
    }
}

rt_test! {
    async fn interval_reset_and_poll_tick() {
        let period = ms(10);
        let mut every = interval(period);
        bounded(LIMIT, every.tick()).await;
        let before = Instant::now();
        every.reset();
        let after = Instant::now();
        let tick = bounded(LIMIT, every.tick()).await;
        assert!(tick >= before + period && tick <= after + period);
        assert!(Instant::now() >= tick);

        // `poll_tick` from a hand-written future.
        let tick2 = bounded(LIMIT, poll_fn(|cx| every.poll_tick(cx))).await;
        assert!(tick2 > tick);
        assert_eq!((tick2 - tick).as_nanos() % period.as_nanos(), 0);
    }
}

rt_test! {
    async fn interval_reset_at_after_and_immediately() {
        let period = ms(10);
        let mut every = interval(Duration::from_secs(3600));
        bounded(LIMIT, every.tick()).await;
        every.reset_immediately();
        let before = Instant::now();
        let tick = bounded(LIMIT, every.tick()).await;
        assert!(tick <= Instant::now() && tick + ms(1) >= before);

        let deadline = Instant::now() + period;
        every.reset_at(deadline);
        assert_eq!(bounded(LIMIT, every.tick()).await, deadline);
        assert!(Instant::now() >= deadline);

        let before = Instant::now();
        every.reset_after(period);
        assert!(bounded(LIMIT, every.tick()).await >= before + period);
    }
}

rt_test! {
    async fn an_interval_too_long_for_instant_ticks_once_and_never_panics() {
        // tokio's `interval_at_panic` and `reset_after` cases: a period past what `Instant`
        // holds saturates to "never".
        let mut every = interval(Duration::MAX);
        bounded(LIMIT, every.tick()).await;
        let mut next = Box::pin(every.tick());
        assert!(support::is_pending_once(&mut next).await);
        drop(next);
        every.reset();
        every.reset_after(Duration::MAX);
        let mut next = Box::pin(every.tick());
        assert!(support::is_pending_once(&mut next).await);
        drop(next);
        for behavior in [MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
            let mut every = interval_at(Instant::now() - ms(50), Duration::MAX);
            every.set_missed_tick_behavior(behavior);
            bounded(LIMIT, every.tick()).await;
            let mut next = Box::pin(every.tick());
            assert!(support::is_pending_once(&mut next).await);
        }
    }
}

#[test]
fn interval_of_zero_panics() {
    let result = std::panic::catch_unwind(|| interval(Duration::ZERO));
    assert!(result.is_err());
}

/// Waits until `deadline` has passed, on this worker's wheel.
async fn until_past(deadline: Instant) {
    bounded(LIMIT, sleep_until(deadline + ms(2))).await
}

/// Waits until `counter` has counted `n` wakes.
async fn until_wakes(counter: &CountingWaker, n: usize) {
    bounded(LIMIT, async {
        while counter.wakes() < n {
            sleep(ms(1)).await;
        }
    })
    .await
}

/// Checks that a timer for `deadline` that stopped waking `counter` at `cancelled_by` (it was
/// dropped, reset or polled with another waker before then) never wakes it, waiting until
/// past the deadline first. Inconclusive, and so not checked, if the deadline had passed by
/// `cancelled_by`: the timer could rightly have fired before it was cancelled.
async fn assert_never_wakes(counter: &CountingWaker, deadline: Instant, cancelled_by: Instant) {
    until_past(deadline).await;
    if cancelled_by < deadline {
        assert_eq!(counter.wakes(), 0, "a cancelled timer woke its waker");
    }
}

rt_test! {
    async fn a_dropped_sleep_never_wakes() {
        let (counter, waker) = CountingWaker::new();
        let mut dropped = sleep(ms(50));
        let deadline = dropped.deadline();
        assert!(poll_with(&mut dropped, &waker).is_pending());
        drop(dropped);
        assert_never_wakes(&counter, deadline, Instant::now()).await;

        // The control: the same, not dropped, wakes once.
        let (counter, waker) = CountingWaker::new();
        let mut kept = sleep(ms(50));
        assert!(poll_with(&mut kept, &waker).is_pending());
        until_wakes(&counter, 1).await;
        assert!(poll_with(&mut kept, &waker).is_ready());
        assert!(Instant::now() >= kept.deadline());
    }
}

rt_test! {
    async fn a_sleep_in_an_aborted_task_never_wakes() {
        let (counter, waker) = CountingWaker::new();
        let drops = DropCounter::default();
        let guard = drops.guard();
        let polled = Arc::new(Notify::default());
        let deadline = Instant::now() + ms(30);
        let task = runtime::spawn({
            let polled = polled.clone();
            async move {
                let _guard = guard;
                let mut sleep = sleep_until(deadline);
                // Polled with a waker of our own, so any wake after the abort is seen.
                let _ = poll_with(&mut sleep, &waker);
                polled.notify();
                pending::<()>().await;
                drop(sleep);
            }
        });
        bounded(LIMIT, polled.wait()).await;
        task.abort();
        assert!(bounded(LIMIT, task).await.unwrap_err().is_cancelled());
        // The future, and its sleep, were dropped before the handle completed.
        let dropped_by = Instant::now();
        assert_eq!(drops.dropped(), 1);
        assert_never_wakes(&counter, deadline, dropped_by).await;
    }
}

rt_test! {
    async fn a_sleep_wakes_only_its_latest_waker() {
        let (first, first_waker) = CountingWaker::new();
        let (second, second_waker) = CountingWaker::new();
        let mut s = sleep(ms(50));
        assert!(poll_with(&mut s, &first_waker).is_pending());
        let _ = poll_with(&mut s, &second_waker);
        let replaced_by = Instant::now();
        assert_never_wakes(&first, s.deadline(), replaced_by).await;
        until_wakes(&second, 1).await;
        assert!(poll_with(&mut s, &second_waker).is_ready());
    }
}

rt_test! {
    async fn hand_written_select_drops_the_losing_sleep() {
        let (counter, waker) = CountingWaker::new();
        let mut slow = sleep(ms(20));
        let mut fast = sleep(ms(2));
        let slow_deadline = slow.deadline();
        // A select: poll both until one is ready, then drop the other.
        let winner = bounded(
            LIMIT,
            poll_fn(|cx| {
                if Pin::new(&mut fast).poll(cx).is_ready() {
                    return Poll::Ready("fast");
                }
                // The loser is polled with a waker of our own to observe it afterwards.
                if poll_with(&mut slow, &waker).is_ready() {
                    return Poll::Ready("slow");
                }
                Poll::Pending
            }),
        )
        .await;
        // Polled first, the fast one wins even if both are due by then.
        assert_eq!(winner, "fast");
        drop(slow);
        assert_never_wakes(&counter, slow_deadline, Instant::now()).await;
    }
}

rt_test! {
    async fn sleep_reset() {
        // Later: the timer set for the old deadline stays and wakes the task once, early; the
        // sleep stays pending then, and completes at the new deadline.
        let (counter, waker) = CountingWaker::new();
        let mut s = sleep(ms(50));
        let old_deadline = s.deadline();
        assert!(poll_with(&mut s, &waker).is_pending());
        let new_deadline = Instant::now() + ms(80);
        s.reset(new_deadline);
        assert_eq!(s.deadline(), new_deadline);
        until_wakes(&counter, 1).await;
        assert!(Instant::now() >= old_deadline);
        if Instant::now() < new_deadline {
            assert!(poll_with(&mut s, &waker).is_pending());
        }
        bounded(LIMIT, &mut s).await;
        assert!(Instant::now() >= new_deadline);

        // Earlier: completes at the new deadline.
        let start = Instant::now();
        let mut s = sleep(Duration::from_secs(3600));
        assert!(poll_once(&mut s).await.is_pending());
        s.reset(start + ms(5));
        bounded(LIMIT, &mut s).await;
        assert!(Instant::now() >= start + ms(5));

        // A completed sleep reset into the future waits again.
        let target = Instant::now() + ms(5);
        s.reset(target);
        bounded(LIMIT, &mut s).await;
        assert!(Instant::now() >= target);
        assert!(s.is_elapsed());

        // Into the past: ready at once.
        s.reset(Instant::now() - ms(1));
        assert!(poll_once(&mut s).await.is_ready());
    }
}

rt_test! {
    async fn long_sleeps_created_and_dropped() {
        let (counter, waker) = CountingWaker::new();
        let hour = Duration::from_secs(3600);
        let mut sleeps: Vec<Sleep> = (0..10_000u32)
            .map(|i| match i % 5 {
                0 => sleep(hour * (1 + i % 24)),
                1 => sleep(hour * 24 * (1 + i % 30) + ms(u64::from(i))),
                2 => sleep(hour * 24 * 365 * (1 + i % 40)),
                3 => sleep(Duration::MAX),
                _ => sleep(Duration::from_secs(u64::from(i)) + hour),
            })
            .collect();
        for s in &mut sleeps {
            assert!(poll_with(s, &waker).is_pending());
        }
        // With all of them pending, short timers still fire, in order.
        let start = Instant::now();
        let (a, b) = (sleep(ms(3)), sleep(ms(6)));
        let (da, db) = (a.deadline(), b.deadline());
        bounded(LIMIT, a).await;
        assert!(Instant::now() >= da);
        bounded(LIMIT, b).await;
        assert!(Instant::now() >= db && start.elapsed() >= ms(6));

        // Drop half, then the rest, and keep going.
        let rest = sleeps.split_off(5_000);
        drop(sleeps);
        bounded(LIMIT, sleep(ms(2))).await;
        drop(rest);
        bounded(LIMIT, sleep(ms(2))).await;
        assert_eq!(counter.wakes(), 0);

        // Long sleeps in tasks, aborted.
        let handles: Vec<_> = (0..100u32)
            .map(|i| runtime::spawn(sleep(hour * 24 * (i + 1))))
            .collect();
        sleep(ms(2)).await;
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            assert!(bounded(LIMIT, handle).await.unwrap_err().is_cancelled());
        }
        bounded(LIMIT, sleep(ms(2))).await;
    }
}

rt_test! {
    async fn a_sleep_is_polled_again_after_a_wake_from_a_plain_thread() {
        let go = Arc::new(Notify::default());
        let task = runtime::spawn({
            let go = go.clone();
            async move {
                let mut s = sleep(ms(20));
                let deadline = s.deadline();
                let _ = poll_once(&mut s).await;
                go.wait().await;
                s.await;
                (deadline, Instant::now())
            }
        });
        sleep(ms(2)).await;
        // The task is woken from a thread that is no worker: it may go to any worker.
        thread::spawn(move || go.notify()).join().unwrap();
        let (deadline, woke) = bounded(LIMIT, task).await.unwrap();
        assert!(woke >= deadline);
    }
}

#[test]
fn a_sleep_completes_after_its_task_moves_to_another_worker() {
    // No stealing: a task runs where it is woken, so the moves below are certain.
    let rt = runtime::Builder::new()
        .workers(2)
        .pin_workers(false)
        .stealing(false)
        .build()
        .unwrap();
    let moved = Arc::new(Notify::default());
    let (registered_tx, registered_rx) = mpsc::channel();
    let setup = std::sync::Mutex::new(Some((moved.clone(), registered_tx)));
    // Spawned on worker 1, where its sleep goes on worker 1's wheel.
    let spawners = rt.on_each_worker(move |worker| {
        let setup = if worker == 1 {
            setup.lock().unwrap().take()
        } else {
            None
        };
        async move {
            setup.map(|(moved, registered_tx)| {
                runtime::spawn(async move {
                    let first = runtime::worker_index();
                    let mut s = sleep(ms(40));
                    let deadline = s.deadline();
                    // Registers it there, unless it is due already (on a very slow machine).
                    let _ = poll_once(&mut s).await;
                    registered_tx.send(()).unwrap();
                    moved.wait().await;
                    // Woken from worker 0: this poll moves the sleep's waker to worker 0,
                    // while the timer stays on worker 1's wheel.
                    let second = runtime::worker_index();
                    s.await;
                    (first, second, deadline, Instant::now())
                })
            })
        }
    });
    let mut task = None;
    for spawner in spawners {
        task = task.or(rt.block_on(bounded(LIMIT, spawner)).unwrap());
    }
    registered_rx
        .recv_timeout(LIMIT)
        .expect("the task never ran on worker 1");
    rt.block_on_pinned(move || async move { moved.notify() });
    let (first, second, deadline, woke) = rt
        .block_on(bounded(LIMIT, task.expect("worker 1 spawned it")))
        .unwrap();
    assert_eq!((first, second), (Some(1), Some(0)), "the task did not move");
    assert!(woke >= deadline, "the sleep woke early");
}

#[test]
fn a_sleep_from_a_thread_that_is_no_worker() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let (deadline, woke) = support::block_on_second_thread(&rt, || async {
            // Goes on the wheel of a worker, which this thread does not drive; the worker
            // may sleep waiting for a later timer, so this one must wake it earlier.
            let s = sleep(ms(10));
            let deadline = s.deadline();
            s.await;
            (deadline, Instant::now())
        });
        assert!(woke >= deadline);
    }
}

#[test]
fn sleeps_added_from_another_thread_wake_a_parked_owner_every_time() {
    // Each sleep goes on the worker's wheel while the worker is parked for up to a minute
    // (the bound in `block_on_second_thread`): a wake lost in the race between parking and
    // adding a timer leaves the owner asleep until that bound fails the test.
    let rt = support::rt(1);
    support::block_on_second_thread(&rt, || async {
        for i in 0..500 {
            let s = sleep(Duration::from_micros(i % 7 * 300));
            let deadline = s.deadline();
            s.await;
            assert!(Instant::now() >= deadline);
        }
    });
}

#[test]
fn a_sleep_that_outlives_its_runtime() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let (mut polled, never_polled) = rt.block_on(async {
            let mut polled = sleep(Duration::from_secs(3600));
            assert!(poll_once(&mut polled).await.is_pending());
            (polled, sleep(Duration::from_secs(3600)))
        });
        drop(rt);
        // Polling it again must not leave it pending forever: the runtime that would wake it
        // is gone, so it either completes or panics saying why.
        let (counter, waker) = CountingWaker::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            poll_with(&mut polled, &waker)
        }));
        match result {
            Ok(Poll::Ready(())) => {}
            Ok(Poll::Pending) => panic!("{workers} workers: a sleep of a dropped runtime pends"),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                assert!(message.contains("runtime"), "unclear panic: {message:?}");
            }
        }
        assert_eq!(counter.wakes(), 0);
        // Dropping them is always fine.
        drop(polled);
        drop(never_polled);
    }
}

/// A timer placed on a higher level of the wheel must not make its loop spin between the
/// level's cascade point and the deadline: waiting 100 ms takes a handful of parks, not
/// thousands.
#[test]
fn a_pending_timer_does_not_make_the_loop_spin() {
    let rt = support::rt(1);
    rt.block_on(async {
        for _ in 0..3 {
            sleep(Duration::from_millis(100)).await;
        }
    });
    let parks = rt.metrics().workers[0].parks;
    assert!(parks < 200, "the loop parked {parks} times for 3 sleeps");
}

rt_test! {
    async fn ten_thousand_zero_sleeps_in_a_row() {
        bounded(LIMIT, async {
            for _ in 0..10_000 {
                sleep(Duration::ZERO).await;
            }
        })
        .await;
    }
}

rt_test! {
    async fn a_completed_sleep_stays_ready_until_reset() {
        let (counter, waker) = CountingWaker::new();
        let mut s = sleep(ms(1));
        let deadline = s.deadline();
        bounded(LIMIT, &mut s).await;
        assert!(poll_with(&mut s, &waker).is_ready());
        s.reset(Instant::now() + Duration::from_secs(600));
        assert_ne!(s.deadline(), deadline);
        assert!(!s.is_elapsed());
        assert!(poll_with(&mut s, &waker).is_pending());
        assert!(poll_with(&mut s, &waker).is_pending());
        assert_eq!(counter.wakes(), 0);
    }
}

/// Wakes by dropping every sleep in its list: sleeps dropped from inside the timers' wake.
struct DroppingWaker(std::sync::Mutex<Vec<Sleep>>, AtomicUsize);

impl Wake for DroppingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.lock().unwrap().clear();
    }
}

rt_test! {
    async fn a_wake_that_drops_the_sleeps_that_woke_it() {
        let dropping = Arc::new(DroppingWaker(Default::default(), AtomicUsize::new(0)));
        let waker = Waker::from(dropping.clone());
        let deadline = Instant::now() + ms(10);
        {
            let mut list = dropping.0.lock().unwrap();
            for _ in 0..100 {
                let mut s = sleep_until(deadline);
                assert!(poll_with(&mut s, &waker).is_pending());
                list.push(s);
            }
        }
        // The first wake drops the rest, which are due too.
        bounded(LIMIT, async {
            while dropping.1.load(Ordering::SeqCst) == 0 {
                sleep(ms(1)).await;
            }
        })
        .await;
        assert!(dropping.0.lock().unwrap().is_empty());
        // The timers go on working.
        bounded(LIMIT, sleep(ms(1))).await;
    }
}

#[test]
#[should_panic(expected = "runtime")]
fn a_sleep_polled_outside_any_runtime_panics() {
    let (_, waker) = CountingWaker::new();
    let _ = poll_with(&mut sleep(ms(500)), &waker);
}

rt_test! {
    async fn a_timeout_fires_around_a_future_that_spends_its_budget_forever() {
        // The future never finishes and is always ready to go on, but for its budget: the
        // timeout's own timer must still fire when the budget runs out.
        let spinning = timeout(ms(1), async {
            loop {
                runtime::task::consume_budget().await;
            }
        });
        assert!(bounded(LIMIT, spinning).await.is_err());
    }
}

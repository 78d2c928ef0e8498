//! The races shutdown must survive, widened with the test hooks (see `hooks`): a task in
//! flight to a worker's inbox while the worker drains for the last time. Whatever the timing,
//! the task's future is dropped once, its handle resolves, and the runtime's shared state
//! (every epoll and eventfd descriptor with it) is freed.

use std::future::{pending, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::hooks::{self, Point};
use super::{Placement, Shared};
use crate::task::JoinHandle;
use crate::Runtime;

/// Long enough for the runtime to be dropped while the hand-off waits.
const PAUSE: Duration = Duration::from_millis(300);
/// How long the test waits before dropping the runtime: well inside `PAUSE`.
const INTO_THE_PAUSE: Duration = Duration::from_millis(100);

fn runtime(workers: usize) -> (Runtime, Weak<Shared>) {
    let rt = crate::Builder::new().workers(workers).build().unwrap();
    let weak = Arc::downgrade(&rt.handle().shared);
    (rt, weak)
}

/// Counts its drops.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that never completes and counts its drop.
fn guarded(drops: &Arc<AtomicUsize>) -> impl Future<Output = ()> + Send + 'static {
    let guard = Guard(drops.clone());
    async move {
        let _guard = guard;
        pending::<()>().await
    }
}

/// Whether `handle` has resolved, as cancelled.
fn is_cancelled<T>(handle: JoinHandle<T>) -> bool {
    let mut handle = pin!(handle);
    match handle
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Err(e)) => e.is_cancelled(),
        _ => false,
    }
}

/// The runtime is dropped while `creator` (a thread that is no worker) is paused between
/// recording a task pinned to worker 0 and queueing it.
fn spawn_pinned_while_closing(creator_is_worker: bool) {
    let (rt, weak) = runtime(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = rt.handle().shared.clone();
    let (tx, rx) = mpsc::channel();
    let future = guarded(&drops);
    let create = move || {
        hooks::arm(Point::Spawn, PAUSE);
        let handle = shared.spawn(Placement::Pinned(0), future);
        drop(shared);
        tx.send(handle).unwrap();
    };
    let creator = if creator_is_worker {
        // A task on worker 1 spawns onto worker 0.
        drop(
            rt.handle()
                .shared
                .spawn(Placement::Pinned(1), async move { create() }),
        );
        None
    } else {
        Some(std::thread::spawn(create))
    };
    std::thread::sleep(INTO_THE_PAUSE);
    drop(rt);
    if let Some(creator) = creator {
        creator.join().unwrap();
    }
    let handle = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the future is dropped once"
    );
    assert!(is_cancelled(handle), "the handle resolves");
    assert!(weak.upgrade().is_none(), "the runtime's state leaked");
}

#[test]
fn a_pinned_spawn_from_a_plain_thread_racing_shutdown_strands_nothing() {
    spawn_pinned_while_closing(false);
}

#[test]
fn a_pinned_spawn_from_another_worker_racing_shutdown_strands_nothing() {
    spawn_pinned_while_closing(true);
}

#[test]
fn a_pinned_task_woken_on_a_plain_thread_racing_shutdown_strands_nothing() {
    let (rt, weak) = runtime(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<Waker>();
    let future = guarded(&drops);
    let handle = rt.handle().shared.spawn(Placement::Pinned(0), async move {
        std::future::poll_fn(|cx| {
            let _ = tx.send(cx.waker().clone());
            Poll::<()>::Pending
        })
        .await;
        future.await
    });
    let waker = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let waking = std::thread::spawn(move || {
        hooks::arm(Point::PinnedHandOff, PAUSE);
        waker.wake();
    });
    std::thread::sleep(INTO_THE_PAUSE);
    drop(rt);
    waking.join().unwrap();
    // Any waker the task sent from a later poll holds its allocation, and with it the
    // runtime's state: the channel must not be what keeps that alive.
    drop(rx);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the future is dropped once"
    );
    assert!(is_cancelled(handle), "the handle resolves");
    assert!(weak.upgrade().is_none(), "the runtime's state leaked");
}

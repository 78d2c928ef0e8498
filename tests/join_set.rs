//! `JoinSet`: outputs in the order tasks finish, its size, aborting, shutdown and drop; after
//! tokio's `task_join_set.rs`.

mod support;

use std::cell::RefCell;
use std::collections::HashSet;
use std::future::{pending, poll_fn};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_util::FutureExt;
use runtime::time::{self, sleep};
use runtime::JoinSet;
use support::{bounded, DropCounter};
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(20);

rt_test! {
    async fn outputs_come_in_the_order_tasks_finish() {
        const N: usize = 8;
        let mut set = JoinSet::new();
        let mut releases = Vec::new();
        for i in 0..N {
            let (release, released) = oneshot::channel::<()>();
            releases.push(release);
            set.spawn(async move {
                released.await.unwrap();
                i
            });
        }
        // Finish them last to first, one at a time.
        for i in (0..N).rev() {
            releases.pop().unwrap().send(()).unwrap();
            assert_eq!(bounded(LIMIT, set.join_next()).await.unwrap().unwrap(), i);
            assert_eq!(set.len(), i);
        }
        assert!(bounded(LIMIT, set.join_next()).await.is_none());
    }
}

rt_test! {
    async fn len_and_is_empty() {
        let mut set = JoinSet::new();
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        assert!(set.join_next().await.is_none());

        for i in 0..5u32 {
            set.spawn(async move { i });
        }
        assert!(!set.is_empty());
        assert_eq!(set.len(), 5);

        let mut outputs = Vec::new();
        while let Some(output) = bounded(LIMIT, set.join_next()).await {
            outputs.push(output.unwrap());
            assert_eq!(set.len(), 5 - outputs.len());
        }
        outputs.sort();
        assert_eq!(outputs, [0, 1, 2, 3, 4]);
        assert!(set.is_empty());
    }
}

rt_test! {
    async fn panics_and_aborts_come_out_as_join_errors() {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        let err = bounded(LIMIT, set.join_next()).await.unwrap().unwrap_err();
        assert!(err.is_panic());

        // A task that finished before `abort_all` keeps its output.
        set.spawn(async { "done" });
        assert_eq!(bounded(LIMIT, set.join_next()).await.unwrap().unwrap(), "done");
        set.spawn(async {
            sleep(LIMIT * 2).await;
            "too late"
        });
        set.abort_all();
        let err = bounded(LIMIT, set.join_next()).await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
    }
}

/// A set of `n` tasks that never finish, each holding a guard of `drops`.
fn pending_tasks(drops: &DropCounter, n: usize) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let guard = drops.guard();
        set.spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
    }
    set
}

rt_test! {
    async fn shutdown_aborts_and_waits_for_every_task() {
        let drops = DropCounter::default();
        let mut set = pending_tasks(&drops, 16);
        bounded(LIMIT, set.shutdown()).await;
        assert!(set.is_empty());
        // Each task's future is dropped before its handle reports it cancelled.
        assert_eq!(drops.dropped(), 16);
    }
}

rt_test! {
    async fn dropping_the_set_aborts_its_tasks() {
        let drops = DropCounter::default();
        let mut set = pending_tasks(&drops, 16);
        let guard = drops.guard();
        set.spawn_local(async move {
            let _guard = guard;
            pending::<()>().await
        });
        drop(set);
        // Aborted tasks are dropped on their loops at their next turn.
        bounded(LIMIT, async {
            while drops.dropped() < 17 {
                sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
    }
}

rt_test! {
    async fn local_tasks_may_share_non_send_state() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut set = JoinSet::new();
        for i in 0..4 {
            let log = log.clone();
            set.spawn_local(async move {
                runtime::yield_now().await;
                log.borrow_mut().push(i);
                runtime::worker_index()
            });
        }
        let here = runtime::worker_index();
        while let Some(worker) = bounded(LIMIT, set.join_next()).await {
            // Pinned to the worker that spawned them.
            assert_eq!(worker.unwrap(), here);
        }
        let mut log = log.take();
        log.sort();
        assert_eq!(log, [0, 1, 2, 3]);
    }
}

rt_test! {
    async fn an_abort_handle_from_spawn_aborts_that_task_alone() {
        bounded(LIMIT, async {
            let mut set = JoinSet::new();
            let slow = set.spawn(pending::<&str>());
            let fast_id = set.spawn(async { "fast" }).id();
            slow.abort();
            let mut seen = Vec::new();
            while let Some(result) = set.join_next_with_id().await {
                match result {
                    Ok((id, output)) => seen.push((id, Ok(output))),
                    Err(e) => seen.push((e.id(), Err(e.is_cancelled()))),
                }
            }
            seen.sort_by_key(|(id, _)| *id == fast_id);
            assert_eq!(seen, [(slow.id(), Err(true)), (fast_id, Ok("fast"))]);
            assert!(slow.is_finished());
        })
        .await
    }
}

rt_test! {
    async fn try_join_next_takes_only_finished_tasks() {
        bounded(LIMIT, async {
            let mut set = JoinSet::new();
            assert!(set.try_join_next().is_none(), "empty");
            let (release, released) = oneshot::channel::<()>();
            set.spawn(async move { released.await.unwrap() });
            assert!(set.try_join_next().is_none(), "still running");
            release.send(()).unwrap();
            let joined = loop {
                match set.try_join_next() {
                    Some(result) => break result,
                    None => runtime::yield_now().await,
                }
            };
            joined.unwrap();
            assert!(set.is_empty());
        })
        .await
    }
}

rt_test! {
    async fn join_all_extend_and_from_iter() {
        bounded(LIMIT, async {
            let mut set: JoinSet<usize> = (0..4).map(|i| async move { i }).collect();
            set.extend((4..8).map(|i| async move { i }));
            assert_eq!(set.len(), 8);
            let mut outputs = set.join_all().await;
            outputs.sort();
            assert_eq!(outputs, (0..8).collect::<Vec<_>>());
        })
        .await
    }
}

rt_test! {
    async fn join_all_resumes_a_tasks_panic_and_aborts_the_rest() {
        bounded(LIMIT, async {
            let drops = DropCounter::default();
            let mut set = pending_tasks(&drops, 3);
            set.spawn(async { panic!("task failed") });
            let joined = runtime::spawn(set.join_all());
            let err = joined.await.unwrap_err();
            assert!(err.is_panic());
            assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"task failed"));
            while drops.dropped() < 3 {
                runtime::yield_now().await;
            }
        })
        .await
    }
}

rt_test! {
    async fn detach_all_leaves_the_tasks_running() {
        bounded(LIMIT, async {
            let mut set = JoinSet::new();
            let (done, finished) = oneshot::channel();
            let (release, released) = oneshot::channel::<()>();
            set.spawn(async move {
                released.await.unwrap();
                done.send("ran to the end").unwrap();
            });
            set.detach_all();
            assert!(set.is_empty());
            drop(set);
            release.send(()).unwrap();
            assert_eq!(finished.await.unwrap(), "ran to the end");
        })
        .await
    }
}

rt_test! {
    async fn a_set_emptied_by_detach_all_is_used_again() {
        time::pause();
        let mut set = JoinSet::new();
        for i in 0..10 {
            set.spawn(async move { i });
            assert_eq!(set.len(), 1 + i);
        }
        set.detach_all();
        assert_eq!(set.len(), 0);
        assert!(set.join_next().await.is_none());

        // Twice over: tasks sleeping 0 to 9 seconds, every output seen once.
        for _ in 0..2 {
            for i in 0..10 {
                set.spawn(async move {
                    sleep(Duration::from_secs(i as u64)).await;
                    i
                });
                assert_eq!(set.len(), 1 + i);
            }
            let mut seen = [false; 10];
            while let Some(i) = bounded(LIMIT, set.join_next()).await {
                seen[i.unwrap()] = true;
            }
            assert!(seen.iter().all(|&seen| seen));
            assert!(set.join_next().await.is_none());
        }
        time::resume();
    }
}

rt_test! {
    async fn joining_and_spawning_alternately() {
        let mut set = JoinSet::new();
        set.spawn(async {});
        set.spawn(async {});
        assert_eq!(set.len(), 2);
        for _ in 0..16 {
            bounded(LIMIT, set.join_next()).await.unwrap().unwrap();
            assert_eq!(set.len(), 1);
            set.spawn(async {});
            assert_eq!(set.len(), 2);
        }
    }
}

rt_test! {
    async fn abort_handles_cancel_the_tasks_they_belong_to() {
        time::pause();
        let mut set = JoinSet::new();
        for i in 0..16u64 {
            let abort = set.spawn(async move {
                sleep(Duration::from_secs(i)).await;
                i
            });
            if i % 2 != 0 {
                abort.abort();
            }
        }
        let (mut completed, mut cancelled) = (0, 0);
        while let Some(result) = bounded(LIMIT, set.join_next()).await {
            match result {
                Ok(i) => {
                    assert_eq!(i % 2, 0, "an aborted task completed");
                    completed += 1;
                }
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((completed, cancelled), (8, 8));
        time::resume();
    }
}

rt_test! {
    async fn abort_all_keeps_the_tasks_in_the_set_until_joined() {
        time::pause();
        let mut set = JoinSet::new();
        for _ in 0..5 {
            set.spawn(pending::<()>());
        }
        for _ in 0..5 {
            set.spawn(sleep(Duration::from_secs(1)));
        }
        // Five tasks finished, five still pending.
        sleep(Duration::from_secs(2)).await;
        set.abort_all();
        assert_eq!(set.len(), 10);
        let mut joined = 0;
        while let Some(result) = bounded(LIMIT, set.join_next()).await {
            if let Err(e) = result {
                assert!(e.is_cancelled());
            }
            joined += 1;
        }
        assert_eq!(joined, 10);
        assert!(set.is_empty());
        time::resume();
    }
}

#[test]
fn a_task_on_a_runtime_dropped_since_comes_out_cancelled() {
    let mut set = JoinSet::new();
    {
        let rt = support::rt(1);
        set.spawn_on(pending::<u32>(), rt.handle());
        set.spawn_blocking_on(|| 1, rt.handle());
    }
    let rt = support::rt(1);
    let mut cancelled = 0;
    while let Some(result) = rt.block_on(bounded(LIMIT, set.join_next())) {
        // The blocking closure may have run before the runtime went.
        if let Err(e) = result {
            assert!(e.is_cancelled());
            cancelled += 1;
        }
    }
    assert!(cancelled >= 1);
}

rt_test! {
    async fn join_next_yields_once_the_budget_is_spent() {
        const TASKS: usize = 1000;
        let mut set = JoinSet::new();
        let mut handles = Vec::new();
        for _ in 0..TASKS {
            handles.push(set.spawn(async {}));
        }
        bounded(LIMIT, async {
            while !handles.iter().all(|h| h.is_finished()) {
                runtime::yield_now().await;
            }
        })
        .await;

        // Every task has finished, yet joining them all takes more than one poll.
        let (mut joined, mut yields) = (0, 0);
        loop {
            match set.join_next().now_or_never() {
                Some(Some(result)) => {
                    result.unwrap();
                    joined += 1;
                }
                Some(None) => break,
                None => {
                    yields += 1;
                    runtime::yield_now().await;
                }
            }
        }
        assert_eq!(joined, TASKS);
        assert!(yields >= 1);
    }
}

rt_test! {
    async fn try_join_next_ignores_the_budget() {
        const TASKS: usize = 1000;
        let mut set = JoinSet::new();
        let mut spawned = HashSet::new();
        let (release, released) = tokio::sync::watch::channel(());
        for _ in 0..TASKS {
            let mut released = released.clone();
            spawned.insert(set.spawn(async move { released.changed().await.unwrap() }).id());
        }
        drop(released);
        assert!(set.try_join_next_with_id().is_none());

        release.send_replace(());
        // Every receiver gone: every task has finished.
        bounded(LIMIT, release.closed()).await;
        let mut joined = HashSet::new();
        // All in this one poll of the test's task.
        while let Some(result) = set.try_join_next_with_id() {
            joined.insert(result.unwrap().0);
        }
        assert_eq!(joined, spawned);
    }
}

rt_test! {
    async fn pinned_tasks_are_joined_and_shut_down() {
        let mut set = JoinSet::new();
        for i in 0..8 {
            let i = Rc::new(i);
            set.spawn_local(async move { *i });
        }
        let mut seen = [false; 8];
        while let Some(i) = bounded(LIMIT, set.join_next()).await {
            seen[i.unwrap()] = true;
        }
        assert!(seen.iter().all(|&seen| seen));

        let drops = DropCounter::default();
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let guard = drops.guard();
            set.spawn_local(async move {
                let _guard = Rc::new(guard);
                pending::<()>().await
            });
        }
        assert!(set.try_join_next().is_none());
        bounded(LIMIT, set.shutdown()).await;
        assert!(set.is_empty());
        assert_eq!(drops.dropped(), 8);
    }
}

#[test]
#[should_panic(expected = "must be called from inside the runtime")]
fn spawn_local_outside_a_runtime_panics() {
    JoinSet::new().spawn_local(async {});
}

/// A waker that, once dropped, blocks on its runtime and then drops it.
struct DriveOnDrop(Option<runtime::Runtime>);

impl Wake for DriveOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DriveOnDrop {
    fn drop(&mut self) {
        let rt = self.0.take().unwrap();
        rt.block_on(runtime::yield_now());
    }
}

#[test]
fn a_replaced_waker_is_dropped_where_it_may_block_on_the_runtime() {
    let rt = support::rt(1);
    let mut set = JoinSet::new();
    set.spawn_on(pending::<()>(), rt.handle());
    let waker = Waker::from(Arc::new(DriveOnDrop(Some(rt))));
    assert!(set
        .poll_join_next(&mut Context::from_waker(&waker))
        .is_pending());
    drop(waker);
    // The set drops its copy of the waker here: the runtime goes, with the task, which may
    // come out of this very poll.
    let joined = match set.poll_join_next(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(joined) => joined,
        Poll::Pending => {
            support::rt(1).block_on(bounded(LIMIT, poll_fn(|cx| set.poll_join_next(cx))))
        }
    };
    assert!(joined.unwrap().unwrap_err().is_cancelled());
}

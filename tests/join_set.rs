//! `JoinSet`: outputs in the order tasks finish, its size, aborting, shutdown and drop.

mod support;

use std::cell::RefCell;
use std::future::pending;
use std::rc::Rc;
use std::time::Duration;

use runtime::time::sleep;
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

//! Task ids (`runtime::task::{Id, id, try_id}`), and the ids that handles and errors carry,
//! after tokio's `task_id.rs`.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::collections::HashSet;
use std::future::pending;
use std::time::Duration;

use runtime::task;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(20);

rt_test! {
    async fn a_task_sees_the_id_its_handle_reports_on_every_poll() {
        bounded(LIMIT, async {
            let handle = runtime::spawn(async {
                let first = task::id();
                for _ in 0..100 {
                    // It may move between workers; its id stays.
                    runtime::yield_now().await;
                    assert_eq!(task::id(), first);
                }
                first
            });
            let id = handle.id();
            assert_eq!(handle.abort_handle().id(), id);
            assert_eq!(handle.await.unwrap(), id);
            let blocking = runtime::spawn_blocking(task::try_id);
            let id = blocking.id();
            assert_eq!(blocking.await.unwrap(), Some(id));
        })
        .await
    }
}

rt_test! {
    async fn live_tasks_have_distinct_ids() {
        bounded(LIMIT, async {
            let handles: Vec<_> = (0..200).map(|_| runtime::spawn(pending::<()>())).collect();
            let ids: HashSet<_> = handles.iter().map(|h| h.id()).collect();
            assert_eq!(ids.len(), handles.len());
            assert!(!ids.contains(&task::id()), "the test body is a task too");
            for handle in handles {
                handle.abort();
            }
        })
        .await
    }
}

rt_test! {
    async fn a_join_error_carries_the_failed_tasks_id() {
        bounded(LIMIT, async {
            let panicked = runtime::spawn(async { panic!("boom") });
            let id = panicked.id();
            assert_eq!(panicked.await.unwrap_err().id(), id);
            let aborted = runtime::spawn(pending::<()>());
            let id = aborted.id();
            aborted.abort();
            let err = aborted.await.unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(err.id(), id);
        })
        .await
    }
}

#[test]
fn there_is_no_current_task_outside_tasks() {
    assert_eq!(task::try_id(), None);
    assert!(std::panic::catch_unwind(task::id).is_err());
    // `block_on` polls its future on the calling thread, outside any task.
    support::rt(1).block_on(async { assert_eq!(task::try_id(), None) });
    // Ids are ordered and printable, for maps and logs.
    support::rt(1).block_on(async {
        let (a, b) = (runtime::spawn(async {}), runtime::spawn(async {}));
        assert_ne!(a.id().cmp(&b.id()), std::cmp::Ordering::Equal);
        assert!(!a.id().to_string().is_empty());
    });
}

/// Records `task::try_id()` when dropped.
struct IdOnDrop(std::sync::Arc<std::sync::Mutex<Vec<Option<task::Id>>>>);

impl Drop for IdOnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(task::try_id());
    }
}

rt_test! {
    async fn a_future_dropped_on_completion_or_abort_sees_its_tasks_id() {
        // tokio's `task_id_future_destructor_completion` and `_abort`.
        bounded(LIMIT, async {
            let seen = std::sync::Arc::default();
            let done = runtime::spawn({
                let on_drop = IdOnDrop(std::sync::Arc::clone(&seen));
                async move {
                    let _held = &on_drop;
                }
            });
            let done_id = done.id();
            done.await.unwrap();
            let aborted = support::spawn_started(IdOnDrop(std::sync::Arc::clone(&seen))).await;
            let aborted_id = aborted.id();
            aborted.abort();
            assert!(aborted.await.unwrap_err().is_cancelled());
            assert_eq!(*seen.lock().unwrap(), [Some(done_id), Some(aborted_id)]);
        })
        .await
    }
}

//! Aborting tasks, after tokio's `task_abort.rs`: an abort from a thread the runtime did not
//! start, a handle dropped right after its abort, a destructor that panics during the abort,
//! and how a `JoinError` prints. (Aborting a sleeping task, a pinned task from a plain thread,
//! and a task before its first poll are in `rt_spawn.rs` and `time_sleep.rs`.)
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.

mod support;

use std::future::pending;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use support::{bounded, DropCounter};

const LIMIT: Duration = Duration::from_secs(20);

rt_test! {
    async fn an_abort_from_a_plain_thread_drops_the_future_and_cancels() {
        // tokio's issue 3662.
        let drops = DropCounter::default();
        let handle = support::spawn_started(drops.guard()).await;
        let handle = thread::spawn(move || {
            assert_eq!(drops.dropped(), 0);
            handle.abort();
            (handle, drops)
        })
        .join()
        .unwrap();
        let (handle, drops) = handle;
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(drops.dropped(), 1);
        // The runtime goes on.
        bounded(LIMIT, runtime::spawn(runtime::yield_now())).await.unwrap();
    }
}

rt_test! {
    async fn a_handle_dropped_right_after_its_abort_still_drops_the_future() {
        // tokio's issue 3964: nobody awaits the handle, the abort alone wakes the task.
        let owned = Arc::new(());
        let handle = support::spawn_started(owned.clone()).await;
        handle.abort();
        drop(handle);
        bounded(LIMIT, async {
            while Arc::strong_count(&owned) > 1 {
                runtime::yield_now().await;
            }
        })
        .await;
    }
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("PanicOnDrop dropped");
    }
}

rt_test! {
    async fn a_destructor_that_panics_during_an_abort_is_the_tasks_panic() {
        // tokio's `test_abort_task_that_panics_on_drop_{contained,returned}`: the panic stays
        // in the task, and its handle reports it as a panic, not a cancellation.
        let handle = support::spawn_started(PanicOnDrop).await;
        handle.abort();
        let err = bounded(LIMIT, handle).await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert!(!err.is_cancelled());
        // With the handle dropped, nothing escapes either.
        let handle = support::spawn_started(PanicOnDrop).await;
        handle.abort();
        drop(handle);
        bounded(LIMIT, runtime::spawn(runtime::yield_now())).await.unwrap();
    }
}

rt_test! {
    async fn a_join_error_prints_as_tokios() {
        // tokio's `test_join_error_display` and `test_join_error_debug`, with our ids (tokio's
        // count from 1 on a fresh runtime; ours are opaque).
        let formatted = runtime::spawn(async move {
            let value = 1234;
            panic!("Format-args payload: {value}")
        });
        let literal = runtime::spawn(async move { panic!("Const payload") });
        let other = runtime::spawn(async move { std::panic::panic_any(1234i32) });
        let aborted = runtime::spawn(pending::<()>());
        aborted.abort();
        let mut errors = Vec::new();
        for handle in [formatted, literal, other, aborted] {
            errors.push(bounded(LIMIT, handle).await.unwrap_err());
        }
        let ids: Vec<_> = errors.iter().map(|e| e.id()).collect();
        let display: Vec<_> = errors.iter().map(ToString::to_string).collect();
        let debug: Vec<_> = errors.iter().map(|e| format!("{e:?}")).collect();
        assert_eq!(display, [
            format!("task {} panicked with message \"Format-args payload: 1234\"", ids[0]),
            format!("task {} panicked with message \"Const payload\"", ids[1]),
            format!("task {} panicked", ids[2]),
            format!("task {} was cancelled", ids[3]),
        ]);
        assert_eq!(debug, [
            format!("JoinError::Panic({:?}, \"Format-args payload: 1234\", ...)", ids[0]),
            format!("JoinError::Panic({:?}, \"Const payload\", ...)", ids[1]),
            format!("JoinError::Panic({:?}, ...)", ids[2]),
            format!("JoinError::Cancelled({:?})", ids[3]),
        ]);
    }
}

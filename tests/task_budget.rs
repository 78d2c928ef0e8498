//! The cooperative budget from inside a task: `consume_budget` yields once a poll has spent
//! it, `unconstrained` never does; after tokio's `coop_budget.rs`.
//!
//! Both run on one worker, where a task that never yields keeps every other task waiting:
//! the tests count whether another task ran before a loop of budget spending ended.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use runtime::task::{consume_budget, unconstrained};

/// More than one poll's budget (`net::coop::BUDGET`, 128) many times over.
const STEPS: usize = 10_000;

/// Spawns a task that raises a flag, then spends the budget `STEPS` times with `spend`:
/// whether the flag was up when the loop ended.
async fn other_task_ran_meanwhile<F: std::future::Future<Output = ()>>(
    spend: impl FnOnce(usize) -> F,
) -> bool {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let other = runtime::spawn(async move { flag.store(true, Ordering::SeqCst) });
    spend(STEPS).await;
    let ran_meanwhile = ran.load(Ordering::SeqCst);
    other.await.unwrap();
    ran_meanwhile
}

#[test]
fn consume_budget_lets_the_other_tasks_of_the_loop_run() {
    support::rt(1).block_on_pinned(|| async {
        let ran = other_task_ran_meanwhile(|steps| async move {
            for _ in 0..steps {
                consume_budget().await;
            }
        })
        .await;
        assert!(ran, "the loop never yielded");
    });
}

#[test]
fn unconstrained_never_yields_for_the_budget() {
    support::rt(1).block_on_pinned(|| async {
        let ran = other_task_ran_meanwhile(|steps| {
            unconstrained(async move {
                for _ in 0..steps {
                    consume_budget().await;
                }
            })
        })
        .await;
        assert!(!ran, "an unconstrained loop yielded");
    });
}

//! The runtime's threads all end with it.
//!
//! Thread counts are process-wide, so this file holds a single test: no other test of this
//! binary starts threads meanwhile.

mod support;

use std::future::pending;
use std::time::Duration;

use support::{bounded, thread_count, thread_count_settled, DropCounter};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn dropping_a_runtime_ends_its_threads() {
    let before = thread_count();
    for round in 0..3 {
        let rt = support::rt(4);
        assert_eq!(rt.workers(), 4);
        // Each worker has a thread of its own.
        assert!(thread_count() >= before + 4, "round {round}");
        let drops = DropCounter::default();
        rt.block_on(async {
            let handles: Vec<_> = (0..64u64)
                .map(|i| {
                    let guard = drops.guard();
                    runtime::spawn(async move {
                        let _guard = guard;
                        runtime::time::sleep(Duration::from_millis(i % 4)).await;
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += bounded(LIMIT, handle).await.unwrap();
            }
            assert_eq!(sum, 64 * 63 / 2);
            // Tasks still pending when the runtime goes, one of them spawned from outside.
            for _ in 0..8 {
                let guard = drops.guard();
                drop(runtime::spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                }));
            }
        });
        let guard = drops.guard();
        drop(rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await
        }));
        drop(rt);
        assert_eq!(drops.dropped(), 64 + 8 + 1, "round {round}");
        assert_eq!(
            thread_count_settled(before),
            before,
            "round {round}: the runtime's threads outlived it"
        );
    }

    // A runtime that never ran `block_on`.
    let rt = support::rt(4);
    assert!(thread_count() >= before + 4);
    rt.shutdown();
    assert_eq!(thread_count_settled(before), before);
}

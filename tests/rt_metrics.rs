//! `Runtime::metrics`: the queue depths, busy time and live connections a snapshot reports.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{RuntimeMetrics, WorkerMetrics};
use support::{bounded, rt};

/// Waits (up to 10 s) until `done` holds for the runtime's metrics, and returns them.
fn wait_for(
    handle: &runtime::Handle,
    what: &str,
    done: impl Fn(&RuntimeMetrics) -> bool,
) -> RuntimeMetrics {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = handle.metrics();
        if done(&metrics) {
            return metrics;
        }
        assert!(Instant::now() < deadline, "{what}: {metrics:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn total(metrics: &RuntimeMetrics, value: fn(&WorkerMetrics) -> u64) -> u64 {
    metrics.workers.iter().map(value).sum()
}

#[test]
fn queue_depths_count_the_tasks_waiting_behind_a_blocked_worker() {
    let runtime = rt(1);
    let handle = runtime.handle().clone();
    let outside = handle.clone();
    runtime.block_on_pinned(move || async move {
        // A pinned task waiting for a message from another thread, which will wake it there
        // and so put it in the worker's inbox.
        let (tx, rx) = async_channel::bounded::<()>(1);
        let waiting = Arc::new(AtomicBool::new(false));
        let receiver = runtime::spawn_local({
            let waiting = waiting.clone();
            async move {
                waiting.store(true, Ordering::SeqCst);
                rx.recv().await.unwrap();
            }
        });
        while !waiting.load(Ordering::SeqCst) {
            runtime::yield_now().await;
        }
        // From here on the worker is in this task, and nothing it queues runs.
        std::thread::spawn(move || {
            tx.send_blocking(()).unwrap();
            (0..3).map(|_| outside.spawn(async {})).collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        let stealable: Vec<_> = (0..10).map(|_| runtime::spawn(async {})).collect();
        let pinned: Vec<_> = (0..5).map(|_| runtime::spawn_local(async {})).collect();
        let metrics = runtime::metrics();
        let worker = metrics.workers[0];
        // The last task spawned waits in the LIFO slot, which is not counted.
        assert!((9..=10).contains(&worker.local_queue_depth), "{metrics:#?}");
        assert_eq!(worker.pinned_queue_depth, 5, "{metrics:#?}");
        assert_eq!(worker.inbox_depth, 1, "{metrics:#?}");
        assert_eq!(metrics.global_queue_depth, 3, "{metrics:#?}");
        for task in stealable.into_iter().chain(pinned) {
            task.await.unwrap();
        }
        receiver.await.unwrap();
    });
    let metrics = wait_for(&handle, "the queues empty", |m| m.global_queue_depth == 0);
    let worker = metrics.workers[0];
    assert_eq!(
        (
            worker.local_queue_depth,
            worker.pinned_queue_depth,
            worker.inbox_depth
        ),
        (0, 0, 0),
        "{metrics:#?}"
    );
}

#[test]
fn busy_time_counts_a_task_that_blocks_its_worker() {
    let runtime = rt(1);
    let before = runtime.metrics().workers[0].busy_duration;
    let blocked = Duration::from_millis(50);
    runtime.block_on_pinned(move || async move { std::thread::sleep(blocked) });
    // Counted once the worker next sleeps or looks at its reactor.
    wait_for(runtime.handle(), "the blocked time counted as busy", |m| {
        m.workers[0].busy_duration >= before + blocked
    });
}

#[test]
fn live_connections_count_the_open_connections_of_each_worker() {
    const CLIENTS: usize = 4;
    let runtime = rt(2);
    let handle = runtime.handle().clone();
    runtime.block_on(async move {
        let server = runtime::net::serve("127.0.0.1:0", |mut stream, _| async move {
            // Echoes one byte, then holds the connection until the client closes it.
            let mut byte = [0; 1];
            while stream.read(&mut byte).await.is_ok_and(|n| n > 0) {
                let _ = stream.write_all(&byte).await;
            }
        })
        .unwrap();
        let addr = server.local_addr();
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let mut client = runtime::net::TcpStream::connect(addr).await.unwrap();
            client.write_all(b"x").await.unwrap();
            let mut byte = [0; 1];
            bounded(Duration::from_secs(10), client.read_exact(&mut byte))
                .await
                .unwrap();
            clients.push(client);
        }
        // Every connection has been served once, so each is counted.
        let metrics = handle.metrics();
        assert_eq!(total(&metrics, |w| w.live_connections), CLIENTS as u64);
        assert_eq!(total(&metrics, |w| w.accepted), CLIENTS as u64);
        drop(clients);
        bounded(Duration::from_secs(10), async {
            while total(&handle.metrics(), |w| w.live_connections) > 0 {
                runtime::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        server.shutdown(Duration::ZERO).await;
    });
}

#[test]
fn the_poll_time_histogram_samples_the_polls_in_the_bucket_of_their_duration() {
    use runtime::PollTimeHistogram;

    let runtime = rt(1);
    let blocked = Duration::from_millis(1);
    runtime.block_on_pinned(move || async move {
        // The only task on its worker: four sampling periods of polls of at least 1 ms in a
        // row, so that at least two of them are timed even if a few other polls come between.
        for _ in 0..4 * PollTimeHistogram::SAMPLE_PERIOD {
            std::thread::sleep(blocked);
            runtime::yield_now().await;
        }
    });
    // The first poll is timed, then one in the period; each is recorded as it ends.
    let metrics = wait_for(runtime.handle(), "every sampled poll recorded", |m| {
        let worker = m.workers[0];
        worker.poll_time_histogram.count()
            == worker.polls.div_ceil(PollTimeHistogram::SAMPLE_PERIOD)
    });
    let histogram = metrics.workers[0].poll_time_histogram;
    let long = (0..PollTimeHistogram::BUCKETS)
        .filter(|&i| PollTimeHistogram::bucket_range(i).end > blocked)
        .map(|i| histogram.counts[i])
        .sum::<u64>();
    assert!(long >= 2, "{histogram:#?}");
    assert!(histogram.total >= 2 * blocked, "{histogram:#?}");
}

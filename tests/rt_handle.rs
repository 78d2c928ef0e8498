//! `Handle`: the runtime's handle found from inside it, used from threads it did not start,
//! entered, and outliving the runtime; after tokio's `rt_handle.rs`.

mod support;

use std::future::{pending, poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};
use runtime::Handle;
use support::{bounded, DropCounter};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn the_current_handle_is_found_inside_the_runtime_only() {
    assert!(Handle::try_current().is_err());
    assert!(std::panic::catch_unwind(Handle::current).is_err());
    let rt = support::rt(2);
    fn workers(h: Handle) -> usize {
        h.metrics().workers.len()
    }
    assert_eq!(rt.block_on(async { workers(Handle::current()) }), 2);
    let in_task = rt.block_on(rt.spawn(async { workers(Handle::current()) }));
    assert_eq!(in_task.unwrap(), 2);
    let in_pool = rt.block_on(rt.spawn_blocking(|| workers(Handle::current())));
    assert_eq!(in_pool.unwrap(), 2);
    assert!(
        Handle::try_current().is_err(),
        "block_on left the thread as it was"
    );
}

#[test]
fn a_thread_the_runtime_did_not_start_spawns_and_blocks_through_a_handle() {
    let rt = support::rt(2);
    let handle = rt.handle().clone();
    let sum = std::thread::spawn(move || {
        let tasks: Vec<_> = (0..10).map(|i| handle.spawn(async move { i })).collect();
        let blocking = handle.spawn_blocking(|| 100);
        handle.block_on(async move {
            let mut sum = blocking.await.unwrap();
            for task in tasks {
                sum += task.await.unwrap();
            }
            sum
        })
    })
    .join()
    .unwrap();
    assert_eq!(sum, 145);
}

#[test]
fn an_entered_thread_spawns_and_makes_sockets_and_timers() {
    let rt = support::rt(2);
    let handle = rt.handle().clone();
    std::thread::spawn(move || {
        let guard = handle.enter();
        assert!(Handle::try_current().is_ok());
        // Created outside any future: they belong to a worker, which serves them.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let sleep = runtime::time::sleep(Duration::from_millis(5));
        handle.block_on(bounded(LIMIT, async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            server.await.unwrap();
            sleep.await;
        }));
        drop(guard);
        assert!(Handle::try_current().is_err(), "the guard left the runtime");
    })
    .join()
    .unwrap();
}

#[test]
fn entering_the_runtime_a_worker_runs_changes_nothing() {
    let rt = support::rt(1);
    rt.block_on_pinned(|| async {
        let _guard = Handle::current().enter();
        // Still worker 0: pinned tasks work.
        assert_eq!(runtime::worker_index(), Some(0));
        runtime::spawn_local(async {}).await.unwrap();
    });
}

#[test]
fn a_handle_that_outlives_its_runtime_cancels_what_it_spawns() {
    let rt = support::rt(1);
    let handle = rt.handle().clone();
    let before = handle.spawn(pending::<()>());
    drop(rt);
    let after = handle.spawn(pending::<()>());
    // Pending when the runtime was dropped, or spawned on the closed runtime: cancelled at once.
    for task in [before, after] {
        let err = futures_util::FutureExt::now_or_never(task)
            .expect("the task is cancelled at once")
            .unwrap_err();
        assert!(err.is_cancelled());
    }
}

/// After tokio's `rt_handle_block_on.rs`: `Handle::block_on` on a thread the runtime did not
/// start, entered, before and after the runtime shuts down.
#[test]
fn handle_block_on_runs_futures_that_need_no_runtime_before_and_after_shutdown() {
    let check = || {
        assert_eq!(Handle::current().block_on(async { 1 }), 1);
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        Handle::current().block_on(tx.send(42)).unwrap();
        assert_eq!(Handle::current().block_on(rx.recv()), Some(42));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tx.send(7).unwrap();
        assert_eq!(Handle::current().block_on(rx.recv()), Some(7));
    };
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let handle = rt.handle().clone();
        let _enter = handle.enter();
        check();
        rt.shutdown_timeout(LIMIT);
        check();
    }
}

#[test]
fn handle_block_on_runs_files_blocking_closures_timers_and_sockets() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let _enter = rt.enter();
        let handle = Handle::current();
        let contents = handle.block_on(runtime::fs::read_to_string("Cargo.toml"));
        assert!(contents.unwrap().contains("[workspace]"));
        assert_eq!(handle.block_on(runtime::spawn_blocking(|| 42)).unwrap(), 42);

        // An accept nobody connects to stays pending (it does not fail) until its timeout.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let accept = runtime::time::timeout(Duration::from_millis(10), listener.accept());
        assert!(handle.block_on(accept).is_err());
        handle.block_on(runtime::time::sleep(Duration::from_millis(1)));
    }
}

#[test]
fn after_shutdown_files_fail_and_blocking_closures_are_cancelled() {
    for workers in [1, 2] {
        let rt = support::rt(workers);
        let handle = rt.handle().clone();
        let _enter = handle.enter();
        rt.shutdown_timeout(LIMIT);
        let err = handle
            .block_on(runtime::fs::read_to_string("Cargo.toml"))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other, "{err}");
        let err = handle.block_on(runtime::spawn_blocking(|| 42)).unwrap_err();
        assert!(err.is_cancelled());
    }
}

#[test]
fn a_blocking_closure_started_before_shutdown_finishes() {
    use std::sync::mpsc;

    let rt = support::rt(1);
    let handle = rt.handle().clone();
    let (started_tx, started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let task = handle.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        released.recv().unwrap();
        42
    });
    started.recv_timeout(LIMIT).unwrap();
    // Released while the shutdown may be waiting for it, or before: it runs to its end.
    let releaser = std::thread::spawn(move || release.send(()).unwrap());
    rt.shutdown_timeout(LIMIT);
    releaser.join().unwrap();
    assert_eq!(handle.block_on(bounded(LIMIT, task)).unwrap(), 42);
}

#[test]
fn handle_block_on_inside_block_on_panics() {
    let rt = support::rt(1);
    let panicked = rt.block_on(async {
        std::panic::catch_unwind(|| Handle::current().block_on(async {})).is_err()
    });
    assert!(panicked);
}

#[test]
fn guards_of_two_runtimes_dropped_in_reverse_order() {
    let (rt1, rt2) = (support::rt(1), support::rt(1));
    let enter1 = rt1.enter();
    let enter2 = rt2.enter();
    assert_eq!(Handle::current().id(), rt2.handle().id());
    drop(enter2);
    assert_eq!(Handle::current().id(), rt1.handle().id());
    drop(enter1);
    assert!(Handle::try_current().is_err());
}

#[test]
#[should_panic(expected = "dropped out of order")]
fn guards_of_two_runtimes_dropped_interleaved_panic() {
    let (rt1, rt2) = (support::rt(1), support::rt(1));
    let enter1 = rt1.enter();
    let enter2 = rt2.enter();
    drop(enter1);
    drop(enter2);
}

#[test]
#[should_panic(expected = "dropped out of order")]
fn guards_of_one_runtime_dropped_interleaved_panic() {
    let rt = support::rt(1);
    let _enter1 = rt.enter();
    let enter2 = rt.enter();
    let enter3 = rt.enter();
    drop(enter2);
    drop(enter3);
}

#[test]
fn a_thread_enters_again_after_an_interleaved_drop() {
    let interleaved = std::panic::catch_unwind(|| {
        let (rt1, rt2) = (support::rt(1), support::rt(1));
        let enter1 = rt1.enter();
        let enter2 = rt2.enter();
        drop(enter1);
        drop(enter2);
    });
    assert!(interleaved.is_err());
    let rt3 = support::rt(1);
    let enter = rt3.enter();
    assert_eq!(Handle::current().id(), rt3.handle().id());
    drop(enter);
}

#[test]
fn tasks_holding_each_others_join_handles_are_dropped_with_the_runtime() {
    let drops = DropCounter::default();
    let rt = support::rt(2);
    let (a_guard, b_guard) = (drops.guard(), drops.guard());
    let (send_b, b) = tokio::sync::oneshot::channel::<runtime::JoinHandle<()>>();
    let polled = Arc::new(tokio::sync::Barrier::new(3));
    let polled_a = polled.clone();
    let polled_b = polled.clone();
    let a = rt.spawn(async move {
        let _guard = a_guard;
        let mut b = b.await.unwrap();
        // Registers this task's waker with `b`, which never finishes.
        poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut b).poll(cx).is_pending())).await;
        polled_a.wait().await;
        pending::<()>().await;
    });
    let b = rt.spawn(async move {
        let _guard = b_guard;
        let mut a = a;
        poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut a).poll(cx).is_pending())).await;
        polled_b.wait().await;
        pending::<()>().await;
    });
    send_b.send(b).unwrap();
    rt.block_on(bounded(LIMIT, polled.wait()));
    drop(rt);
    assert_eq!(drops.dropped(), 2, "both futures dropped, cycle and all");
}

#[test]
fn every_handle_of_a_runtime_has_its_id() {
    let rt = support::rt(1);
    assert_eq!(rt.handle().id(), rt.handle().id());
    let from_inside = rt.block_on(async { Handle::current().id() });
    assert_eq!(from_inside, rt.handle().id());
}

#[test]
fn runtimes_alive_at_once_have_different_ids() {
    let (rt1, rt2) = (support::rt(1), support::rt(1));
    assert_ne!(rt1.handle().id(), rt2.handle().id());
}

//! The thread model: every worker is a thread of its own, and `block_on` on any other thread
//! only waits. A thread blocking on the runtime slows no loop, many such threads at once
//! finish, the sockets and timers they create are served like any other, and the runtime can
//! be dropped on any thread.
//!
//! The time bounds here are seconds where the behaviour they guard against took seconds, and
//! the work takes milliseconds.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use runtime::net::{TcpListener, TcpStream};
use runtime::Runtime;
use support::{bounded, rt, DropCounter};

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `f` on a new thread and returns its output, or fails after `LIMIT`.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(LIMIT).expect("the thread took too long")
}

#[test]
fn a_thread_waiting_in_block_on_does_not_slow_worker_0() {
    let rt = std::sync::Arc::new(rt(1));
    // Another thread waits in `block_on` meanwhile.
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let waiter = {
        let rt = rt.clone();
        std::thread::spawn(move || rt.block_on(released).unwrap())
    };
    let yields = rt.block_on_pinned(|| async {
        let start = Instant::now();
        for _ in 0..300 {
            runtime::yield_now().await;
        }
        start.elapsed()
    });
    assert!(
        yields < Duration::from_secs(1),
        "300 yields took {yields:?}"
    );
    // A value worker 0 sends after 20 ms reaches a waiting thread in milliseconds.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let sender = rt.on_each_worker(move |_| {
        let tx = tx.lock().unwrap().take().unwrap();
        async move {
            runtime::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(Instant::now());
        }
    });
    let received = {
        let rt = rt.clone();
        on_thread(move || {
            let sent = rt.block_on(rx).unwrap();
            sent.elapsed()
        })
    };
    assert!(
        received < Duration::from_secs(1),
        "delivered after {received:?}"
    );
    drop(sender);
    release.send(()).unwrap();
    waiter.join().unwrap();
}

/// A tree of tasks, `width` children per task, `depth` levels: the number of tasks in it.
fn tree(depth: u32, width: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        if depth == 0 {
            return 1;
        }
        let children: Vec<_> = (0..width)
            .map(|_| runtime::spawn(tree(depth - 1, width)))
            .collect();
        let mut count = 1;
        for child in children {
            count += child.await.unwrap();
        }
        count
    })
}

#[test]
fn eight_threads_blocking_on_nested_spawns_on_one_worker_finish() {
    let rt = std::sync::Arc::new(rt(1));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let rt = rt.clone();
            std::thread::spawn(move || rt.block_on(bounded(LIMIT, tree(4, 4))))
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 1 + 4 + 16 + 64 + 256);
    }
}

thread_local! {
    static RUNTIME: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

#[test]
fn a_runtime_in_a_thread_local_is_dropped_at_thread_exit() {
    let drops = DropCounter::default();
    let guard = drops.guard();
    let thread = std::thread::spawn(move || {
        RUNTIME.with(|slot| {
            let rt = rt(2);
            let pending = rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            assert_eq!(rt.block_on(async { 1 + 1 }), 2);
            drop(pending);
            *slot.borrow_mut() = Some(rt);
        });
    });
    // Thread-local destructors run before the thread counts as finished.
    thread.join().unwrap();
    assert_eq!(drops.dropped(), 1, "the runtime's task was dropped with it");
}

#[test]
fn a_runtime_can_be_dropped_by_another_runtimes_task_or_its_own_blocking_thread() {
    let outer = rt(1);
    let inner = rt(2);
    let drops = DropCounter::default();
    let guard = drops.guard();
    drop(inner.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
    outer.block_on(bounded(LIMIT, async move {
        runtime::spawn(async move { drop(inner) }).await.unwrap();
    }));
    assert_eq!(drops.dropped(), 1);

    // A blocking thread may wait on its runtime.
    let shared = std::sync::Arc::new(rt(2));
    let in_pool = shared.spawn_blocking({
        let rt = shared.clone();
        move || rt.block_on(async { runtime::spawn(async { 7 }).await.unwrap() })
    });
    assert_eq!(shared.block_on(bounded(LIMIT, in_pool)).unwrap(), 7);
    let rt = std::sync::Arc::into_inner(shared).expect("the blocking closure has returned");

    // Dropped from a thread of its own blocking pool.
    let drops = DropCounter::default();
    let guard = drops.guard();
    drop(rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None::<Runtime>));
    let (tx, rx) = mpsc::channel();
    drop(rt.spawn_blocking({
        let slot = slot.clone();
        move || {
            let rt = loop {
                if let Some(rt) = slot.lock().unwrap().take() {
                    break rt;
                }
                std::thread::yield_now();
            };
            drop(rt);
            tx.send(()).unwrap();
        }
    }));
    *slot.lock().unwrap() = Some(rt);
    rx.recv_timeout(LIMIT).unwrap();
    assert_eq!(drops.dropped(), 1);
}

/// A connected pair of TCP streams, created inside `block_on` on this thread.
fn pair(rt: &Runtime) -> (TcpStream, TcpStream) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = runtime::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    })
}

#[test]
fn sockets_created_in_an_earlier_block_on_are_served_at_loopback_speed() {
    const ROUNDS: usize = 200;
    let rt = rt(1);
    let (mut client, mut server) = pair(&rt);
    let echo = rt.spawn(async move {
        let mut byte = [0];
        while server.read_exact(&mut byte).await.is_ok() {
            server.write_all(&byte).await.unwrap();
        }
    });
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let _pinger = rt.spawn(async move {
        let mut byte = [0];
        for _ in 0..ROUNDS {
            client.write_all(b"x").await.unwrap();
            client.read_exact(&mut byte).await.unwrap();
        }
        tx.send(()).unwrap();
    });
    // No thread is inside `block_on` meanwhile.
    rx.recv_timeout(LIMIT).unwrap();
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "{ROUNDS} ping-pongs took {took:?}"
    );
    drop(echo);
}

#[test]
fn sleeps_in_a_second_threads_block_on_have_millisecond_granularity() {
    const SLEEPS: u32 = 100;
    let rt = std::sync::Arc::new(rt(2));
    // Worker 0 holds a pinned task of this thread's, so the second thread cannot be worker 0
    // (as it could when the caller of `block_on` took worker 0 over).
    rt.block_on_pinned(|| async { drop(runtime::spawn_local(std::future::pending::<()>())) });
    let took = on_thread(move || {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..SLEEPS {
                runtime::time::sleep(Duration::from_millis(1)).await;
            }
            start.elapsed()
        })
    });
    // At 10 ms a sleep this took a second.
    assert!(
        took < Duration::from_millis(700),
        "{SLEEPS} sleeps of 1 ms took {took:?}"
    );
}

#[test]
fn block_on_runs_the_future_on_the_calling_thread_and_main_on_worker_0() {
    let rt = rt(2);
    let caller = std::thread::current().id();
    let (thread, worker) =
        rt.block_on(async { (std::thread::current().id(), runtime::worker_index()) });
    assert_eq!((thread, worker), (caller, None));
    let worker = rt.block_on_pinned(|| async {
        let local = std::rc::Rc::new(3);
        let pinned = runtime::spawn_local(async move { *local }).await.unwrap();
        (runtime::worker_index(), pinned)
    });
    assert_eq!(worker, (Some(0), 3));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on_pinned(|| async { panic!("from the main task") })
    }));
    let message = caught.unwrap_err();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"from the main task"));
}

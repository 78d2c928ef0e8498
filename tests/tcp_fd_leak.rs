//! Sockets are closed when the tasks holding them go: aborted, or dropped with their runtime.
//!
//! These tests count this process's open file descriptors, which every thread shares, so they
//! live in a file of their own and take `SERIAL` for their whole run.

mod support;

use std::future::pending;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream, UdpSocket};
use runtime::time::sleep;
use support::{bounded, fd_count, DropCounter};

const LIMIT: Duration = Duration::from_secs(30);

/// Long enough for a spawned task to reach its `.await` and wait there. Only orders events;
/// nothing is asserted about how long anything takes.
const SETTLE: Duration = Duration::from_millis(30);

static SERIAL: Mutex<()> = Mutex::new(());

/// One fd-counting test at a time; a failed one must not fail the others.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn aborted_accept_closes_the_listener(workers: usize) {
    let _serial = serial();
    let runtime = support::rt(workers);
    runtime.block_on(bounded(LIMIT, async {
        let before = fd_count();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(fd_count(), before + 1, "the listener is one fd");

        let dropped = DropCounter::default();
        let guard = dropped.guard();
        let task = runtime::spawn(async move {
            let _guard = guard;
            listener.accept().await.map(|_| ())
        });
        sleep(SETTLE).await;
        assert!(!task.is_finished(), "accept returned with no client");
        task.abort();
        let err = task.await.expect_err("the task was aborted");
        assert!(err.is_cancelled(), "{err}");
        assert_eq!(dropped.dropped(), 1, "the task's future was dropped");
        assert_eq!(fd_count(), before, "the listener's fd is closed");

        // Closed, not just forgotten: nothing listens on the port any more.
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    }));
    // Closed before `_serial` lets the next fd-counting test in.
    drop(runtime);
}

#[test]
fn aborted_accept_closes_the_listener_one_worker() {
    aborted_accept_closes_the_listener(1);
}

#[test]
fn aborted_accept_closes_the_listener_two_workers() {
    aborted_accept_closes_the_listener(2);
}

const CONNECTIONS: usize = 20;

/// Starts tasks that hold sockets and wait forever: a listener, both ends of `CONNECTIONS`
/// connections (`Send` tasks) and, pinned to the worker, one more connection and a UDP socket.
/// Returns once every socket is open. Each task holds a guard from `dropped`.
async fn hold_sockets(dropped: &DropCounter) -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = 0;

    // The server, and one task per connection it accepts.
    tasks += 1 + CONNECTIONS + 1;
    let (guard, count, counter) = (dropped.guard(), ready.clone(), dropped.clone());
    drop(runtime::spawn(async move {
        let _guard = guard;
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            let guard = counter.guard();
            drop(runtime::spawn(async move {
                let _guard = guard;
                let _ = stream.read(&mut [0; 16]).await;
                pending::<()>().await
            }));
        }
    }));

    for _ in 0..CONNECTIONS {
        tasks += 1;
        let (guard, count) = (dropped.guard(), ready.clone());
        drop(runtime::spawn(async move {
            let _guard = guard;
            let mut stream = TcpStream::connect(addr).await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            let _ = stream.read(&mut [0; 16]).await;
            pending::<()>().await
        }));
    }

    tasks += 1;
    let (guard, count) = (dropped.guard(), ready.clone());
    drop(runtime::spawn_local(async move {
        let _guard = guard;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        count.fetch_add(1, Ordering::SeqCst);
        // Waits in a timer too, which outlives the runtime.
        let _ = runtime::time::timeout(Duration::from_secs(3600), async {
            let _ = udp.recv_from(&mut [0; 16]).await;
            let _ = stream.read(&mut [0; 16]).await;
        })
        .await;
        pending::<()>().await
    }));

    // Every client connected (the pinned one with its UDP socket bound) and the server
    // accepted every connection.
    let expected = 2 * (CONNECTIONS + 1);
    while ready.load(Ordering::SeqCst) < expected {
        sleep(Duration::from_millis(2)).await;
    }
    // Let the server's connection tasks reach their reads.
    sleep(SETTLE).await;
    tasks
}

fn dropping_the_runtime_closes_task_sockets(workers: usize) {
    let _serial = serial();
    let before = fd_count();
    let dropped = DropCounter::default();
    let runtime = support::rt(workers);
    let tasks = runtime.block_on_pinned({
        let dropped = dropped.clone();
        move || {
            bounded(LIMIT, async move {
                let during = fd_count();
                let tasks = hold_sockets(&dropped).await;
                // One listener, 2 * (CONNECTIONS + 1) stream ends and one UDP socket.
                assert_eq!(fd_count(), during + 2 * (CONNECTIONS + 1) + 2);
                tasks
            })
        }
    });
    assert_eq!(dropped.dropped(), 0, "every task still waits");
    drop(runtime);
    assert_eq!(dropped.dropped(), tasks, "every task was dropped");
    assert_eq!(
        fd_count(),
        before,
        "the runtime and every socket its tasks held are closed"
    );
}

#[test]
fn dropping_the_runtime_closes_task_sockets_one_worker() {
    dropping_the_runtime_closes_task_sockets(1);
}

#[test]
fn dropping_the_runtime_closes_task_sockets_two_workers() {
    dropping_the_runtime_closes_task_sockets(2);
}

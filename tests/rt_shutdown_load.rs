//! Dropping a loaded runtime: 100,000 pending tasks, 10,000 sockets and 100,000 timers. The
//! drop returns, every destructor runs, and the process's descriptors and threads are back
//! where they were. A binary of its own, since it counts the whole process's descriptors.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use runtime::net::{TcpListener, TcpStream};
use runtime::time::sleep;
use support::{bounded, DropCounter};

const TASKS: usize = 100_000;
/// Connected pairs, both ends in this process: twice as many sockets.
const PAIRS: usize = 5_000;
/// A drop that takes longer than this is taken as hung.
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn dropping_a_loaded_runtime_runs_every_destructor_and_leaks_nothing() {
    support::raise_nofile_limit();
    let fds = support::fd_count();
    let threads = support::thread_count();
    let drops = DropCounter::default();
    let rt = support::rt(2);
    rt.block_on(bounded(LIMIT, async {
        // Each task waits on a timer of its own, an hour away.
        for _ in 0..TASKS {
            let guard = drops.guard();
            drop(runtime::spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
            }));
        }
        // Each socket waits in a task for data that never comes.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..PAIRS {
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            for mut stream in [client, server] {
                let guard = drops.guard();
                drop(runtime::spawn(async move {
                    let _guard = guard;
                    let _ = stream.read(&mut [0; 1]).await;
                }));
            }
        }
        // Let every task start waiting.
        sleep(Duration::from_millis(100)).await;
    }));
    assert!(
        support::fd_count() >= fds + 2 * PAIRS,
        "the sockets are open"
    );

    // Dropped on a watchdog'd thread, so a hang fails the test instead of stalling it.
    let (done, dropped) = mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        drop(rt);
        let _ = done.send(());
    });
    dropped
        .recv_timeout(LIMIT)
        .expect("dropping the runtime hung");
    eprintln!(
        "dropped {TASKS} timer tasks and {} socket tasks in {:?}",
        2 * PAIRS,
        start.elapsed()
    );
    assert_eq!(drops.dropped(), TASKS + 2 * PAIRS, "every future dropped");
    assert_eq!(support::fd_count(), fds, "every socket closed");
    // The watchdog'd thread may still be exiting.
    let deadline = Instant::now() + LIMIT;
    while support::thread_count() > threads && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        support::thread_count(),
        threads,
        "every worker thread joined"
    );
}

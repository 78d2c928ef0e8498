//! Many loops: pinned tasks stay home, stealing evens out imbalance, a stuck loop's connections
//! are still served, and the cooperative budget keeps a busy connection from starving others.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};
use support::{bounded, rt};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn pinned_tasks_stay_on_their_worker_across_awaits() {
    let runtime = rt(2);
    let handles = runtime.on_each_worker(|_| async {
        let home = runtime::worker_index().unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                runtime::spawn_local(async move {
                    let me = runtime::worker_index();
                    for round in 0..20 {
                        if round % 2 == 0 {
                            runtime::yield_now().await;
                        } else {
                            runtime::time::sleep(Duration::from_millis(i % 3)).await;
                        }
                        assert_eq!(runtime::worker_index(), me, "a pinned task moved");
                    }
                    me
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(home));
        }
        home
    });
    runtime.block_on(bounded(LIMIT, async {
        for h in handles {
            h.await.unwrap();
        }
    }));
}

/// Some CPU work, so that one worker cannot keep up alone.
fn busy_work(seed: u64) -> u64 {
    (0..200_000u64).fold(seed, |acc, x| {
        acc.wrapping_mul(6364136223846793005).wrapping_add(x)
    })
}

#[test]
fn an_idle_worker_steals_from_a_busy_one() {
    let runtime = rt(2);
    runtime.block_on_pinned(|| {
        bounded(LIMIT, async {
            // One plain listener: every connection is accepted on worker 0.
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = runtime::spawn_local(async move {
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    runtime::spawn(async move {
                        let mut buf = [0; 8];
                        while stream.read_exact(&mut buf).await.is_ok() {
                            let n = busy_work(u64::from_le_bytes(buf));
                            if stream.write_all(&n.to_le_bytes()).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            let clients: Vec<_> = (0..32u64)
                .map(|c| {
                    runtime::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        for i in 0..10 {
                            let seed = c * 1000 + i;
                            stream.write_all(&seed.to_le_bytes()).await.unwrap();
                            let mut reply = [0; 8];
                            stream.read_exact(&mut reply).await.unwrap();
                            assert_eq!(u64::from_le_bytes(reply), busy_work(seed));
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.abort();
        })
    });
    let metrics = runtime.metrics();
    let (w0, w1) = (metrics.workers[0], metrics.workers[1]);
    assert!(w1.steals > 0, "worker 1 stole nothing: {metrics:?}");
    assert!(
        w0.polls > 0 && w1.polls > 0,
        "both workers ran tasks: {metrics:?}"
    );
}

/// A line protocol: `who` answers the worker index, `block` blocks the worker for 2 s (after
/// saying which), `ping` answers `pong`.
async fn line_server(stream: TcpStream, blocked: Arc<AtomicBool>) {
    let (mut rd, mut wr) = stream.into_split();
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while rd.read_exact(&mut byte).await.is_ok() {
        if byte[0] != b'\n' {
            line.push(byte[0]);
            continue;
        }
        let reply = match &line[..] {
            b"who" => format!("{}\n", runtime::worker_index().unwrap()),
            b"block" => {
                let me = runtime::worker_index().unwrap();
                wr.write_all(format!("blocking {me}\n").as_bytes())
                    .await
                    .unwrap();
                blocked.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(2));
                blocked.store(false, Ordering::SeqCst);
                "done\n".to_owned()
            }
            _ => "pong\n".to_owned(),
        };
        line.clear();
        if wr.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn ask(conn: &mut BufReader<std::net::TcpStream>, what: &str) -> String {
    conn.get_mut()
        .write_all(format!("{what}\n").as_bytes())
        .unwrap();
    let mut answer = String::new();
    conn.read_line(&mut answer).unwrap();
    answer.trim().to_owned()
}

#[test]
fn a_stuck_loop_still_answers_its_connections() {
    let runtime = rt(2);
    let blocked = Arc::new(AtomicBool::new(false));
    let server = runtime.block_on({
        let blocked = blocked.clone();
        async move {
            runtime::net::serve("127.0.0.1:0", move |stream, _| {
                line_server(stream, blocked.clone())
            })
            .unwrap()
        }
    });
    let addr = server.local_addr();
    // The clients are plain threads.
    let clients = std::thread::spawn(move || {
        let connect = || {
            let s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            BufReader::new(s)
        };
        // Open connections until two were accepted by the same worker.
        let mut by_worker: [Vec<BufReader<std::net::TcpStream>>; 2] = Default::default();
        while by_worker.iter().all(|c| c.len() < 2) {
            let mut conn = connect();
            let worker: usize = ask(&mut conn, "who").parse().unwrap();
            by_worker[worker].push(conn);
        }
        let mut pair = by_worker.into_iter().find(|c| c.len() >= 2).unwrap();
        let (mut blocker, mut other) = (pair.remove(0), pair.remove(0));
        let said = ask(&mut blocker, "block");
        assert!(said.starts_with("blocking"), "{said}");
        // The blocking worker may not be the one that accepted (a peer can run the task);
        // the ping goes to a connection of the worker that is blocked now.
        let pong = ask(&mut other, "ping");
        let still_blocked = blocked.load(Ordering::SeqCst);
        let mut done = String::new();
        blocker.read_line(&mut done).unwrap();
        (said, pong, still_blocked, done)
    });
    let (said, pong, still_blocked, done) = clients.join().unwrap();
    assert_eq!(pong, "pong");
    assert_eq!(done.trim(), "done");
    assert!(
        still_blocked,
        "the ping was answered only after the loop came back ({said})"
    );
    server.stop();
}

#[test]
fn a_connection_that_never_runs_dry_does_not_starve_its_loop() {
    use std::sync::atomic::AtomicU64;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let progress = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // The loop runs on its own thread: if it starves, this thread still sees the ping fail.
    let server = std::thread::spawn({
        let (progress, stop) = (progress.clone(), stop.clone());
        move || {
            rt(1).block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let (mut flood, _) = listener.accept().await.unwrap();
                // Tiny reads: the socket never runs dry while the client floods it.
                let reader = runtime::spawn(async move {
                    let mut buf = [0; 16];
                    while let Ok(n @ 1..) = flood.read(&mut buf).await {
                        progress.fetch_add(n as u64, Ordering::Relaxed);
                    }
                });
                let (mut other, _) = listener.accept().await.unwrap();
                let mut req = [0; 4];
                other.read_exact(&mut req).await.unwrap();
                other.write_all(b"pong").await.unwrap();
                while !stop.load(Ordering::SeqCst) {
                    runtime::time::sleep(Duration::from_millis(5)).await;
                }
                reader.abort();
            })
        }
    });
    let flooder = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let chunk = [7u8; 64 * 1024];
            while !stop.load(Ordering::SeqCst) && s.write_all(&chunk).is_ok() {}
        }
    });
    while progress.load(Ordering::Relaxed) < 1 << 20 {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Another connection on the same (only) loop is still served.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"ping").unwrap();
    let mut reply = [0; 4];
    let answered = s.read_exact(&mut reply).map(|()| reply);
    stop.store(true, Ordering::SeqCst);
    assert_eq!(
        &answered.expect("the loop answered another connection"),
        b"pong"
    );
    flooder.join().unwrap();
    server.join().unwrap();
}

/// The total of one counter over the workers.
fn total(metrics: &runtime::RuntimeMetrics, counter: fn(&runtime::WorkerMetrics) -> u64) -> u64 {
    metrics.workers.iter().map(counter).sum()
}

#[test]
fn with_stealing_and_stand_ins_off_no_worker_touches_another() {
    for stand_in in [false, true] {
        let runtime = runtime::Builder::new()
            .workers(2)
            .pin_workers(false)
            .stealing(false)
            .stand_in(stand_in)
            .build()
            .unwrap();
        // Worker 0 blocks with tasks queued behind it while worker 1 idles.
        runtime.block_on_pinned(|| async {
            let queued: Vec<_> = (0..10).map(|_| runtime::spawn(async {})).collect();
            std::thread::sleep(Duration::from_millis(200));
            for task in queued {
                task.await.unwrap();
            }
        });
        let metrics = runtime.metrics();
        assert_eq!(total(&metrics, |w| w.steals), 0, "{metrics:?}");
        let stand_ins = total(&metrics, |w| w.stand_ins);
        assert_eq!(
            stand_ins > 0,
            stand_in,
            "stand-ins on: {stand_in}, {metrics:?}"
        );
    }
}

#[test]
fn an_idle_runtime_wakes_each_worker_rarely() {
    let runtime = rt(2);
    runtime.block_on(async {});
    let before = runtime.metrics();
    std::thread::sleep(Duration::from_secs(1));
    let after = runtime.metrics();
    // Idle workers check on each other ten times a second; a worker counted as running
    // (worker 0 between `block_on` calls used to be) makes its peer check a hundred times.
    for (worker, (a, b)) in after.workers.iter().zip(&before.workers).enumerate() {
        let turns = a.turns - b.turns;
        assert!(
            turns <= 40,
            "worker {worker} turned its reactor {turns} times in 1 s"
        );
    }
}

#[test]
fn a_busy_peer_stands_in_for_a_loop_blocked_in_a_task() {
    let runtime = rt(2);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    let accepted = Arc::new(std::sync::Mutex::new(Some(listener.accept().unwrap().0)));
    let blocked = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (b, s) = (blocked.clone(), stop.clone());
    // Worker 0 registers the connection, hands it to a stealable echo task and then blocks
    // its thread; worker 1 never runs out of work, so only a busy worker can stand in.
    let workers = runtime.on_each_worker(move |index| {
        let (accepted, blocked, stop) = (accepted.clone(), b.clone(), s.clone());
        async move {
            if index == 1 {
                while !stop.load(Ordering::SeqCst) {
                    runtime::task::yield_now().await;
                }
                return;
            }
            let std_stream = accepted.lock().unwrap().take().unwrap();
            std_stream.set_nonblocking(true).unwrap();
            let mut stream = TcpStream::from_std(std_stream).unwrap();
            runtime::spawn(async move {
                let mut buf = [0; 4];
                while stream.read_exact(&mut buf).await.is_ok() {
                    if stream.write_all(&buf).await.is_err() {
                        return;
                    }
                }
            });
            runtime::task::yield_now().await;
            blocked.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(3));
            blocked.store(false, Ordering::SeqCst);
        }
    });
    while !blocked.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    client.write_all(b"ping").unwrap();
    let mut back = [0; 4];
    client.read_exact(&mut back).unwrap();
    let answered_while_blocked = blocked.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    assert_eq!(&back, b"ping");
    assert!(
        answered_while_blocked,
        "the echo came only after worker 0 was back: {:?}",
        runtime.metrics()
    );
    runtime.block_on(async {
        for worker in workers {
            worker.await.unwrap();
        }
    });
}

//! A server out of file descriptors neither spins nor dies: the `echo` example, run with a
//! limit of 256 descriptors, meets 400 clients. It serves as many as it can, backs off while
//! accept fails with `EMFILE` (using almost no CPU), and once clients leave it accepts the
//! connections still queued, without waiting for a new one.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use support::ExampleServer;

const LIMIT: u64 = 256;
const CLIENTS: usize = 400;
const LEAVING: usize = 200;
const PATIENCE: Duration = Duration::from_secs(60);

/// User plus system CPU time of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Whether `client` has its echo by now (non-blocking).
fn echoed(client: &mut TcpStream) -> bool {
    let mut byte = [0];
    match client.read(&mut byte) {
        Ok(1) => true,
        Ok(_) => panic!("the server closed a connection it should serve"),
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("a client's connection failed: {e}"),
    }
}

/// Waits until the clients' echo count stops growing; returns which clients have theirs.
fn settle(clients: &mut [TcpStream], done: &mut [bool]) {
    let mut last = usize::MAX;
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        for (client, done) in clients.iter_mut().zip(done.iter_mut()) {
            *done = *done || echoed(client);
        }
        let count = done.iter().filter(|d| **d).count();
        if count == last || start.elapsed() > PATIENCE {
            return;
        }
        last = count;
    }
}

#[test]
fn a_server_out_of_descriptors_backs_off_and_serves_the_queue_later() {
    support::raise_nofile_limit();
    let mut command = ExampleServer::command("echo");
    command.arg("127.0.0.1:0");
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe, between fork and
    // exec, and touches no memory of the parent's but its own stack.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let server = ExampleServer::spawn(command);

    let mut clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|i| {
            let mut c = TcpStream::connect(server.addr).unwrap();
            c.write_all(&[i as u8]).unwrap();
            c.set_nonblocking(true).unwrap();
            c
        })
        .collect();
    let mut done = vec![false; CLIENTS];
    settle(&mut clients, &mut done);
    let served = done.iter().filter(|d| **d).count();
    eprintln!("served {served} of {CLIENTS} clients with {LIMIT} descriptors");
    assert!(
        served > 0 && served < CLIENTS,
        "the limit should bite: {served}"
    );

    // Saturated: every further accept fails with EMFILE. A server that retried at once
    // would burn a core per worker here.
    let (ticks, start) = (cpu_ticks(server.pid()), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let used = (cpu_ticks(server.pid()) - ticks) as f64 / 100.0;
    let share = used / start.elapsed().as_secs_f64();
    eprintln!(
        "server CPU while out of descriptors: {:.1}% of a core",
        share * 100.0
    );
    assert!(
        share < 0.5,
        "the server spins at EMFILE: {:.0}% of a core",
        share * 100.0
    );

    // 200 served clients leave; the queued ones must now be served, with no new connection
    // to wake the listener.
    let mut gone = vec![false; CLIENTS];
    for i in (0..CLIENTS).filter(|&i| done[i]).take(LEAVING) {
        clients[i].shutdown(std::net::Shutdown::Both).unwrap();
        gone[i] = true;
    }
    let start = Instant::now();
    loop {
        let mut waiting = 0;
        for (i, client) in clients.iter_mut().enumerate() {
            if !done[i] && !gone[i] {
                done[i] = echoed(client);
                waiting += usize::from(!done[i]);
            }
        }
        if waiting == 0 {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{waiting} queued clients never served after others left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "every queued client served {:?} after {LEAVING} left",
        start.elapsed()
    );
}

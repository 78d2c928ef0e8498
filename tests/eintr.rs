//! `EINTR` never reaches the user: with a signal handler installed without `SA_RESTART` and a
//! signal every 200 µs, system calls keep being interrupted (`epoll_wait` always is, whatever
//! the flag), and sockets and timers still work without an error. A binary of its own: the
//! handler and the interval timer are the whole process's.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use runtime::net::{TcpListener, TcpStream};
use support::bounded;

static SIGNALS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

/// Installs the handler for SIGALRM (no `SA_RESTART`) and starts a 200 µs interval timer.
fn interrupt_often() {
    // SAFETY: a zeroed sigaction is a valid starting point; the handler only touches an
    // atomic, which is async-signal-safe; setitimer takes a valid itimerval.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()),
            0
        );
        let every = libc::timeval {
            tv_sec: 0,
            tv_usec: 200,
        };
        let timer = libc::itimerval {
            it_interval: every,
            it_value: every,
        };
        assert_eq!(
            libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()),
            0
        );
    }
}

fn stop_interrupting() {
    // SAFETY: a zeroed itimerval disarms the timer.
    unsafe {
        let off: libc::itimerval = std::mem::zeroed();
        libc::setitimer(libc::ITIMER_REAL, &off, std::ptr::null_mut());
    }
}

#[test]
fn interrupted_system_calls_are_retried_not_reported() {
    interrupt_often();
    let rt = support::rt(2);
    rt.block_on(bounded(Duration::from_secs(60), async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            for _ in 0..8 {
                let (mut stream, _) = listener.accept().await.expect("accept");
                runtime::spawn(async move {
                    let mut buf = [0; 1024];
                    loop {
                        match stream.read(&mut buf).await.expect("server read") {
                            0 => return,
                            n => stream.write_all(&buf[..n]).await.expect("server write"),
                        }
                    }
                });
            }
        });
        let clients: Vec<_> = (0..8u8)
            .map(|c| {
                runtime::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.expect("connect");
                    for round in 0..200u32 {
                        let msg = [c ^ round as u8; 700];
                        stream.write_all(&msg).await.expect("client write");
                        let mut back = [0; 700];
                        stream.read_exact(&mut back).await.expect("client read");
                        assert_eq!(back, msg);
                        if round % 20 == 0 {
                            runtime::time::sleep(Duration::from_millis(2)).await;
                        }
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        server.await.unwrap();
    }));
    drop(rt);
    stop_interrupting();
    let signals = SIGNALS.load(Ordering::Relaxed);
    eprintln!("{signals} signals delivered during the test");
    assert!(
        signals > 0,
        "no signal was delivered: the test tested nothing"
    );
}

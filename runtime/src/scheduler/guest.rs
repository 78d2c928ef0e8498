//! `block_on` on a thread that cannot be worker 0 because another thread owns worker 0's
//! pinned tasks: the guest polls its own future, runs tasks from the injector (where its
//! spawns and wakes go), and turns worker 0's reactor and fires its timers when no one else
//! does, since the guest's sockets and timers live there.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use super::worker::run_task;
use super::{context, Shared};

/// How long the guest waits for worker 0's events before looking at its own future again,
/// when worker 0's reactor is free.
const TURN_TIMEOUT: Duration = Duration::from_millis(10);
/// Injected tasks run between two looks at the future.
const BATCH: usize = 61;

pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let _enter = context::enter_handle(shared.clone());
    let guest = Arc::new(GuestWaker {
        woken: AtomicBool::new(true),
        thread: thread::current(),
        reactor: shared.workers[0].reactor.clone(),
    });
    let waker = Waker::from(guest.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let worker0 = &shared.workers[0];
    loop {
        if guest.woken.swap(false, Ordering::SeqCst) {
            if let Poll::Ready(output) = net::coop::budget(|| future.as_mut().poll(&mut cx)) {
                return output;
            }
        }
        let mut ran = 0;
        while ran < BATCH {
            match shared.injector.steal().success() {
                Some(runnable) => {
                    run_task(shared, runnable);
                    ran += 1;
                }
                None => break,
            }
        }
        if guest.woken.load(Ordering::SeqCst) {
            continue;
        }
        let timeout = if ran > 0 {
            Duration::ZERO
        } else {
            TURN_TIMEOUT
        };
        // Worker 0 is running if its reactor is busy: it delivers the events; wait for a wake.
        if !worker0.turn_for_owner(timeout) && ran == 0 {
            thread::park_timeout(TURN_TIMEOUT);
        }
    }
}

/// Wakes the guest's future: sets its flag, unparks the thread, and interrupts a turn of worker
/// 0's reactor the guest may be waiting in.
struct GuestWaker {
    woken: AtomicBool,
    thread: Thread,
    reactor: net::Reactor,
}

impl Wake for GuestWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.thread.unpark();
            let _ = self.reactor.wake();
        }
    }
}

//! `runtime::signal`: streams of Unix signals and `ctrl_c`, with signals this process sends
//! itself.
//!
//! Each test raises its signal on the calling thread (`raise`), whose handler has run by the
//! time `raise` returns. Tests of one signal run one at a time, so that none sees another's
//! deliveries.
// Each test holds the lock that serializes them for its whole run, on its own thread,
// `block_on` included: no task waits for it.
#![allow(clippy::await_holding_lock)]

mod support;

use std::io::ErrorKind;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use runtime::signal::{ctrl_c, signal, SignalKind};
use support::{bounded, is_pending_once};

const LIMIT: Duration = Duration::from_secs(60);

/// Serializes the tests that raise signals.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn raise(kind: SignalKind) {
    // SAFETY: `raise` has no preconditions; a handler is installed for every signal raised here.
    assert_eq!(unsafe { libc::raise(kind.as_raw_value()) }, 0);
}

rt_test! {
    async fn a_stream_yields_once_per_delivery() {
        let _serial = one_at_a_time();
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        for _ in 0..3 {
            raise(SignalKind::user_defined1());
            assert_eq!(bounded(LIMIT, usr1.recv()).await, Some(()));
        }
    }
}

rt_test! {
    async fn a_stream_is_polled_from_a_task_on_any_worker() {
        let _serial = one_at_a_time();
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        let waiter = runtime::spawn(async move { usr1.recv().await });
        // The stream watches from its creation: the delivery waits for the task if need be.
        raise(SignalKind::user_defined1());
        assert_eq!(bounded(LIMIT, waiter).await.unwrap(), Some(()));
    }
}

rt_test! {
    async fn every_stream_of_a_signal_sees_each_delivery() {
        let _serial = one_at_a_time();
        let mut first = signal(SignalKind::user_defined2()).unwrap();
        let mut second = signal(SignalKind::user_defined2()).unwrap();
        raise(SignalKind::user_defined2());
        assert_eq!(bounded(LIMIT, first.recv()).await, Some(()));
        assert_eq!(bounded(LIMIT, second.recv()).await, Some(()));
    }
}

rt_test! {
    async fn deliveries_not_yet_received_coalesce() {
        let _serial = one_at_a_time();
        let mut hup = signal(SignalKind::hangup()).unwrap();
        raise(SignalKind::hangup());
        raise(SignalKind::hangup());
        assert_eq!(bounded(LIMIT, hup.recv()).await, Some(()));
        // Both deliveries were taken by that one receive: the next one waits. The handler
        // wrote to the pipe before `raise` returned, and the receive emptied it.
        let mut next = pin!(hup.recv());
        assert!(is_pending_once(&mut next).await);
    }
}

rt_test! {
    async fn ctrl_c_completes_on_the_next_sigint() {
        let _serial = one_at_a_time();
        let mut interrupted = pin!(ctrl_c());
        // The first poll installs the handler: only then may SIGINT be raised.
        assert!(is_pending_once(&mut interrupted).await);
        raise(SignalKind::interrupt());
        bounded(LIMIT, interrupted).await.unwrap();
    }
}

#[test]
fn the_handler_stays_after_the_streams_are_dropped() {
    let _serial = one_at_a_time();
    support::rt(1).block_on(async {
        drop(signal(SignalKind::user_defined2()).unwrap());
    });
    // The default action of SIGUSR2 would end this process; the handler, still installed,
    // has it do nothing.
    raise(SignalKind::user_defined2());
}

rt_test! {
    async fn signals_that_cannot_be_handled_are_refused() {
        for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1, 1000] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {signum}");
        }
    }
}

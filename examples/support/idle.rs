//! A connection's idle timeout: one sleep for the life of the connection that checks for
//! activity a few times per period, rather than a timer set and cancelled around every read
//! and write, or a clock read per message.
//!
//! `restart` only marks the connection busy (a field store). The sleep fires [`CHECKS`] times
//! per timeout: a check that finds the mark clears it, and the connection times out at the
//! [`CHECKS`]th check in a row that finds none. A connection idle since some moment is thus
//! closed between the timeout and a `1 / CHECKS` of it later (as with a timer wheel of that
//! resolution), and a busy one costs its timeout [`CHECKS`] wakes per period however many
//! messages it carries. A sleep polled beside each read answers `Pending` without touching
//! the wheel until it fires.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use runtime::time::{Instant, Sleep};

/// Checks for activity per timeout period.
const CHECKS: u32 = 4;

/// A connection's idle timer; with no timeout (`None`), it never fires and costs nothing. The
/// timer lives on the heap, so a connection without one carries a pointer, not its room (the
/// connection's future is the task's size while it waits).
pub struct Idle {
    timer: Option<Box<Timer>>,
}

struct Timer {
    /// The time between two checks.
    every: Duration,
    sleep: Sleep,
    /// Whether the connection was busy since the last check.
    busy: bool,
    /// Checks in a row that found it idle.
    quiet: u32,
}

impl Idle {
    /// A timer that fires once the connection has been idle for `after`, counting from now.
    pub fn new(after: Option<Duration>) -> Idle {
        Idle {
            timer: after.map(|after| {
                let every = after / CHECKS;
                Box::new(Timer {
                    every,
                    sleep: runtime::time::sleep(every),
                    busy: false,
                    quiet: 0,
                })
            }),
        }
    }

    /// The connection is busy now: the timeout counts from here.
    pub fn restart(&mut self) {
        if let Some(timer) = &mut self.timer {
            timer.busy = true;
        }
    }

    /// `io`, unless the connection times out first, which is a `TimedOut` error; the idle
    /// time counts from the latest `restart`.
    pub fn guard<F: Future<Output = io::Result<T>>, T>(&mut self, io: F) -> Guarded<'_, F> {
        Guarded {
            io,
            timer: self.timer.as_deref_mut(),
        }
    }

    /// `restart`, then `guard`: an operation that the connection's activity began.
    pub fn within<F: Future<Output = io::Result<T>>, T>(&mut self, io: F) -> Guarded<'_, F> {
        self.restart();
        self.guard(io)
    }
}

impl Timer {
    /// Ready once the connection has been idle for the whole timeout.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            ready!(Pin::new(&mut self.sleep).poll(cx));
            if std::mem::take(&mut self.busy) {
                self.quiet = 0;
            } else {
                self.quiet += 1;
                if self.quiet == CHECKS {
                    return Poll::Ready(());
                }
            }
            self.sleep.reset(Instant::now() + self.every);
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Idle::guard`].
    pub struct Guarded<'a, F> {
        #[pin]
        io: F,
        timer: Option<&'a mut Timer>,
    }
}

impl<F: Future<Output = io::Result<T>>, T> Future for Guarded<'_, F> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.project();
        if let Poll::Ready(done) = this.io.poll(cx) {
            return Poll::Ready(done);
        }
        match this.timer {
            Some(timer) => timer
                .poll_idle(cx)
                .map(|()| Err(io::ErrorKind::TimedOut.into())),
            None => Poll::Pending,
        }
    }
}

//! A connection's idle timeout: one sleep for the life of the connection, pushed back before
//! each operation, rather than a timer set and cancelled around every read and write.
//!
//! Pushing a deadline later is a field store (`Sleep::reset` leaves the timer where it is,
//! and the sleep moves it when it fires), and a sleep polled beside each read answers
//! `Pending` without touching the wheel, so a busy connection pays for its timeout about
//! once per timeout period instead of twice per operation.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use runtime::time::{Instant, Sleep};

/// A connection's idle timer; with no timeout (`None`), it never fires and costs nothing.
pub struct Idle {
    timer: Option<(Duration, Sleep)>,
}

impl Idle {
    /// A timer that fires `after` from now, and from each `restart`.
    pub fn new(after: Option<Duration>) -> Idle {
        Idle {
            timer: after.map(|after| (after, runtime::time::sleep(after))),
        }
    }

    /// The connection is busy now: the timeout counts from here.
    pub fn restart(&mut self) {
        if let Some((after, sleep)) = &mut self.timer {
            sleep.reset(Instant::now() + *after);
        }
    }

    /// `io`, unless the timer fires first, which is a `TimedOut` error; the deadline stays
    /// where the latest `restart` put it.
    pub fn guard<F: Future<Output = io::Result<T>>, T>(&mut self, io: F) -> Guarded<'_, F> {
        Guarded {
            io,
            sleep: self.timer.as_mut().map(|(_, sleep)| sleep),
        }
    }

    /// `restart`, then `guard`: an operation that the connection's activity began.
    pub fn within<F: Future<Output = io::Result<T>>, T>(&mut self, io: F) -> Guarded<'_, F> {
        self.restart();
        self.guard(io)
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Idle::guard`].
    pub struct Guarded<'a, F> {
        #[pin]
        io: F,
        sleep: Option<&'a mut Sleep>,
    }
}

impl<F: Future<Output = io::Result<T>>, T> Future for Guarded<'_, F> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.project();
        if let Poll::Ready(done) = this.io.poll(cx) {
            return Poll::Ready(done);
        }
        match this.sleep {
            Some(sleep) => Pin::new(&mut **sleep)
                .poll(cx)
                .map(|()| Err(io::ErrorKind::TimedOut.into())),
            None => Poll::Pending,
        }
    }
}

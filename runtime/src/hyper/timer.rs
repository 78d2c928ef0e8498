//! [`Timer`]: hyper's timeouts on the loops' timing wheels.
//!
//! Each of hyper's sleeps is a [`time::Sleep`](crate::time::Sleep), boxed as hyper's
//! `Pin<Box<dyn hyper::rt::Sleep>>`. It is `Send + Sync + Unpin` (a deadline and a handle to
//! the wheel it waits on), so it needs no wrapper, and `reset` moves its deadline in place
//! instead of allocating a new one.

use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::time::{self, Sleep};

/// hyper's timer: its timeouts wait on the timing wheel of the loop that polls them.
///
/// ```
/// use std::time::Duration;
///
/// use hyper::server::conn::http1;
/// use runtime::hyper::Timer;
///
/// let mut http1 = http1::Builder::new();
/// // Connections that take longer than this to send a request head are closed.
/// http1.timer(Timer).header_read_timeout(Duration::from_secs(5));
/// ```
///
/// # Panics
///
/// Its sleeps panic when polled outside the runtime, as [`time::sleep`] does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

impl ::hyper::rt::Sleep for Sleep {}

impl ::hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(time::sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(time::sleep_until(deadline.into()))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<Sleep>() {
            Some(ours) => ours.get_mut().reset(new_deadline.into()),
            // Another timer's sleep, handed to this one: replace it.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::task::Poll;

    use ::hyper::rt::Timer as _;

    use super::*;

    #[test]
    fn reset_moves_the_deadline_of_a_waiting_sleep_in_place() {
        let rt = crate::Builder::new()
            .workers(1)
            .pin_workers(false)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut sleep = Timer.sleep(Duration::from_secs(3600));
            // Polled once, so its timer is on the wheel when the deadline moves.
            assert!(poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx).is_pending())).await);
            let soon = Instant::now() + Duration::from_millis(10);
            Timer.reset(&mut sleep, soon);
            let ours = sleep.as_mut().downcast_mut_pin::<Sleep>();
            assert_eq!(ours.map(|s| s.deadline().into_std()), Some(soon));
            time::timeout(Duration::from_secs(60), sleep)
                .await
                .expect("the sleep completes at its new deadline");
        });
    }
}

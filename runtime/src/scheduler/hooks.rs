//! Pauses that the crate's own tests arm to widen the windows of the races the scheduler must
//! survive (a task handed to a worker that is shutting down); they compile to nothing outside
//! `cfg(test)`. A pause is armed for one thread, once.

/// A point in the scheduler where a test may pause the thread that reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Point {
    /// A new task was recorded and found the runtime open; it is about to be queued.
    Spawn,
    /// A pinned task woken away from its worker is about to be handed to the worker's inbox.
    PinnedHandOff,
}

#[cfg(all(test, not(loom)))]
mod armed {
    use std::cell::Cell;
    use std::time::Duration;

    use super::Point;

    thread_local! {
        static ARMED: Cell<Option<(Point, Duration)>> = const { Cell::new(None) };
    }

    /// Pauses this thread for `pause` the next time it reaches `point`.
    pub(crate) fn arm(point: Point, pause: Duration) {
        ARMED.with(|a| a.set(Some((point, pause))));
    }

    pub(super) fn pause(point: Point) {
        if let Some((armed, pause)) = ARMED.with(Cell::get) {
            if armed == point {
                ARMED.with(|a| a.set(None));
                std::thread::sleep(pause);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) use armed::arm;

/// Pauses here if a test armed `point` for this thread.
#[inline(always)]
pub(crate) fn pause(point: Point) {
    #[cfg(all(test, not(loom)))]
    armed::pause(point);
    #[cfg(not(all(test, not(loom))))]
    let _ = point;
}

//! [`Ready`]: what the reactor has seen of a socket, as `ready` reports it.
//!
//! The same bits are the low bits of a source's readiness word (see
//! `reactor/scheduled_io.rs`), so reporting readiness is a mask and no translation.

use std::ops::{BitAnd, BitOr, BitOrAssign, Sub};

/// A set of readiness events: readable, writable, the read and write sides closed, priority
/// and error.
///
/// Readiness is a hint, not a promise: an operation may still find nothing to do and give
/// `WouldBlock`, which makes the socket wait for the next event. An error on the socket is
/// reported as [`ERROR`](Self::ERROR), and as readable and writable too, so that the next
/// operation in either direction returns it.
///
/// ```
/// use runtime::net::Ready;
///
/// let ready = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(ready.is_readable() && ready.is_read_closed());
/// assert!(!ready.is_writable());
/// assert!((ready - Ready::READABLE - Ready::READ_CLOSED).is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ready(u8);

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Data, or an error, to read.
    pub const READABLE: Ready = Ready(1);
    /// Room, or an error, to write.
    pub const WRITABLE: Ready = Ready(1 << 1);
    /// The peer has closed its writing side: reads return end of stream.
    pub const READ_CLOSED: Ready = Ready(1 << 2);
    /// The writing side is closed: writes fail.
    pub const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// Priority readiness (`EPOLLPRI`): out-of-band data on a TCP stream, for one.
    pub const PRIORITY: Ready = Ready(1 << 4);
    /// The kernel has reported an error on the socket (`EPOLLERR`); `take_error` reads it.
    pub const ERROR: Ready = Ready(1 << 5);
    /// Every readiness event.
    pub const ALL: Ready = Ready(0b11_1111);

    /// Whether no event is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a read would make progress: readable or read closed.
    pub const fn is_readable(self) -> bool {
        self.0 & (Ready::READABLE.0 | Ready::READ_CLOSED.0) != 0
    }

    /// Whether a write would make progress: writable or write closed.
    pub const fn is_writable(self) -> bool {
        self.0 & (Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0) != 0
    }

    /// Whether the read side is closed.
    pub const fn is_read_closed(self) -> bool {
        self.0 & Ready::READ_CLOSED.0 != 0
    }

    /// Whether the write side is closed.
    pub const fn is_write_closed(self) -> bool {
        self.0 & Ready::WRITE_CLOSED.0 != 0
    }

    /// Whether priority readiness is set.
    ///
    /// ```
    /// use runtime::net::Ready;
    ///
    /// assert!(Ready::PRIORITY.is_priority());
    /// assert!(!(Ready::READABLE | Ready::READ_CLOSED).is_priority());
    /// ```
    pub const fn is_priority(self) -> bool {
        self.0 & Ready::PRIORITY.0 != 0
    }

    /// Whether an error is set.
    ///
    /// ```
    /// use runtime::net::Ready;
    ///
    /// assert!(Ready::ERROR.is_error());
    /// assert!(!(Ready::READABLE | Ready::WRITABLE).is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & Ready::ERROR.0 != 0
    }

    pub(crate) const fn union(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }

    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits of a readiness word, in its low byte.
    pub(crate) const fn bits(self) -> u64 {
        self.0 as u64
    }

    /// The readiness in the low bits of `word`; the other bits are ignored.
    pub(crate) const fn from_bits(word: u64) -> Ready {
        Ready((word & Ready::ALL.0 as u64) as u8)
    }

    /// Translates a mio event. An error counts as both readable and writable as well: the
    /// next operation in either direction then reports it.
    pub(crate) fn from_event(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_error() {
            ready |= Ready::ERROR | Ready::READABLE | Ready::WRITABLE;
        }
        if event.is_readable() {
            ready |= Ready::READABLE;
        }
        if event.is_writable() {
            ready |= Ready::WRITABLE;
        }
        if event.is_priority() {
            ready |= Ready::PRIORITY;
        }
        if event.is_read_closed() {
            ready |= Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready |= Ready::WRITE_CLOSED;
        }
        ready
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        self.union(rhs)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, rhs: Ready) {
        *self = self.union(rhs);
    }
}

impl BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl Sub for Ready {
    type Output = Ready;
    fn sub(self, rhs: Ready) -> Ready {
        Ready(self.0 & !rhs.0)
    }
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_priority", &self.is_priority())
            .field("is_error", &self.is_error())
            .finish()
    }
}

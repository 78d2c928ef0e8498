//! [`Interest`]: the directions a task waits on with `ready` or runs `try_io` for.
//!
//! An interest names directions, a [`Ready`] names what the reactor has seen; an interest's
//! [`mask`](Interest::mask) is the readiness that satisfies it, closed sides included, so a
//! task waiting to read learns of end of stream instead of waiting forever.

use std::ops::{BitOr, BitOrAssign};

use crate::{Direction, Ready};

/// The directions of readiness to wait for: [`READABLE`](Self::READABLE),
/// [`WRITABLE`](Self::WRITABLE), or both.
///
/// ```
/// use runtime::net::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(Interest::READABLE.add(Interest::WRITABLE), both);
/// assert!(!Interest::WRITABLE.is_readable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in reading: data, end of stream or an error to read.
    pub const READABLE: Interest = Interest(1);
    /// Interest in writing: room to write, or an error to report.
    pub const WRITABLE: Interest = Interest(1 << 1);

    /// Whether the interest includes reading.
    pub const fn is_readable(self) -> bool {
        self.0 & Interest::READABLE.0 != 0
    }

    /// Whether the interest includes writing.
    pub const fn is_writable(self) -> bool {
        self.0 & Interest::WRITABLE.0 != 0
    }

    /// Both interests together; the `const` form of `|`.
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The readiness that satisfies this interest.
    pub(crate) const fn mask(self) -> Ready {
        let mut mask = Ready::EMPTY;
        if self.is_readable() {
            mask = mask.union(Ready::READABLE.union(Ready::READ_CLOSED));
        }
        if self.is_writable() {
            mask = mask.union(Ready::WRITABLE.union(Ready::WRITE_CLOSED));
        }
        mask
    }
}

impl From<Direction> for Interest {
    fn from(direction: Direction) -> Interest {
        match direction {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, rhs: Interest) -> Interest {
        self.add(rhs)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, rhs: Interest) {
        *self = self.add(rhs);
    }
}

impl std::fmt::Debug for Interest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}

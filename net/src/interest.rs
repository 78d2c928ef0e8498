//! [`Interest`]: the readiness a task waits for with `ready` or runs `try_io` for.
//!
//! An interest names what a task waits for, a [`Ready`] names what the reactor has seen; an
//! interest's [`mask`](Interest::mask) is the readiness that satisfies it, closed sides included,
//! so a task waiting to read learns of end of stream instead of waiting forever.
//!
//! Every source is registered once for everything (see `reactor/mod.rs`), so an interest only
//! filters what the reactor records; it never changes the registration. Priority readiness is
//! `EPOLLPRI` (TCP urgent data, for one); errors (`EPOLLERR`) are always reported by the kernel.
//! The tasks waiting for either wait beside the readers.

use std::ops::{BitOr, BitOrAssign};

use crate::{Direction, Ready};

/// The readiness to wait for: [`READABLE`](Self::READABLE), [`WRITABLE`](Self::WRITABLE),
/// [`PRIORITY`](Self::PRIORITY), [`ERROR`](Self::ERROR), or several of them (`|`).
///
/// ```
/// use runtime::net::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(Interest::READABLE.add(Interest::WRITABLE), both);
/// assert!(!Interest::WRITABLE.is_readable());
/// assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
/// assert_eq!(both.remove(both), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in reading: data, end of stream or an error to read.
    pub const READABLE: Interest = Interest(1);
    /// Interest in writing: room to write, or an error to report.
    pub const WRITABLE: Interest = Interest(1 << 1);
    /// Interest in priority readiness (`EPOLLPRI`): out-of-band data on a TCP stream, for one.
    /// A closed read side satisfies it too, as in tokio.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::{Interest, TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// socket2::SockRef::from(&client).send_out_of_band(b"!")?;
    /// let ready = server.ready(Interest::PRIORITY).await?;
    /// assert!(ready.is_priority());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub const PRIORITY: Interest = Interest(1 << 2);
    /// Interest in errors: satisfied once the kernel has reported an error on the socket
    /// (`EPOLLERR`), which it does whatever the registration asks for.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::{Interest, UdpSocket};
    ///
    /// // A datagram to a port nobody listens on comes back as an ICMP error.
    /// let closed = UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.connect(closed)?;
    /// socket.send(b"anyone?").await?;
    /// let ready = socket.ready(Interest::ERROR).await?;
    /// assert!(ready.is_error());
    /// let error = socket.take_error()?.expect("the error is pending");
    /// assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub const ERROR: Interest = Interest(1 << 3);

    /// Whether the interest includes reading.
    pub const fn is_readable(self) -> bool {
        self.0 & Interest::READABLE.0 != 0
    }

    /// Whether the interest includes writing.
    pub const fn is_writable(self) -> bool {
        self.0 & Interest::WRITABLE.0 != 0
    }

    /// Whether the interest includes priority readiness.
    ///
    /// ```
    /// use runtime::net::Interest;
    ///
    /// assert!(Interest::PRIORITY.is_priority());
    /// assert!((Interest::READABLE | Interest::PRIORITY).is_priority());
    /// assert!(!Interest::READABLE.is_priority());
    /// ```
    pub const fn is_priority(self) -> bool {
        self.0 & Interest::PRIORITY.0 != 0
    }

    /// Whether the interest includes errors.
    ///
    /// ```
    /// use runtime::net::Interest;
    ///
    /// assert!(Interest::ERROR.is_error());
    /// assert!((Interest::READABLE | Interest::ERROR).is_error());
    /// assert!(!Interest::WRITABLE.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & Interest::ERROR.0 != 0
    }

    /// Both interests together; the `const` form of `|`.
    #[must_use = "this returns the union, without changing `self`"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without the interests of `other`; `None` if nothing is left.
    #[must_use = "this returns the difference, without changing `self`"]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            rest => Some(Interest(rest)),
        }
    }

    /// Whether the tasks waiting with this interest wait beside the readers: reading,
    /// priority and errors all do (see the module docs).
    pub(crate) const fn waits_with_readers(self) -> bool {
        self.is_readable() || self.is_priority() || self.is_error()
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
        if self.is_priority() {
            mask = mask.union(Ready::PRIORITY.union(Ready::READ_CLOSED));
        }
        if self.is_error() {
            mask = mask.union(Ready::ERROR);
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
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_priority(), "PRIORITY"),
            (self.is_error(), "ERROR"),
        ];
        let mut separator = "";
        for (_, name) in names.iter().filter(|(set, _)| *set) {
            write!(f, "{separator}{name}")?;
            separator = " | ";
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_every_interest() {
        let all = Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY | Interest::ERROR;
        assert_eq!(format!("{all:?}"), "READABLE | WRITABLE | PRIORITY | ERROR");
        assert_eq!(format!("{:?}", Interest::ERROR), "ERROR");
    }

    #[test]
    fn priority_is_satisfied_by_a_closed_read_side_and_error_by_errors_only() {
        assert_eq!(
            Interest::PRIORITY.mask(),
            Ready::PRIORITY | Ready::READ_CLOSED
        );
        assert_eq!(Interest::ERROR.mask(), Ready::ERROR);
    }
}

//! What the datagram sockets have in common: sending and receiving whole datagrams through
//! their [`Evented`](crate::Evented) registration.
//!
//! [`UdpSocket`](crate::UdpSocket) and [`UnixDatagram`](crate::UnixDatagram) differ in their
//! addresses (so in `send_to`, `recv_from` and their variants), not in how a connected socket
//! moves datagrams: [`datagram_methods!`] writes that half once for both. Every method takes
//! `&self`, so tasks can share a socket; each task waiting in a direction is woken by its
//! readiness and tries again.

/// Writes the common socket methods (see [`crate::socket_methods`]) and the connected send
/// and receive methods of a datagram socket type `$socket` whose field `io` is an `Evented`
/// mio socket and whose standard library counterpart is `$std`.
macro_rules! datagram_methods {
    ($socket:ident, $std:ty) => {
        $crate::socket_methods::socket_methods!(
            $socket,
            $std,
            "UnixDatagram",
            "try_send",
            "try_recv"
        );

        impl $socket {
            /// Sends `buf` to the connected peer as one datagram.
            pub async fn send(&self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::future::poll_fn(|cx| self.poll_send(cx, buf)).await
            }

            /// Receives one datagram from the connected peer into `buf` (the excess of a
            /// longer one is discarded).
            pub async fn recv(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::future::poll_fn(|cx| self.poll_recv(cx, buf)).await
            }

            /// Polls a [`send`](Self::send), for use in hand-written futures.
            pub fn poll_send(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.io
                    .poll_io(cx, $crate::Direction::Write, |s| $crate::sys::send(s, buf))
            }

            /// Polls a [`recv`](Self::recv), for use in hand-written futures. Unlike tokio's,
            /// which fills a `ReadBuf`, it takes a slice and gives the datagram's length.
            pub fn poll_recv(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.io
                    .poll_io(cx, $crate::Direction::Read, |s| $crate::sys::recv(s, buf))
            }

            /// Sends `buf` to the connected peer without waiting: `WouldBlock` when the
            /// socket's buffer is full (see [`writable`](Self::writable)).
            pub fn try_send(&self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.io
                    .try_io($crate::Interest::WRITABLE, |s| $crate::sys::send(s, buf))
            }

            /// Receives a datagram from the connected peer without waiting: `WouldBlock`
            /// when none is queued (see [`readable`](Self::readable)).
            pub fn try_recv(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.io
                    .try_io($crate::Interest::READABLE, |s| $crate::sys::recv(s, buf))
            }
        }
    };
}

pub(crate) use datagram_methods;

//! What the datagram sockets have in common: sending and receiving whole datagrams through
//! their [`Evented`](crate::Evented) registration.
//!
//! [`UdpSocket`](crate::UdpSocket) and [`UnixDatagram`](crate::UnixDatagram) differ in their
//! addresses (so in `send_to`, `recv_from` and their variants), not in how a connected socket
//! moves datagrams: [`datagram_methods!`] writes that half once for both, and the receives
//! that give the sender's address (`peek_from`, the `_buf_from` forms) given a function that
//! converts the kernel's address into the socket's type. Every method takes
//! `&self`, so tasks can share a socket; each task waiting in a direction is woken by its
//! readiness and tries again.

/// Writes the common socket methods (see [`crate::socket_methods`]) and the connected send
/// and receive methods (peeks included) of a datagram socket type `$socket` whose field `io` is an `Evented`
/// mio socket and whose standard library counterpart is `$std`, and the receives that give a
/// sender's address, of type `$addr`, converted by `$sender` from rustix's.
macro_rules! datagram_methods {
    ($socket:ident, $std:ty, $addr:ty, $sender:path) => {
        $crate::socket_methods::socket_methods!(
            $socket,
            $std,
            "UnixDatagram",
            "try_send",
            "try_recv",
            poll_recv_ready,
            poll_send_ready
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

            /// Receives the next datagram from the connected peer into `buf` but leaves it
            /// queued: the next receive returns it again (the excess of a datagram longer than
            /// `buf` is not copied, and stays queued too).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::UdpSocket;
            ///
            /// let (a, b) = (UdpSocket::bind("127.0.0.1:0")?, UdpSocket::bind("127.0.0.1:0")?);
            /// a.connect(b.local_addr()?)?;
            /// b.connect(a.local_addr()?)?;
            /// a.send(b"hello").await?;
            /// let mut buf = [0; 8];
            /// let n = b.peek(&mut buf).await?;
            /// assert_eq!(&buf[..n], b"hello");
            /// assert_eq!(b.recv(&mut buf).await?, n);
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn peek(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::future::poll_fn(|cx| self.poll_peek(cx, buf)).await
            }

            /// Polls a [`peek`](Self::peek), for use in hand-written futures. Unlike tokio's,
            /// which fills a `ReadBuf`, it takes a slice and gives the length.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::future::poll_fn;
            ///
            /// let (a, b) = runtime::net::UnixDatagram::pair()?;
            /// a.send(b"hello").await?;
            /// let mut buf = [0; 8];
            /// let n = poll_fn(|cx| b.poll_peek(cx, &mut buf)).await?;
            /// assert_eq!(&buf[..n], b"hello");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn poll_peek(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.io
                    .poll_io(cx, $crate::Direction::Read, |s| $crate::sys::peek(s, buf))
            }

            /// [`peek`](Self::peek) without waiting: `WouldBlock` when no datagram is queued
            /// (see [`readable`](Self::readable)).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (a, b) = runtime::net::UnixDatagram::pair()?;
            /// let mut buf = [0; 8];
            /// assert_eq!(b.try_peek(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            /// a.send(b"hello").await?;
            /// b.readable().await?;
            /// assert_eq!(b.try_peek(&mut buf)?, 5);
            /// assert_eq!(b.try_recv(&mut buf)?, 5);
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_peek(&self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.io
                    .try_io($crate::Interest::READABLE, |s| $crate::sys::peek(s, buf))
            }

            /// Receives one datagram from the connected peer into the spare capacity of a
            /// `bytes::BufMut`, advancing it past the datagram (the excess of a datagram longer
            /// than the spare capacity is discarded). A `Vec::with_capacity` or a `BytesMut`
            /// needs no zeroing first.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// let (a, b) = runtime::net::UnixDatagram::pair()?;
            /// a.send(b"hello").await?;
            /// let mut buf = Vec::with_capacity(64);
            /// assert_eq!(b.recv_buf(&mut buf).await?, 5);
            /// assert_eq!(buf, b"hello");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn recv_buf<B: ::bytes::BufMut>(
                &self,
                buf: &mut B,
            ) -> ::std::io::Result<usize> {
                ::std::future::poll_fn(|cx| {
                    self.io
                        .poll_io(cx, $crate::Direction::Read, |s| $crate::buf::recv(s, buf))
                })
                .await
            }

            /// [`recv_buf`](Self::recv_buf) without waiting: `WouldBlock` when no datagram is
            /// queued (see [`readable`](Self::readable)).
            pub fn try_recv_buf<B: ::bytes::BufMut>(
                &self,
                buf: &mut B,
            ) -> ::std::io::Result<usize> {
                self.io
                    .try_io($crate::Interest::READABLE, |s| $crate::buf::recv(s, buf))
            }

            /// Receives one datagram, with its sender's address, into the spare capacity of
            /// a `bytes::BufMut`; see [`recv_buf`](Self::recv_buf).
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::UdpSocket;
            ///
            /// let (a, b) = (UdpSocket::bind("127.0.0.1:0")?, UdpSocket::bind("127.0.0.1:0")?);
            /// a.send_to(b"hello", b.local_addr()?).await?;
            /// let mut buf = Vec::with_capacity(64);
            /// let (n, from) = b.recv_buf_from(&mut buf).await?;
            /// assert_eq!((n, &buf[..], from), (5, &b"hello"[..], a.local_addr()?));
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn recv_buf_from<B: ::bytes::BufMut>(
                &self,
                buf: &mut B,
            ) -> ::std::io::Result<(usize, $addr)> {
                ::std::future::poll_fn(|cx| {
                    self.io.poll_io(cx, $crate::Direction::Read, |s| {
                        $crate::buf::recv_from(s, buf, $sender)
                    })
                })
                .await
            }

            /// [`recv_buf_from`](Self::recv_buf_from) without waiting: `WouldBlock` when no
            /// datagram is queued (see [`readable`](Self::readable)).
            pub fn try_recv_buf_from<B: ::bytes::BufMut>(
                &self,
                buf: &mut B,
            ) -> ::std::io::Result<(usize, $addr)> {
                self.io.try_io($crate::Interest::READABLE, |s| {
                    $crate::buf::recv_from(s, buf, $sender)
                })
            }

            /// Receives the next datagram, with its sender's address, but leaves it queued:
            /// the next receive returns it again.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::UdpSocket;
            ///
            /// let (a, b) = (UdpSocket::bind("127.0.0.1:0")?, UdpSocket::bind("127.0.0.1:0")?);
            /// a.send_to(b"hello", b.local_addr()?).await?;
            /// let mut buf = [0; 8];
            /// let (n, from) = b.peek_from(&mut buf).await?;
            /// assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
            /// assert_eq!(b.recv_from(&mut buf).await?, (n, from));
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn peek_from(&self, buf: &mut [u8]) -> ::std::io::Result<(usize, $addr)> {
                ::std::future::poll_fn(|cx| self.poll_peek_from(cx, buf)).await
            }

            /// Polls a [`peek_from`](Self::peek_from), for use in hand-written futures.
            /// Unlike tokio's, which fills a `ReadBuf`, it takes a slice and gives the
            /// length.
            pub fn poll_peek_from(
                &self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<(usize, $addr)>> {
                self.io
                    .poll_io(cx, $crate::Direction::Read, |s| Self::peek_from_now(s, buf))
            }

            /// [`peek_from`](Self::peek_from) without waiting: `WouldBlock` when no datagram
            /// is queued (see [`readable`](Self::readable)).
            pub fn try_peek_from(&self, buf: &mut [u8]) -> ::std::io::Result<(usize, $addr)> {
                self.io
                    .try_io($crate::Interest::READABLE, |s| Self::peek_from_now(s, buf))
            }

            fn peek_from_now(
                socket: impl ::std::os::fd::AsFd,
                buf: &mut [u8],
            ) -> ::std::io::Result<(usize, $addr)> {
                let (n, from) = $crate::sys::recv_from(socket, buf, $crate::sys::RecvFlags::PEEK)?;
                Ok((n, $sender(from)?))
            }
        }
    };
}

pub(crate) use datagram_methods;

//! What every registered socket has: readiness to wait for (`readable`, `writable`, `ready`)
//! before working in place without waiting (`try_io`, and each socket's `try_*` operations),
//! as tokio's sockets do; its file descriptor and pending error; and `into_std`.
//!
//! [`socket_methods!`] writes them once for the four socket types; the examples use the Unix
//! socket of each family (`UnixStream` for the streams, `UnixDatagram` for the datagram
//! sockets), which needs no address.

/// Writes `readable`, `writable`, their poll forms (named `$poll_read_ready` and
/// `$poll_write_ready`, as tokio names them for the family), `ready`, `try_io`, `take_error`
/// and `into_std`, and the file descriptor traits, for a socket type `$socket` whose field `io`
/// is an `Evented` and whose standard library counterpart is `$std`. `$unix` names the Unix
/// socket of its family and `$try_send`/`$try_recv` that socket's non-waiting send and
/// receive, for the examples.
macro_rules! socket_methods {
    (
        $socket:ident,
        $std:ty,
        $unix:literal,
        $try_send:literal,
        $try_recv:literal,
        $poll_read_ready:ident,
        $poll_write_ready:ident
    ) => {
        impl $socket {
            /// Waits until the socket is readable: data, end of stream or an error is
            /// waiting. The readiness may be stale: a `try_` read then gives `WouldBlock`,
            /// and the next `readable` waits for new data. With this pair a handler needs no
            /// buffer while its socket is idle, which is what most connections of a busy
            /// server are.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::io::ErrorKind::WouldBlock;
            ///
            #[doc = concat!("let (a, b) = runtime::net::", $unix, "::pair()?;")]
            #[doc = concat!("a.", $try_send, "(b\"ping\")?;")]
            /// let n = loop {
            ///     b.readable().await?;
            ///     let mut buf = [0; 4096]; // on the stack only while there is data
            #[doc = concat!("    match b.", $try_recv, "(&mut buf) {")]
            ///         Ok(n) => break buf[..n].to_vec(),
            ///         Err(e) if e.kind() == WouldBlock => continue,
            ///         Err(e) => return Err(e),
            ///     }
            /// };
            /// assert_eq!(n, b"ping");
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn readable(
                &self,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + '_ {
                ::std::future::poll_fn(|cx| self.$poll_read_ready(cx))
            }

            /// Waits until the socket is writable; see [`readable`](Self::readable).
            pub fn writable(
                &self,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<()>> + '_ {
                ::std::future::poll_fn(|cx| self.$poll_write_ready(cx))
            }

            /// Polls for the readiness [`readable`](Self::readable) waits for, for use in
            /// hand-written futures: `Ready(Ok(()))` once the socket is readable (or has an
            /// error), else `Pending`, with `cx`'s waker registered. Only the waker of the
            /// latest call (of this and of the receives' poll forms) is woken, as in tokio.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::future::poll_fn;
            ///
            #[doc = concat!("let (a, b) = runtime::net::", $unix, "::pair()?;")]
            #[doc = concat!("a.", $try_send, "(b\"ping\")?;")]
            #[doc = concat!("poll_fn(|cx| b.", stringify!($poll_read_ready), "(cx)).await?;")]
            /// let mut buf = [0; 4];
            #[doc = concat!("assert_eq!(b.", $try_recv, "(&mut buf)?, 4);")]
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn $poll_read_ready(
                &self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.io.poll_ready(cx, $crate::Direction::Read)
            }

            /// Polls for the readiness [`writable`](Self::writable) waits for; see
            #[doc = concat!("[`", stringify!($poll_read_ready), "`](Self::", stringify!($poll_read_ready), ").")]
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use std::future::poll_fn;
            ///
            #[doc = concat!("let (a, b) = runtime::net::", $unix, "::pair()?;")]
            #[doc = concat!("poll_fn(|cx| a.", stringify!($poll_write_ready), "(cx)).await?;")]
            #[doc = concat!("a.", $try_send, "(b\"ping\")?;")]
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn $poll_write_ready(
                &self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.io.poll_ready(cx, $crate::Direction::Write)
            }

            /// Waits until the socket is ready in any direction of `interest`, and tells
            /// which readiness it saw. Waiting on both directions, one task can serve both
            /// with the `try_` operations, draining each ready direction until `WouldBlock`.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::Interest;
            ///
            #[doc = concat!("let (a, b) = runtime::net::", $unix, "::pair()?;")]
            /// let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
            /// assert!(ready.is_writable());
            #[doc = concat!("b.", $try_send, "(b\"ping\")?;")]
            /// let ready = a.ready(Interest::READABLE).await?;
            /// assert!(ready.is_readable());
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn ready(
                &self,
                interest: $crate::Interest,
            ) -> impl ::std::future::Future<Output = ::std::io::Result<$crate::Ready>> + '_ {
                ::std::future::poll_fn(move |cx| self.io.poll_readiness(cx, interest))
            }

            /// Runs `f`, an operation of the caller's own on this socket (through its file
            /// descriptor), if the socket was last seen ready for `interest`: `WouldBlock`
            /// otherwise. A `WouldBlock` from `f` forgets the readiness, so that the next
            /// [`ready`](Self::ready) waits for a new event; `f` must therefore return
            /// `WouldBlock` only when the system call did.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            /// use runtime::net::Interest;
            ///
            #[doc = concat!("let (a, b) = runtime::net::", $unix, "::pair()?;")]
            /// a.writable().await?;
            /// // Any call on the descriptor, here `send(2)` through socket2.
            /// let n = a.try_io(Interest::WRITABLE, || socket2::SockRef::from(&a).send(b"hi"))?;
            /// assert_eq!(n, 2);
            /// b.readable().await?;
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_io<R>(
                &self,
                interest: $crate::Interest,
                f: impl FnOnce() -> ::std::io::Result<R>,
            ) -> ::std::io::Result<R> {
                self.io.try_io(interest, |_| f())
            }

            /// Takes the socket's pending error (`SO_ERROR`), if any, clearing it.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            #[doc = concat!("let (a, _b) = runtime::net::", $unix, "::pair()?;")]
            /// assert!(a.take_error()?.is_none());
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn take_error(&self) -> ::std::io::Result<Option<::std::io::Error>> {
                ::socket2::SockRef::from(self.io.get_ref()).take_error()
            }

            /// Deregisters the socket from its event loop and returns it as the standard
            /// library's type, still in non-blocking mode (`set_nonblocking(false)` undoes
            /// that). Readiness the event loop had seen is forgotten.
            ///
            /// ```
            /// # runtime::Runtime::new()?.block_on(async {
            #[doc = concat!("let (a, _b) = runtime::net::", $unix, "::pair()?;")]
            /// let a = a.into_std()?;
            /// a.set_nonblocking(false)?;
            /// # std::io::Result::Ok(())
            /// # })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn into_std(self) -> ::std::io::Result<$std> {
                Ok(<$std>::from(::std::os::fd::OwnedFd::from(
                    self.io.into_inner(),
                )))
            }
        }

        impl ::std::os::fd::AsRawFd for $socket {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl ::std::os::fd::AsFd for $socket {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }
    };
}

pub(crate) use socket_methods;

//! [`ShutdownSignal`]: how a connection's handler learns that its server started a graceful
//! shutdown, to finish what it is doing and close (an HTTP server closes idle keep-alive
//! connections at once and sends HTTP/2 `GOAWAY`).
//!
//! Each server has one signal, raised when [`Server::shutdown`](super::Server::shutdown) is
//! first polled. A handler reaches it without being handed it: while a connection's task is
//! polled, its server's signal is the *current* one ([`ShutdownSignal::current`]), as tokio's
//! task-locals are scoped to a task's polls; [`ShutdownSignal::scope`] carries it into tasks the
//! handler spawns. The current signal is a pointer in a thread-local, set and restored around
//! each poll: no reference count is touched unless the handler asks for the signal.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use event_listener::Event;

/// Tells that a server started shutting down gracefully; cloning gives another handle to the
/// same signal.
///
/// In a connection's handler, [`ShutdownSignal::current`] is its server's signal; outside any
/// server's connection, [`Server::shutdown_signal`](super::Server::shutdown_signal) hands it
/// out. A handler serving requests in a loop selects on [`started`](Self::started) to stop
/// taking new ones:
///
/// ```
/// use std::time::Duration;
/// use runtime::net::{ShutdownSignal, TcpStream};
///
/// # runtime::Runtime::new()?.block_on(async {
/// let server = runtime::net::serve("127.0.0.1:0", |mut stream, _peer| async move {
///     let signal = ShutdownSignal::current().expect("in a connection of the server");
///     let mut line = [0; 5];
///     // Requests until the client leaves or the server shuts down; none is cut in half.
///     loop {
///         let request = async { stream.read_exact(&mut line).await.is_ok() };
///         let more = runtime::select! {
///             read = futures_util::FutureExt::fuse(request) => read,
///             _ = futures_util::FutureExt::fuse(signal.started()) => false,
///         };
///         if !more || stream.write_all(&line).await.is_err() {
///             break;
///         }
///     }
/// })?;
/// let mut client = TcpStream::connect(server.local_addr()).await?;
/// client.write_all(b"hello").await?;
/// let mut reply = [0; 5];
/// client.read_exact(&mut reply).await?;
///
/// // The idle connection ends as soon as the shutdown starts, not at the end of the grace.
/// let report = server.shutdown(Duration::from_secs(60)).await;
/// assert_eq!((report.finished, report.aborted), (1, 0));
/// assert_eq!(client.read(&mut reply).await?, 0);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Default)]
pub struct ShutdownSignal {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    started: AtomicBool,
    /// The tasks waiting in `started`.
    event: Event,
}

thread_local! {
    /// The signal of the server whose connection is being polled on this thread; null outside
    /// such polls.
    static CURRENT: Cell<*const Inner> = const { Cell::new(ptr::null()) };
}

impl ShutdownSignal {
    /// Raises the signal: every task waiting in [`started`](Self::started) is woken, and every
    /// later call returns at once.
    pub(crate) fn start(&self) {
        // SeqCst pairs with the load in `started` after its listener is made: either the
        // waiter sees the flag, or its listener is registered before `notify` runs.
        self.inner.started.store(true, Ordering::SeqCst);
        self.inner.event.notify(usize::MAX);
    }

    /// The signal of the server whose connection's task is running, if any: in a handler of
    /// [`serve`](super::serve) (and of `runtime::hyper::serve`), or in a
    /// future inside [`scope`](Self::scope).
    pub fn current() -> Option<ShutdownSignal> {
        let current = CURRENT.with(Cell::get);
        if current.is_null() {
            return None;
        }
        // SAFETY: `CURRENT` is non-null only while a `Scoped` future is being polled on this
        // thread, and then points into the `Arc` that future's signal holds, which outlives
        // the poll; `increment_strong_count` adds the reference `from_raw` takes over.
        Some(unsafe {
            Arc::increment_strong_count(current);
            ShutdownSignal {
                inner: Arc::from_raw(current),
            }
        })
    }

    /// Whether the server started shutting down.
    pub fn is_started(&self) -> bool {
        self.inner.started.load(Ordering::SeqCst)
    }

    /// Completes once the server starts shutting down (at once if it has).
    pub async fn started(&self) {
        loop {
            if self.is_started() {
                return;
            }
            let listener = self.inner.event.listen();
            // Raised between the look above and the listener's making: it was not notified.
            if self.is_started() {
                return;
            }
            listener.await;
        }
    }

    /// Makes this signal the [`current`](Self::current) one while `future` is polled: for
    /// tasks a handler spawns that want to learn of the shutdown too.
    ///
    /// ```
    /// use runtime::net::ShutdownSignal;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let signal = ShutdownSignal::default();
    /// let seen = runtime::spawn(signal.scope(async { ShutdownSignal::current().is_some() }));
    /// assert!(seen.await?);
    /// assert!(ShutdownSignal::current().is_none(), "outside any scope");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn scope<F: Future>(&self, future: F) -> Scoped<F> {
        Scoped {
            future,
            signal: self.clone(),
        }
    }

    /// Runs `poll` with this signal current, restoring the one before after it (also if it
    /// panics).
    pub(crate) fn enter<R>(&self, poll: impl FnOnce() -> R) -> R {
        struct Restore(*const Inner);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|current| current.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|current| current.replace(Arc::as_ptr(&self.inner))));
        poll()
    }
}

impl std::fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownSignal")
            .field("started", &self.is_started())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// A future with a [`ShutdownSignal`] current while it is polled, from
    /// [`ShutdownSignal::scope`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        #[pin]
        future: F,
        signal: ShutdownSignal,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.signal.enter(|| this.future.poll(cx))
    }
}

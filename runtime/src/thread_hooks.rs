//! Callbacks the user hands the [`Builder`](crate::Builder) to run on the runtime's threads:
//! when a worker or blocking-pool thread starts and stops, and when a worker goes to sleep and
//! wakes (tokio's `on_thread_start`, `on_thread_stop`, `on_thread_park`, `on_thread_unpark`).
//! Typical uses: naming a thread for a profiler, setting a thread-local allocator arena,
//! counting idle time. With the `tokio-compat` feature, they also carry the tokio context each
//! of those threads enters for its whole life (see `compat`).

use std::fmt;
use std::sync::Arc;

/// What keeps a thread in the tokio context (see `compat`).
#[cfg(feature = "tokio-compat")]
pub(crate) type TokioGuard<'a> = tokio::runtime::EnterGuard<'a>;
/// Without the `tokio-compat` feature, nothing.
#[cfg(not(feature = "tokio-compat"))]
pub(crate) type TokioGuard<'a> = std::marker::PhantomData<&'a ()>;

/// A callback of the builder's.
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// The callbacks set, each optional.
#[derive(Clone, Default)]
pub(crate) struct ThreadHooks {
    pub(crate) start: Option<Callback>,
    pub(crate) stop: Option<Callback>,
    pub(crate) park: Option<Callback>,
    pub(crate) unpark: Option<Callback>,
    #[cfg(feature = "tokio-compat")]
    pub(crate) tokio: Option<crate::compat::TokioContext>,
}

impl ThreadHooks {
    /// Runs `hook` if it is set.
    pub(crate) fn run(hook: &Option<Callback>) {
        if let Some(hook) = hook {
            hook();
        }
    }

    /// Runs `body` as a thread of the runtime: the start callback first, the stop callback
    /// last.
    pub(crate) fn thread<R>(&self, body: impl FnOnce() -> R) -> R {
        let _tokio = self.enter_tokio();
        ThreadHooks::run(&self.start);
        let result = body();
        ThreadHooks::run(&self.stop);
        result
    }
}

impl ThreadHooks {
    /// Enters the tokio context, if tokio compatibility is on, until the guard is dropped.
    #[cfg(feature = "tokio-compat")]
    pub(crate) fn enter_tokio(&self) -> Option<TokioGuard<'_>> {
        self.tokio.as_ref().map(crate::compat::TokioContext::enter)
    }

    /// Without the `tokio-compat` feature there is no tokio context to enter.
    #[cfg(not(feature = "tokio-compat"))]
    pub(crate) fn enter_tokio(&self) -> Option<TokioGuard<'_>> {
        None
    }
}

impl fmt::Debug for ThreadHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadHooks")
            .field("start", &self.start.is_some())
            .field("stop", &self.stop.is_some())
            .field("park", &self.park.is_some())
            .field("unpark", &self.unpark.is_some())
            .finish()
    }
}

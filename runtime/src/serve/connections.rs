//! The connection tasks of a server, so that a shutdown can wait for them and abort the rest.
//!
//! Each accept loop keeps its connections in a [`Connections`] set: a slab of abort handles
//! under a lock that only that loop's connections take, twice each (when the loop starts one
//! and when its future is dropped, on whichever worker ran it). The connection's [`Place`],
//! held by its future ([`Tracked`]), takes its entry out as it is dropped, whether the future
//! returned, panicked or was aborted, so the set needs no reaping and nobody awaits the tasks
//! one by one. A connection costs one slab entry and the pointer and index in its future, which
//! keeps an idle connection cheap.
//!
//! The set never drops an abort handle or a waker (whose drop can run a task's destructor)
//! while holding its lock, since that destructor takes the lock too.
//!
//! A set made on a worker (an accept loop's) counts its connections in that worker's
//! live-connection gauge, from the moment `start` makes an entry until the entry is taken out.
//!
//! Only the one task that owns a set (its accept loop, or the shutdown) starts connections
//! in it, one at a time, so between the entry `start` makes and the abort handle it then puts
//! there no other entry can take that key: a connection that ends in between just removes
//! its entry, and `start` finds it gone.

use crate::time::Instant;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;
use slab::Slab;

use super::limit::Permit;
use super::signal::ShutdownSignal;
use crate::scheduler::context;
use crate::scheduler::metrics::LiveConnections;
use crate::task::AbortHandle;
use crate::JoinHandle;

/// The running connection tasks of one accept loop (or of a shutdown's drain); cloning gives
/// another handle to the same set.
#[derive(Clone)]
pub(super) struct Connections(Arc<Shared>);

struct Shared {
    set: Mutex<Set>,
    /// The server's, current while a connection's task is polled: kept here rather than in
    /// each connection's future, which points here already.
    signal: ShutdownSignal,
    /// The gauge of the worker the set was made on, if any.
    live: Option<Arc<LiveConnections>>,
}

#[derive(Default)]
struct Set {
    /// Each connection's abort handle; `None` while it is being started.
    tasks: Slab<Option<AbortHandle>>,
    /// The shutdown waiting for `tasks` to empty.
    waiter: Option<Waker>,
    /// Connections ended since the set started counting (its loop stopped): on their own, or
    /// aborted.
    finished: usize,
    aborted: usize,
    /// Whether the shutdown has aborted the connections left: those that end from then on
    /// without having completed count as aborted.
    aborting: bool,
}

/// Where a connection's task stands in its server's set, and its place under the cap; what
/// the server's handler spawns around the connection's future ([`Tracked::new`]). Dropping
/// it (after the future, or in its stead if the handler panicked before making it) takes the
/// connection out of the set.
pub(super) struct Place {
    set: Connections,
    key: usize,
    /// Whether the connection's future returned.
    completed: bool,
    _permit: Option<Permit>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.set.end(self.key, self.completed);
    }
}

impl Connections {
    /// An empty set for the connections of a server whose handlers learn of its shutdown
    /// through `signal`, counted among the live connections of the current worker.
    pub(super) fn new(signal: ShutdownSignal) -> Connections {
        Connections(Arc::new(Shared {
            set: Mutex::default(),
            signal,
            live: context::live_connections(),
        }))
    }

    /// Starts a connection: `spawn` spawns its future, wrapped in a [`Tracked`] around the
    /// place it is given, and the set keeps the task's abort handle.
    pub(super) fn start(
        &self,
        permit: Option<Permit>,
        spawn: impl FnOnce(Place) -> JoinHandle<()>,
    ) {
        let key = self.0.set.lock().tasks.insert(None);
        if let Some(live) = &self.0.live {
            live.started();
        }
        let place = Place {
            set: self.clone(),
            key,
            completed: false,
            _permit: permit,
        };
        // Spawned outside the lock: the task may run, end and take the lock at once.
        let abort = spawn(place).abort_handle();
        let mut set = self.0.set.lock();
        match set.tasks.get_mut(key) {
            Some(entry) => *entry = Some(abort),
            // It has ended already (see the module doc).
            None => {
                drop(set);
                drop(abort);
            }
        }
    }

    /// Takes connection `key` out of the set as its future is dropped; `completed` tells
    /// whether it returned.
    fn end(&self, key: usize, completed: bool) {
        let mut set = self.0.set.lock();
        if completed || !set.aborting {
            set.finished += 1;
        } else {
            set.aborted += 1;
        }
        let entry = set.tasks.remove(key);
        let waiter = set.take_waiter_if_empty();
        drop(set);
        if let Some(live) = &self.0.live {
            live.ended();
        }
        drop(entry);
        wake(waiter);
    }

    /// Counts the connections that end from now on (see [`finish_by`](Self::finish_by)).
    pub(super) fn start_counting(&self) {
        let mut set = self.0.set.lock();
        (set.finished, set.aborted) = (0, 0);
    }

    /// Waits until every connection of `sets` has finished or `deadline` has passed, then
    /// aborts those still running and waits for them to go. Returns how many ended on their
    /// own (returned, or panicked before the deadline) and how many were aborted since each
    /// set started counting (or was made).
    pub(super) async fn finish_by(sets: &[Connections], deadline: Instant) -> (usize, usize) {
        let _ = crate::time::timeout_at(deadline, Self::all_ended(sets)).await;
        for set in sets {
            let aborts: Vec<AbortHandle> = {
                let mut set = set.0.set.lock();
                set.aborting = true;
                set.tasks
                    .iter()
                    .filter_map(|(_, abort)| abort.clone())
                    .collect()
            };
            aborts.iter().for_each(AbortHandle::abort);
        }
        Self::all_ended(sets).await;
        sets.iter().fold((0, 0), |(finished, aborted), set| {
            let set = set.0.set.lock();
            (finished + set.finished, aborted + set.aborted)
        })
    }

    /// Ready once every set is empty.
    async fn all_ended(sets: &[Connections]) {
        poll_fn(|cx| {
            for set in sets {
                let mut set = set.0.set.lock();
                if !set.tasks.is_empty() {
                    if !set.waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        let old = set.waiter.replace(cx.waker().clone());
                        drop(set);
                        drop(old);
                    }
                    return Poll::Pending;
                }
            }
            Poll::Ready(())
        })
        .await
    }
}

impl Set {
    fn take_waiter_if_empty(&mut self) -> Option<Waker> {
        if self.tasks.is_empty() {
            self.waiter.take()
        } else {
            None
        }
    }
}

pin_project_lite::pin_project! {
    /// A connection's future, holding its place in the set and under the cap until the task
    /// ends. A struct rather than an `async` block, which would hold the future twice
    /// (captured, then awaited) for as long as the connection lives.
    pub(super) struct Tracked<F> {
        // Dropped before `place`, so the connection has closed when it leaves the set.
        #[pin]
        connection: F,
        place: Place,
    }
}

impl<F> Tracked<F> {
    pub(super) fn new(connection: F, place: Place) -> Self {
        Tracked { connection, place }
    }
}

impl<F: Future<Output = ()>> Future for Tracked<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let done = this.place.set.0.signal.enter(|| this.connection.poll(cx));
        this.place.completed = done.is_ready();
        done
    }
}

fn wake(waiter: Option<Waker>) {
    if let Some(waiter) = waiter {
        waiter.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rt() -> crate::Runtime {
        crate::Builder::new()
            .workers(1)
            .pin_workers(false)
            .build()
            .unwrap()
    }

    fn is_empty(set: &Connections) -> bool {
        set.0.set.lock().tasks.is_empty()
    }

    #[test]
    fn a_connection_that_ends_before_its_handle_arrives_leaves_the_set() {
        rt().block_on(async {
            let set = Connections::new(ShutdownSignal::default());
            set.start(None, |place| {
                // Its future is dropped (the task ran and ended on another worker) before
                // `start` records the handle.
                drop(Tracked::new(async {}, place));
                crate::spawn(async {})
            });
            assert!(is_empty(&set));
            let sets = [set];
            let forever = Instant::now() + Duration::from_secs(3600);
            assert_eq!(Connections::finish_by(&sets, forever).await, (1, 0));
        });
    }

    #[test]
    fn a_handler_that_panics_before_its_future_exists_leaves_the_set() {
        rt().block_on(async {
            let set = Connections::new(ShutdownSignal::default());
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                set.start(None, |place| {
                    let _place = place;
                    panic!("the handler failed");
                })
            }));
            assert!(panicked.is_err());
            assert!(is_empty(&set));
        });
    }

    #[test]
    fn finish_by_counts_the_connections_that_end_and_those_it_aborts() {
        // On the only worker: the tasks start once this body yields, after it counts.
        rt().block_on_pinned(|| async {
            let set = Connections::new(ShutdownSignal::default());
            set.start(None, |place| crate::spawn(Tracked::new(async {}, place)));
            set.start(None, |place| {
                crate::spawn(Tracked::new(std::future::pending(), place))
            });
            set.start_counting();
            while set.0.set.lock().tasks.len() > 1 {
                crate::yield_now().await;
            }
            let counts = Connections::finish_by(std::slice::from_ref(&set), Instant::now()).await;
            assert_eq!(counts, (1, 1));
            assert!(is_empty(&set));
        });
    }
}

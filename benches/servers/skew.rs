//! The skewed workloads' requests (`stall`, `long` and `saturating` in benches/compare.py): echo
//! messages that ask their handler for extra work, written by the load generator and served
//! the same way by every server (the runtime's `echo --skew`; the reference servers' `echo-skew`
//! mode, through `handler.rs`).
//!
//! The wire format. A plain echo message has only bytes below `0x80`. A byte of `0x80` or more
//! is a *marker*: it asks for one request's work, its top two bits say which, its low six how
//! much ([`Work::marker`], [`Work::of_marker`]):
//!
//! - `0b10nn_nnnn`: burn `n` × 100 µs of the thread's CPU time in a busy loop: a request that
//!   costs CPU (a slow path, a compression, a big parse);
//! - `0b11nn_nnnn`: block the thread for `n` ms in `std::thread::sleep`: a blocking call made by
//!   mistake on an event loop.
//!
//! The reply is the message itself, as for any echo, so the client reads it the same way. In
//! skew mode a server does the work of every marker in what it read, in order, before it writes
//! that back ([`Tally::serve`]): since every marker byte is one request, the work done does not
//! depend on how the kernel splits or joins the messages of a connection. Outside skew mode no
//! server looks at the bytes, so the plain echo path costs what it did.
//!
//! Each connection's [`Tally`] names the thread the connection started on and counts its marked
//! requests per thread that ran them; when the connection ends, a connection that had any
//! prints one line to stderr:
//!
//! ```text
//! skew: connection started on runtime-0: 812 marked requests, run on runtime-0=800 runtime-1=12
//! ```
//!
//! That is how benches/compare.py learns, the same way for every server, how `SO_REUSEPORT`
//! split the heavy connections between a server's threads (on a per-core server the thread a
//! connection starts on is the one whose listener accepted it) and how many of their requests
//! ran elsewhere (stolen).
//!
//! The load generator only writes markers and the servers only read them, so each side leaves
//! the other's items unused.

use std::time::Duration;

/// The marker bits of a CPU burn; the low six bits count [`BURN_UNIT`]s.
const BURN: u8 = 0b1000_0000;
/// The marker bits of a blocking sleep; the low six bits count [`STALL_UNIT`]s.
const STALL: u8 = 0b1100_0000;
/// The bits that say which work a marker asks for.
const KIND: u8 = 0b1100_0000;
/// The bits that say how much.
const AMOUNT: u8 = 0b0011_1111;
const BURN_UNIT: Duration = Duration::from_micros(100);
const STALL_UNIT: Duration = Duration::from_millis(1);

/// The work a marked request asks its handler for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Keep the thread busy until it has used this much CPU time.
    Burn(Duration),
    /// Block the thread this long (`std::thread::sleep`).
    Stall(Duration),
}

impl Work {
    /// The marker byte that asks for this work, or `None` if the format cannot say it: the
    /// duration must be a whole number of units (100 µs for a burn, 1 ms for a stall), at
    /// most 63 of them.
    #[allow(dead_code)] // the load generator's side: the servers only read markers
    pub fn marker(self) -> Option<u8> {
        let (bits, amount, unit) = match self {
            Work::Burn(d) => (BURN, d, BURN_UNIT),
            Work::Stall(d) => (STALL, d, STALL_UNIT),
        };
        let units = amount.as_nanos() / unit.as_nanos();
        let exact = amount.as_nanos() % unit.as_nanos() == 0;
        (exact && units <= u128::from(AMOUNT)).then_some(bits | units as u8)
    }

    /// The work `byte` asks for, `None` for a plain echo byte.
    pub fn of_marker(byte: u8) -> Option<Work> {
        let units = u32::from(byte & AMOUNT);
        match byte & KIND {
            BURN => Some(Work::Burn(BURN_UNIT * units)),
            STALL => Some(Work::Stall(STALL_UNIT * units)),
            _ => None,
        }
    }

    /// Does the work on the calling thread.
    fn run(self) {
        match self {
            Work::Burn(cpu) => burn(cpu),
            Work::Stall(time) => std::thread::sleep(time),
        }
    }
}

/// Spins until the calling thread has used `cpu` of CPU time since the call. CPU time rather
/// than elapsed time: a burn preempted by another process still costs the server all of it,
/// as real work would.
fn burn(cpu: Duration) {
    let start = thread_cpu_time();
    while thread_cpu_time().saturating_sub(start) < cpu {
        // Reading the thread's CPU clock is a system call (the vDSO only serves the wall
        // clocks): spin a little between reads so that the burn is mostly user time, as a
        // request's work would be, at the price of overshooting by a few microseconds.
        for _ in 0..64 {
            std::hint::spin_loop();
        }
    }
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid `timespec` to write to; the thread CPU clock always exists on
    // Linux, so the call cannot fail with these arguments.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    debug_assert_eq!(rc, 0);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// What a [`Tally`] calls a thread without a name. The threads are named by the servers (the
/// kernel keeps the first 15 bytes of a name, which `/proc/<pid>/task/<tid>/comm` shows).
const UNNAMED: &str = "unnamed";

/// One connection's marked requests: the thread it started on, and how many of its marked
/// requests each thread ran. Printed to stderr when dropped (see the module doc), if any.
#[derive(Debug)]
#[allow(dead_code)] // the servers' side: the load generator only writes markers
pub struct Tally {
    started_on: String,
    /// Marked requests per thread name, in the order the threads first ran one.
    ran_on: Vec<(String, u64)>,
}

#[allow(dead_code)] // the servers' side: the load generator only writes markers
impl Tally {
    /// The tally of a connection that starts on the calling thread.
    pub fn new() -> Tally {
        Tally {
            started_on: std::thread::current().name().unwrap_or(UNNAMED).to_owned(),
            ran_on: Vec::new(),
        }
    }

    /// Does the work every marker in `read` (bytes just read from the connection) asks for, in
    /// order, counting each on the calling thread.
    pub fn serve(&mut self, read: &[u8]) {
        for work in read.iter().filter_map(|&byte| Work::of_marker(byte)) {
            work.run();
            let current = std::thread::current();
            let name = current.name().unwrap_or(UNNAMED);
            match self.ran_on.iter_mut().find(|(thread, _)| thread == name) {
                Some((_, count)) => *count += 1,
                None => self.ran_on.push((name.to_owned(), 1)),
            }
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if self.ran_on.is_empty() {
            return;
        }
        let total: u64 = self.ran_on.iter().map(|(_, count)| count).sum();
        let threads: Vec<String> = self
            .ran_on
            .iter()
            .map(|(thread, count)| format!("{thread}={count}"))
            .collect();
        eprintln!(
            "skew: connection started on {}: {total} marked requests, run on {}",
            self.started_on,
            threads.join(" ")
        );
    }
}

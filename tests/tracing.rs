//! The runtime's log events, as a subscriber installed by the application sees them.
//!
//! Worker threads log too, so the subscriber is the process-wide default, installed once for
//! this test binary; its lines go to one shared buffer. Tests run side by side, so each one
//! names its runtime's threads and looks only for the lines about its own runtime.
//!
//! Accept back-off (`serve` running out of file descriptors) is left to the fd-exhaustion
//! tests: lowering `RLIMIT_NOFILE` here would starve every other test of this binary.

mod support;

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use support::bounded;
use tracing_subscriber::filter::LevelFilter;

const LIMIT: Duration = Duration::from_secs(30);

/// Every line logged in this process so far.
static LOG: Mutex<String> = Mutex::new(String::new());

/// Appends what the subscriber formats to `LOG`.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber (once) and returns the lines logged so far that contain
/// every one of `parts`.
fn lines_with(parts: &[&str]) -> Vec<String> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_max_level(LevelFilter::DEBUG)
            .with_thread_names(true)
            .without_time()
            .try_init()
            .expect("no other subscriber is installed");
    });
    LOG.lock()
        .unwrap()
        .lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .map(str::to_owned)
        .collect()
}

fn named_runtime(workers: usize, name: &str) -> runtime::Runtime {
    lines_with(&[]);
    runtime::Builder::new()
        .workers(workers)
        .thread_name(name)
        .pin_workers(false)
        .build()
        .expect("runtime builds")
}

/// The value of `field=` in `line`.
fn field<'a>(line: &'a str, field: &str) -> &'a str {
    let start = line
        .find(&format!("{field}="))
        .unwrap_or_else(|| panic!("no `{field}` in {line:?}"))
        + field.len()
        + 1;
    line[start..].split_whitespace().next().unwrap_or_default()
}

#[test]
fn a_blocked_loop_is_reported_once() {
    let runtime = named_runtime(2, "blocked");
    // Worker 1 watches worker 0, on which one task blocks while another waits for a timer.
    let stuck_reports = || {
        lines_with(&[
            "WARN",
            "blocked-1",
            "runtime::scheduler::stand_in",
            "worker=0",
        ])
    };
    runtime.block_on_pinned(move || {
        bounded(LIMIT, async move {
            let timer = runtime::spawn(runtime::time::sleep(Duration::from_millis(20)));
            let blocker = runtime::spawn_local(async move {
                std::thread::sleep(Duration::from_millis(300));
                // Blocking a while longer if the watcher has not had its turn yet: the report is
                // what this test waits for, not any particular delay.
                let deadline = Instant::now() + Duration::from_secs(10);
                while stuck_reports().is_empty() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
            blocker.await.unwrap();
            timer.await.unwrap();
        })
    });
    drop(runtime);

    let reports = stuck_reports();
    assert_eq!(
        reports.len(),
        1,
        "one report per blocked spell: {reports:#?}"
    );
    let stuck_ms: u64 = field(&reports[0], "stuck_ms").parse().unwrap();
    assert!(stuck_ms >= 100, "reported too early: {}", reports[0]);
}

#[test]
fn more_workers_than_cores_to_pin_is_reported() {
    let cores = core_affinity::get_core_ids()
        .expect("the cores are known")
        .len();
    lines_with(&[]);
    let workers = cores + 1;
    let runtime = runtime::Builder::new()
        .workers(workers)
        .pin_workers(true)
        .build()
        .expect("runtime builds");
    drop(runtime);

    let reports = lines_with(&[
        "WARN",
        "more workers than cores",
        &format!("workers={workers}"),
    ]);
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(field(&reports[0], "cores"), cores.to_string());
}

#[test]
fn worker_threads_and_task_panics_are_logged_at_debug() {
    let runtime = named_runtime(2, "lifecycle");
    let err = runtime
        .block_on(async { runtime::spawn(async { panic!("lifecycle test panic") }).await })
        .unwrap_err();
    assert!(err.is_panic());
    drop(runtime);

    let panics = lines_with(&["DEBUG", "a task panicked", "lifecycle test panic"]);
    assert_eq!(panics.len(), 1, "{panics:#?}");
    for event in ["worker started", "worker stopped"] {
        let lines = lines_with(&["DEBUG", "lifecycle-1", event, "worker=1"]);
        assert_eq!(lines.len(), 1, "{event}: {lines:#?}");
    }
}

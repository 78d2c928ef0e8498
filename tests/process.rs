//! `runtime::process`: spawning children, their exit statuses and pipes, killing them, and
//! reaping the ones nobody waits for.
//!
//! Each test runs on a 1-worker and a 2-worker runtime (`rt_test!`) and is bounded in time.
//! Children that would run long are spawned with `kill_on_drop`, so a failing test leaves
//! none behind.

mod support;

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{AsyncReadExt, AsyncWriteExt};
use runtime::process::{Child, Command};
use support::bounded;

const LIMIT: Duration = Duration::from_secs(30);

/// A child that runs until killed.
fn sleeper() -> Command {
    let mut command = Command::new("sleep");
    command.arg("600").kill_on_drop(true);
    command
}

/// `cat`, with its input and output piped (the output to `/dev/null` unless `read_back`).
fn cat(read_back: bool) -> Child {
    let stdout = if read_back {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits until process `pid` no longer exists: it exited and was reaped (a zombie still has
/// its `/proc` entry).
async fn reaped(pid: u32) {
    let entry = format!("/proc/{pid}");
    bounded(LIMIT, async {
        while std::path::Path::new(&entry).exists() {
            runtime::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

/// Whether `kill(pid, 0)` finds no such process.
fn no_such_process(pid: u32) -> bool {
    let pid = libc::pid_t::try_from(pid).unwrap();
    // SAFETY: signal 0 only checks that the process exists; no memory is involved.
    let found = unsafe { libc::kill(pid, 0) };
    found == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

rt_test! {
    async fn wait_gives_the_exit_status() {
        for (script, code) in [("exit 0", 0), ("exit 1", 1), ("exit 7", 7), ("exit 255", 255)] {
            let mut child = Command::new("sh").args(["-c", script]).spawn().unwrap();
            let status = bounded(LIMIT, child.wait()).await.unwrap();
            assert_eq!(status.code(), Some(code), "{script}");
            // Reaped once: the status stays, the id goes.
            assert_eq!(child.try_wait().unwrap(), Some(status));
            assert_eq!(bounded(LIMIT, child.wait()).await.unwrap(), status);
            assert_eq!(child.id(), None);
        }
        assert!(bounded(LIMIT, Command::new("true").status()).await.unwrap().success());
        assert_eq!(bounded(LIMIT, Command::new("false").status()).await.unwrap().code(), Some(1));
    }
}

rt_test! {
    async fn output_captures_stdout_and_stderr() {
        let output = bounded(
            LIMIT,
            Command::new("sh")
                .args(["-c", "echo to out; echo to err >&2; cat; exit 3"])
                .output(),
        )
        .await
        .unwrap();
        assert_eq!(output.status.code(), Some(3));
        // `cat` read the null input `output` gives by default.
        assert_eq!(output.stdout, b"to out\n");
        assert_eq!(output.stderr, b"to err\n");
    }
}

rt_test! {
    async fn output_reads_both_pipes_at_once() {
        // More than a pipe holds on each: read one after the other, the child would block
        // writing to the second while the parent waits on the first.
        let script = "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2";
        let output = bounded(LIMIT, Command::new("sh").args(["-c", script]).output())
            .await
            .unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout.len(), 1_000_000);
        assert_eq!(output.stderr.len(), 1_000_000);
    }
}

rt_test! {
    async fn megabytes_through_cat_while_reading_its_output() {
        let input: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut child = cat(true);
        let mut stdin = child.stdin.take().unwrap();
        let expected = input.clone();
        // The writer may run on another worker than the reader.
        let writer = runtime::spawn(async move { stdin.write_all(&input).await });
        let mut echoed = Vec::new();
        let mut stdout = child.stdout.take().unwrap();
        bounded(LIMIT, stdout.read_to_end(&mut echoed)).await.unwrap();
        bounded(LIMIT, writer).await.unwrap().unwrap();
        assert!(bounded(LIMIT, child.wait()).await.unwrap().success());
        assert!(echoed == expected, "cat gave back other bytes");
    }
}

rt_test! {
    async fn wait_closes_stdin() {
        // `cat` exits only at the end of its input.
        let mut child = cat(false);
        assert!(child.stdin.is_some());
        assert!(bounded(LIMIT, child.wait()).await.unwrap().success());
        assert!(child.stdin.is_none());
    }
}

rt_test! {
    async fn kill_ends_and_reaps_the_child() {
        let mut child = sleeper().spawn().unwrap();
        let pid = child.id().unwrap();
        assert_eq!(child.try_wait().unwrap(), None);
        bounded(LIMIT, child.kill()).await.unwrap();
        assert_eq!(child.try_wait().unwrap().unwrap().signal(), Some(libc::SIGKILL));
        assert!(no_such_process(pid));
        // Killing a reaped child does nothing.
        child.start_kill().unwrap();
    }
}

rt_test! {
    async fn kill_on_drop_kills_and_reaps() {
        let child = sleeper().spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        reaped(pid).await;
        assert!(no_such_process(pid));
    }
}

rt_test! {
    async fn a_dropped_child_is_reaped_when_it_exits() {
        // Without `kill_on_drop` the child runs on; the runtime reaps it once it exits.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let stdin = child.stdin.take().unwrap();
        drop(child);
        assert!(!no_such_process(pid), "the child ran on");
        // End of input: `cat` exits.
        drop(stdin);
        reaped(pid).await;
        // The exited child left nothing behind, not even a zombie.
        assert!(no_such_process(pid));
    }
}

rt_test! {
    async fn writing_to_a_killed_child_fails() {
        let mut child = sleeper().stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // Fills the pipe, then waits for room that never comes until the child dies.
        let writer = runtime::spawn(async move {
            let chunk = [0u8; 8192];
            loop {
                stdin.write_all(&chunk).await?;
            }
        });
        bounded(LIMIT, child.kill()).await.unwrap();
        let result: std::io::Result<()> = bounded(LIMIT, writer).await.unwrap();
        assert_eq!(result.unwrap_err().kind(), ErrorKind::BrokenPipe);
    }
}

rt_test! {
    async fn many_children_from_every_worker() {
        const PER_WORKER: usize = 25;
        let workers = runtime::on_each_worker(|worker| async move {
            let children = (0..PER_WORKER).map(|i| async move {
                let output = Command::new("sh")
                    .args(["-c", &format!("echo {worker}-{i}; exit {i}")])
                    .output()
                    .await
                    .unwrap();
                assert_eq!(output.status.code(), Some(i as i32));
                assert_eq!(output.stdout, format!("{worker}-{i}\n").into_bytes());
            });
            runtime::future::join_all(children).await.len()
        });
        let mut total = 0;
        for worker in workers {
            total += bounded(LIMIT, worker).await.unwrap();
        }
        assert_eq!(total, PER_WORKER * runtime::metrics().workers.len());
    }
}

rt_test! {
    async fn spawn_errors_are_io_errors() {
        let missing = Command::new("/nonexistent/program").spawn().unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let missing = Command::new("no-such-program-on-path").output().await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let not_a_dir = Command::new("true").current_dir("/nonexistent/dir").status().await;
        assert_eq!(not_a_dir.unwrap_err().kind(), ErrorKind::NotFound);
    }
}

rt_test! {
    async fn a_child_is_waited_from_another_worker_than_its_spawner() {
        // Each worker spawns a child, with a pipe; this task, on worker 0, waits for all.
        let spawned: Vec<_> = runtime::on_each_worker(|worker| async move {
            let child = Command::new("sh")
                .args(["-c", &format!("echo {worker}; exit {worker}")])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            (worker, child)
        });
        for handle in spawned {
            let (worker, child): (usize, Child) = bounded(LIMIT, handle).await.unwrap();
            let output = bounded(LIMIT, child.wait_with_output()).await.unwrap();
            assert_eq!(output.status.code(), Some(worker as i32));
            assert_eq!(output.stdout, format!("{worker}\n").into_bytes());
        }
        // And the other way: spawned here, waited in a task that may be stolen.
        let mut child = Command::new("sh").args(["-c", "exit 9"]).spawn().unwrap();
        let waiter = runtime::spawn(async move { child.wait().await });
        assert_eq!(bounded(LIMIT, waiter).await.unwrap().unwrap().code(), Some(9));
    }
}

rt_test! {
    async fn a_pipe_end_becomes_another_childs_stdio() {
        let mut echo = Command::new("echo")
            .arg("through two children")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout: Stdio = echo.stdout.take().unwrap().try_into().unwrap();
        let output = bounded(LIMIT, Command::new("cat").stdin(stdout).output()).await.unwrap();
        assert_eq!(output.stdout, b"through two children\n");
        assert!(bounded(LIMIT, echo.wait()).await.unwrap().success());
    }
}

rt_test! {
    async fn pipes_implement_tokios_io_traits() {
        // Called through tokio's traits by name: the futures ones are in scope too.
        use tokio::io::{AsyncReadExt as TokioRead, AsyncWriteExt as TokioWrite};

        let mut child = cat(true);
        let mut stdin = child.stdin.take().unwrap();
        bounded(LIMIT, TokioWrite::write_all(&mut stdin, b"tokio traits")).await.unwrap();
        TokioWrite::shutdown(&mut stdin).await.unwrap();
        drop(stdin);
        let mut text = String::new();
        let mut stdout = child.stdout.take().unwrap();
        bounded(LIMIT, TokioRead::read_to_string(&mut stdout, &mut text)).await.unwrap();
        assert_eq!(text, "tokio traits");
        bounded(LIMIT, child.wait()).await.unwrap();
    }
}

rt_test! {
    async fn arg0_is_the_name_the_child_sees() {
        let output = bounded(
            LIMIT,
            Command::new("sh").arg0("test_string").args(["-c", "echo $0"]).output(),
        )
        .await
        .unwrap();
        assert_eq!(output.stdout, b"test_string\n");
    }
}

rt_test! {
    async fn kill_after_wait_is_fine() {
        let mut child = Command::new("sh").args(["-c", "exit 2"]).spawn().unwrap();
        child.start_kill().unwrap();
        bounded(LIMIT, child.wait()).await.unwrap();
        child.start_kill().unwrap();
        bounded(LIMIT, child.kill()).await.unwrap();
    }
}

rt_test! {
    async fn kill_on_drop_kills_the_child_not_its_children() {
        // The shell starts a grandchild that answers a line of input, then becomes `sleep`,
        // which the drop kills. The grandchild, not killed, still holds the output pipe.
        // (A background job's input is /dev/null: the pipe goes to it as descriptor 3.)
        let script =
            "exec 3<&0; sh -c 'read line; echo child ran' <&3 & echo started; exec sleep 600 3<&-";
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // The grandchild exists once the shell says so.
        let mut started = [0; 8];
        bounded(LIMIT, stdout.read_exact(&mut started)).await.unwrap();
        assert_eq!(&started, b"started\n");
        drop(child);
        reaped(pid).await;
        bounded(LIMIT, stdin.write_all(b"go\n")).await.unwrap();
        drop(stdin);
        // The end of output comes once the grandchild exits: `sleep` no longer holds it.
        let mut text = String::new();
        bounded(LIMIT, stdout.read_to_string(&mut text)).await.unwrap();
        assert_eq!(text, "child ran\n");
    }
}

/// tokio's `process_change_of_runtime`: a child spawned on one runtime, which then shuts down,
/// is waited for on another.
#[test]
fn a_child_outlives_the_runtime_that_spawned_it() {
    let mut child = support::rt(1).block_on(async {
        Command::new("sh")
            .args(["-c", "read line; exit 6"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap()
    });
    let status = support::rt(2)
        .block_on(bounded(LIMIT, child.wait()))
        .unwrap();
    assert_eq!(status.code(), Some(6));
}

/// A child dropped while its runtime shuts down (its task dropped with it) goes to the orphan
/// queue, which a later spawn reaps.
#[test]
fn a_child_dropped_at_shutdown_is_reaped_by_a_later_spawn() {
    let rt = support::rt(2);
    let (pid, waiting) = rt.block_on(async {
        let child = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
        let pid = child.id().unwrap();
        // Holds the child, and its stdin, until the runtime drops the task.
        let waiting = runtime::spawn(async move {
            let _child = child;
            std::future::pending::<()>().await
        });
        (pid, waiting)
    });
    drop(waiting);
    drop(rt);
    support::rt(1).block_on(bounded(LIMIT, async {
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            // Each spawn tries the queue; `cat` exits once its input closed, at the drop.
            Command::new("true").status().await.unwrap();
            runtime::time::sleep(Duration::from_millis(5)).await;
        }
    }));
    assert!(no_such_process(pid));
}

/// tokio's `process_issue_42`: children spawned on a runtime and dropped after it is gone
/// neither hang nor panic, time after time.
#[test]
fn children_dropped_after_their_runtime() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..10 {
            let rt = support::rt(1);
            let children = rt.block_on(async {
                (0..2)
                    .map(|i| {
                        Command::new("echo")
                            .arg(format!("I am spawned process #{i}"))
                            .stdin(Stdio::null())
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .spawn()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            });
            drop(rt);
            drop(children);
        }
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(LIMIT)
        .expect("spawning and dropping children hung");
}

#[test]
#[should_panic(expected = "`Command::spawn` must be called from inside the runtime")]
fn spawn_outside_a_runtime_panics() {
    let _ = Command::new("true").stdout(Stdio::null()).spawn();
}

//! [`Child`]: a spawned process, its pipes, and waiting for it.

use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};

use futures_util::AsyncReadExt;

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::reap::Reaper;

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Dropping it neither waits for the process nor kills it (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set): the process runs on, and the
/// runtime reaps it once it exits, so no zombie is left behind.
///
/// ```
/// use runtime::process::Command;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
/// assert!(child.id().is_some());
/// assert_eq!(child.wait().await?.code(), Some(3));
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct Child {
    /// The child's standard input, when [`Command::stdin`](super::Command::stdin) was
    /// [`Stdio::piped`](std::process::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, when [`Command::stdout`](super::Command::stdout) was
    /// [`Stdio::piped`](std::process::Stdio::piped).
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, when [`Command::stderr`](super::Command::stderr) was
    /// [`Stdio::piped`](std::process::Stdio::piped).
    pub stderr: Option<ChildStderr>,
    exit: Reaper,
    kill_on_drop: bool,
}

impl Child {
    pub(super) fn new(exit: Reaper, kill_on_drop: bool) -> Child {
        Child {
            stdin: None,
            stdout: None,
            stderr: None,
            exit,
            kill_on_drop,
        }
    }

    /// The process id, or `None` once the child has been reaped (by [`wait`](Self::wait) or
    /// [`try_wait`](Self::try_wait)), when the id may already name another process.
    ///
    /// ```
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("true").spawn()?;
    /// println!("started process {}", child.id().unwrap());
    /// child.wait().await?;
    /// assert_eq!(child.id(), None);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> Option<u32> {
        let exit = self.exit.get_ref();
        exit.status().is_none().then(|| exit.id())
    }

    /// Sends `SIGKILL` to the child without waiting for it to exit; [`wait`](Self::wait)
    /// then reaps it. Does nothing once the child has been reaped.
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("sleep").arg("60").spawn()?;
    /// child.start_kill()?;
    /// assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.exit.get().start_kill()
    }

    /// Sends `SIGKILL` to the child and waits for it to exit: [`start_kill`](Self::start_kill),
    /// then [`wait`](Self::wait).
    ///
    /// ```
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("sleep").arg("60").spawn()?;
    /// child.kill().await?;
    /// assert_eq!(child.id(), None);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit, reaps it, and returns its status (at once if it was
    /// reaped before).
    ///
    /// Drops [`stdin`](Self::stdin) first, so that a child reading its input to the end is
    /// not left waiting for more. Cancel-safe: dropping the future before the exit leaves the
    /// child running, to wait for again.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// // `cat` exits once its input closes, which `wait` does.
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    /// assert!(child.wait().await?.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.exit.get().poll_wait(cx)).await
    }

    /// Reaps the child if it has exited, without waiting: its status, or `None` while it
    /// runs. Unlike [`wait`](Self::wait), leaves [`stdin`](Self::stdin) open.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    /// assert_eq!(child.try_wait()?, None);
    /// child.wait().await?;
    /// assert!(child.try_wait()?.unwrap().success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.exit.get().try_wait()
    }

    /// Waits for the child to exit while reading its piped standard output and error to the
    /// end, all at once (so that a child blocked writing to a full pipe cannot stall it), and
    /// returns them with the status. Ends that were not piped give empty output. Drops
    /// [`stdin`](Self::stdin) first, as [`wait`](Self::wait) does.
    ///
    /// ```
    /// use std::process::Stdio;
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let child = Command::new("sh")
    ///     .args(["-c", "echo out; echo err >&2"])
    ///     .stdout(Stdio::piped())
    ///     .stderr(Stdio::piped())
    ///     .spawn()?;
    /// let output = child.wait_with_output().await?;
    /// assert!(output.status.success());
    /// assert_eq!(output.stdout, b"out\n");
    /// assert_eq!(output.stderr, b"err\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let (status, stdout, stderr) = futures_util::try_join!(
            self.wait(),
            read_to_end(stdout.as_mut()),
            read_to_end(stderr.as_mut()),
        )?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop {
            let _ = self.start_kill();
        }
    }
}

/// Everything `pipe` gives until its end; nothing without a pipe.
async fn read_to_end(
    pipe: Option<&mut (impl futures_io::AsyncRead + Unpin)>,
) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(pipe) = pipe {
        pipe.read_to_end(&mut bytes).await?;
    }
    Ok(bytes)
}

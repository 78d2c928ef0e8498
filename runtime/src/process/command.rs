//! [`Command`]: `std::process::Command`, spawning children whose pipes and exit the runtime
//! watches.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::exit::Exit;
use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::reap::{self, Reaper};
use super::Child;
use crate::scheduler::context;

/// A process builder: `std::process::Command`'s settings, with [`spawn`](Self::spawn),
/// [`output`](Self::output) and [`status`](Self::status) that wait without blocking the loop.
///
/// ```
/// use runtime::process::Command;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let output = Command::new("echo").arg("hello").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// Whether [`stdin`](Self::stdin) was called: [`output`](Self::output) uses a null input
    /// otherwise.
    stdin_set: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` unless it is a path), with no
    /// arguments, this process's environment and working directory, and, for
    /// [`spawn`](Self::spawn) and [`status`](Self::status), its standard I/O.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let status = runtime::process::Command::new("true").status().await?;
    /// assert!(status.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("echo").arg("-n").arg("a b").output().await?;
    /// assert_eq!(output.stdout, b"a b");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("echo").args(["a", "b"]).output().await?;
    /// assert_eq!(output.stdout, b"a b\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("sh")
    ///     .args(["-c", "echo $GREETING"])
    ///     .env("GREETING", "hi")
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.stdout, b"hi\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, value: V) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("sh")
    ///     .args(["-c", "echo $A$B"])
    ///     .envs([("A", "1"), ("B", "2")])
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.stdout, b"12\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("sh")
    ///     .args(["-c", "echo ${HOME-unset}"])
    ///     .env_remove("HOME")
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.stdout, b"unset\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment, plus what [`env`](Self::env) adds.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("/bin/sh")
    ///     .args(["-c", "echo ${HOME-unset}"])
    ///     .env_clear()
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.stdout, b"unset\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("pwd").current_dir("/").output().await?;
    /// assert_eq!(output.stdout, b"/\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's standard input: [`Stdio::piped`] gives [`Child::stdin`]. Inherited by
    /// default for [`spawn`](Self::spawn) and [`status`](Self::status), null for
    /// [`output`](Self::output).
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = runtime::process::Command::new("cat").stdin(Stdio::piped()).spawn()?;
    /// assert!(child.stdin.is_some());
    /// child.wait().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Sets the child's standard output: [`Stdio::piped`] gives [`Child::stdout`]. Inherited
    /// by default for [`spawn`](Self::spawn) and [`status`](Self::status); always piped for
    /// [`output`](Self::output).
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let status = runtime::process::Command::new("echo").stdout(Stdio::null()).status().await?;
    /// assert!(status.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's standard error: [`Stdio::piped`] gives [`Child::stderr`]. Inherited
    /// by default for [`spawn`](Self::spawn) and [`status`](Self::status); always piped for
    /// [`output`](Self::output).
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = runtime::process::Command::new("true").stderr(Stdio::piped()).spawn()?;
    /// assert!(child.stderr.is_some());
    /// child.wait().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping a [`Child`] spawned from here (before it was reaped) sends it
    /// `SIGKILL`; `false` by default, when the child runs on. Either way the runtime reaps it
    /// once it exits.
    ///
    /// ```
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let child = Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
    /// drop(child); // killed, then reaped in the background
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The setting of [`kill_on_drop`](Self::kill_on_drop).
    ///
    /// ```
    /// let mut command = runtime::process::Command::new("true");
    /// assert!(!command.get_kill_on_drop());
    /// assert!(command.kill_on_drop(true).get_kill_on_drop());
    /// ```
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Runs the child as user `id` (`setuid`); spawning fails unless this process may.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// // SAFETY: `getuid` has no preconditions.
    /// let me = unsafe { libc::getuid() };
    /// let output = runtime::process::Command::new("id").arg("-u").uid(me).output().await?;
    /// assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), me.to_string());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child as group `id` (`setgid`); spawning fails unless this process may.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// // SAFETY: `getgid` has no preconditions.
    /// let group = unsafe { libc::getgid() };
    /// let output = runtime::process::Command::new("id").arg("-g").gid(group).output().await?;
    /// assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), group.to_string());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Puts the child in process group `pgroup` (`setpgid`): `0` makes it the leader of a
    /// new group, so that a terminal's Ctrl-C, sent to this process's group, does not reach
    /// it.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = runtime::process::Command::new("sleep")
    ///     .arg("60")
    ///     .process_group(0)
    ///     .spawn()?;
    /// let pid = child.id().unwrap() as libc::pid_t;
    /// // SAFETY: `getpgid` has no memory preconditions; the child is not reaped yet.
    /// assert_eq!(unsafe { libc::getpgid(pid) }, pid);
    /// child.kill().await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Sets the child's `argv[0]`, the name it sees for itself, apart from the program run.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("sh")
    ///     .arg0("renamed")
    ///     .args(["-c", "echo $0"])
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.stdout, b"renamed\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`; an error from it fails the
    /// spawn. See `std::os::unix::process::CommandExt::pre_exec`.
    ///
    /// # Safety
    ///
    /// As for std's: `f` runs in a copy of this process with only the forking thread, so it
    /// must be async-signal-safe (no allocation, no locks another thread may have held), and
    /// must not touch what `std` relies on, such as the standard I/O descriptors it set up.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut command = runtime::process::Command::new("true");
    /// // SAFETY: `setsid` is async-signal-safe and touches no memory of the parent.
    /// unsafe {
    ///     command.pre_exec(|| match libc::setsid() {
    ///         -1 => Err(std::io::Error::last_os_error()),
    ///         _ => Ok(()),
    ///     });
    /// }
    /// assert!(command.status().await?.success());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds `pre_exec`'s contract, which is std's.
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// The `std::process::Command` inside, to read its settings.
    ///
    /// ```
    /// let mut command = runtime::process::Command::new("echo");
    /// command.arg("hi");
    /// assert_eq!(command.as_std().get_args().collect::<Vec<_>>(), ["hi"]);
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The `std::process::Command` inside, for settings this type does not forward. A
    /// standard input set here is not seen by [`output`](Self::output), which then sets a
    /// null one; set it through [`stdin`](Self::stdin).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut command = runtime::process::Command::new("sh");
    /// command.as_std_mut().args(["-c", "exit 4"]);
    /// assert_eq!(command.status().await?.code(), Some(4));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child, with its piped ends registered with the current loop's reactor, and
    /// the watch for its exit (see the [module docs](super)).
    ///
    /// Fails as `std::process::Command::spawn` does: `NotFound` for a missing program,
    /// `PermissionDenied` for one that may not be run, and so on.
    ///
    /// ```
    /// use runtime::process::Command;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut child = Command::new("true").spawn()?;
    /// assert!(child.wait().await?.success());
    /// let missing = Command::new("/no/such/program").spawn().unwrap_err();
    /// assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn spawn(&mut self) -> io::Result<Child> {
        let (runtime, _) = context::current("`Command::spawn`");
        reap::reap_orphans();
        let mut std_child = self.std.spawn()?;
        let (stdin, stdout, stderr) = (
            std_child.stdin.take(),
            std_child.stdout.take(),
            std_child.stderr.take(),
        );
        // From here on, dropping `child` (on an error) still reaps the process.
        let mut child = Child::new(
            Reaper::new(Exit::new(std_child), &runtime),
            self.kill_on_drop,
        );
        child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
        child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
        child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
        Ok(child)
    }

    /// Runs the child to its exit and returns its status. Its standard I/O is inherited
    /// unless set; pipes asked for are closed at once.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let status = runtime::process::Command::new("false").status().await?;
    /// assert_eq!(status.code(), Some(1));
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let child = self.spawn();
        async {
            let mut child = child?;
            // Nobody would read or write them: the child could block on a full pipe.
            child.stdout = None;
            child.stderr = None;
            child.wait().await
        }
    }

    /// Runs the child to its exit, collecting its standard output and error (always piped,
    /// read concurrently); its standard input is null unless set with [`stdin`](Self::stdin).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let output = runtime::process::Command::new("sh")
    ///     .args(["-c", "echo out; echo err >&2; exit 2"])
    ///     .output()
    ///     .await?;
    /// assert_eq!(output.status.code(), Some(2));
    /// assert_eq!(output.stdout, b"out\n");
    /// assert_eq!(output.stderr, b"err\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Panics
    ///
    /// Outside the runtime.
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async { child?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a `std::process::Command`, with [`kill_on_drop`](Command::kill_on_drop) off.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut std_command = std::process::Command::new("echo");
    /// std_command.arg("from std");
    /// let output = runtime::process::Command::from(std_command).output().await?;
    /// assert_eq!(output.stdout, b"from std\n");
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdin_set: false,
        }
    }
}

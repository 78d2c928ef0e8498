//! [`OpenOptions`]: how to open a [`File`]. The options are `std::fs::OpenOptions`, set
//! without blocking; only [`open`](OpenOptions::open), which calls `open(2)`, goes to the
//! blocking pool.

use std::io;
use std::path::Path;

use super::{on_path, File};

/// Options for opening a file, with tokio's names: set them, then call
/// [`open`](OpenOptions::open). Every option is false until set; see
/// [`std::fs::OpenOptions`] for how they combine.
///
/// ```
/// use futures_util::AsyncWriteExt;
/// use runtime::fs::OpenOptions;
///
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-open-options-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// let path = dir.join("log");
/// for line in ["one\n", "two\n"] {
///     let mut file = OpenOptions::new().append(true).create(true).open(&path).await?;
///     file.write_all(line.as_bytes()).await?;
///     file.flush().await?;
/// }
/// assert_eq!(runtime::fs::read_to_string(&path).await?, "one\ntwo\n");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with every flag unset (a file opened with them alone fails: set `read`,
    /// `write` or `append`).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let mut options = runtime::fs::OpenOptions::new();
    /// options.read(true);
    /// let err = options.open("/no/such/file").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Whether the file may be read.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-read-option-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// # runtime::fs::write(dir.join("file"), "data").await?;
    /// let file = runtime::fs::OpenOptions::new().read(true).open(dir.join("file")).await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Whether the file may be written (from the start, over what is there, unless
    /// `truncate` or `append` is set too).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-write-option-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// # runtime::fs::write(dir.join("file"), "data").await?;
    /// let file = runtime::fs::OpenOptions::new().write(true).open(dir.join("file")).await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Whether every write goes to the end of the file, whatever the cursor (implies `write`).
    ///
    /// ```
    /// use futures_util::AsyncWriteExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-append-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "a").await?;
    /// let mut file = runtime::fs::OpenOptions::new().append(true).open(dir.join("file")).await?;
    /// file.write_all(b"b").await?;
    /// file.flush().await?;
    /// assert_eq!(runtime::fs::read_to_string(dir.join("file")).await?, "ab");
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Whether an existing file is cut to length 0 when opened (with `write`).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-truncate-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "old").await?;
    /// let file = runtime::fs::OpenOptions::new()
    ///     .write(true)
    ///     .truncate(true)
    ///     .open(dir.join("file"))
    ///     .await?;
    /// assert_eq!(file.metadata().await?.len(), 0);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Whether a missing file is created (with `write` or `append`).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-option-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::OpenOptions::new().write(true).create(true).open(dir.join("new")).await?;
    /// assert!(runtime::fs::try_exists(dir.join("new")).await?);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Whether the file must be created, opening failing with
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it exists (atomically, with no race
    /// between the check and the creation); `create` and `truncate` are then ignored.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-new-option-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let mut options = runtime::fs::OpenOptions::new();
    /// options.write(true).create_new(true);
    /// options.open(dir.join("lock")).await?;
    /// let err = options.open(dir.join("lock")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a created file gets, before the process's umask (0o666 unless set).
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-mode-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::OpenOptions::new()
    ///     .write(true)
    ///     .create(true)
    ///     .mode(0o600)
    ///     .open(dir.join("secret"))
    ///     .await?;
    /// assert_eq!(file.metadata().await?.permissions().mode() & 0o777, 0o600);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags (`libc::O_*`), besides those the other options set.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-custom-flags-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "data").await?;
    /// runtime::fs::symlink(dir.join("file"), dir.join("link")).await?;
    /// let err = runtime::fs::OpenOptions::new()
    ///     .read(true)
    ///     .custom_flags(libc::O_NOFOLLOW)
    ///     .open(dir.join("link"))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens the file at `path` with these options, on the blocking pool; see
    /// [`std::fs::OpenOptions::open`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let err = runtime::fs::OpenOptions::new().read(true).open("/no/such/file").await;
    /// assert_eq!(err.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let options = self.0.clone();
        let std = on_path(path, move |path| options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}

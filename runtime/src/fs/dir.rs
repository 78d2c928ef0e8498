//! Creating and removing directories, and [`DirBuilder`] for the options `create_dir` lacks
//! (its permission bits, and whether to create the parents).

use std::io;
use std::path::Path;

use super::on_path;

/// Creates a directory, whose parent must exist; see [`std::fs::create_dir`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-dir-{}", std::process::id()));
/// runtime::fs::create_dir(&dir).await?;
/// let err = runtime::fs::create_dir(&dir).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
/// # runtime::fs::remove_dir(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, |path| std::fs::create_dir(path)).await
}

/// Creates a directory and every missing parent; see [`std::fs::create_dir_all`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-dir-all-{}", std::process::id()));
/// runtime::fs::create_dir_all(dir.join("a/b/c")).await?;
/// assert!(runtime::fs::metadata(dir.join("a/b/c")).await?.is_dir());
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, |path| std::fs::create_dir_all(path)).await
}

/// Removes an empty directory; see [`std::fs::remove_dir`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-remove-dir-{}", std::process::id()));
/// runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::remove_dir(&dir).await?;
/// assert!(!runtime::fs::try_exists(&dir).await?);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, |path| std::fs::remove_dir(path)).await
}

/// Removes a directory with everything in it, not following symbolic links; see
/// [`std::fs::remove_dir_all`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-remove-dir-all-{}", std::process::id()));
/// runtime::fs::create_dir_all(dir.join("a/b")).await?;
/// runtime::fs::write(dir.join("a/b/file"), "data").await?;
/// runtime::fs::remove_dir_all(&dir).await?;
/// assert!(!runtime::fs::try_exists(&dir).await?);
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, |path| std::fs::remove_dir_all(path)).await
}

/// Creates directories with options; see [`std::fs::DirBuilder`].
///
/// ```
/// use runtime::fs::DirBuilder;
///
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-dir-builder-{}", std::process::id()));
/// DirBuilder::new().recursive(true).create(dir.join("a/b")).await?;
/// assert!(runtime::fs::metadata(dir.join("a/b")).await?.is_dir());
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory, with the default permission bits (0o777 before
    /// the umask).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-dir-builder-new-{}", std::process::id()));
    /// runtime::fs::DirBuilder::new().create(&dir).await?;
    /// # runtime::fs::remove_dir(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Whether the missing parents are created too, and an existing directory is no error
    /// (as [`create_dir_all`]).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-dir-builder-recursive-{}", std::process::id()));
    /// let mut builder = runtime::fs::DirBuilder::new();
    /// builder.recursive(true);
    /// builder.create(dir.join("a/b")).await?;
    /// builder.create(dir.join("a/b")).await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The permission bits of the directories created, before the process's umask.
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-dir-builder-mode-{}", std::process::id()));
    /// runtime::fs::DirBuilder::new().mode(0o700).create(&dir).await?;
    /// let mode = runtime::fs::metadata(&dir).await?.permissions().mode();
    /// assert_eq!(mode & 0o777, 0o700);
    /// # runtime::fs::remove_dir(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory at `path`; see [`std::fs::DirBuilder::create`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let err = runtime::fs::DirBuilder::new().create("/no/such/parent/dir").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        on_path(path, move |path| builder.create(path)).await
    }
}

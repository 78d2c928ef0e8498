//! Names in the tree: renaming and removing them, links between them, and where they lead.

use std::io;
use std::path::{Path, PathBuf};

use super::{on_path, on_paths};

/// Renames a file or directory, replacing what `to` names if it is a file (or an empty
/// directory, when `from` is one); both must be on the same file system. See
/// [`std::fs::rename`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-rename-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("draft"), "text").await?;
/// runtime::fs::rename(dir.join("draft"), dir.join("final")).await?;
/// assert_eq!(runtime::fs::read_to_string(dir.join("final")).await?, "text");
/// assert!(!runtime::fs::try_exists(dir.join("draft")).await?);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    on_paths(from, to, |from, to| std::fs::rename(from, to)).await
}

/// Removes a file (or a link: never what it points to); see [`std::fs::remove_file`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-remove-file-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("file"), "").await?;
/// runtime::fs::remove_file(dir.join("file")).await?;
/// let err = runtime::fs::remove_file(dir.join("file")).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, |path| std::fs::remove_file(path)).await
}

/// Makes `link` a second name of the file `original` (a hard link); see
/// [`std::fs::hard_link`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-hard-link-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("original"), "shared").await?;
/// runtime::fs::hard_link(dir.join("original"), dir.join("link")).await?;
/// runtime::fs::remove_file(dir.join("original")).await?;
/// assert_eq!(runtime::fs::read_to_string(dir.join("link")).await?, "shared");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    on_paths(original, link, |original, link| {
        std::fs::hard_link(original, link)
    })
    .await
}

/// Makes `link` a symbolic link to `original` (which need not exist); see
/// [`std::os::unix::fs::symlink`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-symlink-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("target"), "data").await?;
/// runtime::fs::symlink("target", dir.join("link")).await?;
/// assert_eq!(runtime::fs::read_to_string(dir.join("link")).await?, "data");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    on_paths(original, link, |original, link| {
        std::os::unix::fs::symlink(original, link)
    })
    .await
}

/// What the symbolic link `path` points to, as written in the link; see
/// [`std::fs::read_link`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-read-link-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::symlink("../elsewhere", dir.join("link")).await?;
/// assert_eq!(runtime::fs::read_link(dir.join("link")).await?, std::path::Path::new("../elsewhere"));
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path(path, |path| std::fs::read_link(path)).await
}

/// The absolute path `path` leads to, with every symbolic link, `.` and `..` resolved; see
/// [`std::fs::canonicalize`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-canonicalize-{}", std::process::id()));
/// runtime::fs::create_dir_all(dir.join("a")).await?;
/// let plain = runtime::fs::canonicalize(dir.join("a")).await?;
/// assert_eq!(runtime::fs::canonicalize(dir.join("a/../a/.")).await?, plain);
/// assert!(plain.is_absolute());
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path(path, |path| std::fs::canonicalize(path)).await
}

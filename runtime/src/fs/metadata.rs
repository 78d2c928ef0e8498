//! What a name refers to: its metadata (through symbolic links or not), its permissions, and
//! whether it exists at all.

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::Path;

use super::on_path;

/// The metadata of a file or directory, following symbolic links; see [`std::fs::metadata`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-metadata-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("file"), "12345").await?;
/// let metadata = runtime::fs::metadata(dir.join("file")).await?;
/// assert!(metadata.is_file());
/// assert_eq!(metadata.len(), 5);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path, |path| std::fs::metadata(path)).await
}

/// The metadata of a file, directory or symbolic link itself (not followed); see
/// [`std::fs::symlink_metadata`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-symlink-metadata-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::symlink("missing", dir.join("dangling")).await?;
/// let metadata = runtime::fs::symlink_metadata(dir.join("dangling")).await?;
/// assert!(metadata.file_type().is_symlink());
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path, |path| std::fs::symlink_metadata(path)).await
}

/// Changes the permissions of a file or directory (following symbolic links); see
/// [`std::fs::set_permissions`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-set-permissions-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("file"), "").await?;
/// let mut permissions = runtime::fs::metadata(dir.join("file")).await?.permissions();
/// permissions.set_readonly(true);
/// runtime::fs::set_permissions(dir.join("file"), permissions).await?;
/// assert!(runtime::fs::metadata(dir.join("file")).await?.permissions().readonly());
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    on_path(path, move |path| std::fs::set_permissions(path, perm)).await
}

/// Whether `path` leads to something (following symbolic links: a dangling link gives
/// `false`); an error when that cannot be known, such as a parent directory that may not be
/// searched. See [`std::fs::exists`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-try-exists-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// assert!(!runtime::fs::try_exists(dir.join("file")).await?);
/// runtime::fs::write(dir.join("file"), "").await?;
/// assert!(runtime::fs::try_exists(dir.join("file")).await?);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    on_path(path, |path| std::fs::exists(path)).await
}

//! Files and directories, without blocking the event loop: tokio's `fs`, name for name. Each
//! function runs its `std::fs` counterpart on the blocking pool (see
//! [`spawn_blocking`](crate::spawn_blocking)) and waits for it; a [`File`] does the same for
//! each read, write and seek.
//!
//! Linux offers no readiness for regular files (epoll reports them always ready, and a read
//! may still wait on the disk), so a file operation either blocks a thread or goes through
//! io_uring; this module takes the portable way, as tokio's `fs` does. Each call costs a
//! hand-off to another thread: read and write a file whole ([`read`], [`write()`]) or in large
//! pieces rather than in small ones.
//!
//! Dropping a returned future does not cancel the operation: it goes on to the end on its
//! thread.
//!
//! - `contents.rs`: whole files ([`read`], [`read_to_string`], [`write()`], [`copy`]).
//! - `file/`: [`File`], and `open_options.rs` its [`OpenOptions`].
//! - `dir.rs`: creating and removing directories, [`DirBuilder`]; `read_dir.rs`: listing
//!   them.
//! - `names.rs`: names and links ([`rename`], [`remove_file`], [`hard_link`], [`symlink`],
//!   [`read_link`], [`canonicalize`]); `metadata.rs`: what a name refers to.
//!
//! ```
//! # runtime::Runtime::new()?.block_on(async {
//! let dir = std::env::temp_dir().join(format!("runtime-fs-doc-{}", std::process::id()));
//! runtime::fs::create_dir_all(&dir).await?;
//! let path = dir.join("greeting.txt");
//!
//! runtime::fs::write(&path, "hello").await?;
//! assert_eq!(runtime::fs::read_to_string(&path).await?, "hello");
//! assert_eq!(runtime::fs::metadata(&path).await?.len(), 5);
//!
//! runtime::fs::remove_file(&path).await?;
//! assert!(runtime::fs::read(&path).await.is_err());
//! # std::fs::remove_dir(&dir)?;
//! # std::io::Result::Ok(())
//! # })?;
//! # std::io::Result::Ok(())
//! ```

mod contents;
mod dir;
mod file;
mod metadata;
mod names;
mod open_options;
mod read_dir;

use std::io;
use std::path::Path;

pub use contents::{copy, read, read_to_string, write};
pub use dir::{create_dir, create_dir_all, remove_dir, remove_dir_all, DirBuilder};
pub use file::File;
pub use metadata::{metadata, set_permissions, symlink_metadata, try_exists};
#[cfg(unix)]
pub use names::symlink;
pub use names::{canonicalize, hard_link, read_link, remove_file, rename};
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// Runs `op` on the blocking pool and waits for it.
async fn blocking<T, F>(op: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    // A join error (the runtime shutting down, or a panic in `std::fs`) becomes an I/O error.
    crate::spawn_blocking(op).await?
}

/// Runs `op` on the path on the blocking pool.
async fn on_path<T, F>(path: impl AsRef<Path>, op: F) -> io::Result<T>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let path = path.as_ref().to_owned();
    blocking(move || op(&path)).await
}

/// Runs `op` on two paths (a source and a destination) on the blocking pool.
async fn on_paths<T, F>(from: impl AsRef<Path>, to: impl AsRef<Path>, op: F) -> io::Result<T>
where
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    blocking(move || op(&from, &to)).await
}

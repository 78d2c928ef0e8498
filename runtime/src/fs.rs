//! Files, without blocking the event loop: each function runs its `std::fs` counterpart on the
//! blocking pool (see [`spawn_blocking`](crate::spawn_blocking)) and waits for it.
//!
//! Linux offers no readiness for regular files (epoll reports them always ready), so a file
//! operation either blocks a thread or goes through io_uring; this module takes the portable
//! way, as tokio's `fs` does. Each call costs a hand-off to another thread: read and write a
//! file whole rather than in small pieces.
//!
//! Dropping a returned future does not cancel the operation: it goes on to the end on its
//! thread.
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

use std::fs::Metadata;
use std::io;
use std::path::Path;

/// Runs `op` on the path on the blocking pool.
async fn on_blocking_pool<T, F>(path: impl AsRef<Path>, op: F) -> io::Result<T>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let path = path.as_ref().to_owned();
    // A join error (the runtime shutting down, or a panic in `std::fs`) becomes an I/O error.
    crate::spawn_blocking(move || op(&path)).await?
}

/// Reads a whole file into a vector of bytes; see [`std::fs::read`].
///
/// # Panics
///
/// Outside the runtime, as every function of this module.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_blocking_pool(path, |path| std::fs::read(path)).await
}

/// Reads a whole UTF-8 file into a string; see [`std::fs::read_to_string`].
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_blocking_pool(path, |path| std::fs::read_to_string(path)).await
}

/// Writes `contents` as the whole file, creating it if needed and truncating it if it
/// exists; see [`std::fs::write`].
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_owned();
    on_blocking_pool(path, move |path| std::fs::write(path, contents)).await
}

/// The metadata of a file or directory, following symbolic links; see [`std::fs::metadata`].
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_blocking_pool(path, |path| std::fs::metadata(path)).await
}

/// Creates a directory and every missing parent; see [`std::fs::create_dir_all`].
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_blocking_pool(path, |path| std::fs::create_dir_all(path)).await
}

/// Removes a file; see [`std::fs::remove_file`].
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_blocking_pool(path, |path| std::fs::remove_file(path)).await
}

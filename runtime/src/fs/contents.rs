//! Whole files in one call: read, written or copied by a single blocking task, the cheapest
//! way through the blocking pool.

use std::io;
use std::path::Path;

use super::{on_path, on_paths};

/// Reads a whole file into a vector of bytes; see [`std::fs::read`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-read-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("bytes"), [1, 2, 3]).await?;
/// assert_eq!(runtime::fs::read(dir.join("bytes")).await?, [1, 2, 3]);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Panics
///
/// Outside the runtime, as every function of this module.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path(path, |path| std::fs::read(path)).await
}

/// Reads a whole UTF-8 file into a string; see [`std::fs::read_to_string`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-read-to-string-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("text"), "hello").await?;
/// assert_eq!(runtime::fs::read_to_string(dir.join("text")).await?, "hello");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_path(path, |path| std::fs::read_to_string(path)).await
}

/// Writes `contents` as the whole file, creating it if needed and truncating it if it
/// exists; see [`std::fs::write`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-write-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("text"), "a longer text").await?;
/// runtime::fs::write(dir.join("text"), "short").await?;
/// assert_eq!(runtime::fs::read_to_string(dir.join("text")).await?, "short");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_owned();
    on_path(path, move |path| std::fs::write(path, contents)).await
}

/// Copies the contents and permissions of the file `from` to the file `to` (created or
/// truncated); returns the number of bytes copied. See [`std::fs::copy`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-copy-{}", std::process::id()));
/// # runtime::fs::create_dir_all(&dir).await?;
/// runtime::fs::write(dir.join("original"), "data").await?;
/// assert_eq!(runtime::fs::copy(dir.join("original"), dir.join("copy")).await?, 4);
/// assert_eq!(runtime::fs::read_to_string(dir.join("copy")).await?, "data");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    on_paths(from, to, |from, to| std::fs::copy(from, to)).await
}

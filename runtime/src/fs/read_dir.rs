//! [`read_dir`]: a directory's entries, read in batches on the blocking pool.
//!
//! Each hop to the pool reads up to [`BATCH`] entries (with their file types, which Linux
//! mostly gives with the names), so listing a large directory costs a hop per batch, not per
//! entry. The batch in flight owns the `std::fs::ReadDir` and gives it back with the entries.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::{blocking, on_path};
use crate::JoinHandle;

/// The most entries one blocking task reads.
const BATCH: usize = 32;

/// What a blocking task read: entries, and the stream if it has more.
type Batch = (VecDeque<io::Result<DirEntry>>, Option<std::fs::ReadDir>);

/// The entries of a directory, without `.` and `..`, in no particular order; see
/// [`std::fs::read_dir`].
///
/// ```
/// # runtime::Runtime::new()?.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-read-dir-{}", std::process::id()));
/// runtime::fs::create_dir_all(dir.join("sub")).await?;
/// runtime::fs::write(dir.join("file"), "data").await?;
///
/// let mut names = Vec::new();
/// let mut entries = runtime::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// names.sort();
/// assert_eq!(names, ["file", "sub"]);
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let std = on_path(path, |path| std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        ready: VecDeque::new(),
        std: Some(std),
        in_flight: None,
    })
}

/// The entries of a directory, returned by [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    /// Entries read and not yet returned.
    ready: VecDeque<io::Result<DirEntry>>,
    /// The stream while no batch is in flight; `None` once it has no more entries.
    std: Option<std::fs::ReadDir>,
    /// The blocking task reading the next batch, which owns the stream meanwhile.
    in_flight: Option<JoinHandle<Batch>>,
}

impl ReadDir {
    /// The next entry, or `None` after the last one.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-next-entry-{}", std::process::id()));
    /// runtime::fs::create_dir_all(&dir).await?;
    /// let mut entries = runtime::fs::read_dir(&dir).await?;
    /// assert!(entries.next_entry().await?.is_none());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` after the last one, `Pending` (with the
    /// task woken later) while a batch is being read. An error for one entry does not end
    /// the listing.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-poll-next-entry-{}", std::process::id()));
    /// runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("only"), "").await?;
    /// let mut entries = runtime::fs::read_dir(&dir).await?;
    /// let entry = poll_fn(|cx| entries.poll_next_entry(cx)).await?.unwrap();
    /// assert_eq!(entry.file_name(), "only");
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Poll::Ready(entry.map(Some));
            }
            if let Some(task) = &mut self.in_flight {
                let batch = ready!(Pin::new(task).poll(cx));
                self.in_flight = None;
                // A failed task took the stream with it: the listing ends after this error.
                (self.ready, self.std) = batch?;
                continue;
            }
            let Some(mut std) = self.std.take() else {
                return Poll::Ready(Ok(None));
            };
            self.in_flight = Some(crate::spawn_blocking(move || {
                let batch: VecDeque<_> = std.by_ref().take(BATCH).map(DirEntry::new).collect();
                let more = batch.len() == BATCH;
                (batch, more.then_some(std))
            }));
        }
    }
}

/// An entry of a directory, from [`ReadDir`]; see [`std::fs::DirEntry`].
#[derive(Debug)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// The type, read with the entry (`None` if that failed: asked again on demand).
    file_type: Option<FileType>,
}

impl DirEntry {
    /// Wraps an entry read by `std`, with its type (on the blocking pool).
    fn new(std: io::Result<std::fs::DirEntry>) -> io::Result<DirEntry> {
        let std = std?;
        Ok(DirEntry {
            file_type: std.file_type().ok(),
            std: Arc::new(std),
        })
    }

    /// The entry's full path: the directory's path given to [`read_dir`] joined with the
    /// entry's name.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-entry-path-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "").await?;
    /// let entry = runtime::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.path(), dir.join("file"));
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name in its directory.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-entry-name-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "").await?;
    /// let entry = runtime::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.file_name(), "file");
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number, from the directory itself.
    ///
    /// ```
    /// use std::os::unix::fs::MetadataExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-entry-ino-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "").await?;
    /// let entry = runtime::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.ino(), entry.metadata().await?.ino());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link; see
    /// [`std::fs::DirEntry::metadata`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-entry-metadata-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// runtime::fs::write(dir.join("file"), "12345").await?;
    /// let entry = runtime::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.metadata().await?.len(), 5);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        blocking(move || std.metadata()).await
    }

    /// The entry's type, not following a symbolic link; see
    /// [`std::fs::DirEntry::file_type`]. Usually known from the listing, without a hop to
    /// the blocking pool.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-entry-type-{}", std::process::id()));
    /// runtime::fs::create_dir_all(dir.join("sub")).await?;
    /// let entry = runtime::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert!(entry.file_type().await?.is_dir());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        blocking(move || std.file_type()).await
    }
}

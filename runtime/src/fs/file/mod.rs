//! [`File`]: an open file read, written and sought through the async I/O traits, each
//! operation on the blocking pool.
//!
//! The file is shared (an `Arc`) between the handle and the blocking task at work on it, and
//! its reads, writes and seeks go through the state machine in `state.rs`: one operation at a
//! time, a write done in the background, reads served from a buffer. The methods that take
//! `&self` and must see the file idle (`sync_all`, `set_len`, `try_clone`) hold an async mutex
//! around that state while they wait; the trait methods take `&mut self` and need no lock.
//! `io_traits.rs` implements both trait families on top, `buf.rs` is the buffer.

mod buf;
mod io_traits;
mod state;

use std::fmt;
use std::fs::{File as StdFile, Metadata, Permissions};
use std::io;
use std::path::Path;
use std::sync::Arc;

use futures_util::lock::Mutex;

use super::{blocking, OpenOptions};
use state::{Inner, DEFAULT_MAX_BUF_SIZE};

/// An open file, read and written with the async I/O traits: `futures_io`'s always, and
/// tokio's with the `tokio-io` feature (so `futures-util`'s `AsyncReadExt` or tokio's
/// `AsyncReadExt` give it `read`, `write_all`, `seek` and the rest). tokio's `fs::File`,
/// method for method.
///
/// Each operation runs on the blocking pool. A write returns as soon as its data is copied
/// into the file's buffer and finishes in the background: call `flush` (or
/// [`sync_all`](File::sync_all)) to wait for it and see its error. Dropping the file with a
/// write in flight lets the write finish on the pool, but its error is lost, so flush before
/// dropping a file written to. A write in flight when the runtime shuts down still runs, and
/// dropping the runtime waits for it, as in tokio.
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use runtime::fs::File;
///
/// # runtime::Runtime::new()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("runtime-fs-doc-file-{}", std::process::id()));
/// runtime::fs::create_dir_all(&dir).await?;
///
/// let mut file = File::create(dir.join("notes.txt")).await?;
/// file.write_all(b"buy milk").await?;
/// file.flush().await?;
///
/// let mut text = String::new();
/// File::open(dir.join("notes.txt")).await?.read_to_string(&mut text).await?;
/// assert_eq!(text, "buy milk");
/// # runtime::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(())
/// # })?;
/// # std::io::Result::Ok(())
/// ```
pub struct File {
    std: Arc<StdFile>,
    inner: Mutex<Inner>,
    max_buf_size: usize,
}

impl File {
    /// Opens a file to read; see [`std::fs::File::open`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// let err = runtime::fs::File::open("/no/such/file").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file to write, creating it if needed and truncating it if it exists; see
    /// [`std::fs::File::create`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("empty")).await?;
    /// assert_eq!(file.metadata().await?.len(), 0);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        options.open(path).await
    }

    /// Creates a new file to read and write, failing with
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it exists; see
    /// [`std::fs::File::create_new`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-create-new-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let path = dir.join("once");
    /// runtime::fs::File::create_new(&path).await?;
    /// let err = runtime::fs::File::create_new(&path).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        options.open(path).await
    }

    /// New [`OpenOptions`], to open a file some other way.
    ///
    /// ```
    /// use futures_util::AsyncWriteExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-options-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let path = dir.join("log");
    /// let mut log = runtime::fs::File::options().append(true).create(true).open(&path).await?;
    /// log.write_all(b"started\n").await?;
    /// log.flush().await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a standard file, to use it from tasks.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-from-std-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let std = std::fs::File::create(dir.join("file"))?;
    /// let file = runtime::fs::File::from_std(std);
    /// assert!(file.metadata().await?.is_file());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner::new()),
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// Waits for the write in flight, then flushes the data and metadata to the device; see
    /// [`std::fs::File::sync_all`].
    ///
    /// ```
    /// use futures_util::AsyncWriteExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-sync-all-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let mut file = runtime::fs::File::create(dir.join("durable")).await?;
    /// file.write_all(b"on disk").await?;
    /// file.sync_all().await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        self.on_std(|std| std.sync_all()).await
    }

    /// Like [`sync_all`](File::sync_all), without the metadata not needed to read the data
    /// back; see [`std::fs::File::sync_data`].
    ///
    /// ```
    /// use futures_util::AsyncWriteExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-sync-data-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let mut file = runtime::fs::File::create(dir.join("durable")).await?;
    /// file.write_all(b"on disk").await?;
    /// file.sync_data().await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn sync_data(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        self.on_std(|std| std.sync_data()).await
    }

    /// Waits for the write in flight, then truncates or extends the file to `size` bytes
    /// (zeros fill an extension); the cursor does not move. See [`std::fs::File::set_len`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-set-len-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("sparse")).await?;
    /// file.set_len(4096).await?;
    /// assert_eq!(file.metadata().await?.len(), 4096);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        inner.set_len(&self.std, size).await
    }

    /// The file's metadata; see [`std::fs::File::metadata`]. It does not wait for a write in
    /// flight.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-file-metadata-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// # runtime::fs::write(dir.join("five"), "12345").await?;
    /// let file = runtime::fs::File::open(dir.join("five")).await?;
    /// assert_eq!(file.metadata().await?.len(), 5);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.on_std(|std| std.metadata()).await
    }

    /// A second handle to the same open file (sharing its cursor), once the write in flight
    /// has finished; see [`std::fs::File::try_clone`].
    ///
    /// ```
    /// use futures_util::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-try-clone-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let mut file = runtime::fs::File::create(dir.join("shared")).await?;
    /// let mut clone = file.try_clone().await?;
    /// file.write_all(b"one ").await?;
    /// file.flush().await?;
    /// clone.write_all(b"two").await?;
    /// clone.flush().await?;
    /// assert_eq!(runtime::fs::read_to_string(dir.join("shared")).await?, "one two");
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await;
        let mut clone = File::from_std(self.on_std(|std| std.try_clone()).await?);
        clone.set_max_buf_size(self.max_buf_size);
        Ok(clone)
    }

    /// The standard file, once the operation in flight has finished. Data read ahead into the
    /// buffer is dropped, so the standard file's cursor may stand past what was read.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-into-std-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("file")).await?;
    /// let std: std::fs::File = file.into_std().await;
    /// assert!(std.metadata()?.is_file());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn into_std(mut self) -> StdFile {
        self.inner.get_mut().complete_inflight().await;
        let mut std = self.std;
        loop {
            // Another holder is a blocking task started by a future that was dropped
            // (`metadata`, `set_permissions`): it gives the file back when it returns.
            match Arc::try_unwrap(std) {
                Ok(std) => return std,
                Err(shared) => std = shared,
            }
            // Such a task may take long (a slow file system, a full pool): look again after a
            // millisecond rather than keep the loop busy.
            crate::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// The standard file, or this file back if an operation is in flight.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-try-into-std-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("file")).await?;
    /// let std = file.try_into_std().expect("nothing in flight");
    /// assert!(std.metadata()?.is_file());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    #[allow(clippy::result_large_err)] // tokio's signature
    pub fn try_into_std(self) -> Result<StdFile, File> {
        let File {
            std,
            inner,
            max_buf_size,
        } = self;
        Arc::try_unwrap(std).map_err(|std| File {
            std,
            inner,
            max_buf_size,
        })
    }

    /// Changes the file's permissions; see [`std::fs::File::set_permissions`].
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-file-set-permissions-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("file")).await?;
    /// let mut permissions = file.metadata().await?.permissions();
    /// permissions.set_readonly(true);
    /// file.set_permissions(permissions).await?;
    /// assert!(file.metadata().await?.permissions().readonly());
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.on_std(move |std| std.set_permissions(perm)).await
    }

    /// Sets the most one read asks the blocking pool for, and one write takes (2 MiB by
    /// default, as in tokio): larger means fewer hops to the pool for large transfers, and
    /// more memory per file.
    ///
    /// ```
    /// use futures_util::AsyncWriteExt;
    ///
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-max-buf-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let mut file = runtime::fs::File::create(dir.join("big")).await?;
    /// file.set_max_buf_size(8 * 1024 * 1024);
    /// assert_eq!(file.max_buf_size(), 8 * 1024 * 1024);
    /// file.write_all(&vec![7; 10 * 1024 * 1024]).await?; // in two writes
    /// file.flush().await?;
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.max_buf_size = max_buf_size;
    }

    /// The most one read asks for, or one write takes; see
    /// [`set_max_buf_size`](File::set_max_buf_size).
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("runtime-fs-doc-max-buf-size-{}", std::process::id()));
    /// # runtime::fs::create_dir_all(&dir).await?;
    /// let file = runtime::fs::File::create(dir.join("file")).await?;
    /// assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
    /// # runtime::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }

    /// Runs `op` on the standard file on the blocking pool.
    async fn on_std<T, F>(&self, op: F) -> io::Result<T>
    where
        F: FnOnce(&StdFile) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let std = Arc::clone(&self.std);
        blocking(move || op(&std)).await
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("std", &self.std).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::FromRawFd for File {
    /// Takes ownership of `fd`, an open file descriptor nothing else owns.
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> File {
        // SAFETY: the caller passes on `from_raw_fd`'s contract: `fd` is open and owned by
        // no one else.
        File::from_std(unsafe { StdFile::from_raw_fd(fd) })
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

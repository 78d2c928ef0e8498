//! `runtime::fs`: files written, read back, inspected and removed in a temporary directory.

mod support;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runtime::fs;
use support::bounded;

const LIMIT: Duration = Duration::from_secs(20);

/// A fresh directory under the system's temporary directory, removed with everything in it
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "runtime-fs-{test}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

rt_test! {
    async fn round_trip() {
        let dir = TempDir::new("round-trip");
        let nested = dir.path().join("a/b/c");
        bounded(LIMIT, fs::create_dir_all(&nested)).await.unwrap();
        assert!(bounded(LIMIT, fs::metadata(&nested)).await.unwrap().is_dir());

        let path = nested.join("data.bin");
        let bytes: Vec<u8> = (0..=255).cycle().take(100_000).collect();
        bounded(LIMIT, fs::write(&path, &bytes)).await.unwrap();
        assert_eq!(bounded(LIMIT, fs::read(&path)).await.unwrap(), bytes);
        let meta = bounded(LIMIT, fs::metadata(&path)).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), bytes.len() as u64);

        // `write` truncates.
        bounded(LIMIT, fs::write(&path, "short text")).await.unwrap();
        assert_eq!(bounded(LIMIT, fs::read_to_string(&path)).await.unwrap(), "short text");

        bounded(LIMIT, fs::remove_file(&path)).await.unwrap();
        let gone = bounded(LIMIT, fs::read(&path)).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);
        let gone = bounded(LIMIT, fs::remove_file(&path)).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);
    }
}

rt_test! {
    async fn errors_are_those_of_std() {
        let dir = TempDir::new("errors");
        bounded(LIMIT, fs::create_dir_all(dir.path())).await.unwrap();
        let path = dir.path().join("not-utf8");
        bounded(LIMIT, fs::write(&path, [0xff, 0xfe])).await.unwrap();
        let err = bounded(LIMIT, fs::read_to_string(&path)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let err = bounded(LIMIT, fs::metadata(dir.path().join("missing"))).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}

rt_test! {
    async fn many_files_from_many_tasks() {
        let dir = TempDir::new("many");
        bounded(LIMIT, fs::create_dir_all(dir.path())).await.unwrap();
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let path = dir.path().join(format!("file-{i}"));
                runtime::spawn(async move {
                    fs::write(&path, i.to_string()).await.unwrap();
                    fs::read_to_string(&path).await.unwrap()
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(bounded(LIMIT, task).await.unwrap(), i.to_string());
        }
    }
}

/// `len` bytes that differ from one offset to the next (a pattern 251 bytes long, a prime,
/// so no buffer size lines up with it).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A test's directory, created.
async fn temp_dir(test: &str) -> TempDir {
    let dir = TempDir::new(test);
    bounded(LIMIT, fs::create_dir_all(dir.path()))
        .await
        .unwrap();
    dir
}

/// Opens (creating it if needed) a file to read and write.
async fn open_read_write(path: &Path) -> fs::File {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true);
    options.open(path).await.unwrap()
}

rt_test! {
    async fn file_through_futures_io() {
        use futures_util::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        use std::io::SeekFrom;

        let dir = temp_dir("futures-io").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = fs::File::create_new(&path).await.unwrap();
            file.write_all(b"hello, ").await.unwrap();
            file.write_all(b"world").await.unwrap();
            assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "hello, world");

            assert_eq!(file.seek(SeekFrom::End(-5)).await.unwrap(), 7);
            file.write_all(b"there").await.unwrap();
            assert_eq!(file.seek(SeekFrom::Current(-12)).await.unwrap(), 0);
            let mut start = [0; 5];
            file.read_exact(&mut start).await.unwrap();
            assert_eq!(&start, b"hello");
            file.close().await.unwrap();
        })
        .await;
        assert_eq!(bounded(LIMIT, fs::read_to_string(&path)).await.unwrap(), "hello, there");
    }
}

rt_test! {
    async fn file_through_tokio_io() {
        use std::io::SeekFrom;
        use tokio::io::{AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWriteExt};

        let dir = temp_dir("tokio-io").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = open_read_write(&path).await;
            file.write_all(b"one two three").await.unwrap();
            file.rewind().await.unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).await.unwrap();
            assert_eq!(bytes, b"one two three");
            assert_eq!(file.stream_position().await.unwrap(), 13);

            // tokio's two-step seek, by hand: a second start while one is in flight fails.
            let mut pinned = std::pin::Pin::new(&mut file);
            pinned.as_mut().start_seek(SeekFrom::Start(4)).unwrap();
            assert!(pinned.as_mut().start_seek(SeekFrom::Start(0)).is_err());
            let pos = std::future::poll_fn(|cx| pinned.as_mut().poll_complete(cx)).await;
            assert_eq!(pos.unwrap(), 4);
            file.write_u8(b'2').await.unwrap();
            assert_eq!(file.read_u16().await.unwrap(), u16::from_be_bytes(*b"wo"));
            file.shutdown().await.unwrap();
        })
        .await;
        assert_eq!(bounded(LIMIT, fs::read_to_string(&path)).await.unwrap(), "one 2wo three");
    }
}

rt_test! {
    async fn vectored_writes_empty_reads_and_buffer_limits() {
        use futures_util::{AsyncReadExt, AsyncWriteExt, FutureExt};
        use std::io::IoSlice;

        let dir = temp_dir("limits").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = open_read_write(&path).await;
            let slices = [IoSlice::new(b"hello "), IoSlice::new(b""), IoSlice::new(b"world")];
            assert_eq!(file.write_vectored(&slices).await.unwrap(), 11);
            file.flush().await.unwrap();
            assert_eq!(fs::read_to_string(&path).await.unwrap(), "hello world");

            // One write takes, and one read gives, at most the limit.
            file.set_max_buf_size(1);
            assert_eq!(file.write(b"!!").await.unwrap(), 1);
            file.flush().await.unwrap();
            let mut file = fs::File::open(&path).await.unwrap();
            file.set_max_buf_size(1);
            let mut buf = [0; 16];
            assert_eq!(file.read(&mut buf).await.unwrap(), 1);

            // An empty read is ready at once, and is no end of file.
            assert!(matches!(file.read(&mut []).now_or_never(), Some(Ok(0))));
            file.set_max_buf_size(16);
            assert_eq!(file.read(&mut buf).await.unwrap(), 11);
            assert_eq!(&buf[..11], b"ello world!");
        })
        .await;
    }
}

rt_test! {
    async fn large_write_read_back() {
        use futures_util::{AsyncReadExt, AsyncWriteExt};

        let dir = temp_dir("large").await;
        let path = dir.path().join("large");
        // Several times the 2 MiB a write takes at once, and not a multiple of it.
        let bytes = pattern(5 * 1024 * 1024 + 123);
        bounded(LIMIT, async {
            let mut file = fs::File::create(&path).await.unwrap();
            file.write_all(&bytes).await.unwrap();
            file.flush().await.unwrap();
            assert_eq!(file.metadata().await.unwrap().len(), bytes.len() as u64);

            let mut back = Vec::new();
            let mut file = fs::File::open(&path).await.unwrap();
            file.read_to_end(&mut back).await.unwrap();
            assert!(back == bytes, "the file reads back as written");

            // Through a small buffer limit: many hops, the same bytes.
            let mut file = fs::File::open(&path).await.unwrap();
            file.set_max_buf_size(64 * 1024);
            let mut back = Vec::new();
            file.read_to_end(&mut back).await.unwrap();
            assert!(back == bytes, "the file reads back as written");
        })
        .await;
    }
}

rt_test! {
    async fn dropped_file_finishes_its_write() {
        use futures_util::AsyncWriteExt;

        let dir = temp_dir("drop").await;
        let path = dir.path().join("file");
        // More than one write takes: the last write is still in flight after `write_all`.
        let bytes = pattern(3 * 1024 * 1024);
        bounded(LIMIT, async {
            let mut file = fs::File::create(&path).await.unwrap();
            file.write_all(&bytes).await.unwrap();
            drop(file);
            // No flush: the write goes on in the background, and lands.
            while fs::metadata(&path).await.unwrap().len() < bytes.len() as u64 {
                runtime::time::sleep(Duration::from_millis(1)).await;
            }
            assert!(fs::read(&path).await.unwrap() == bytes);
        })
        .await;
    }
}

rt_test! {
    async fn seek_and_write_after_read_ahead() {
        use futures_util::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        use std::io::SeekFrom;

        let dir = temp_dir("read-ahead").await;
        let path = dir.path().join("file");
        let bytes = pattern(100);
        bounded(LIMIT, fs::write(&path, &bytes)).await.unwrap();
        bounded(LIMIT, async {
            // A read of 64 bytes abandoned while in flight leaves them in the buffer for the
            // next reads, with the file's cursor at 64. Whether it is still in flight at its
            // first poll is up to the threads: open the file until it is.
            let mut file = loop {
                let mut file = open_read_write(&path).await;
                let mut big = [0; 64];
                let mut abandoned = file.read(&mut big);
                let in_flight = support::is_pending_once(&mut abandoned).await;
                drop(abandoned);
                if in_flight {
                    break file;
                }
            };

            let mut small = [0; 10];
            file.read_exact(&mut small).await.unwrap();
            assert_eq!(small[..], bytes[..10]);
            assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 10);
            assert_eq!(file.seek(SeekFrom::Current(-5)).await.unwrap(), 5);
            file.read_exact(&mut small).await.unwrap();
            assert_eq!(small[..], bytes[5..15]);

            // A write after a partial read lands where the caller stands, not past the
            // data read ahead.
            file.read_exact(&mut small[..1]).await.unwrap();
            file.write_all(b"XY").await.unwrap();
            file.flush().await.unwrap();
            let mut expected = bytes.clone();
            expected[16..18].copy_from_slice(b"XY");
            assert_eq!(fs::read(&path).await.unwrap(), expected);
        })
        .await;
    }
}

rt_test! {
    async fn set_len_truncates_and_extends() {
        use futures_util::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        use std::io::SeekFrom;

        let dir = temp_dir("set-len").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = open_read_write(&path).await;
            file.write_all(&pattern(100)).await.unwrap();
            // No flush: `set_len` waits for the write in flight.
            file.set_len(10).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().len(), 10);
            file.set_len(20).await.unwrap();
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut back = Vec::new();
            file.read_to_end(&mut back).await.unwrap();
            let mut expected = pattern(10);
            expected.resize(20, 0);
            assert_eq!(back, expected);
        })
        .await;
    }
}

rt_test! {
    async fn append_writes_at_the_end() {
        use futures_util::{AsyncSeekExt, AsyncWriteExt};
        use std::io::SeekFrom;

        let dir = temp_dir("append").await;
        let path = dir.path().join("log");
        bounded(LIMIT, async {
            fs::write(&path, "one\n").await.unwrap();
            let mut file = fs::OpenOptions::new().append(true).open(&path).await.unwrap();
            file.write_all(b"two\n").await.unwrap();
            // Appending ignores the cursor.
            file.seek(SeekFrom::Start(0)).await.unwrap();
            file.write_all(b"three\n").await.unwrap();
            file.sync_all().await.unwrap();
            assert_eq!(fs::read_to_string(&path).await.unwrap(), "one\ntwo\nthree\n");
        })
        .await;
    }
}

rt_test! {
    async fn open_errors() {
        use futures_util::{AsyncReadExt, AsyncWriteExt};

        let dir = temp_dir("open-errors").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let err = fs::File::open(&path).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);

            fs::File::create_new(&path).await.unwrap();
            let err = fs::File::create_new(&path).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
            let err = fs::OpenOptions::new().write(true).create_new(true).open(&path).await;
            assert_eq!(err.unwrap_err().kind(), ErrorKind::AlreadyExists);

            // A write to a file opened only to read fails on the pool: the error comes back
            // from the flush, and the file goes on working.
            let mut file = fs::File::open(&path).await.unwrap();
            file.write_all(b"data").await.unwrap();
            assert!(file.flush().await.is_err());
            file.flush().await.unwrap();
            // Or from the next write.
            file.write_all(b"data").await.unwrap();
            assert!(file.write(b"more").await.is_err());
            file.flush().await.unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "");

            // Reading a directory fails, again and again, without harm to the handle.
            let mut handle = fs::File::open(dir.path()).await.unwrap();
            let mut buf = [0; 16];
            assert!(handle.read(&mut buf).await.is_err());
            assert!(handle.read(&mut buf).await.is_err());
            assert!(handle.metadata().await.unwrap().is_dir());
        })
        .await;
    }
}

rt_test! {
    async fn file_conversions() {
        use futures_util::{AsyncReadExt, AsyncWriteExt};
        use std::io::Read;
        use std::os::fd::{FromRawFd, IntoRawFd};

        let dir = temp_dir("conversions").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = fs::File::create(&path).await.unwrap();
            let mut clone = file.try_clone().await.unwrap();
            file.write_all(b"ab").await.unwrap();
            file.flush().await.unwrap();
            // Nothing in flight after the flush: the standard file comes out at once.
            drop(file.try_into_std().unwrap());
            clone.write_all(b"cd").await.unwrap();
            let std = clone.into_std().await;
            std.sync_all().unwrap();
            // Both handles share one cursor: the second write follows the first.
            assert_eq!(fs::read_to_string(&path).await.unwrap(), "abcd");

            let mut file = fs::File::from_std(std::fs::File::open(&path).unwrap());
            let mut two = [0; 2];
            file.read_exact(&mut two).await.unwrap();
            let mut std = file.into_std().await;
            let mut c = [0; 1];
            std.read_exact(&mut c).unwrap();
            assert_eq!(&c, b"c");

            let fd = std.into_raw_fd();
            // SAFETY: `into_raw_fd` gave up the descriptor, which nothing else owns.
            let mut file = unsafe { fs::File::from_raw_fd(fd) };
            let mut rest = String::new();
            file.read_to_string(&mut rest).await.unwrap();
            assert_eq!(rest, "d");
        })
        .await;
    }
}

rt_test! {
    async fn read_dir_lists_every_entry() {
        let dir = temp_dir("read-dir").await;
        bounded(LIMIT, async {
            // More entries than one batch reads.
            let mut expected: Vec<String> = (0..100).map(|i| format!("file-{i:03}")).collect();
            for name in &expected {
                fs::write(dir.path().join(name), name).await.unwrap();
            }
            fs::create_dir(dir.path().join("sub")).await.unwrap();
            expected.push("sub".to_owned());

            let mut names = Vec::new();
            let mut entries = fs::read_dir(dir.path()).await.unwrap();
            while let Some(entry) = entries.next_entry().await.unwrap() {
                let name = entry.file_name().into_string().unwrap();
                assert_eq!(entry.path(), dir.path().join(&name));
                let file_type = entry.file_type().await.unwrap();
                assert_eq!(file_type.is_dir(), name == "sub");
                let metadata = entry.metadata().await.unwrap();
                assert_eq!(metadata.is_dir(), name == "sub");
                assert_eq!(entry.ino(), std::os::unix::fs::MetadataExt::ino(&metadata));
                names.push(name);
            }
            // The end stays the end.
            assert!(entries.next_entry().await.unwrap().is_none());
            names.sort();
            assert_eq!(names, expected);

            let err = fs::read_dir(dir.path().join("missing")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        })
        .await;
    }
}

rt_test! {
    async fn names_and_links() {
        let dir = temp_dir("names").await;
        let at = |name: &str| dir.path().join(name);
        bounded(LIMIT, async {
            fs::write(at("a"), "contents").await.unwrap();

            fs::rename(at("a"), at("b")).await.unwrap();
            assert!(!fs::try_exists(at("a")).await.unwrap());
            assert_eq!(fs::copy(at("b"), at("c")).await.unwrap(), 8);
            assert_eq!(fs::read_to_string(at("c")).await.unwrap(), "contents");

            fs::hard_link(at("b"), at("hard")).await.unwrap();
            fs::write(at("b"), "changed").await.unwrap();
            assert_eq!(fs::read_to_string(at("hard")).await.unwrap(), "changed");
            assert_eq!(fs::read_to_string(at("c")).await.unwrap(), "contents");
            // A hard link is no symbolic link.
            let err = fs::read_link(at("hard")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);

            // A copy takes the permissions along.
            let mut readonly = fs::metadata(at("c")).await.unwrap().permissions();
            readonly.set_readonly(true);
            fs::set_permissions(at("c"), readonly.clone()).await.unwrap();
            fs::copy(at("c"), at("d")).await.unwrap();
            assert_eq!(fs::metadata(at("d")).await.unwrap().permissions(), readonly);

            fs::symlink("b", at("soft")).await.unwrap();
            assert_eq!(fs::read_link(at("soft")).await.unwrap(), Path::new("b"));
            assert_eq!(fs::read_to_string(at("soft")).await.unwrap(), "changed");
            assert!(fs::symlink_metadata(at("soft")).await.unwrap().file_type().is_symlink());
            assert!(fs::metadata(at("soft")).await.unwrap().is_file());
            let canonical = fs::canonicalize(at("soft")).await.unwrap();
            assert_eq!(canonical, fs::canonicalize(at("b")).await.unwrap());
            assert!(canonical.is_absolute());

            // A dangling link exists as a name, not as a file.
            fs::remove_file(at("b")).await.unwrap();
            assert!(!fs::try_exists(at("soft")).await.unwrap());
            assert!(fs::symlink_metadata(at("soft")).await.is_ok());
            let err = fs::canonicalize(at("soft")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);

            for err in [
                fs::rename(at("missing"), at("x")).await,
                fs::copy(at("missing"), at("x")).await.map(drop),
                fs::hard_link(at("missing"), at("x")).await,
                fs::read_link(at("missing")).await.map(drop),
                fs::symlink_metadata(at("missing")).await.map(drop),
            ] {
                assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);
            }
            let err = fs::symlink("anything", at("c")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        })
        .await;
    }
}

rt_test! {
    async fn directories() {
        use std::os::unix::fs::PermissionsExt;

        let dir = temp_dir("dirs").await;
        let at = |name: &str| dir.path().join(name);
        bounded(LIMIT, async {
            fs::create_dir(at("one")).await.unwrap();
            let err = fs::create_dir(at("one")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
            let err = fs::create_dir(at("no/parent")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);

            let err = fs::DirBuilder::new().create(at("a/b")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true).mode(0o700);
            builder.create(at("a/b")).await.unwrap();
            builder.create(at("a/b")).await.unwrap();
            let err = fs::DirBuilder::new().create(at("a/b")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
            let mode = fs::metadata(at("a/b")).await.unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);

            fs::write(at("a/b/file"), "data").await.unwrap();
            fs::symlink(at("one"), at("a/link")).await.unwrap();
            fs::write(at("one/kept"), "kept").await.unwrap();
            let err = fs::remove_dir(at("a")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
            // Removes the tree, not what its links point to.
            fs::remove_dir_all(at("a")).await.unwrap();
            assert!(!fs::try_exists(at("a")).await.unwrap());
            assert!(fs::try_exists(at("one/kept")).await.unwrap());
            let err = fs::remove_dir_all(at("a")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);

            fs::remove_file(at("one/kept")).await.unwrap();
            fs::remove_dir(at("one")).await.unwrap();
            let err = fs::remove_dir(at("one")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        })
        .await;
    }
}

rt_test! {
    async fn permissions() {
        use std::os::unix::fs::PermissionsExt;

        let dir = temp_dir("permissions").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .mode(0o640)
                .open(&path)
                .await
                .unwrap();
            let mode = |metadata: std::fs::Metadata| metadata.permissions().mode() & 0o777;
            // The umask may only take bits away.
            assert_eq!(mode(file.metadata().await.unwrap()) & !0o640, 0);

            fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await.unwrap();
            assert_eq!(mode(fs::metadata(&path).await.unwrap()), 0o600);
            file.set_permissions(std::fs::Permissions::from_mode(0o444)).await.unwrap();
            assert!(fs::metadata(&path).await.unwrap().permissions().readonly());

            let err = fs::set_permissions(dir.path().join("missing"), std::fs::Permissions::from_mode(0o600));
            assert_eq!(err.await.unwrap_err().kind(), ErrorKind::NotFound);
        })
        .await;
    }
}

rt_test! {
    async fn try_exists_tells_missing_from_unknown() {
        let dir = temp_dir("try-exists").await;
        bounded(LIMIT, async {
            assert!(fs::try_exists(dir.path()).await.unwrap());
            assert!(!fs::try_exists(dir.path().join("missing")).await.unwrap());
            // A path through a file cannot exist, and says so with an error.
            fs::write(dir.path().join("file"), "").await.unwrap();
            let err = fs::try_exists(dir.path().join("file/below")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotADirectory);
        })
        .await;
    }
}

#[test]
fn types_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    support::rt(1).block_on(async {
        let dir = temp_dir("send-sync").await;
        let file = fs::File::create(dir.path().join("file")).await.unwrap();
        send_sync(&file);
        send(&file.sync_all());
        send(&file.set_len(0));
        send(&file.try_clone());
        send_sync(&fs::OpenOptions::new());
        send_sync(&fs::DirBuilder::new());
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
        send(&entries.next_entry());
        send_sync(&entries);
        let entry = entries.next_entry().await.unwrap().unwrap();
        send_sync(&entry);
        send(&entry.metadata());
    });
}

/// A write the pool has not started when the runtime is dropped still lands, as in tokio (its
/// "mandatory" blocking tasks): `write` returned `Ok`, so the data must reach the file.
#[test]
fn a_write_queued_at_shutdown_still_lands() {
    use futures_util::AsyncWriteExt;
    use std::sync::mpsc;

    /// Lets the blocking closure that holds the pool's only thread return, once dropped.
    struct ReleaseOnDrop(mpsc::Sender<()>);
    impl Drop for ReleaseOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    let dir = TempDir::new("queued-at-shutdown");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("file");
    let bytes = pattern(64 * 1024);
    let rt = runtime::Builder::new()
        .workers(1)
        .pin_workers(false)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (release, released) = mpsc::channel::<()>();
    let file = rt.block_on(async {
        let mut file = fs::File::create(&path).await.unwrap();
        // The pool's only thread waits for a task that shutdown drops: shutdown first leaves
        // the pool (dropping what may be dropped), then drops that task, so the write below is
        // still queued when the pool shuts down, whatever the timing.
        let busy = runtime::spawn_blocking(move || released.recv());
        let guard = ReleaseOnDrop(release);
        runtime::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        file.write_all(&bytes).await.unwrap();
        drop(busy);
        file
    });
    drop(rt);
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "the queued write was dropped"
    );
    drop(file);

    // And with no thread held up: write, then drop the runtime at once.
    let rt = support::rt(1);
    let bytes = pattern(3 * 1024 * 1024);
    rt.block_on(async {
        let mut file = fs::File::create(&path).await.unwrap();
        file.write_all(&bytes).await.unwrap();
    });
    drop(rt);
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "a write was dropped at shutdown"
    );
}

rt_test! {
    async fn open_options_take_effect() {
        use futures_util::AsyncReadExt;

        let dir = temp_dir("open-options").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            fs::write(&path, "old contents").await.unwrap();
            // Without `truncate`, a write goes over what is there.
            let mut options = fs::OpenOptions::new();
            options.write(true);
            assert!(format!("{options:?}").contains("write: true"));
            drop(options.open(&path).await.unwrap());
            assert_eq!(fs::read_to_string(&path).await.unwrap(), "old contents");

            options.truncate(true);
            drop(options.open(&path).await.unwrap());
            assert_eq!(fs::metadata(&path).await.unwrap().len(), 0);

            // Flags passed through to open(2) as they are.
            fs::write(&path, "more contents").await.unwrap();
            let mut options = fs::OpenOptions::new();
            options.write(true).custom_flags(libc::O_TRUNC);
            drop(options.open(&path).await.unwrap());
            assert_eq!(fs::metadata(&path).await.unwrap().len(), 0);

            // And std's options, converted.
            fs::write(&path, "from std").await.unwrap();
            let mut std_options = std::fs::OpenOptions::new();
            std_options.read(true);
            let mut file = fs::OpenOptions::from(std_options).open(&path).await.unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "from std");
        })
        .await;
    }
}

rt_test! {
    async fn a_directory_made_read_only_by_its_builder() {
        let dir = temp_dir("dir-read-only").await;
        let path = dir.path().join("read-only");
        bounded(LIMIT, async {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true).mode(0o444);
            builder.create(&path).await.unwrap();
            assert!(fs::metadata(&path).await.unwrap().permissions().readonly());
        })
        .await;
    }
}

rt_test! {
    async fn metadata_and_canonical_paths_are_those_of_std() {
        use std::os::unix::fs::MetadataExt;

        let dir = temp_dir("metadata").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            fs::write(&path, "hello world...").await.unwrap();
            let ours = fs::metadata(&path).await.unwrap();
            let std = std::fs::metadata(&path).unwrap();
            assert_eq!(ours.len(), std.len());
            assert_eq!(ours.modified().unwrap(), std.modified().unwrap());
            assert_eq!((ours.ino(), ours.uid()), (std.ino(), std.uid()));

            assert_eq!(fs::canonicalize("/.").await.unwrap(), Path::new("/"));
            let dotted = dir.path().join(".").join("file");
            assert_eq!(fs::canonicalize(dotted).await.unwrap(), std::fs::canonicalize(&path).unwrap());
        })
        .await;
    }
}

rt_test! {
    async fn vectored_write_then_shutdown_and_rewind_past_the_end() {
        use std::io::{IoSlice, SeekFrom};
        use tokio::io::{AsyncSeekExt, AsyncWriteExt};

        let dir = temp_dir("vectored-shutdown").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let mut file = fs::File::create(&path).await.unwrap();
            let slices = [IoSlice::new(b"hello "), IoSlice::new(b"hello ")];
            assert_eq!(file.write_vectored(&slices).await.unwrap(), 12);
            // No flush: `shutdown` waits for the write in flight.
            file.shutdown().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"hello hello ");

            // A seek past the end, then back.
            assert_eq!(file.seek(SeekFrom::End(10)).await.unwrap(), 22);
            file.rewind().await.unwrap();
            assert_eq!(file.stream_position().await.unwrap(), 0);
        })
        .await;
    }
}

rt_test! {
    async fn file_debug_and_raw_descriptor() {
        use std::os::fd::{AsFd, AsRawFd};

        let dir = temp_dir("debug-fd").await;
        let path = dir.path().join("file");
        bounded(LIMIT, async {
            let file = fs::File::create(&path).await.unwrap();
            assert!(format!("{file:?}").starts_with("File { std: File { fd: "));
            assert!(file.as_raw_fd() > 0);
            assert_eq!(file.as_fd().as_raw_fd(), file.as_raw_fd());
            let from_std = fs::File::from(std::fs::File::open(&path).unwrap());
            assert_ne!(from_std.as_raw_fd(), file.as_raw_fd());
        })
        .await;
    }
}

rt_test! {
    async fn a_task_reading_a_file_in_a_loop_lets_others_run() {
        use futures_util::{AsyncReadExt, AsyncSeekExt};
        use std::io::SeekFrom;

        let dir = temp_dir("read-loop").await;
        let path = dir.path().join("file");
        bounded(LIMIT, fs::write(&path, "hello world...")).await.unwrap();
        // On one worker too, the loop gives way: each read and seek waits for the pool.
        let reader = runtime::spawn(async move {
            let mut file = fs::File::open(&path).await.unwrap();
            let mut buf = [0; 1024];
            loop {
                let _ = file.read(&mut buf).await.unwrap();
                file.seek(SeekFrom::Start(0)).await.unwrap();
            }
        });
        for i in 0..10 {
            assert_eq!(bounded(LIMIT, runtime::spawn(async move { i })).await.unwrap(), i);
        }
        reader.abort();
        assert!(bounded(LIMIT, reader).await.unwrap_err().is_cancelled());
    }
}

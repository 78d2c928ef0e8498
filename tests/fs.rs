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

/// A test's directory, created.
async fn temp_dir(test: &str) -> TempDir {
    let dir = TempDir::new(test);
    bounded(LIMIT, fs::create_dir_all(dir.path()))
        .await
        .unwrap();
    dir
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
            fs::write(&path, "").await.unwrap();
            let mode = |metadata: std::fs::Metadata| metadata.permissions().mode() & 0o777;
            fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await.unwrap();
            assert_eq!(mode(fs::metadata(&path).await.unwrap()), 0o600);
            fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).await.unwrap();
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

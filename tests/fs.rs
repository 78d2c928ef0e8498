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

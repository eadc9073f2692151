//! WordPress move-in and move-out: imports over the real CLI into a real database,
//! then the public pages, the stored rows and the redirects over HTTP; export and
//! round trips.

mod disqus;
mod export;
mod featured;
mod formats;
mod hostile;
pub(crate) mod import;
mod links;
mod media;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

use crate::db::TestDb;
use crate::helpers::{Spawn, TestApp, spawn_with};

/// A fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress").join(name)
}

/// What a run of the `hewn` binary printed.
pub struct Run {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real `hewn` binary with `args` against the database at URL `db`.
pub fn hewn(db: &str, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(args)
        .args(["--database-url", db])
        .env("HEWN_LOG", "warn")
        .env_remove("HEWN_BASE_URL")
        .env_remove("HEWN_NO_DEMO")
        .output()
        .unwrap();
    Run {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the real `hewn` binary with `args` against the SQLite file `db`.
pub fn hewn_file(db: &Path, args: &[&str]) -> Run {
    hewn(&format!("sqlite://{}", db.display()), args)
}

/// The database URL of a test directory (the one `spawn_with` serves): its SQLite
/// file, or on PostgreSQL a fresh database remembered in the directory.
pub fn db_of(dir: &TempDir) -> String {
    let dir = dir.path().to_owned();
    let test = crate::backend::this_test();
    // Tests call this from async code; the database is made on a runtime of its own.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(crate::backend::fresh_url_for(&dir, test))
    })
    .join()
    .unwrap()
}

/// Imports a fixture into the directory's database, asserting success.
pub fn import(dir: &TempDir, name: &str, extra: &[&str]) -> Run {
    let file = fixture(name);
    let mut args = vec!["import", "wordpress", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = hewn(&db_of(dir), &args);
    assert!(run.success, "import of {name} failed:\n{}\n{}", run.stdout, run.stderr);
    run
}

/// Imports the file `file` into the directory's database, asserting success.
pub fn import_file(dir: &TempDir, file: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["import", "wordpress", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = hewn(&db_of(dir), &args);
    assert!(run.success, "import of {} failed:\n{}\n{}", file.display(), run.stdout, run.stderr);
    run
}

/// The uploads folder fixture, as a `--uploads` value.
pub fn uploads() -> String {
    fixture("uploads").to_str().unwrap().to_owned()
}

/// Serves the directory's database (no demo post).
pub async fn serve(dir: TempDir) -> TestApp {
    spawn_with(Spawn { dir: Some(dir), no_demo: true, ..Spawn::default() }).await
}

/// A connection to the database at URL `db`, for checking stored rows (read-only
/// on SQLite).
pub async fn open(db: &str) -> TestDb {
    match db.strip_prefix("sqlite://") {
        Some(path) => TestDb::sqlite_read_only(Path::new(path)).await,
        None => TestDb::open(db).await,
    }
}

/// The data version and the number of rows of every table the import writes.
pub async fn snapshot(db: &str) -> Vec<(String, i64)> {
    let mut conn = open(db).await;
    let mut out = Vec::new();
    let version: i64 = conn.scalar("select version from site_state", &[]).await;
    out.push(("version".to_owned(), version));
    for table in ["posts", "comments", "tags", "post_tags", "legacy_links", "media", "settings"] {
        let n: i64 = conn.scalar(&format!("select count(*) from {table}"), &[]).await;
        out.push((table.to_owned(), n));
    }
    conn.close().await;
    out
}

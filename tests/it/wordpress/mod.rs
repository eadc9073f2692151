//! WordPress move-in and move-out: imports over the real CLI into a real database,
//! then the public pages, the stored rows and the redirects over HTTP; export and
//! round trips.

mod disqus;
mod export;
mod formats;
mod hostile;
mod import;
mod links;

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

/// Runs the real `hewn` binary with `args` against the database `db`.
pub fn hewn(db: &Path, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(args)
        .args(["--database-url", &format!("sqlite://{}", db.display())])
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

/// The database file of a test directory (the one `spawn_with` serves).
pub fn db_of(dir: &TempDir) -> PathBuf {
    dir.path().join("hewn.db")
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

/// A read-only connection to a database file, for checking stored rows.
pub async fn open(db: &Path) -> TestDb {
    TestDb::sqlite_read_only(db).await
}

/// The data version and the number of rows of every table the import writes.
pub async fn snapshot(db: &Path) -> Vec<(String, i64)> {
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

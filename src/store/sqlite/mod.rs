//! What only SQLite has: opening the file with its pragmas, the write lock taken
//! up front, its busy codes, and (in the submodules) full-text search with FTS5,
//! `VACUUM INTO` backups, the WAL-index probe and the import's attached staging file.

pub mod backup;
pub mod search;

use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::BUSY_TIMEOUT;
use crate::config::{DatabaseConfig, Synchronous};

/// Readers per CPU; SQLite readers are cheap and mostly wait on nothing.
const READERS_PER_CPU: u32 = 2;
const MIN_READERS: u32 = 4;

/// IMMEDIATE takes the write lock up front: with several processes on one file, a
/// deferred transaction could fail to upgrade instead of waiting its turn.
pub(super) const BEGIN_WRITE: &str = "begin immediate";

/// SQLite's result codes for "locked by someone else": BUSY, LOCKED, and their
/// extended forms BUSY_SNAPSHOT and LOCKED_SHAREDCACHE.
pub(super) const BUSY_CODES: [&str; 4] = ["5", "6", "517", "261"];

/// Opens the database file (creating it if missing) in WAL mode: a pool of
/// read-only connections and the single writer.
pub(super) async fn open(config: &DatabaseConfig) -> anyhow::Result<(SqlitePool, SqlitePool)> {
    let synchronous = match config.synchronous {
        Synchronous::Normal => SqliteSynchronous::Normal,
        Synchronous::Full => SqliteSynchronous::Full,
    };
    let base = SqliteConnectOptions::from_str(&config.url)
        .with_context(|| format!("reading database URL {}", config.url))?
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .synchronous(synchronous)
        .pragma("temp_store", "memory");

    let writer_opts = base.clone().create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
    // No idle timeout or lifetime (nothing to recycle on a local file): sqlx 0.8.6's
    // maintenance task for them can spin a thread for ever (a race on its idle count).
    let write = SqlitePoolOptions::new()
        .idle_timeout(None)
        .max_lifetime(None)
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(BUSY_TIMEOUT * 2)
        .connect_with(writer_opts)
        .await
        .with_context(|| format!("opening database {}", config.url))?;

    let cpus = std::thread::available_parallelism().map_or(2, |n| u32::try_from(n.get()).unwrap_or(2));
    let read = SqlitePoolOptions::new()
        .idle_timeout(None)
        .max_lifetime(None)
        .max_connections((cpus * READERS_PER_CPU).max(MIN_READERS))
        .acquire_timeout(BUSY_TIMEOUT * 2)
        .connect_with(base.read_only(true))
        .await
        .with_context(|| format!("opening database {} for reading", config.url))?;
    Ok((read, write))
}

/// The database's WAL index (the `-shm` file), whose header SQLite changes on every
/// commit, by any process: one `pread` tells whether anything committed.
#[derive(Debug)]
pub struct WalIndex(std::fs::File);

impl WalIndex {
    /// The WAL index of the database at `url`, if it is a SQLite file that has one.
    pub fn open(url: &str) -> Option<Self> {
        let path = file_path(url)?;
        std::fs::File::open(format!("{path}-shm")).ok().map(Self)
    }

    /// The 96-byte header (both copies: while a writer updates them they differ, and
    /// then `None` is answered, which counts as a change).
    pub fn header(&self) -> Option<[u8; 96]> {
        use std::os::unix::fs::FileExt;
        let mut header = [0u8; 96];
        self.0.read_exact_at(&mut header, 0).ok()?;
        let (first, second) = header.split_at(48);
        (first == second).then_some(header)
    }
}

/// The file path in a `sqlite://PATH?options` URL.
pub fn file_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_paths_come_out_of_sqlite_urls() {
        assert_eq!(file_path("sqlite://hewn.db"), Some("hewn.db"));
        assert_eq!(file_path("sqlite:///var/lib/hewn/db.sqlite?mode=rwc"), Some("/var/lib/hewn/db.sqlite"));
        assert_eq!(file_path("sqlite::memory:"), None);
        assert_eq!(file_path("postgres://x"), None);
    }
}

//! The store: the only code that speaks SQL. SQLite today, written portably
//! (`$N` placeholders, integer times, text enumerations) for a PostgreSQL backend.
//!
//! SQLite runs in WAL mode with one writer connection and a pool of readers, so
//! reads never wait for writes and writes never fight each other for the lock.

pub mod archive;
pub mod backup;
pub mod comments;
pub mod demo;
pub mod editor;
pub mod export;
pub mod feeds;
pub mod freshness;
pub mod import;
pub mod import_plan;
pub mod legacy;
pub mod media;
pub mod moderation;
pub mod pages;
pub mod posts;
pub mod search;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod site;
pub mod staging;
pub mod submissions;
pub mod tags;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::config::{DatabaseConfig, Synchronous};
use crate::domain::clock::Clock;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Readers per CPU; SQLite readers are cheap and mostly wait on nothing.
const READERS_PER_CPU: u32 = 2;
const MIN_READERS: u32 = 4;

/// Handle to the database: cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    read: SqlitePool,
    writer: Writer,
    /// Comment submissions waiting to be committed together (see `submissions`).
    pub(crate) submissions: submissions::Queue,
    /// The data generation, read cheaply (see `freshness`).
    freshness: Arc<freshness::Freshness>,
    /// Where this store, and the app serving it, read the time.
    clock: Clock,
}

/// The single writer connection, and the count of what it committed.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    pool: SqlitePool,
    /// Write transactions committed through this writer: caches compare it so that
    /// their own process's writes invalidate them without reading anything.
    writes: Arc<AtomicU64>,
}

impl Writer {
    /// Starts a write transaction (see [`Store::begin_write`]).
    pub(crate) async fn begin(&self) -> Result<WriteTx> {
        // IMMEDIATE takes the write lock up front: with several processes on one file,
        // a deferred transaction could fail to upgrade instead of waiting its turn.
        let tx = self.pool.begin_with("begin immediate").await?;
        Ok(WriteTx { tx, writes: Arc::clone(&self.writes) })
    }
}

/// A failure inside the store, kept opaque to handlers.
pub type Result<T> = std::result::Result<T, sqlx::Error>;

impl Store {
    /// Opens (creating if missing) the database described by `config`.
    pub async fn open(config: &DatabaseConfig) -> anyhow::Result<Self> {
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
        let writer = Writer { pool: write, writes: Arc::new(AtomicU64::new(0)) };
        let freshness = Arc::new(freshness::Freshness::new(&config.url));
        Ok(Self { read, writer, submissions: submissions::Queue::default(), freshness, clock: Clock::system() })
    }

    /// This store reading the time from `clock` (tests pass a settable one).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock this store reads the time from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current time as unix seconds (UTC), from this store's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.read.close().await;
        self.writer.pool.close().await;
    }

    /// How many write transactions this store has committed.
    pub fn local_writes(&self) -> u64 {
        self.writer.writes.load(Ordering::Acquire)
    }

    /// True when the database answers a trivial query.
    pub async fn is_healthy(&self) -> bool {
        sqlx::query_scalar::<_, i64>("select 1").fetch_one(&self.read).await.is_ok()
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// Starts a write transaction on the single writer connection (see
    /// [`WriteTx::commit`]).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        self.writer.begin().await
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }
}

/// An open write transaction on the single writer connection.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    writes: Arc<AtomicU64>,
}

impl WriteTx {
    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }

    /// Commits. Returns once SQLite has the commit in its write-ahead log: from then
    /// on a killed process cannot lose it. The site's data version moves with the
    /// commit if, and only if, it changed something a reader can see: triggers on
    /// the public tables bump it (migration 0009), whoever writes.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.writes.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

/// Brings the schema up to date and, on the very first start, records the
/// initialisation and inserts the demo content (unless `demo` is false).
pub async fn init(store: &Store, demo: bool) -> anyhow::Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(&store.writer.pool).await.context("running database migrations")?;
    demo::initialise_once(store, demo).await.context("initialising the database")?;
    secret::ensure(store).await.context("creating the site secret")?;
    Ok(())
}

/// `text` with the `like` wildcards (`%`, `_`) and the escape character itself
/// escaped, for a pattern used with `like ... escape '\\'`.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Helpers for the store's own tests: a fresh database and query plans.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;
    use crate::config::{DatabaseConfig, Synchronous};

    /// A bound parameter for [`plan`].
    pub enum Param<'a> {
        Int(i64),
        Text(&'a str),
    }

    /// A migrated, empty database in a temporary directory (kept alive by the guard).
    pub async fn fresh_store() -> anyhow::Result<(tempfile::TempDir, Store)> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&DatabaseConfig::from_cli(&url, Synchronous::Normal)?).await?;
        super::init(&store, false).await?;
        Ok((dir, store))
    }

    /// SQLite's plan for `sql`, one step per line.
    pub async fn plan(store: &Store, sql: &str, params: &[Param<'_>]) -> anyhow::Result<Vec<String>> {
        let explain = format!("explain query plan {sql}");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
        for p in params {
            query = match p {
                Param::Int(v) => query.bind(*v),
                Param::Text(v) => query.bind(*v),
            };
        }
        Ok(query.fetch_all(store.reader()).await?.into_iter().map(|r| r.3).collect())
    }
}

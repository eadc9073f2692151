//! The store: the only code that speaks SQL, to SQLite (embedded, the default) or
//! PostgreSQL (several instances on one database).
//!
//! Portable modules write each statement once (`$N` placeholders, integer times,
//! text enumerations) and run it through [`with_db!`](crate::with_db) on the
//! store's own handles ([`db`]); what only one backend has lives in [`sqlite`] or
//! [`postgres`]. Either way there is one writer connection, whose transactions wait
//! their turn behind every other writer, and a pool of readers that never wait.

pub mod archive;
pub mod commenters;
pub mod comments;
pub mod copy;
pub mod db;
pub mod demo;
pub mod editor;
pub mod export;
pub mod featured;
pub mod feeds;
pub mod freshness;
pub mod import;
pub mod import_plan;
pub mod legacy;
pub mod mail;
pub mod media;
pub mod moderation;
pub mod pages;
pub mod postgres;
pub mod posts;
pub mod search;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod site;
pub mod spam;
pub mod sqlite;
pub mod staging;
pub mod submissions;
pub mod tags;
pub mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::config::DatabaseConfig;
use crate::domain::clock::Clock;
use crate::with_db;
use db::{Conn, Pool, PoolRef, ReadPool, WriteTransact};

/// How long a connection waits for a lock held by another process (or instance)
/// before failing: SQLite's busy timeout, PostgreSQL's lock timeout.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Handle to the database: cheap to clone (one reference count; the app clones it
/// for every request), shared by every request.
#[derive(Clone, Debug)]
pub struct Store(Arc<Handles>);

/// What a [`Store`] holds.
#[derive(Clone, Debug)]
pub struct Handles {
    read: ReadPool,
    writer: Writer,
    /// Comment submissions waiting to be committed together (see `submissions`).
    pub(crate) submissions: submissions::Queue,
    /// The data generation, read cheaply (see `freshness`).
    freshness: Arc<freshness::Freshness>,
    /// Where this store, and the app serving it, read the time.
    clock: Clock,
    /// True when mail is on: events then write outbox rows (see `mail`).
    mail_on: bool,
}

/// The single writer connection, and the count of what it committed.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    pool: Pool,
    /// Write transactions committed through this writer: caches compare it so that
    /// their own process's writes invalidate them without reading anything.
    writes: Arc<AtomicU64>,
}

impl Writer {
    /// Starts a write transaction (see [`Store::begin_write`]): it waits its turn
    /// behind every other writer (of this process or another), and then sees every
    /// earlier commit.
    pub(crate) async fn begin(&self) -> Result<WriteTx> {
        let begin = match &self.pool {
            Pool::Sqlite(_) => sqlite::BEGIN_WRITE,
            Pool::Postgres(_) => postgres::BEGIN_WRITE,
        };
        let tx = self.pool.begin_with(begin).await?;
        Ok(WriteTx { tx, writes: Arc::clone(&self.writes) })
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// A failure inside the store, kept opaque to handlers.
pub type Result<T> = std::result::Result<T, sqlx::Error>;

impl std::ops::Deref for Store {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}

impl Store {
    /// Opens (creating if missing) the database described by `config`.
    pub async fn open(config: &DatabaseConfig) -> anyhow::Result<Self> {
        let (read, write) = if postgres::is_url(&config.url) {
            let (read, write) = postgres::open(config).await?;
            (ReadPool::Postgres(read), Pool::Postgres(write))
        } else {
            let (read, write) = sqlite::open(config).await?;
            (ReadPool::Sqlite(read), Pool::Sqlite(write))
        };
        let writer = Writer { pool: write, writes: Arc::new(AtomicU64::new(0)) };
        let freshness = Arc::new(freshness::Freshness::new(&config.url));
        Ok(Self(Arc::new(Handles {
            read,
            writer,
            submissions: submissions::Queue::default(),
            freshness,
            clock: Clock::system(),
            mail_on: false,
        })))
    }

    /// This store reading the time from `clock` (tests pass a settable one).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        Arc::make_mut(&mut self.0).clock = clock;
        self
    }

    /// This store with mail on or off: with mail on, comments and their moderation
    /// write the messages they cause into the outbox.
    #[must_use]
    pub fn with_mail(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.0).mail_on = on;
        self
    }

    /// True when events write outbox rows.
    pub fn mail_on(&self) -> bool {
        self.mail_on
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
        self.release_probe();
        self.read.close().await;
        self.writer.pool.close().await;
    }

    /// True once [`Store::close`] has run.
    pub fn is_closed(&self) -> bool {
        self.read.is_closed()
    }

    /// How many write transactions this store has committed.
    pub fn local_writes(&self) -> u64 {
        self.writer.writes.load(Ordering::Acquire)
    }

    /// True when the database answers a trivial query.
    pub async fn is_healthy(&self) -> bool {
        with_db!(self.reader(), db => sqlx::query_scalar::<_, i64>("select cast(1 as bigint)").fetch_one(db).await)
            .is_ok()
    }

    /// The pool reads run on.
    pub(crate) fn reader(&self) -> PoolRef<'_> {
        self.read.as_ref()
    }

    /// The readers' pool, for a connection or a read transaction of several statements.
    pub(crate) fn read_pool(&self) -> &ReadPool {
        &self.read
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.read {
            ReadPool::Sqlite(_) => Backend::Sqlite,
            ReadPool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction on the single writer connection (see
    /// [`WriteTx::commit`]).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        self.writer.begin().await
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The writer's SQLite pool, for the statements only SQLite has; an error on
    /// PostgreSQL.
    pub(crate) fn sqlite_writer(&self) -> Result<&sqlx::SqlitePool> {
        match &self.writer.pool {
            Pool::Sqlite(p) => Ok(p),
            Pool::Postgres(_) => Err(postgres::unsupported("this step")),
        }
    }
}

/// The database system a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An open write transaction on the single writer connection.
pub struct WriteTx {
    tx: WriteTransact,
    writes: Arc<AtomicU64>,
}

impl WriteTx {
    /// The connection to run statements on.
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }

    /// The connection of a SQLite write, for the statements only SQLite has (the
    /// import's attached staging file); an error on PostgreSQL.
    pub(crate) fn sqlite(&mut self) -> Result<&mut sqlx::SqliteConnection> {
        match &mut self.tx {
            db::Db::Sqlite(tx) => Ok(&mut **tx),
            db::Db::Postgres(_) => Err(postgres::unsupported("this step")),
        }
    }

    /// Commits. Returns once the database has the commit durably (SQLite: in its
    /// write-ahead log): from then on a killed process cannot lose it. The site's
    /// data version moves with the commit if, and only if, it changed something a
    /// reader can see: triggers on the public tables bump it (migration 0009),
    /// whoever writes.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.writes.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

/// Brings the schema up to date and, on the very first start, records the
/// initialisation and inserts the demo content (unless `demo` is false).
pub async fn init(store: &Store, demo: bool) -> anyhow::Result<()> {
    migrate(store).await?;
    demo::initialise_once(store, demo).await.context("initialising the database")?;
    secret::ensure(store).await.context("creating the site secret")?;
    Ok(())
}

/// Brings the schema up to date with the backend's own set of migrations.
pub async fn migrate(store: &Store) -> anyhow::Result<()> {
    match store.writer.pool() {
        Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await,
        Pool::Postgres(w) => match w.conn().await {
            Ok(mut c) => sqlx::migrate!("./migrations/postgres").run(c.conn()).await,
            Err(e) => Err(e.into()),
        },
    }
    .context("running database migrations")
}

/// `n` numbered placeholders from `$first`, comma-separated, for an `in (...)` list.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Most values bound in one `in (...)` list (well under both backends' limits).
pub(crate) const MAX_LIST: usize = 500;

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
        let super::db::Db::Sqlite(pool) = store.reader() else {
            anyhow::bail!("query plans are read from SQLite");
        };
        let explain = format!("explain query plan {sql}");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
        for p in params {
            query = match p {
                Param::Int(v) => query.bind(*v),
                Param::Text(v) => query.bind(*v),
            };
        }
        Ok(query.fetch_all(pool).await?.into_iter().map(|r| r.3).collect())
    }
}

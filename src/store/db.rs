//! The store's own handles on the database, one arm per backend.
//!
//! Portable store code never names a driver type. It runs a statement through
//! [`with_db!`](crate::with_db), which writes the statement once and expands it
//! once per backend, each arm type-checked against its own driver:
//!
//! ```text
//! with_db!(store.reader(), db => sqlx::query_scalar("select count(*) from users").fetch_one(db).await)
//! with_db!(tx.conn(), cx => sqlx::query("delete from sessions where id_hash = $1").bind(h).execute(cx).await.map(|r| r.rows_affected()))
//! ```
//!
//! Code that only one backend has (full-text search, backup, the import's live side,
//! the freshness probe, busy errors) lives in that backend's module, `sqlite` or
//! `postgres`, and is reached with an ordinary `match`.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub use super::postgres::readers::{Reader, Readers};
pub use super::postgres::writer::{PgWrite, PgWriter};

/// One value per backend: the shape of every handle below.
#[derive(Debug, Clone, Copy)]
pub enum Db<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// The writer: a pool of one connection on SQLite, the kept connection on
/// PostgreSQL (see [`PgWriter`]).
pub type Pool = Db<SqlitePool, PgWriter>;
/// The readers: on PostgreSQL, connections given back without the driver's round
/// trip (see [`Readers`]), and one pool for long read transactions.
pub type ReadPool = Db<SqlitePool, PgReadPool>;
/// The readers, borrowed: what reads run on.
pub type PoolRef<'a> = Db<&'a SqlitePool, &'a Readers>;
/// One connection, borrowed from a pool or from an open transaction.
pub type Conn<'c> = Db<&'c mut SqliteConnection, &'c mut PgConnection>;
/// A reader's connection taken for several statements, returned when dropped.
pub type PooledConn = Db<PoolConnection<Sqlite>, Reader>;

/// PostgreSQL's readers: [`Readers`] for every read, and a sqlx pool of one
/// connection, opened when needed, for the read transactions of a backup, a copy
/// or an export, and an import's key copy.
#[derive(Debug, Clone)]
pub struct PgReadPool {
    pub readers: Readers,
    pub long: PgPool,
}
/// An open read transaction.
pub type Transact = Db<Transaction<'static, Sqlite>, Transaction<'static, Postgres>>;
/// An open write transaction.
pub type WriteTransact = Db<Transaction<'static, Sqlite>, PgWrite>;

/// Runs `$body` with `$name` bound to the backend's own typed handle (pool,
/// connection or transaction), once per backend: the statement is written once and
/// type-checked against both drivers.
#[macro_export]
macro_rules! with_db {
    ($handle:expr, $name:ident => $body:expr) => {
        match $handle {
            $crate::store::db::Db::Sqlite($name) => $body,
            $crate::store::db::Db::Postgres($name) => $body,
        }
    };
}

impl Pool {
    /// Starts a write transaction with `begin` (a backend's own `BEGIN` statement).
    pub async fn begin_with(&self, begin: &str) -> super::Result<WriteTransact> {
        Ok(match self {
            Self::Sqlite(p) => Db::Sqlite(p.begin_with(begin.to_owned()).await?),
            Self::Postgres(p) => Db::Postgres(p.begin(begin).await?),
        })
    }

    /// Closes the writer, waiting for the write in progress.
    pub async fn close(&self) {
        with_db!(self, p => p.close().await);
    }
}

impl ReadPool {
    /// The readers, borrowed.
    pub fn as_ref(&self) -> PoolRef<'_> {
        match self {
            Self::Sqlite(p) => Db::Sqlite(p),
            Self::Postgres(p) => Db::Postgres(&p.readers),
        }
    }

    /// Takes one connection for several statements in a row.
    pub async fn acquire(&self) -> super::Result<PooledConn> {
        Ok(match self {
            Self::Sqlite(p) => Db::Sqlite(p.acquire().await?),
            Self::Postgres(p) => Db::Postgres(p.readers.acquire().await?),
        })
    }

    /// Starts a read transaction with `begin` (a backend's own `BEGIN` statement).
    pub async fn begin_with(&self, begin: &str) -> super::Result<Transact> {
        Ok(match self {
            Self::Sqlite(p) => Db::Sqlite(p.begin_with(begin.to_owned()).await?),
            Self::Postgres(p) => Db::Postgres(p.long.begin_with(begin.to_owned()).await?),
        })
    }

    /// The most connections the readers open.
    pub fn max_connections(&self) -> u32 {
        match self {
            Self::Sqlite(p) => p.options().get_max_connections(),
            Self::Postgres(p) => p.readers.max_connections(),
        }
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        match self {
            Self::Sqlite(p) => p.is_closed(),
            Self::Postgres(p) => p.readers.is_closed(),
        }
    }

    /// Closes the pool, waiting for its connections to come back.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => {
                p.readers.close().await;
                p.long.close().await;
            }
        }
    }
}

impl PooledConn {
    /// The connection, to run statements on. On PostgreSQL, say when they finished
    /// ([`PooledConn::finished`]), or the connection is closed rather than kept.
    pub fn conn(&mut self) -> super::Result<Conn<'_>> {
        Ok(match self {
            Self::Sqlite(c) => Db::Sqlite(&mut **c),
            Self::Postgres(c) => Db::Postgres(c.conn()?),
        })
    }

    /// Says that the statements run on [`PooledConn::conn`] finished.
    pub fn finished(&mut self) {
        if let Self::Postgres(c) = self {
            c.finished();
        }
    }
}

impl WriteTransact {
    /// The transaction's connection, to run statements on.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(t) => Db::Sqlite(&mut **t),
            Self::Postgres(t) => Db::Postgres(t.conn()),
        }
    }

    /// Commits.
    pub async fn commit(self) -> super::Result<()> {
        match self {
            Self::Sqlite(t) => t.commit().await,
            Self::Postgres(t) => t.commit().await,
        }
    }
}

impl Transact {
    /// The transaction's connection, to run statements on.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(t) => Db::Sqlite(&mut **t),
            Self::Postgres(t) => Db::Postgres(&mut **t),
        }
    }

    /// Commits.
    pub async fn commit(self) -> super::Result<()> {
        with_db!(self, t => t.commit().await)
    }
}

impl Conn<'_> {
    /// The same connection, borrowed again (to pass it on and keep using it).
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Db::Sqlite(&mut **c),
            Self::Postgres(c) => Db::Postgres(&mut **c),
        }
    }
}

/// True when `e` means the database is busy for now (locked past the busy timeout,
/// the pool exhausted, a lock wait cancelled): the request may be tried again, and
/// its answer is 503, not a failure.
pub fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            d.code().as_deref().is_some_and(|code| super::sqlite::BUSY_CODES.contains(&code))
                || d.code().as_deref().is_some_and(|code| super::postgres::BUSY_CODES.contains(&code))
        }
        _ => false,
    }
}

/// True when `e` means the database could not be reached at all (refused, dropped,
/// every connection failing): like [`is_busy`], a passing condition answered 503.
pub fn is_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            d.code().as_deref().is_some_and(|code| super::postgres::UNREACHABLE_CODES.contains(&code))
        }
        _ => false,
    }
}

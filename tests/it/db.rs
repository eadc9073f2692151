//! `TestDb`: the one way a test runs SQL of its own against a database, from outside
//! the app (checking stored rows, writing as another process, `sqlite3` or `psql` by
//! hand would). One arm per backend: SQLite and PostgreSQL.
//!
//! Test SQL stays portable where the test is not about one backend: `$1` binds,
//! `length()` results cast `as bigint` before reading them as `i64`, and anything a
//! backend spells its own way (JSON building, string aggregation) done in Rust.

use std::path::Path;

use sqlx::postgres::{PgConnection, PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{Connection, Decode, FromRow, Type};

/// A value bound to a `$N` placeholder.
#[derive(Clone, Debug)]
pub enum Bind {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Null,
}

impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Self {
        Bind::Text(v.to_owned())
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Self {
        Bind::Text(v)
    }
}

impl From<&[u8]> for Bind {
    fn from(v: &[u8]) -> Self {
        Bind::Bytes(v.to_vec())
    }
}

/// Runs `$body` once per backend with `$conn` the connection and `$bind` that
/// backend's binder, so each method is written once.
macro_rules! each_backend {
    ($db:expr, $conn:ident, $bind:ident => $body:expr) => {
        match $db {
            TestDb::Sqlite($conn) => {
                let $bind = bind_sqlite;
                $body
            }
            TestDb::Postgres($conn) => {
                let $bind = bind_pg;
                $body
            }
        }
    };
}

/// An open connection to a test database.
pub enum TestDb {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// A column value either backend decodes.
pub trait Value:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}
impl<T> Value for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}

/// A row either backend decodes.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

fn bind_pg<'q>(mut q: PgQuery<'q>, binds: &[Bind]) -> PgQuery<'q> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.clone()),
            Bind::Bytes(v) => q.bind(v.clone()),
            Bind::Null => q.bind(None::<i64>),
        };
    }
    q
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind_sqlite<'q>(mut q: SqliteQuery<'q>, binds: &[Bind]) -> SqliteQuery<'q> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.clone()),
            Bind::Bytes(v) => q.bind(v.clone()),
            Bind::Null => q.bind(None::<i64>),
        };
    }
    q
}

impl TestDb {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`).
    pub async fn open(url: &str) -> TestDb {
        match url.strip_prefix("sqlite://") {
            Some(path) => TestDb::sqlite(Path::new(path)).await,
            None => TestDb::Postgres(PgConnection::connect(url).await.unwrap()),
        }
    }

    /// Opens the SQLite database file at `path` for reading and writing.
    pub async fn sqlite(path: &Path) -> TestDb {
        let opts = SqliteConnectOptions::new().filename(path);
        TestDb::Sqlite(SqliteConnection::connect_with(&opts).await.unwrap())
    }

    /// Opens the SQLite database file at `path` read-only (a backup, an import's
    /// result), so a check can never change what it checks.
    pub async fn sqlite_read_only(path: &Path) -> TestDb {
        let opts = SqliteConnectOptions::new().filename(path).read_only(true);
        TestDb::Sqlite(SqliteConnection::connect_with(&opts).await.unwrap())
    }

    /// Creates an empty SQLite database file at `path` (for tests that build a
    /// database by hand: an older schema, a file that is not hewn's).
    pub async fn sqlite_create(path: &Path) -> TestDb {
        let opts = SqliteConnectOptions::new().filename(path).create_if_missing(true);
        TestDb::Sqlite(SqliteConnection::connect_with(&opts).await.unwrap())
    }

    /// The statement that defers foreign-key checks to the commit of a transaction
    /// (as an import writes a post's tags before the post).
    pub fn defer_foreign_keys(&self) -> &'static str {
        match self {
            TestDb::Sqlite(_) => "pragma defer_foreign_keys = on",
            TestDb::Postgres(_) => "set constraints all deferred",
        }
    }

    /// Runs one statement with `binds`; returns the rows it changed.
    pub async fn exec(&mut self, sql: &str, binds: &[Bind]) -> u64 {
        each_backend!(self, conn, bind => bind(sqlx::query(sql), binds)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected())
    }

    /// Runs several statements without binds in one go (a migration file, a setup script).
    pub async fn script(&mut self, sql: &str) {
        each_backend!(self, conn, _bind => {
            sqlx::raw_sql(sql).execute(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    }

    /// Runs `statements` in one transaction, as one commit another writer makes.
    pub async fn transaction(&mut self, statements: &[&str]) {
        each_backend!(self, conn, _bind => {
            let mut tx = conn.begin().await.unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            tx.commit().await.unwrap();
        })
    }

    /// The first column of the one row `sql` returns.
    pub async fn scalar<T>(&mut self, sql: &str, binds: &[Bind]) -> T
    where
        T: Value,
    {
        match self.optional_row::<(T,)>(sql, binds).await {
            Some((v,)) => v,
            None => panic!("{sql}: no row"),
        }
    }

    /// The first column of every row `sql` returns.
    pub async fn column<T>(&mut self, sql: &str, binds: &[Bind]) -> Vec<T>
    where
        T: Value,
    {
        self.rows::<(T,)>(sql, binds).await.into_iter().map(|(v,)| v).collect()
    }

    /// The first column of the row `sql` returns, if it returns one.
    pub async fn optional<T>(&mut self, sql: &str, binds: &[Bind]) -> Option<T>
    where
        T: Value,
    {
        self.optional_row::<(T,)>(sql, binds).await.map(|(v,)| v)
    }

    /// The one row `sql` returns, as a tuple or a `FromRow` type.
    pub async fn row<T>(&mut self, sql: &str, binds: &[Bind]) -> T
    where
        T: Row,
    {
        match self.optional_row(sql, binds).await {
            Some(v) => v,
            None => panic!("{sql}: no row"),
        }
    }

    /// Every row `sql` returns, as tuples or a `FromRow` type.
    pub async fn rows<T>(&mut self, sql: &str, binds: &[Bind]) -> Vec<T>
    where
        T: Row,
    {
        each_backend!(self, conn, bind => {
            let rows = bind(sqlx::query(sql), binds).fetch_all(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter().map(|r| T::from_row(r).unwrap_or_else(|e| panic!("{sql}: {e}"))).collect()
        })
    }

    /// Every row `sql` returns, each column read as text (`None` for NULL): for
    /// comparing whole rows of two databases. Cast non-text columns `as text` in `sql`.
    pub async fn text_rows(&mut self, sql: &str, binds: &[Bind]) -> Vec<Vec<Option<String>>> {
        use sqlx::Row;
        each_backend!(self, conn, bind => {
            let rows = bind(sqlx::query(sql), binds).fetch_all(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).unwrap_or_else(|e| panic!("{sql}: {e}")))
                        .collect()
                })
                .collect()
        })
    }

    async fn optional_row<T>(&mut self, sql: &str, binds: &[Bind]) -> Option<T>
    where
        T: Row,
    {
        each_backend!(self, conn, bind => bind(sqlx::query(sql), binds)
            .fetch_optional(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .map(|r| T::from_row(&r).unwrap_or_else(|e| panic!("{sql}: {e}"))))
    }

    /// Closes the connection, releasing the database file.
    pub async fn close(self) {
        each_backend!(self, conn, _bind => conn.close().await.unwrap())
    }
}

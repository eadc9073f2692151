//! Online backup: `VACUUM INTO` on a connection of its own copies the database as one
//! consistent snapshot while the site keeps serving and taking comments (WAL readers
//! never block writers), and a check that a copy is sound and is hewn's.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// Tables every hewn database has.
const REQUIRED_TABLES: [&str; 7] = ["site_state", "settings", "users", "posts", "tags", "post_tags", "comments"];

/// Copies the live database at `database_url` into the new file `target`.
pub async fn vacuum_into(database_url: &str, target: &Path) -> anyhow::Result<()> {
    let opts = SqliteConnectOptions::from_str(database_url)?.read_only(true).busy_timeout(crate::store::BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&opts).await.with_context(|| format!("opening {database_url}"))?;
    let result = sqlx::query("vacuum into $1").bind(target.to_string_lossy().into_owned()).execute(&mut conn).await;
    let _ = conn.close().await;
    result.with_context(|| format!("copying the database into {}", target.display()))?;
    Ok(())
}

/// What a sound backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub migrations: i64,
    /// Migrations this hewn has that the backup lacks (applied when it is opened).
    pub behind: i64,
    pub version: i64,
    pub changed_at: i64,
    pub posts: i64,
    pub comments: i64,
    pub media: i64,
}

/// Verifies a backup: SQLite's integrity and foreign-key checks pass, and it has
/// hewn's tables and migrations (none newer than this hewn knows).
pub async fn check(file: &Path) -> anyhow::Result<Check> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let opts = SqliteConnectOptions::new().filename(file).read_only(true).immutable(true);
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .with_context(|| format!("{} does not open as SQLite", file.display()))?;
    let result = check_open(&mut conn, file).await;
    let _ = conn.close().await;
    result
}

async fn check_open(conn: &mut SqliteConnection, file: &Path) -> anyhow::Result<Check> {
    let integrity: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    if integrity != ["ok"] {
        bail!("{} is damaged: {}", file.display(), integrity.join("; "));
    }
    let broken: Vec<(String,)> =
        sqlx::query_as("select \"table\" from pragma_foreign_key_check").fetch_all(&mut *conn).await?;
    if let Some((table,)) = broken.first() {
        bail!("{} has {} rows whose references are broken (first in {table})", file.display(), broken.len());
    }
    let tables: Vec<String> =
        sqlx::query_scalar("select name from sqlite_master where type = 'table'").fetch_all(&mut *conn).await?;
    let missing: Vec<&str> = REQUIRED_TABLES.iter().copied().filter(|t| !tables.iter().any(|n| n == t)).collect();
    if !missing.is_empty() || !tables.iter().any(|t| t == "_sqlx_migrations") {
        bail!("{} is not a hewn database (missing tables: {})", file.display(), missing.join(", "));
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("select version, checksum from _sqlx_migrations where success").fetch_all(&mut *conn).await?;
    let known = sqlx::migrate!("./migrations/sqlite");
    for (version, checksum) in &applied {
        match known.iter().find(|m| m.version == *version) {
            None => bail!(
                "{} was made by a newer hewn (it has migration {version}, which this hewn does not know)",
                file.display()
            ),
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                bail!("{} has a migration {version} that differs from this hewn's", file.display())
            }
            Some(_) => {}
        }
    }
    let behind = known.iter().filter(|m| !applied.iter().any(|(v, _)| *v == m.version)).count();
    let (version, changed_at): (i64, i64) =
        sqlx::query_as("select version, changed_at from site_state where id = 1").fetch_one(&mut *conn).await?;
    let count = |table: &str| format!("select count(*) from {table}");
    let posts: i64 = sqlx::query_scalar(&count("posts")).fetch_one(&mut *conn).await?;
    let comments: i64 = sqlx::query_scalar(&count("comments")).fetch_one(&mut *conn).await?;
    let media: i64 = if tables.iter().any(|t| t == "media") {
        sqlx::query_scalar(&count("media")).fetch_one(&mut *conn).await?
    } else {
        0
    };
    Ok(Check {
        migrations: i64::try_from(applied.len()).unwrap_or(i64::MAX),
        behind: i64::try_from(behind).unwrap_or(i64::MAX),
        version,
        changed_at,
        posts,
        comments,
        media,
    })
}

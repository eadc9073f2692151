//! What only PostgreSQL has: connecting, the advisory lock that queues writers of
//! every instance, and its busy codes.

pub mod import;
pub mod readers;
pub mod search;
pub mod writer;

use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::BUSY_TIMEOUT;
use crate::config::DatabaseConfig;

/// The advisory lock every write transaction takes, in the round trip of its
/// `BEGIN`: one queue for the writers of every instance, so each write sees every
/// earlier commit before it decides (flood control, duplicates, slugs and names
/// rely on it). It stays READ COMMITTED: each statement after the lock reads what
/// committed before it (a snapshot taken at the lock would miss the previous
/// holder's commit).
pub const BEGIN_WRITE: &str = "begin; select pg_advisory_xact_lock(7305085049114181006)";

/// SQLSTATEs that mean "busy for now": lock_not_available (a lock wait past
/// `lock_timeout`), serialization_failure, deadlock_detected, query_canceled (past
/// `statement_timeout`) and too_many_connections.
pub(super) const BUSY_CODES: [&str; 5] = ["55P03", "40001", "40P01", "57014", "53300"];

/// SQLSTATEs of a server going away or not yet taking connections: admin_shutdown,
/// crash_shutdown, cannot_connect_now, and the connection_exception class.
pub(super) const UNREACHABLE_CODES: [&str; 8] =
    ["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"];

/// Statements a connection keeps prepared: more than hewn's distinct statements.
const STATEMENT_CACHE: usize = 512;

/// True for a `postgres://` or `postgresql://` URL.
pub fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects to the database: a pool of readers and the single writer connection
/// of this instance.
pub(super) async fn open(config: &DatabaseConfig) -> anyhow::Result<(super::db::PgReadPool, writer::PgWriter)> {
    let lock_timeout = format!("{}ms", BUSY_TIMEOUT.as_millis());
    let options = PgConnectOptions::from_str(&config.url)
        .context("reading the PostgreSQL URL")?
        .statement_cache_capacity(STATEMENT_CACHE)
        .application_name("hewn")
        // A statement waits for a lock, or runs, at most as long as SQLite waits for
        // its lock: past it the request answers 503 (busy), as on SQLite. Long
        // copies lift the statement limit for their own transaction.
        .options([
            ("lock_timeout", lock_timeout.as_str()),
            ("statement_timeout", lock_timeout.as_str()),
            ("idle_in_transaction_session_timeout", "60s"),
        ]);
    let write =
        writer::PgWriter::connect(options.clone(), BUSY_TIMEOUT * 2).await.context("connecting to PostgreSQL")?;
    check_connection_room(write.conn().await?.conn(), config.max_connections).await?;
    let readers = readers::Readers::new(options.clone(), config.max_connections.max(1), BUSY_TIMEOUT * 2);
    // Opened when a backup, copy or export needs it, closed again when idle.
    let long = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(LONG_IDLE)
        .acquire_timeout(BUSY_TIMEOUT * 2)
        .test_before_acquire(false)
        .connect_lazy_with(options);
    Ok((super::db::PgReadPool { readers, long }, write))
}

/// How long the connection for long read transactions stays open unused.
const LONG_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// Connections one instance opens at most: its readers, the writer, one for an
/// import's lock, and one for the read transaction of a backup, copy or export.
pub fn connections_per_instance(readers: u32) -> u32 {
    readers.max(1) + 3
}

/// Refuses to start when PostgreSQL has no room for this instance's connections,
/// saying how many it and several instances need (a pool that cannot connect later
/// would only show as slow pages).
async fn check_connection_room(conn: &mut sqlx::PgConnection, readers: u32) -> anyhow::Result<()> {
    let (max, reserved, in_use): (String, String, i64) = sqlx::query_as(
        "select current_setting('max_connections'), current_setting('superuser_reserved_connections'), \
           (select count(*) from pg_stat_activity where backend_type = 'client backend')",
    )
    .fetch_one(conn)
    .await
    .context("asking PostgreSQL how many connections it allows")?;
    let max: i64 = max.parse().unwrap_or(i64::MAX);
    let reserved: i64 = reserved.parse().unwrap_or(0);
    let need = i64::from(connections_per_instance(readers));
    // This instance's writer is already one of those in use.
    let free = max - reserved - in_use + 1;
    if need > free {
        anyhow::bail!(
            "PostgreSQL has room for {free} more connections (max_connections {max}, {reserved} reserved, \
             {in_use} in use) but this instance needs {need} (--db-max-connections {readers} readers, a writer, \
             one for imports and one for backups); N instances need N × {need}: raise max_connections or lower \
             --db-max-connections"
        );
    }
    Ok(())
}

/// The error for a step that has no PostgreSQL arm.
pub(crate) fn unsupported(what: &str) -> sqlx::Error {
    sqlx::Error::Configuration(format!("{what} is not available on PostgreSQL").into())
}

#[cfg(test)]
mod tests {
    /// The two sets of migrations have the same numbers and names, so `hewn migrate`
    /// brings either backend to the same schema version.
    #[test]
    fn both_backends_have_the_same_migrations() -> std::io::Result<()> {
        let names = |dir: &str| -> std::io::Result<Vec<String>> {
            let mut names: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.ends_with(".sql"))
                .collect();
            names.sort();
            Ok(names)
        };
        let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))?;
        let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))?;
        assert!(sqlite.len() >= 11, "{sqlite:?}");
        assert_eq!(sqlite, postgres);
        Ok(())
    }
}

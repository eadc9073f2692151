//! What only PostgreSQL has: connecting, the advisory lock that queues writers of
//! every instance, and its busy codes.

pub mod import;
pub mod search;

use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::BUSY_TIMEOUT;
use crate::config::DatabaseConfig;

/// The advisory lock every write transaction takes: one queue for the writers of
/// every instance, so each write sees every earlier commit before it decides
/// (flood control, duplicates, slugs and names rely on it). It stays READ
/// COMMITTED: each statement after the lock reads what committed before it.
/// `hewn.own_write` tells the triggers that count writes made outside hewn that
/// this one is hewn's own.
pub(super) const BEGIN_WRITE: &str =
    "begin; select pg_advisory_xact_lock(7305085049114181006); select set_config('hewn.own_write', 'on', true)";

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
pub(super) async fn open(config: &DatabaseConfig) -> anyhow::Result<(PgPool, PgPool)> {
    let lock_timeout = format!("{}ms", BUSY_TIMEOUT.as_millis());
    let options = PgConnectOptions::from_str(&config.url)
        .context("reading the PostgreSQL URL")?
        .statement_cache_capacity(STATEMENT_CACHE)
        .application_name("hewn")
        .options([("lock_timeout", lock_timeout.as_str()), ("idle_in_transaction_session_timeout", "60s")]);
    let write = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(BUSY_TIMEOUT * 2)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await
        .context("connecting to PostgreSQL")?;
    let read = PgPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(BUSY_TIMEOUT * 2)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL for reading")?;
    Ok((read, write))
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

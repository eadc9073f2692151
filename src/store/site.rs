//! The site's data version: bumped by every committed write, read by caches and
//! HTTP validators to know whether anything changed.

use sqlx::FromRow;

use super::{Result, Store};

/// The data version and the time of the write that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct SiteState {
    pub version: i64,
    pub changed_at: i64,
}

/// Reads the current data version.
pub async fn state(store: &Store) -> Result<SiteState> {
    sqlx::query_as::<_, SiteState>("select version, changed_at from site_state where id = 1")
        .fetch_one(store.reader())
        .await
}

/// Bumps the version inside a write transaction.
pub(super) async fn touch(conn: &mut sqlx::SqliteConnection, now: i64) -> Result<()> {
    sqlx::query("update site_state set version = version + 1, changed_at = $1 where id = 1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

//! The site's data version: bumped by the database itself (triggers, migration
//! 0009) in the transaction of every write that changes something a reader can
//! see, whoever makes it; read by caches and HTTP validators to know whether
//! anything public changed.

use sqlx::FromRow;

use super::{Result, Store};

/// The data version and the time of the visible write that set it.
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

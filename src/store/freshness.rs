//! When public content last changed, for `Last-Modified`.
//!
//! Every write bumps `site_state.changed_at`, but a scheduled post appears when its
//! time comes, with no write at all; so the answer is the later of the two.

use super::{Result, Store, site};

/// The unix time at which the public content last changed, never after `now`.
pub async fn last_public_change(store: &Store, now: i64) -> Result<i64> {
    let state = site::state(store).await?;
    let due: Option<i64> = sqlx::query_scalar(
        "select max(p.published_at) from posts p \
         where p.kind in ('post', 'page') and p.status in ('published', 'scheduled') and p.published_at <= $1",
    )
    .bind(now)
    .fetch_one(store.reader())
    .await?;
    Ok(state.changed_at.max(due.unwrap_or(0)).min(now))
}

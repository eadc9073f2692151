//! When public content last changed, for `Last-Modified`, and when it will next
//! change with no write at all, for the page cache.
//!
//! Every visible write bumps `site_state.changed_at` (see `site`), but two things
//! change public pages on their own when their time comes: a scheduled post appears, and (with
//! `close_after_days`) a post's comment form closes.

use super::{Result, Store, site};

/// Seconds in a day, for `close_after_days`.
const DAY: i64 = 24 * 60 * 60;

/// The unix time at which the public content last changed, never after `now`.
/// `close_after_days` is the discussion setting (0 when comments never close by age).
pub async fn last_public_change(store: &Store, now: i64, close_after_days: u32) -> Result<i64> {
    let state = site::state(store).await?;
    let due: Option<i64> = sqlx::query_scalar(
        "select max(p.published_at) from posts p \
         where p.kind in ('post', 'page') and p.status in ('published', 'scheduled') and p.published_at <= $1",
    )
    .bind(now)
    .fetch_one(store.reader())
    .await?;
    let mut last = state.changed_at.max(due.unwrap_or(0));
    if close_after_days > 0 {
        let span = i64::from(close_after_days) * DAY;
        let closed: Option<i64> = sqlx::query_scalar(
            "select max(p.published_at) from posts p \
             where p.kind = 'post' and p.status in ('published', 'scheduled') and p.published_at <= $1",
        )
        .bind(now - span)
        .fetch_one(store.reader())
        .await?;
        last = last.max(closed.map_or(0, |t| t + span));
    }
    Ok(last.min(now))
}

/// The next unix time after `now` at which public pages change with no write: a
/// scheduled post coming due, or a post's comments closing by age. `None` when
/// nothing is due.
pub async fn next_public_change(store: &Store, now: i64, close_after_days: u32) -> Result<Option<i64>> {
    let due: Option<i64> = sqlx::query_scalar(
        "select min(p.published_at) from posts p \
         where p.kind in ('post', 'page') and p.status in ('published', 'scheduled') and p.published_at > $1",
    )
    .bind(now)
    .fetch_one(store.reader())
    .await?;
    let closing = if close_after_days > 0 {
        let span = i64::from(close_after_days) * DAY;
        let next: Option<i64> = sqlx::query_scalar(
            "select min(p.published_at) from posts p \
             where p.kind = 'post' and p.status in ('published', 'scheduled') and p.published_at > $1",
        )
        .bind(now - span)
        .fetch_one(store.reader())
        .await?;
        next.map(|t| t + span)
    } else {
        None
    };
    Ok(match (due, closing) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

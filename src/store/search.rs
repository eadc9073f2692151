//! Full-text search over visible posts and pages, on either backend: SQLite's FTS5
//! (`sqlite::search`) or PostgreSQL's text search (`postgres::search`). Both take
//! the reader's query already parsed (`domain::search::SearchQuery`), never raw
//! input, and rank title matches above tag matches above body matches.

use crate::domain::status::PostKind;
use sqlx::FromRow;

use super::db::Db;
use super::{Result, Store, postgres, sqlite};
use crate::domain::search::SearchQuery;

/// A post or page that matched, best first.
#[derive(Debug, Clone, FromRow)]
pub struct SearchHit {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub published_at: i64,
    pub comment_count: i64,
}

/// One page of visible posts and pages matching `query`, best first (none for an
/// empty query).
pub async fn visible_page(
    store: &Store,
    now: i64,
    query: &SearchQuery,
    limit: u32,
    offset: u64,
) -> Result<Vec<SearchHit>> {
    let (limit, offset) = (i64::from(limit), i64::try_from(offset).unwrap_or(i64::MAX));
    match store.reader() {
        Db::Sqlite(pool) => match query.fts5_expression() {
            Some(expr) => sqlite::search::visible_page(pool, now, &expr, limit, offset).await,
            None => Ok(Vec::new()),
        },
        Db::Postgres(pool) => match query.tsquery_expression() {
            Some(expr) => postgres::search::visible_page(pool, now, &expr, limit, offset).await,
            None => Ok(Vec::new()),
        },
    }
}

/// How many visible posts and pages match `query`.
pub async fn count_visible(store: &Store, now: i64, query: &SearchQuery) -> Result<i64> {
    match store.reader() {
        Db::Sqlite(pool) => match query.fts5_expression() {
            Some(expr) => sqlite::search::count_visible(pool, now, &expr).await,
            None => Ok(0),
        },
        Db::Postgres(pool) => match query.tsquery_expression() {
            Some(expr) => postgres::search::count_visible(pool, now, &expr).await,
            None => Ok(0),
        },
    }
}

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
    /// How many visible posts and pages match in all, counted by the same statement
    /// (so the same on every hit of a page, and never out of step with the page).
    pub matches: i64,
}

/// How many visible posts and pages match in all, read from a page of hits; `None`
/// when the page is empty, which says nothing of the pages before it.
pub fn total(hits: &[SearchHit]) -> Option<u64> {
    hits.first().map(|hit| u64::try_from(hit.matches).unwrap_or(0))
}

/// One page of visible posts and pages matching `query`, best first (none for an
/// empty query), each with the number of matches in all ([`total`]): one statement,
/// so the full-text query runs once per search.
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

//! Full-text search over visible posts and pages.
//!
//! BACKEND-SPECIFIC: SQLite FTS5 (`post_search`, kept in sync by the triggers of
//! migration 0004). A PostgreSQL backend gives these two functions its own arm
//! (`to_tsvector`/`websearch_to_tsquery`, `ts_rank`); callers see only the rows.

use sqlx::FromRow;

use super::posts::VISIBLE;
use super::{Result, Store};

/// Relative weights of the indexed columns for ranking: title, body, tags.
const RANK: &str = "bm25(post_search, 10.0, 1.0, 5.0)";

/// A post or page that matched, best first.
#[derive(Debug, Clone, FromRow)]
pub struct SearchHit {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub published_at: i64,
    pub comment_count: i64,
}

/// One page of visible posts and pages matching `expression`, an FTS5 expression
/// built by `domain::search::SearchQuery` (never raw reader input).
pub async fn visible_page(
    store: &Store,
    now: i64,
    expression: &str,
    limit: u32,
    offset: u64,
) -> Result<Vec<SearchHit>> {
    let sql = format!(
        "select p.id, p.kind, p.slug, p.title, p.body_html, p.published_at, \
           (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count \
         from post_search join posts p on p.id = post_search.rowid \
         where post_search match $2 and p.kind in ('post', 'page') and {VISIBLE} \
         order by {RANK}, p.published_at desc, p.id desc \
         limit $3 offset $4"
    );
    sqlx::query_as::<_, SearchHit>(&sql)
        .bind(now)
        .bind(expression)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(store.reader())
        .await
}

/// How many visible posts and pages match `expression`.
pub async fn count_visible(store: &Store, now: i64, expression: &str) -> Result<i64> {
    let sql = format!(
        "select count(*) from post_search join posts p on p.id = post_search.rowid \
         where post_search match $2 and p.kind in ('post', 'page') and {VISIBLE}"
    );
    sqlx::query_scalar(&sql).bind(now).bind(expression).fetch_one(store.reader()).await
}

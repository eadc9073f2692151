//! Full-text search on SQLite: FTS5 (`post_search`, kept in sync by the triggers of
//! migration 0004), ranked by bm25 with the columns weighted title 10, body 1, tags 5.

use sqlx::SqlitePool;

use crate::store::Result;
use crate::store::posts::VISIBLE;
use crate::store::search::SearchHit;

/// The matches of `$2` with their rank, computed once. MATERIALIZED keeps SQLite
/// from running the full-text query again for every candidate post (which it
/// otherwise may do, visiting posts first through their listing index: minutes
/// instead of milliseconds on a few thousand posts), and the queries below join
/// from the matches to their posts with `cross join`, which SQLite keeps in that
/// order: a search reads its matches, never every post of the blog.
const HITS: &str = "hits as materialized ( \
    select rowid as id, bm25(post_search, 10.0, 1.0, 5.0) as rank from post_search where post_search match $2)";

/// One page of visible posts and pages matching `expression`, an FTS5 expression
/// built by `domain::search::SearchQuery` (never raw reader input), best first.
pub(crate) async fn visible_page(
    pool: &SqlitePool,
    now: i64,
    expression: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<SearchHit>> {
    sqlx::query_as::<_, SearchHit>(&page_sql())
        .bind(now)
        .bind(expression)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// `$1` now, `$2` the expression, `$3` limit, `$4` offset.
fn page_sql() -> String {
    // Rank and cut the page on ids first; read bodies and counts for that page only.
    format!(
        "with {HITS}, \
         page as ( \
           select p.id, hits.rank, p.published_at, count(*) over () as matches \
           from hits cross join posts p on p.id = hits.id \
           where p.kind in ('post', 'page') and {VISIBLE} \
           order by hits.rank, p.published_at desc, p.id desc limit $3 offset $4) \
         select p.id, p.kind, p.slug, p.title, p.body_html, p.published_at, \
           (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count, \
           page.matches \
         from page join posts p on p.id = page.id \
         order by page.rank, page.published_at desc, page.id desc"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{Param, fresh_store, plan};

    /// SQLite may otherwise walk posts through their listing index and run the
    /// full-text query again for each one (`INDEX 0:=`, a rowid probe): minutes on
    /// a few thousand posts.
    #[tokio::test]
    async fn the_full_text_query_runs_once_per_search() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let params = [Param::Int(0), Param::Text("\"coal\"*"), Param::Int(10), Param::Int(0)];

        let steps = plan(&store, &page_sql(), &params).await?;
        assert!(steps.iter().any(|s| s.contains("MATERIALIZE hits")), "{steps:#?}");
        assert!(!steps.iter().any(|s| s.contains("post_search VIRTUAL TABLE INDEX 0:=")), "{steps:#?}");
        // From the matches to their posts, never over every post of the blog.
        assert!(!steps.iter().any(|s| s.contains("posts_listing")), "{steps:#?}");
        store.close().await;
        Ok(())
    }
}

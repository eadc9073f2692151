//! Full-text search on PostgreSQL: `post_search.document`, a `tsvector` kept by the
//! triggers of migration 0004 (title weight A, tags B, body C) with the `hewn`
//! text search configuration (`simple` words, accents folded by `unaccent`, so any
//! language works), a GIN index, and `ts_rank` weighting title 10, tags 5, body 1.

use crate::store::Result;
use crate::store::posts::VISIBLE;
use crate::store::search::SearchHit;

/// The matches of `$2` (a `to_tsquery` expression built by
/// `domain::search::SearchQuery`) with their rank, computed once from the index.
const HITS: &str = "hits as materialized ( \
    select s.post_id as id, ts_rank('{0.05, 0.1, 0.5, 1.0}', s.document, q.q) as rank \
    from post_search s, (select to_tsquery('hewn', $2) as q) q where s.document @@ q.q)";

/// Each match's post if readers may see it (`$1` now), looked up by id. The
/// statement is prepared once per connection, and PostgreSQL soon plans it without
/// the query's words or the time: it then guesses a few hundred matches and a third
/// of the blog visible, and hashes every visible post to join them (40 ms a search
/// on 100,000 posts however few the matches). `offset 0` keeps this lookup a
/// subquery of its own, so each match reads its one post by primary key.
fn visible_hit() -> String {
    format!(
        "cross join lateral ( \
           select p.published_at from posts p \
           where p.id = hits.id and p.kind in ('post', 'page') and {VISIBLE} offset 0) v"
    )
}

/// One page of visible posts and pages matching `expression`, best first.
pub(crate) async fn visible_page(
    pool: &super::readers::Readers,
    now: i64,
    expression: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<SearchHit>> {
    let visible = visible_hit();
    let sql = format!(
        "with {HITS}, \
         page as ( \
           select hits.id, hits.rank, v.published_at, count(*) over () as matches from hits {visible} \
           order by hits.rank desc, v.published_at desc, hits.id desc limit $3 offset $4) \
         select p.id, p.kind, p.slug, p.title, p.body_html, p.published_at, \
           (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count, \
           page.matches \
         from page join posts p on p.id = page.id \
         order by page.rank desc, page.published_at desc, page.id desc"
    );
    sqlx::query_as::<_, SearchHit>(&sql).bind(now).bind(expression).bind(limit).bind(offset).fetch_all(pool).await
}

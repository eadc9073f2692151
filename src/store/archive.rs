//! Ways into the archive: tags with their posts, posts by publication time, and a
//! post's neighbours. Every query shows visible posts only ([`VISIBLE`]).

use sqlx::FromRow;

use super::posts::{PostSummary, VISIBLE};
use super::tags::Tag;
use super::{Result, Store};
use crate::with_db;

/// The columns of a [`PostSummary`], for `p` = posts.
const SUMMARY_COLUMNS: &str = "p.id, p.slug, p.title, p.excerpt, p.published_at, \
    (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count";

/// A tag with how many visible posts carry it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TagCount {
    pub slug: String,
    pub name: String,
    pub posts: i64,
}

/// A post next to another in publication order.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PostLink {
    pub slug: String,
    pub title: String,
}

fn offset(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every tag that at least one visible post carries, by name, with its count.
pub async fn tags_in_use(store: &Store, now: i64) -> Result<Vec<TagCount>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, TagCount>(
        "select t.slug, t.name, count(*) as posts \
         from tags t join post_tags pt on pt.tag_id = t.id \
         where pt.visible_at <= $1 \
         group by t.id, t.slug, t.name \
         order by lower(t.name), t.slug",
    )
    .bind(now)
    .fetch_all(db)
    .await)
}

/// A tag by its slug.
pub async fn tag_by_slug(store: &Store, slug: &str) -> Result<Option<Tag>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Tag>("select id, slug, name from tags where slug = $1")
        .bind(slug)
        .fetch_optional(db)
        .await)
}

/// The visible posts carrying tag `$2` (`$1` now): `post_tags.visible_at`, kept by
/// triggers (migration 0007), holds a post's publication time while it is one
/// readers may see, so the index `post_tags_visible` answers alone.
const TAGGED: &str = "from post_tags pt where pt.tag_id = $2 and pt.visible_at <= $1";

/// One page of the visible posts carrying a tag, newest first.
pub async fn tagged_page(store: &Store, now: i64, tag_id: i64, limit: u32, skip: u64) -> Result<Vec<PostSummary>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, PostSummary>(&tagged_page_sql())
        .bind(now)
        .bind(tag_id)
        .bind(i64::from(limit))
        .bind(offset(skip))
        .fetch_all(db)
        .await)
}

/// `$1` now, `$2` the tag, `$3` limit, `$4` offset: order and cut on the small
/// index first, read summaries for the page only.
fn tagged_page_sql() -> String {
    format!(
        "select {SUMMARY_COLUMNS} from posts p where p.id in ( \
           select pt.post_id {TAGGED} order by pt.visible_at desc, pt.post_id desc limit $3 offset $4) \
         order by p.published_at desc, p.id desc"
    )
}

/// How many visible posts carry a tag.
pub async fn count_tagged(store: &Store, now: i64, tag_id: i64) -> Result<i64> {
    with_db!(store.reader(), db => sqlx::query_scalar(&count_tagged_sql()).bind(now).bind(tag_id).fetch_one(db).await)
}

fn count_tagged_sql() -> String {
    format!("select count(*) {TAGGED}")
}

/// The publication times of every visible post, for grouping by year and month in
/// the site's time zone (which SQL cannot do portably).
pub async fn visible_times(store: &Store, now: i64) -> Result<Vec<i64>> {
    let sql =
        format!("select p.published_at from posts p where p.kind = 'post' and {VISIBLE} order by p.published_at desc");
    with_db!(store.reader(), db => sqlx::query_scalar(&sql).bind(now).fetch_all(db).await)
}

/// One page of the visible posts published in `[from, until)`, newest first.
pub async fn between_page(
    store: &Store,
    now: i64,
    from: i64,
    until: i64,
    limit: u32,
    skip: u64,
) -> Result<Vec<PostSummary>> {
    let sql = format!(
        "select {SUMMARY_COLUMNS} from posts p \
         where p.kind = 'post' and {VISIBLE} and p.published_at >= $2 and p.published_at < $3 \
         order by p.published_at desc, p.id desc limit $4 offset $5"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, PostSummary>(&sql)
        .bind(now)
        .bind(from)
        .bind(until)
        .bind(i64::from(limit))
        .bind(offset(skip))
        .fetch_all(db)
        .await)
}

/// How many visible posts were published in `[from, until)`.
pub async fn count_between(store: &Store, now: i64, from: i64, until: i64) -> Result<i64> {
    let sql = format!(
        "select count(*) from posts p \
         where p.kind = 'post' and {VISIBLE} and p.published_at >= $2 and p.published_at < $3"
    );
    with_db!(store.reader(), db => sqlx::query_scalar(&sql).bind(now).bind(from).bind(until).fetch_one(db).await)
}

/// The visible posts just before (older) and just after (newer) the post published
/// at `published_at` with id `id`. Posts published in the same second are ordered by id.
pub async fn neighbours(
    store: &Store,
    now: i64,
    published_at: i64,
    id: i64,
) -> Result<(Option<PostLink>, Option<PostLink>)> {
    let older = with_db!(store.reader(), db => sqlx::query_as::<_, PostLink>(&older_sql())
        .bind(now)
        .bind(published_at)
        .bind(id)
        .fetch_optional(db)
        .await)?;
    let newer = with_db!(store.reader(), db => sqlx::query_as::<_, PostLink>(&newer_sql())
        .bind(now)
        .bind(published_at)
        .bind(id)
        .fetch_optional(db)
        .await)?;
    Ok((older, newer))
}

/// `$1` now, `$2` and `$3` the post's time and id. The plain bound on
/// `published_at` (implied by the condition after it) is what an index range can
/// start from: without it PostgreSQL walks the listing index from the newest post
/// down to this one, filtering (half the blog for a post in the middle of it).
fn older_sql() -> String {
    format!(
        "select p.slug, p.title from posts p where p.kind = 'post' and {VISIBLE} and p.published_at <= $2 \
           and (p.published_at < $2 or (p.published_at = $2 and p.id < $3)) \
         order by p.published_at desc, p.id desc limit 1"
    )
}

/// Like [`older_sql`], the other way.
fn newer_sql() -> String {
    format!(
        "select p.slug, p.title from posts p where p.kind = 'post' and {VISIBLE} and p.published_at >= $2 \
           and (p.published_at > $2 or (p.published_at = $2 and p.id > $3)) \
         order by p.published_at, p.id limit 1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{Param, fresh_store, plan};

    /// A tag page reads its rows in order from one index and a tag's count reads one
    /// index range: never a walk over every post of the blog or of the tag.
    #[tokio::test]
    async fn tag_pages_read_one_index_in_order() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let params = [Param::Int(0), Param::Int(1), Param::Int(10), Param::Int(0)];

        for sql in [tagged_page_sql(), count_tagged_sql()] {
            let steps = plan(&store, &sql, &params).await?;
            assert!(steps.iter().any(|s| s.contains("pt USING COVERING INDEX post_tags_visible")), "{steps:#?}");
            assert!(!steps.iter().any(|s| s.contains("posts_listing") || s.starts_with("SCAN")), "{steps:#?}");
        }
        let page = plan(&store, &tagged_page_sql(), &params).await?;
        let sorts = page.iter().filter(|s| s.contains("TEMP B-TREE")).count();
        assert!(sorts <= 1, "only the page's ten rows are sorted: {page:#?}");
        store.close().await;
        Ok(())
    }

    /// A post's previous and next links read from the listing index, starting at the
    /// post: never a walk over every post of the blog.
    #[tokio::test]
    async fn neighbours_start_from_the_post_in_the_listing_index() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let params = [Param::Int(100), Param::Int(50), Param::Int(7)];

        for sql in [older_sql(), newer_sql()] {
            let steps = plan(&store, &sql, &params).await?;
            assert!(steps.iter().any(|s| s.contains("USING INDEX posts_listing")), "{steps:#?}");
            assert!(!steps.iter().any(|s| s.starts_with("SCAN")), "{steps:#?}");
        }
        store.close().await;
        Ok(())
    }
}

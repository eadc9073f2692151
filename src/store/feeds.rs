//! What the feeds and the sitemap read: the newest visible posts with their tags,
//! the newest approved comments, and every public URL with its last change.
//!
//! Comment rows embed [`PublicComment`], which has no email field.

use crate::domain::status::PostKind;
use sqlx::FromRow;

use super::comments::PublicComment;
use super::posts::VISIBLE;
use super::{Result, Store};
use crate::with_db;

/// A post as a feed entry shows it.
#[derive(Debug, Clone, FromRow)]
pub struct FeedPost {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub excerpt: String,
    pub author_name: String,
    pub published_at: i64,
    pub updated_at: i64,
    pub created_at: i64,
    /// The WordPress GUID of an imported post: its feed id stays the one readers know.
    pub wp_guid: Option<String>,
    pub comment_count: i64,
}

/// A tag of a feed entry.
#[derive(Debug, Clone, FromRow)]
pub struct FeedTag {
    pub post_id: i64,
    pub slug: String,
    pub name: String,
}

/// An approved comment with the post it belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct FeedComment {
    #[sqlx(flatten)]
    pub comment: PublicComment,
    pub post_id: i64,
    pub post_kind: PostKind,
    pub post_slug: String,
    pub post_title: String,
    pub post_created_at: i64,
    pub post_wp_guid: Option<String>,
}

/// A public URL's row for the sitemap: a post or a page.
#[derive(Debug, Clone, FromRow)]
pub struct SitemapPost {
    pub kind: PostKind,
    pub slug: String,
    pub published_at: i64,
    pub updated_at: i64,
    pub last_comment_at: Option<i64>,
}

/// A tag for the sitemap, with the newest change among its posts.
#[derive(Debug, Clone, FromRow)]
pub struct SitemapTag {
    pub slug: String,
    pub last_published_at: i64,
    pub last_updated_at: i64,
}

const FEED_POST_COLUMNS: &str = "p.id, p.slug, p.title, p.body_html, p.excerpt, p.author_name, \
    p.published_at, p.updated_at, p.created_at, p.wp_guid, \
    (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count";

const FEED_COMMENT_COLUMNS: &str = "c.id, c.parent_id, c.kind, c.author_name, c.author_url, c.body_html, c.created_at, \
    c.user_id is not null as by_author, \
    p.id as post_id, p.kind as post_kind, p.slug as post_slug, p.title as post_title, \
    p.created_at as post_created_at, p.wp_guid as post_wp_guid";

/// The newest `limit` visible posts, newest first; with `tag_id`, only those carrying it.
pub async fn newest_posts(store: &Store, now: i64, tag_id: Option<i64>, limit: u32) -> Result<Vec<FeedPost>> {
    let tagged = if tag_id.is_some() {
        "and exists (select 1 from post_tags pt where pt.post_id = p.id and pt.tag_id = $3)"
    } else {
        ""
    };
    let sql = format!(
        "select {FEED_POST_COLUMNS} from posts p where p.kind = 'post' and {VISIBLE} {tagged} \
         order by p.published_at desc, p.id desc limit $2"
    );
    with_db!(store.reader(), db => {
        let mut query = sqlx::query_as::<_, FeedPost>(&sql).bind(now).bind(i64::from(limit));
        if let Some(tag_id) = tag_id {
            query = query.bind(tag_id);
        }
        query.fetch_all(db).await
    })
}

/// The tags of the given posts, by post then name.
pub async fn tags_of(store: &Store, post_ids: &[i64]) -> Result<Vec<FeedTag>> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = super::placeholders(1, post_ids.len());
    let sql = format!(
        "select pt.post_id, t.slug, t.name from post_tags pt join tags t on t.id = pt.tag_id \
         where pt.post_id in ({}) order by pt.post_id, t.name",
        placeholders
    );
    with_db!(store.reader(), db => {
        let mut query = sqlx::query_as::<_, FeedTag>(&sql);
        for id in post_ids {
            query = query.bind(*id);
        }
        query.fetch_all(db).await
    })
}

/// The newest `limit` approved comments on visible posts and pages, newest first;
/// with `post_id`, on that post only.
pub async fn newest_comments(store: &Store, now: i64, post_id: Option<i64>, limit: u32) -> Result<Vec<FeedComment>> {
    let on_post = if post_id.is_some() { "and p.id = $3" } else { "" };
    let sql = format!(
        "select {FEED_COMMENT_COLUMNS} from comments c join posts p on p.id = c.post_id \
         where c.status = 'approved' and c.deleted_at is null and p.kind in ('post', 'page') and {VISIBLE} {on_post} \
         order by c.created_at desc, c.id desc limit $2"
    );
    with_db!(store.reader(), db => {
        let mut query = sqlx::query_as::<_, FeedComment>(&sql).bind(now).bind(i64::from(limit));
        if let Some(post_id) = post_id {
            query = query.bind(post_id);
        }
        query.fetch_all(db).await
    })
}

/// Every visible post and page, newest first, at most `limit`.
pub async fn sitemap_posts(store: &Store, now: i64, limit: u32) -> Result<Vec<SitemapPost>> {
    let sql = format!(
        "select p.kind, p.slug, p.published_at, p.updated_at, \
           (select max(c.created_at) from comments c where c.post_id = p.id and c.status = 'approved') \
             as last_comment_at \
         from posts p where p.kind in ('post', 'page') and {VISIBLE} \
         order by p.published_at desc, p.id desc limit $2"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, SitemapPost>(&sql).bind(now).bind(i64::from(limit)).fetch_all(db).await)
}

/// Every tag carried by a visible post, with the newest publication and edit among them.
pub async fn sitemap_tags(store: &Store, now: i64, limit: u32) -> Result<Vec<SitemapTag>> {
    let sql = format!(
        "select t.slug, max(p.published_at) as last_published_at, max(p.updated_at) as last_updated_at \
         from tags t join post_tags pt on pt.tag_id = t.id join posts p on p.id = pt.post_id \
         where p.kind = 'post' and {VISIBLE} \
         group by t.id, t.slug order by t.slug limit $2"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, SitemapTag>(&sql).bind(now).bind(i64::from(limit)).fetch_all(db).await)
}

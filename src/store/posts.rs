//! Posts and pages: the public listings and lookups, and inserts.

use crate::domain::status::{PostKind, PostStatus};
use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store};
use crate::with_db;

/// SQL condition for a post readers may see: published, or scheduled and now due.
/// Kept as one fragment so every listing uses the same rule (and the same index).
pub const VISIBLE: &str = "p.status in ('published', 'scheduled') and p.published_at <= $1";

/// A post as its public page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct PublicPost {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub excerpt: String,
    pub author_name: String,
    pub comments_open: bool,
    pub published_at: i64,
    pub updated_at: i64,
}

/// A post in a listing: enough for a title, date, excerpt and comment count.
#[derive(Debug, Clone, FromRow)]
pub struct PostSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub published_at: i64,
    pub comment_count: i64,
}

/// A post or page to insert.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    pub kind: PostKind,
    pub slug: &'a str,
    pub title: &'a str,
    pub source: &'a str,
    pub source_format: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub status: PostStatus,
    /// The site user who wrote it, if one did (imports have only a name).
    pub author_id: Option<i64>,
    pub author_name: &'a str,
    pub comments_open: bool,
    pub published_at: Option<i64>,
    /// Place in the site navigation (pages).
    pub menu_order: i64,
    pub now: i64,
}

/// One page of visible posts, newest first.
pub async fn visible_page(store: &Store, now: i64, limit: u32, offset: u64) -> Result<Vec<PostSummary>> {
    let sql = format!(
        "select p.id, p.slug, p.title, p.excerpt, p.published_at, \
           (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as comment_count \
         from posts p \
         where p.kind = 'post' and {VISIBLE} \
         order by p.published_at desc, p.id desc \
         limit $2 offset $3"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, PostSummary>(&sql)
        .bind(now)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(db)
        .await)
}

/// How many posts readers can see.
pub async fn count_visible(store: &Store, now: i64) -> Result<i64> {
    let sql = format!("select count(*) from posts p where p.kind = 'post' and {VISIBLE}");
    with_db!(store.reader(), db => sqlx::query_scalar(&sql).bind(now).fetch_one(db).await)
}

/// A visible post (not a page) by its slug.
pub async fn visible_by_slug(store: &Store, now: i64, slug: &str) -> Result<Option<PublicPost>> {
    let sql = format!(
        "select p.id, p.kind, p.slug, p.title, p.body_html, p.excerpt, p.author_name, p.comments_open, \
           p.published_at, p.updated_at \
         from posts p where p.slug = $2 and p.kind = 'post' and {VISIBLE}"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, PublicPost>(&sql).bind(now).bind(slug).fetch_optional(db).await)
}

/// Inserts a post inside an open transaction, returning its id.
pub async fn insert_in(mut tx: Conn<'_>, post: &NewPost<'_>) -> Result<i64> {
    with_db!(tx.reborrow(), cx => sqlx::query_scalar(
        "insert into posts (kind, slug, title, source, source_format, body_html, excerpt, status, \
           author_id, author_name, comments_open, published_at, menu_order, updated_at, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) returning id",
    )
    .bind(post.kind)
    .bind(post.slug)
    .bind(post.title)
    .bind(post.source)
    .bind(post.source_format)
    .bind(post.body_html)
    .bind(post.excerpt)
    .bind(post.status)
    .bind(post.author_id)
    .bind(post.author_name)
    .bind(post.comments_open)
    .bind(post.published_at)
    .bind(post.menu_order)
    .bind(post.now)
    .fetch_one(cx)
    .await)
}

/// Inserts a post, returning its id.
pub async fn insert(store: &Store, post: &NewPost<'_>) -> Result<i64> {
    let mut tx = store.begin_write().await?;
    let id = insert_in(tx.conn(), post).await?;
    tx.commit().await?;
    Ok(id)
}

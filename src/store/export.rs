//! Reading everything out for an export, in one read transaction so that the export
//! is a consistent snapshot while the site keeps taking comments. Rows carry emails:
//! an export is the owner's own backup.

use crate::domain::status::{CommentKind, CommentStatus, PostKind, PostStatus};
use sqlx::FromRow;

use super::db::Transact;
use super::{Backend, Result, Store};
use crate::with_db;

/// A post or page, with everything a round trip needs.
#[derive(Debug, Clone, FromRow)]
pub struct ExportPost {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub source: String,
    pub source_format: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub sticky: bool,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub comments_open: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub wp_id: Option<i64>,
    pub wp_guid: Option<String>,
    pub wp_permalink: Option<String>,
    /// The library item shown at the post's top.
    pub featured_media_id: Option<i64>,
}

/// A comment of any status, with its author's email.
#[derive(Debug, Clone, FromRow)]
pub struct ExportComment {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub kind: CommentKind,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub user_id: Option<i64>,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub status_before_trash: Option<CommentStatus>,
    pub rule: String,
    pub author_ip: String,
    pub user_agent: String,
    pub created_at: i64,
}

/// A user, as a WXR author.
#[derive(Debug, Clone, FromRow)]
pub struct ExportUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
}

/// A media file, without its bytes (WordPress fetches them from the site).
#[derive(Debug, Clone, FromRow)]
pub struct ExportMedia {
    pub id: i64,
    pub path: String,
    pub title: String,
    pub alt: String,
    pub created_at: i64,
    pub wp_id: Option<i64>,
}

/// A tag.
#[derive(Debug, Clone, FromRow)]
pub struct ExportTag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A read transaction the export reads everything through.
pub struct Snapshot {
    tx: Transact,
}

impl Snapshot {
    /// Starts the snapshot (the first read fixes it).
    pub async fn begin(store: &Store) -> Result<Self> {
        let begin = match store.backend() {
            Backend::Sqlite => "begin",
            Backend::Postgres => "begin isolation level repeatable read, read only",
        };
        let mut tx = store.read_pool().begin_with(begin).await?;
        with_db!(tx.conn(), cx => sqlx::query("select 1 from site_state").execute(cx).await.map(|_| ()))?;
        Ok(Self { tx })
    }

    pub async fn settings(&mut self) -> Result<Vec<(String, String)>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as("select name, value from settings order by name").fetch_all(cx).await)
    }

    pub async fn users(&mut self) -> Result<Vec<ExportUser>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportUser>("select id, username, display_name, email from users order by id")
            .fetch_all(cx)
            .await)
    }

    /// Author names of posts no user account is linked to.
    pub async fn unlinked_authors(&mut self) -> Result<Vec<String>> {
        with_db!(self.tx.conn(), cx => sqlx::query_scalar(
            "select distinct author_name from posts where author_id is null and author_name <> '' order by author_name",
        )
        .fetch_all(cx)
        .await)
    }

    pub async fn tags(&mut self) -> Result<Vec<ExportTag>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportTag>("select id, slug, name from tags order by id").fetch_all(cx).await)
    }

    /// WordPress ids already given to posts and media (an export must not reuse them).
    pub async fn wp_ids(&mut self) -> Result<Vec<i64>> {
        with_db!(self.tx.conn(), cx => sqlx::query_scalar(
            "select wp_id from posts where wp_id is not null union select wp_id from media where wp_id is not null",
        )
        .fetch_all(cx)
        .await)
    }

    /// The largest post id, WordPress id or media id.
    pub async fn max_id(&mut self) -> Result<i64> {
        // Each maximum on its own, folded here: SQLite's `max(a, b, ...)` has no
        // PostgreSQL twin (`greatest`), and this reads the same on both.
        let (a, b, c, d): (i64, i64, i64, i64) = with_db!(self.tx.conn(), cx => sqlx::query_as(
            "select coalesce((select max(id) from posts), 0), coalesce((select max(wp_id) from posts), 0), \
               coalesce((select max(wp_id) from media), 0), coalesce((select max(id) from media), 0)",
        )
        .fetch_one(cx)
        .await)?;
        Ok(a.max(b).max(c).max(d))
    }

    /// The id and WordPress id of every post and page [`Self::posts_after`] reads, by id.
    pub async fn post_keys(&mut self) -> Result<Vec<(i64, Option<i64>)>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as(
            "select id, wp_id from posts where status <> 'importing' order by id",
        )
        .fetch_all(cx)
        .await)
    }

    /// The id and WordPress id of every file [`Self::media_after`] reads, by id.
    pub async fn media_keys(&mut self) -> Result<Vec<(i64, Option<i64>)>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as(
            "select id, wp_id from media \
             where not exists (select 1 from media_variants x where x.variant_id = media.id) order by id",
        )
        .fetch_all(cx)
        .await)
    }

    /// Up to `limit` posts and pages after id `after`, by id.
    pub async fn posts_after(&mut self, after: i64, limit: i64) -> Result<Vec<ExportPost>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportPost>(
            "select id, kind, slug, title, source, source_format, body_html, excerpt, status, sticky, author_id, \
               author_name, comments_open, published_at, updated_at, created_at, wp_id, wp_guid, wp_permalink, \
               featured_media_id \
             from posts where id > $1 and status <> 'importing' order by id limit $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(cx)
        .await)
    }

    /// The tags of a post.
    pub async fn tags_of(&mut self, post_id: i64) -> Result<Vec<ExportTag>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportTag>(
            "select t.id, t.slug, t.name from tags t join post_tags pt on pt.tag_id = t.id where pt.post_id = $1 \
             order by t.name",
        )
        .bind(post_id)
        .fetch_all(cx)
        .await)
    }

    /// Up to `limit` comments of a post after id `after`, by id, in every status.
    pub async fn comments_after(&mut self, post_id: i64, after: i64, limit: i64) -> Result<Vec<ExportComment>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportComment>(
            "select id, post_id, parent_id, kind, author_name, author_email, author_url, user_id, body, body_html, \
               status, status_before_trash, rule, author_ip, user_agent, created_at \
             from comments where post_id = $1 and id > $2 order by id limit $3",
        )
        .bind(post_id)
        .bind(after)
        .bind(limit)
        .fetch_all(cx)
        .await)
    }

    /// Up to `limit` media files after id `after` (library items: the variants made
    /// from a file are not attachments of their own).
    pub async fn media_after(&mut self, after: i64, limit: i64) -> Result<Vec<ExportMedia>> {
        with_db!(self.tx.conn(), cx => sqlx::query_as::<_, ExportMedia>(
            "select id, path, title, alt, created_at, wp_id from media where id > $1 \
             and not exists (select 1 from media_variants x where x.variant_id = media.id) order by id limit $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(cx)
        .await)
    }

    /// Ends the snapshot.
    pub async fn finish(self) -> Result<()> {
        with_db!(self.tx, tx => tx.rollback().await)
    }
}

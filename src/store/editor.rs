//! Posts and pages as the editor sees them: every status, listings with counts,
//! and the writes of the editor (save, trash, restore, delete).

use crate::domain::status::{PostKind, PostStatus};
use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store, posts, tags};
use crate::with_db;
use crate::wordpress::links::key_of_path;

/// A post or page in the admin list.
#[derive(Debug, Clone, FromRow)]
pub struct PostRow {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub author_name: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub menu_order: i64,
    pub approved_comments: i64,
    pub pending_comments: i64,
}

/// A post or page being edited.
#[derive(Debug, Clone, FromRow)]
pub struct EditPost {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub source: String,
    pub source_format: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub comments_open: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub menu_order: i64,
    /// The library image shown at its top (see [`super::featured`]).
    pub featured_media_id: Option<i64>,
}

/// Posts per status for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub draft: i64,
    pub published: i64,
    pub scheduled: i64,
    pub trash: i64,
    /// Private posts (from a WordPress import): no tab of their own, but listed under All.
    pub private: i64,
}

impl Counts {
    /// Everything but the trash: what the "all" view lists.
    pub fn all(&self) -> i64 {
        self.draft + self.published + self.scheduled + self.private
    }

    /// How many posts the listing filter `view` shows (see `status_filter`; "all" for
    /// any other name).
    pub fn of_view(&self, view: &str) -> i64 {
        match view {
            "published" => self.published,
            "scheduled" => self.scheduled,
            "draft" => self.draft,
            "trash" => self.trash,
            _ => self.all(),
        }
    }
}

/// What the editor stores.
#[derive(Debug, Clone)]
pub struct SavePost<'a> {
    pub kind: PostKind,
    pub slug: &'a str,
    pub title: &'a str,
    pub source: &'a str,
    pub source_format: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub status: PostStatus,
    pub comments_open: bool,
    pub published_at: Option<i64>,
    pub menu_order: i64,
    pub tags: &'a [String],
    pub author_id: i64,
    pub author_name: &'a str,
    pub now: i64,
    /// A library image checked with [`super::featured::choosable`] (none if it was
    /// deleted since).
    pub featured_media_id: Option<i64>,
}

/// The statuses a listing filter shows; "all" is everything but the trash (and the
/// posts an import is writing, which are not anyone's yet).
/// Scheduled posts whose time has come count as published.
fn status_filter(view: &str) -> &'static str {
    match view {
        "published" => " and (p.status = 'published' or (p.status = 'scheduled' and p.published_at <= $2))",
        "scheduled" => " and p.status = 'scheduled' and p.published_at > $2",
        "draft" => " and p.status = 'draft'",
        "trash" => " and p.status = 'trash'",
        _ => " and p.status not in ('trash', 'importing')",
    }
}

/// Posts (or pages) per status.
pub async fn counts(store: &Store, kind: PostKind, now: i64) -> Result<Counts> {
    let rows: Vec<(PostStatus, i64)> = with_db!(store.reader(), db => sqlx::query_as(
        "select case when status = 'scheduled' and published_at <= $2 then 'published' else status end as s, \
           count(*) from posts where kind = $1 group by s",
    )
    .bind(kind)
    .bind(now)
    .fetch_all(db)
    .await)?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status {
            PostStatus::Draft => counts.draft = n,
            PostStatus::Published => counts.published = n,
            PostStatus::Scheduled => counts.scheduled = n,
            PostStatus::Trash => counts.trash = n,
            PostStatus::Private => counts.private = n,
            PostStatus::Importing => {}
        }
    }
    Ok(counts)
}

/// One page of posts (or pages) in the `view` filter whose title contains `search`,
/// newest first (pages: by navigation order, then title).
pub async fn list(
    store: &Store,
    kind: PostKind,
    view: &str,
    search: &str,
    now: i64,
    limit: u32,
    offset: u64,
) -> Result<Vec<PostRow>> {
    let sql = list_sql(kind, view, search);
    with_db!(store.reader(), db => sqlx::query_as::<_, PostRow>(&sql)
        .bind(kind)
        .bind(now)
        .bind(title_pattern(search))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(db)
        .await)
}

/// How many rows [`list`] pages through.
pub async fn count(store: &Store, kind: PostKind, view: &str, search: &str, now: i64) -> Result<i64> {
    let sql = format!("select count(*) from posts p where p.kind = $1{}{}", status_filter(view), title_filter(search));
    with_db!(store.reader(), db => sqlx::query_scalar(&sql).bind(kind).bind(now).bind(title_pattern(search)).fetch_one(db).await)
}

/// The condition on the title for `search` (`$3`, [`title_pattern`]); none for an
/// empty search, which would otherwise lower-case every title of the blog to match
/// them all (`$3` is still bound, and unused).
fn title_filter(search: &str) -> &'static str {
    if search.is_empty() { "" } else { " and lower(p.title) like $3 escape '\\'" }
}

fn title_pattern(search: &str) -> String {
    let escaped = super::escape_like(&search.to_lowercase());
    format!("%{escaped}%")
}

/// The columns of a [`PostRow`], from `posts p`.
const ROW_COLUMNS: &str = "p.id, p.kind, p.slug, p.title, p.status, p.author_name, p.published_at, p.updated_at, \
    p.created_at, p.menu_order, \
    (select count(*) from comments c where c.post_id = p.id and c.status = 'approved') as approved_comments, \
    (select count(*) from comments c where c.post_id = p.id and c.status = 'pending') as pending_comments";

/// [`list`]'s statement: `$1` kind, `$2` now, `$3` title pattern, `$4` limit, `$5`
/// offset. Posts come in the order of the `posts_admin_order` index (migration 0024),
/// so a page reads its rows in order instead of sorting every post.
fn list_sql(kind: PostKind, view: &str, search: &str) -> String {
    let order = if kind == PostKind::Page {
        "p.menu_order, lower(p.title), p.id"
    } else {
        "coalesce(p.published_at, p.updated_at) desc, p.id desc"
    };
    format!(
        "select {ROW_COLUMNS} from posts p where p.kind = $1{}{} order by {order} limit $4 offset $5",
        status_filter(view),
        title_filter(search)
    )
}

/// [`recent`]'s statement (`$1` limit), in the order of the `posts_recent` index.
const RECENT: &str = "p.status not in ('trash', 'importing') order by p.updated_at desc, p.id desc limit $1";

/// The most recently changed posts and pages, any status but trash.
pub async fn recent(store: &Store, limit: u32) -> Result<Vec<PostRow>> {
    let sql = format!("select {ROW_COLUMNS} from posts p where {RECENT}");
    with_db!(store.reader(), db => sqlx::query_as::<_, PostRow>(&sql).bind(i64::from(limit)).fetch_all(db).await)
}

/// The tag names of each of `post_ids`, as `(post_id, name)` pairs sorted by name.
pub async fn tags_of(store: &Store, post_ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = super::placeholders(1, post_ids.len());
    let sql = format!(
        "select pt.post_id, t.name from post_tags pt join tags t on t.id = pt.tag_id \
         where pt.post_id in ({marks}) order by lower(t.name)"
    );
    with_db!(store.reader(), db => {
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in post_ids {
            q = q.bind(*id);
        }
        q.fetch_all(db).await
    })
}

/// A post or page by id, any status.
pub async fn by_id(store: &Store, id: i64) -> Result<Option<EditPost>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, EditPost>(
        "select id, kind, slug, title, source, source_format, body_html, excerpt, status, comments_open, \
           published_at, updated_at, menu_order, featured_media_id from posts where id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await)
}

/// The id of the post or page that has `slug`, if any.
pub async fn slug_owner(store: &Store, slug: &str) -> Result<Option<i64>> {
    with_db!(store.reader(), db => sqlx::query_scalar("select id from posts where slug = $1").bind(slug).fetch_optional(db).await)
}

/// Every slug that starts with `prefix` (for picking a free `-2`, `-3`, ...).
pub async fn slugs_like(store: &Store, prefix: &str) -> Result<Vec<String>> {
    let escaped = super::escape_like(prefix);
    with_db!(store.reader(), db => sqlx::query_scalar("select slug from posts where slug like $1 escape '\\'")
        .bind(format!("{escaped}%"))
        .fetch_all(db)
        .await)
}

/// The outcome of saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Yes(i64),
    /// Another post or page has the slug.
    SlugTaken,
    /// The post to update does not exist.
    Missing,
}

/// Creates a post (`id` is `None`) or updates one, with its tags, in one transaction.
pub async fn save(store: &Store, id: Option<i64>, p: &SavePost<'_>) -> Result<Saved> {
    let mut tx = store.begin_write().await?;
    let owner: Option<i64> = with_db!(tx.conn(), cx => sqlx::query_scalar("select id from posts where slug = $1").bind(p.slug).fetch_optional(cx).await)?;
    if owner.is_some() && owner != id {
        return Ok(Saved::SlugTaken);
    }
    let id = match id {
        None => {
            let post = posts::NewPost {
                kind: p.kind,
                slug: p.slug,
                title: p.title,
                source: p.source,
                source_format: p.source_format,
                body_html: p.body_html,
                excerpt: p.excerpt,
                status: p.status,
                author_id: Some(p.author_id),
                author_name: p.author_name,
                comments_open: p.comments_open,
                published_at: p.published_at,
                menu_order: p.menu_order,
                now: p.now,
            };
            let id = posts::insert_in(tx.conn(), &post).await?;
            if p.featured_media_id.is_some() {
                with_db!(tx.conn(), cx => sqlx::query("update posts set featured_media_id = (select id from media where id = $1) where id = $2")
                    .bind(p.featured_media_id)
                    .bind(id)
                    .execute(cx)
                    .await
                    .map(|_| ()))?;
            }
            id
        }
        Some(id) => {
            let old_slug: Option<String> = with_db!(tx.conn(), cx => sqlx::query_scalar("select slug from posts where id = $1 and kind = $2")
                .bind(id)
                .bind(p.kind)
                .fetch_optional(cx)
                .await)?;
            if let Some(old) = old_slug.filter(|old| old != p.slug) {
                remember_old_address(tx.conn(), id, p.kind, &old, p.slug).await?;
            }
            let n = with_db!(tx.conn(), cx => sqlx::query(
                "update posts set slug = $1, title = $2, source = $3, body_html = $4, excerpt = $5, status = $6, \
                   comments_open = $7, published_at = $8, menu_order = $9, updated_at = $10, featured_media_id = (select id from media where id = $13) \
                 where id = $11 and kind = $12",
            )
            .bind(p.slug)
            .bind(p.title)
            .bind(p.source)
            .bind(p.body_html)
            .bind(p.excerpt)
            .bind(p.status)
            .bind(p.comments_open)
            .bind(p.published_at)
            .bind(p.menu_order)
            .bind(p.now)
            .bind(id)
            .bind(p.kind)
            .bind(p.featured_media_id)
            .execute(cx)
            .await.map(|r| r.rows_affected()))?;
            if n != 1 {
                return Ok(Saved::Missing);
            }
            id
        }
    };
    let names: Vec<&str> = p.tags.iter().map(String::as_str).collect();
    tags::set_for_post_in(tx.conn(), id, &names).await?;
    tx.commit().await?;
    Ok(Saved::Yes(id))
}

/// Keeps a renamed post's old address answering: a `301` from `/posts/{old}` (or
/// `/{old}` for a page) to the new one, through the old-links table the WordPress
/// import also fills. The new address stops redirecting anywhere else.
async fn remember_old_address(mut conn: Conn<'_>, id: i64, kind: PostKind, old: &str, new: &str) -> Result<()> {
    let address = |slug: &str| if kind == PostKind::Page { format!("/{slug}") } else { format!("/posts/{slug}") };
    if let Some(key) = key_of_path(&address(new)) {
        with_db!(conn.reborrow(), cx => sqlx::query("delete from legacy_links where key = $1").bind(key).execute(cx).await.map(|r| r.rows_affected()))?;
    }
    if let Some(key) = key_of_path(&address(old)) {
        with_db!(conn.reborrow(), cx => sqlx::query(
            "insert into legacy_links (key, post_id) values ($1, $2) \
             on conflict (key) do update set post_id = excluded.post_id, tag_id = null, media_id = null",
        )
        .bind(key)
        .bind(id)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Moves a post to the trash; returns false when it was not there to move.
pub async fn trash(store: &Store, id: i64, now: i64) -> Result<bool> {
    set_status(store, id, "status <> 'trash'", PostStatus::Trash, now).await
}

/// Restores a trashed post as a draft (as WordPress does), so that nothing goes
/// public again by accident.
pub async fn restore(store: &Store, id: i64, now: i64) -> Result<bool> {
    set_status(store, id, "status = 'trash'", PostStatus::Draft, now).await
}

async fn set_status(store: &Store, id: i64, condition: &str, status: PostStatus, now: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let sql = format!("update posts set status = $1, updated_at = $2 where id = $3 and {condition}");
    let changed = with_db!(tx.conn(), cx => sqlx::query(&sql).bind(status).bind(now).bind(id).execute(cx).await.map(|r| r.rows_affected()))?
        == 1;
    if changed {
        tx.commit().await?;
    }
    Ok(changed)
}

/// Deletes a trashed post for good, with its comments and tags.
pub async fn delete(store: &Store, id: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query("delete from posts where id = $1 and status = 'trash'")
        .bind(id)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?
        == 1;
    if changed {
        tx.commit().await?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{Param, fresh_store, plan};

    /// Without their indexes both sort every post for each page of the panel (90 ms
    /// on 100,000 posts).
    #[tokio::test]
    async fn the_post_list_and_the_recent_posts_read_in_index_order() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let params = [Param::Text("post"), Param::Int(0), Param::Text("%%"), Param::Int(20), Param::Int(0)];
        for view in ["all", "published", "draft"] {
            let steps = plan(&store, &list_sql(PostKind::Post, view, ""), &params).await?;
            assert!(steps.iter().any(|s| s.contains("posts_admin_order")), "{view}: {steps:#?}");
            assert!(!steps.iter().any(|s| s.contains("TEMP B-TREE")), "{view}: {steps:#?}");
        }
        let recent = format!("select p.id from posts p where {RECENT}");
        let steps = plan(&store, &recent, &[Param::Int(5)]).await?;
        assert!(steps.iter().any(|s| s.contains("posts_recent")), "{steps:#?}");
        assert!(!steps.iter().any(|s| s.contains("TEMP B-TREE")), "{steps:#?}");
        store.close().await;
        Ok(())
    }
}

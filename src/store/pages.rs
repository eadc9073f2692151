//! Standalone pages as readers see them: served at `/{slug}` and listed in the
//! site navigation, never in the post list or feeds.

use super::posts::{PublicPost, VISIBLE};
use super::{Result, Store};
use crate::domain::settings::NavLink;
use crate::with_db;

/// A visible page by its slug.
pub async fn visible_by_slug(store: &Store, now: i64, slug: &str) -> Result<Option<PublicPost>> {
    let sql = format!(
        "select p.id, p.kind, p.slug, p.title, p.body_html, p.excerpt, p.author_name, p.comments_open, \
           p.published_at, p.updated_at \
         from posts p where p.slug = $2 and p.kind = 'page' and {VISIBLE}"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, PublicPost>(&sql).bind(now).bind(slug).fetch_optional(db).await)
}

/// The navigation's page links: visible pages by their order, then title.
pub async fn nav(store: &Store, now: i64) -> Result<Vec<NavLink>> {
    let sql = format!(
        "select p.title, p.slug from posts p where p.kind = 'page' and {VISIBLE} \
         order by p.menu_order, lower(p.title), p.id"
    );
    let rows: Vec<(String, String)> =
        with_db!(store.reader(), db => sqlx::query_as(&sql).bind(now).fetch_all(db).await)?;
    Ok(rows.into_iter().map(|(title, slug)| NavLink { title, path: format!("/{slug}") }).collect())
}

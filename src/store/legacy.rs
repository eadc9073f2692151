//! Old addresses: the keys an import recorded, and the lookups that turn an old
//! WordPress link into the address of what it names now. Only what readers can see
//! is ever named (a draft's old link stays a 404).

use super::posts::VISIBLE;
use super::{Result, Store};
use crate::with_db;

/// What an old address names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A visible post or page.
    Post {
        kind: String,
        slug: String,
    },
    Tag {
        slug: String,
    },
    Media {
        path: String,
    },
}

type Row = (Option<String>, Option<String>, Option<String>, Option<String>);

/// The target recorded under `key` (a normalised path or `?cat=5`-style query).
pub async fn by_key(store: &Store, now: i64, key: &str) -> Result<Option<Target>> {
    let sql = format!(
        "select p.kind, p.slug, t.slug, m.path from legacy_links l \
         left join posts p on p.id = l.post_id and {VISIBLE} \
         left join tags t on t.id = l.tag_id \
         left join media m on m.id = l.media_id \
         where l.key = $2"
    );
    let row: Option<Row> =
        with_db!(store.reader(), db => sqlx::query_as(&sql).bind(now).bind(key).fetch_optional(db).await)?;
    Ok(row.and_then(|(kind, post_slug, tag_slug, media_path)| match (kind, post_slug, tag_slug, media_path) {
        (Some(kind), Some(slug), _, _) => Some(Target::Post { kind, slug }),
        (_, _, Some(slug), _) => Some(Target::Tag { slug }),
        (_, _, _, Some(path)) => Some(Target::Media { path }),
        _ => None,
    }))
}

/// The visible post or page that had WordPress id `wp_id` (`/?p=ID`, `/?page_id=ID`).
pub async fn visible_by_wp_id(store: &Store, now: i64, wp_id: i64) -> Result<Option<Target>> {
    let sql = format!("select p.kind, p.slug from posts p where p.wp_id = $2 and {VISIBLE}");
    let row: Option<(String, String)> =
        with_db!(store.reader(), db => sqlx::query_as(&sql).bind(now).bind(wp_id).fetch_optional(db).await)?;
    Ok(row.map(|(kind, slug)| Target::Post { kind, slug }))
}

/// The visible post or page with this slug.
pub async fn visible_by_slug(store: &Store, now: i64, slug: &str) -> Result<Option<Target>> {
    let sql = format!("select p.kind, p.slug from posts p where p.slug = $2 and {VISIBLE}");
    let row: Option<(String, String)> =
        with_db!(store.reader(), db => sqlx::query_as(&sql).bind(now).bind(slug).fetch_optional(db).await)?;
    Ok(row.map(|(kind, slug)| Target::Post { kind, slug }))
}

/// The tag with this slug, if there is one.
pub async fn tag_by_slug(store: &Store, slug: &str) -> Result<Option<Target>> {
    let row: Option<String> = with_db!(store.reader(), db => sqlx::query_scalar("select slug from tags where slug = $1").bind(slug).fetch_optional(db).await)?;
    Ok(row.map(|slug| Target::Tag { slug }))
}

/// The path the old blog lived under (`/blog`), when it was not a domain's root.
pub async fn old_base_path(store: &Store) -> Result<Option<String>> {
    with_db!(store.reader(), db => sqlx::query_scalar("select value from settings where name = 'wp_base_path'").fetch_optional(db).await)
}

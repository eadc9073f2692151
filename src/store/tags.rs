//! Tags: the names attached to posts (WordPress categories and tags both become tags).

use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store};
use crate::domain::slug::slugify;
use crate::with_db;

/// A tag as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// The tags of a post, by name.
pub async fn for_post(store: &Store, post_id: i64) -> Result<Vec<Tag>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Tag>(
        "select t.id, t.slug, t.name from tags t join post_tags pt on pt.tag_id = t.id \
         where pt.post_id = $1 order by t.name",
    )
    .bind(post_id)
    .fetch_all(db)
    .await)
}

/// Replaces a post's tags with `names` inside a write transaction, creating tags
/// that do not exist yet. Names that make no slug are skipped; duplicates collapse.
pub async fn set_for_post_in(mut conn: Conn<'_>, post_id: i64, names: &[&str]) -> Result<()> {
    with_db!(conn.reborrow(), cx => sqlx::query("delete from post_tags where post_id = $1").bind(post_id).execute(cx).await.map(|r| r.rows_affected()))?;
    for name in names {
        let name = name.trim();
        let slug = slugify(name);
        if slug.is_empty() {
            continue;
        }
        let tag_id: i64 = with_db!(conn.reborrow(), cx => sqlx::query_scalar(
            "insert into tags (slug, name) values ($1, $2) \
             on conflict (slug) do update set slug = excluded.slug returning id",
        )
        .bind(&slug)
        .bind(name)
        .fetch_one(cx)
        .await)?;
        with_db!(conn.reborrow(), cx => sqlx::query("insert into post_tags (post_id, tag_id) values ($1, $2) on conflict do nothing")
            .bind(post_id)
            .bind(tag_id)
            .execute(cx)
            .await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Replaces a post's tags (see [`set_for_post_in`]).
pub async fn set_for_post(store: &Store, post_id: i64, names: &[&str]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    set_for_post_in(tx.conn(), post_id, names).await?;
    tx.commit().await
}

//! The site's data version: bumped by the database itself (triggers, migration
//! 0009) in the transaction of every write that changes something a reader can
//! see, whoever makes it; read by caches and HTTP validators to know whether
//! anything public changed.

use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store};
use crate::with_db;

/// The data version and the time of the visible write that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct SiteState {
    pub version: i64,
    pub changed_at: i64,
}

const STATE: &str = "select version, changed_at from site_state where id = 1";

/// Reads the current data version.
pub async fn state(store: &Store) -> Result<SiteState> {
    with_db!(store.reader(), db => sqlx::query_as::<_, SiteState>(STATE).fetch_one(db).await)
}

/// Reads the current data version on `conn`.
pub async fn state_on(mut conn: Conn<'_>) -> Result<SiteState> {
    with_db!(conn.reborrow(), cx => sqlx::query_as::<_, SiteState>(STATE).fetch_one(cx).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::fresh_store;

    /// Runs `sql` in a write transaction and says whether the data version moved.
    async fn bumps(store: &Store, sql: &str) -> anyhow::Result<bool> {
        let before = state(store).await?.version;
        let mut tx = store.begin_write().await?;
        with_db!(tx.conn(), cx => sqlx::query(sql).execute(cx).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(state(store).await?.version != before)
    }

    #[tokio::test]
    async fn only_writes_a_reader_can_see_move_the_data_version() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let post = |id: i64, slug: &str, status: &str| {
            format!(
                "insert into posts (id, slug, title, source, body_html, status, published_at, updated_at, created_at) \
                 values ({id}, '{slug}', 't', '', '', '{status}', 1, 1, 1)"
            )
        };
        let comment = |id: i64, post: i64, status: &str| {
            format!(
                "insert into comments (id, post_id, body, body_html, status, created_at) \
                 values ({id}, {post}, 'b', 'b', '{status}', 1)"
            )
        };
        let cases: Vec<(String, bool)> = vec![
            (post(1, "visible", "published"), true),
            (post(2, "hidden", "importing"), false),
            ("insert into tags (id, slug, name) values (1, 'coal', 'Coal')".into(), true),
            ("insert into post_tags (post_id, tag_id) values (2, 1)".into(), false),
            (comment(1, 2, "approved"), false),
            ("update posts set updated_at = 2 where id = 2".into(), false),
            ("insert into post_tags (post_id, tag_id) values (1, 1)".into(), true),
            (comment(2, 1, "pending"), false),
            ("update comments set status = 'spam' where id = 2".into(), false),
            ("update comments set status = 'approved' where id = 2".into(), true),
            ("update comments set body_html = 'edited' where id = 2".into(), true),
            ("update comments set status = 'trash' where id = 2".into(), true),
            ("delete from comments where id = 2".into(), false),
            ("delete from posts where id = 2".into(), false),
            ("update posts set status = 'published' where id = 1".into(), true),
            (
                "insert into settings (name, value) values ('site_title', 'T') \
                 on conflict (name) do update set value = excluded.value"
                    .into(),
                true,
            ),
            ("insert into users (username, display_name, password_hash, created_at) values ('a', 'A', 'x', 1)".into(), false),
            ("insert into login_failures (client, username, failed_at) values ('192.0.2.1', 'a', 1)".into(), false),
            ("insert into sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) select 'h', id, 'c', 1, 1 from users".into(), false),
            ("update sessions set last_seen_at = 2".into(), false),
            ("insert into legacy_links (key, post_id) values ('/?p=1', 1)".into(), true),
            (
                "insert into media (path, content_type, size, sha256, created_at, bytes) values ('a.png', 'image/png', 1, 'x', 1, x'00')"
                    .into(),
                true,
            ),
            ("delete from posts where id = 1".into(), true),
        ];
        for (sql, visible) in cases {
            assert_eq!(bumps(&store, &sql).await?, visible, "{sql}");
        }
        Ok(())
    }
}

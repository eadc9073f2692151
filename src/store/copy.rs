//! Copying a whole site from one database to another, either backend to either:
//! `hewn copy` (a SQLite site moving up to PostgreSQL, or back) and `hewn backup` on
//! PostgreSQL (into a SQLite file).
//!
//! The source is read in one snapshot (a repeatable-read transaction on PostgreSQL,
//! one read transaction on SQLite), so the copy is consistent while the site keeps
//! serving. The target must be empty (migrated, nothing in it); everything is
//! written in one transaction with the source's ids, then the identity sequences
//! move past them (PostgreSQL), the data version is carried over, and the row
//! counts of both sides are compared.

use sqlx::Row as _;

use super::db::Transact;
use super::{Backend, Result, Store};
use crate::with_db;

/// How a column is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
}

use Kind::{Bool, Bytes, Int, Text};

/// A table and its columns, in an order where every foreign key points at a table
/// copied before it. `site_state` comes last, so that the version the copy's own
/// writes bump is replaced by the source's.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    ("settings", &[("name", Text), ("value", Text)]),
    (
        "users",
        &[
            ("id", Int),
            ("username", Text),
            ("display_name", Text),
            ("email", Text),
            ("password_hash", Text),
            ("role", Text),
            ("created_at", Int),
        ],
    ),
    (
        "posts",
        &[
            ("id", Int),
            ("kind", Text),
            ("slug", Text),
            ("title", Text),
            ("source", Text),
            ("source_format", Text),
            ("body_html", Text),
            ("excerpt", Text),
            ("status", Text),
            ("sticky", Bool),
            ("author_id", Int),
            ("author_name", Text),
            ("comments_open", Bool),
            ("published_at", Int),
            ("updated_at", Int),
            ("created_at", Int),
            ("wp_id", Int),
            ("wp_guid", Text),
            ("wp_permalink", Text),
            ("menu_order", Int),
            ("featured_media_id", Int),
        ],
    ),
    ("tags", &[("id", Int), ("slug", Text), ("name", Text)]),
    ("post_tags", &[("post_id", Int), ("tag_id", Int), ("visible_at", Int)]),
    (
        "comments",
        &[
            ("id", Int),
            ("post_id", Int),
            ("parent_id", Int),
            ("kind", Text),
            ("author_name", Text),
            ("author_email", Text),
            ("author_url", Text),
            ("user_id", Int),
            ("body", Text),
            ("body_html", Text),
            ("status", Text),
            ("status_before_trash", Text),
            ("rule", Text),
            ("author_ip", Text),
            ("user_agent", Text),
            ("created_at", Int),
            ("wp_id", Int),
            ("disqus_id", Int),
            ("edited_at", Int),
            ("deleted_at", Int),
            ("avatar_key", Text),
        ],
    ),
    (
        "sessions",
        &[("id_hash", Text), ("user_id", Int), ("csrf_token", Text), ("created_at", Int), ("last_seen_at", Int)],
    ),
    ("login_failures", &[("id", Int), ("client", Text), ("username", Text), ("failed_at", Int), ("device", Text)]),
    ("setup_tokens", &[("token_hash", Text), ("created_at", Int)]),
    (
        "media",
        &[
            ("id", Int),
            ("path", Text),
            ("content_type", Text),
            ("size", Int),
            ("sha256", Text),
            ("title", Text),
            ("alt", Text),
            ("created_at", Int),
            ("wp_id", Int),
            ("bytes", Bytes),
        ],
    ),
    ("media_items", &[("media_id", Int), ("name", Text), ("caption", Text), ("width", Int), ("height", Int)]),
    ("media_variants", &[("variant_id", Int), ("media_id", Int), ("kind", Text), ("width", Int), ("height", Int)]),
    ("legacy_links", &[("key", Text), ("post_id", Int), ("tag_id", Int), ("media_id", Int)]),
    ("mail_addresses", &[("id", Int), ("email", Text), ("confirmed_at", Int), ("created_at", Int)]),
    ("mail_subscriptions", &[("id", Int), ("address_id", Int), ("post_id", Int), ("created_at", Int)]),
    (
        "mail_outbox",
        &[
            ("id", Int),
            ("kind", Text),
            ("recipient", Text),
            ("post_id", Int),
            ("comment_id", Int),
            ("address_id", Int),
            ("status", Text),
            ("attempts", Int),
            ("due_at", Int),
            ("claimed_until", Int),
            ("subject", Text),
            ("last_error", Text),
            ("created_at", Int),
            ("sent_at", Int),
        ],
    ),
    ("mail_outbox_comments", &[("outbox_id", Int), ("comment_id", Int)]),
    ("mail_confirmations", &[("email", Text), ("client", Text), ("sent_at", Int), ("kind", Text)]),
    ("mail_notified", &[("comment_id", Int)]),
    ("commenter_links", &[("id", Int), ("email", Text), ("created_at", Int)]),
    ("privacy_requests", &[("id", Int), ("kind", Text), ("source", Text), ("comments", Int), ("created_at", Int)]),
    ("spam_features", &[("feature", Text), ("spam", Int), ("ham", Int), ("seen_at", Int)]),
    ("spam_model", &[("id", Int), ("spam_docs", Int), ("ham_docs", Int), ("version", Int)]),
    ("spam_labels", &[("comment_id", Int), ("label", Text)]),
    ("spam_verdicts", &[("comment_id", Int), ("score", Int), ("reasons", Text)]),
    ("site_state", &[("id", Int), ("version", Int), ("changed_at", Int)]),
];

/// Tables whose one row every migrated database has: the copy replaces it.
const SEEDED: &[&str] = &["site_state", "spam_model"];

/// Tables whose `id` is an identity column on PostgreSQL.
const IDENTITIES: &[&str] = &[
    "users",
    "posts",
    "tags",
    "comments",
    "login_failures",
    "media",
    "mail_addresses",
    "mail_subscriptions",
    "mail_outbox",
    "commenter_links",
    "privacy_requests",
];

/// Rows read and written at a time (media rows carry whole files).
const BATCH: i64 = 500;

/// One column's value.
#[derive(Debug, Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Bytes(Option<Vec<u8>>),
}

/// What a copy moved: rows per table, in copy order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    pub tables: Vec<(&'static str, i64)>,
}

impl Copied {
    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> i64 {
        self.tables.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

/// Why a copy did not happen or did not finish (the target is left as it was).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target database is not empty ({0} has rows); copy only into a new database")]
    TargetNotEmpty(&'static str),
    #[error("the copy does not match: {table} has {in_source} rows in the source but {in_copy} in the copy")]
    Mismatch { table: &'static str, in_source: i64, in_copy: i64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Copies everything from `source` into `target`, which must be migrated and empty.
pub async fn copy(source: &Store, target: &Store) -> std::result::Result<Copied, CopyError> {
    for (table, _) in TABLES {
        if SEEDED.contains(table) {
            continue;
        }
        let sql = format!("select count(*) from {table}");
        let n: i64 = with_db!(target.reader(), db => sqlx::query_scalar(&sql).fetch_one(db).await)?;
        if n > 0 {
            return Err(CopyError::TargetNotEmpty(table));
        }
    }
    let begin = match source.backend() {
        Backend::Sqlite => "begin",
        Backend::Postgres => "begin isolation level repeatable read, read only",
    };
    let mut snapshot = source.read_pool().begin_with(begin).await?;
    let mut write = target.begin_write().await?;
    // A whole site's rows: no per-statement time limit for this copy.
    if source.backend() == Backend::Postgres {
        with_db!(snapshot.conn(), cx => sqlx::query("set local statement_timeout = 0").execute(cx).await.map(|_| ()))?;
    }
    if target.backend() == Backend::Postgres {
        with_db!(write.conn(), cx => sqlx::query("set local statement_timeout = 0").execute(cx).await.map(|_| ()))?;
    }
    with_db!(write.conn(), cx => {
        let defer = match target.backend() {
            Backend::Sqlite => "pragma defer_foreign_keys = on",
            Backend::Postgres => "set constraints all deferred",
        };
        sqlx::query(defer).execute(cx).await.map(|_| ())
    })?;
    for table in SEEDED {
        let sql = format!("delete from {table}");
        with_db!(write.conn(), cx => sqlx::query(&sql).execute(cx).await.map(|_| ()))?;
    }
    let mut copied = Copied::default();
    for (table, columns) in TABLES {
        let (mut n, mut after) = (0, i64::MIN);
        loop {
            let rows = read_batch(&mut snapshot, table, columns, n, after).await?;
            let Some(last) = rows.last() else { break };
            if let Some(Value::Int(Some(id))) = last.first() {
                after = *id;
            }
            n += i64::try_from(rows.len()).unwrap_or(i64::MAX);
            write_batch(&mut write, table, columns, rows).await?;
        }
        copied.tables.push((table, n));
    }
    if target.backend() == Backend::Postgres {
        for table in IDENTITIES {
            let sql = format!(
                "select setval(pg_get_serial_sequence('{table}', 'id'), coalesce((select max(id) from {table}), 0) + 1, false)"
            );
            with_db!(write.conn(), cx => sqlx::query(&sql).execute(cx).await.map(|_| ()))?;
        }
    }
    for (table, expected) in &copied.tables {
        let sql = format!("select count(*) from {table}");
        let got: i64 = with_db!(write.conn(), cx => sqlx::query_scalar(&sql).fetch_one(cx).await)?;
        if got != *expected {
            return Err(CopyError::Mismatch { table, in_source: *expected, in_copy: got });
        }
    }
    write.commit().await?;
    with_db!(snapshot, tx => tx.rollback().await)?;
    Ok(copied)
}

/// Up to [`BATCH`] rows of `table` in primary-key order: for a table keyed by `id`
/// the rows after id `after`, for the others the rows from row `offset`.
async fn read_batch(
    snapshot: &mut Transact,
    table: &str,
    columns: &[(&str, Kind)],
    offset: i64,
    after: i64,
) -> Result<Vec<Vec<Value>>> {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let (filter, order, skip) = match table {
        "post_tags" => ("", "post_id, tag_id", offset),
        "settings" => ("", "name", offset),
        "sessions" => ("", "id_hash", offset),
        "setup_tokens" => ("", "token_hash", offset),
        "legacy_links" => ("", "key", offset),
        "media_items" => ("", "media_id", offset),
        "media_variants" => ("", "variant_id", offset),
        "mail_outbox_comments" => ("", "outbox_id, comment_id", offset),
        "mail_confirmations" => ("", "sent_at, email, client, kind", offset),
        "mail_notified" => ("", "comment_id", offset),
        "spam_features" => ("", "feature", offset),
        "spam_labels" | "spam_verdicts" => ("", "comment_id", offset),
        _ => ("where id > $3", "id", 0),
    };
    let sql = format!("select {} from {table} {filter} order by {order} limit $1 offset $2", names.join(", "));
    with_db!(snapshot.conn(), cx => {
        let mut q = sqlx::query(&sql).bind(BATCH).bind(skip);
        if !filter.is_empty() {
            q = q.bind(after);
        }
        let rows = q.fetch_all(cx).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = Vec::with_capacity(columns.len());
            for (i, (_, kind)) in columns.iter().enumerate() {
                values.push(match kind {
                    Int => Value::Int(row.try_get(i)?),
                    Text => Value::Text(row.try_get(i)?),
                    Bool => Value::Bool(row.try_get(i)?),
                    Bytes => Value::Bytes(row.try_get(i)?),
                });
            }
            out.push(values);
        }
        Ok(out)
    })
}

/// Inserts `rows` into `table`, each with its own values, in one statement.
async fn write_batch(
    write: &mut super::WriteTx,
    table: &str,
    columns: &[(&str, Kind)],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    // Small statements for big rows (media), and under both backends' bind limits.
    for chunk in rows.chunks(if table == "media" { 1 } else { 50 }) {
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let mut marks = Vec::with_capacity(chunk.len());
        for i in 0..chunk.len() {
            marks.push(format!("({})", super::placeholders(i * columns.len() + 1, columns.len())));
        }
        let sql = format!("insert into {table} ({}) values {}", names.join(", "), marks.join(", "));
        with_db!(write.conn(), cx => {
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for value in row {
                    q = match value {
                        Value::Int(v) => q.bind(*v),
                        Value::Text(v) => q.bind(v.clone()),
                        Value::Bool(v) => q.bind(*v),
                        Value::Bytes(v) => q.bind(v.clone()),
                    };
                }
            }
            q.execute(cx).await.map(|_| ())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod every_table {
    use super::TABLES;
    use crate::store::testing::fresh_store;
    use crate::with_db;

    /// A table added by a migration but not here would be left behind by `hewn copy`
    /// and `hewn backup` on PostgreSQL: every table of the schema is copied (the
    /// search index and the comment counts are rebuilt by their triggers).
    #[tokio::test]
    async fn every_table_of_the_schema_is_copied() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let names: Vec<String> = with_db!(store.reader(), db => sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' \
               and name not like '_sqlx%' and name not like 'post_search%' and name <> 'comment_counts'",
        )
        .fetch_all(db)
        .await)?;
        let copied: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        for name in &names {
            assert!(copied.contains(&name.as_str()), "{name} is not copied");
        }
        store.close().await;
        Ok(())
    }

    /// A column added to a copied table but not to its list here would be dropped by
    /// `hewn copy` and `hewn backup` on PostgreSQL (a featured image, say).
    #[tokio::test]
    async fn every_column_of_a_copied_table_is_copied() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        for (table, columns) in TABLES {
            let sql = format!("select name from pragma_table_info('{table}')");
            let names: Vec<String> = with_db!(store.reader(), db => sqlx::query_scalar(&sql).fetch_all(db).await)?;
            for name in &names {
                assert!(columns.iter().any(|(c, _)| c == name), "{table}.{name} is not copied");
            }
        }
        store.close().await;
        Ok(())
    }
}

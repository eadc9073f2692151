//! Comments: the approved thread a post page shows, and inserts.
//!
//! Public reads select into [`PublicComment`], which has no email field: an address
//! cannot reach a public page because the type that renders it cannot hold one.

use crate::domain::status::{CommentKind, CommentStatus};
use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store};
use crate::domain::thread::Threaded;
use crate::with_db;

/// A comment as readers see it.
#[derive(Debug, Clone, FromRow)]
pub struct PublicComment {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: CommentKind,
    pub author_name: String,
    pub author_url: String,
    pub body_html: String,
    pub created_at: i64,
    /// Written by a user of the site (shown as the post's author).
    pub by_author: bool,
    /// Its number on the WordPress site it was imported from (read where pages show it).
    #[sqlx(default)]
    pub wp_id: Option<i64>,
    /// When its author last edited it (read where pages show it).
    #[sqlx(default)]
    pub edited_at: Option<i64>,
    /// Deleted by its author but kept for its replies: shown as a placeholder.
    #[sqlx(default)]
    pub deleted: bool,
    /// What its avatar is drawn from (read where pages show avatars).
    #[sqlx(default)]
    pub avatar_key: String,
}

impl Threaded for PublicComment {
    fn id(&self) -> i64 {
        self.id
    }
    fn parent_id(&self) -> Option<i64> {
        self.parent_id
    }
}

/// A comment to insert, with every field the moderation pipeline decided.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub kind: CommentKind,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub user_id: Option<i64>,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: CommentStatus,
    pub rule: &'a str,
    pub author_ip: &'a str,
    pub user_agent: &'a str,
    pub created_at: i64,
    /// See `domain::privacy::avatar_key` (empty: the default avatar).
    pub avatar_key: &'a str,
}

/// The approved comments of a post, oldest first.
pub async fn approved_for_post(store: &Store, post_id: i64) -> Result<Vec<PublicComment>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, PublicComment>(
        "select id, parent_id, kind, author_name, author_url, body_html, created_at, \
           user_id is not null as by_author, wp_id, edited_at, deleted_at is not null as deleted, avatar_key \
         from comments where post_id = $1 and status = 'approved' order by created_at, id",
    )
    .bind(post_id)
    .fetch_all(db)
    .await)
}

/// The columns an insert writes, in the order [`bind_comment`] binds them.
const INSERT_COLUMNS: &str = "post_id, parent_id, kind, author_name, author_email, author_url, user_id, \
    body, body_html, status, rule, author_ip, user_agent, created_at, avatar_key";
/// Values bound per comment.
const INSERT_PARAMS: usize = 15;

/// Binds `c`'s values in the order of [`INSERT_COLUMNS`] (one body for both drivers).
macro_rules! bind_comment {
    ($query:expr, $c:expr) => {
        $query
            .bind($c.post_id)
            .bind($c.parent_id)
            .bind($c.kind)
            .bind($c.author_name)
            .bind($c.author_email)
            .bind($c.author_url)
            .bind($c.user_id)
            .bind($c.body)
            .bind($c.body_html)
            .bind($c.status)
            .bind($c.rule)
            .bind($c.author_ip)
            .bind($c.user_agent)
            .bind($c.created_at)
            .bind($c.avatar_key)
    };
}

/// Inserts a comment inside an open transaction, returning its id.
pub async fn insert_in(mut tx: Conn<'_>, c: &NewComment<'_>) -> Result<i64> {
    let sql = insert_sql(1);
    with_db!(tx.reborrow(), cx => bind_comment!(sqlx::query_scalar(&sql), c).fetch_one(cx).await)
}

/// Inserts `comments` inside an open transaction in one statement, returning their
/// ids in the same order. Both backends number the rows of one insert in the order
/// of its values, so the returned ids, sorted, are the comments' in order (whatever
/// order `returning` lists them in).
pub async fn insert_many_in(mut tx: Conn<'_>, comments: &[NewComment<'_>]) -> Result<Vec<i64>> {
    if comments.is_empty() {
        return Ok(Vec::new());
    }
    let sql = insert_sql(comments.len());
    let mut ids: Vec<i64> = with_db!(tx.reborrow(), cx => {
        let mut query = sqlx::query_scalar(&sql);
        for c in comments {
            query = bind_comment!(query, c);
        }
        query.fetch_all(cx).await
    })?;
    if ids.len() != comments.len() {
        return Err(sqlx::Error::Protocol(format!("{} comments inserted, {} ids returned", comments.len(), ids.len())));
    }
    ids.sort_unstable();
    Ok(ids)
}

/// An insert of `n` comments returning their ids.
fn insert_sql(n: usize) -> String {
    let rows: Vec<String> =
        (0..n).map(|i| format!("({})", super::placeholders(i * INSERT_PARAMS + 1, INSERT_PARAMS))).collect();
    format!("insert into comments ({INSERT_COLUMNS}) values {} returning id", rows.join(", "))
}

/// Inserts a comment, returning its id.
pub async fn insert(store: &Store, c: &NewComment<'_>) -> Result<i64> {
    let mut tx = store.begin_write().await?;
    let id = insert_in(tx.conn(), c).await?;
    tx.commit().await?;
    Ok(id)
}

//! A commenter's own data: editing or deleting a comment within the edit window,
//! the links that open "your comments" (they name a row, never the address), the
//! comments written with one address, exporting, erasing and deleting them, and the
//! log of those requests (which records no address).

use sqlx::FromRow;

use super::{Result, Store};
use crate::domain::status::CommentStatus;
use crate::with_db;

/// How long a "Manage your comments" link works.
pub const LINK_SECONDS: i64 = 60 * 60;

/// A comment as its author's edit needs it.
#[derive(Debug, Clone, FromRow)]
pub struct Own {
    pub id: i64,
    pub post_id: i64,
    pub status: CommentStatus,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub body: String,
    pub created_at: i64,
    pub deleted: bool,
}

/// A comment by id, for its author's edit or delete.
pub async fn own(store: &Store, id: i64) -> Result<Option<Own>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Own>(
        "select id, post_id, status, author_name, author_email, author_url, author_ip, user_agent, body, \
           created_at, deleted_at is not null as deleted from comments where id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await)
}

/// The comments among `ids` on `post_id` posted after `since` and not deleted: the
/// reader's own comments still within the edit window, in one query.
pub async fn editable(store: &Store, post_id: i64, ids: &[i64], since: i64) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select id from comments where post_id = $1 and created_at > $2 and deleted_at is null and id in ({})",
        super::placeholders(3, ids.len())
    );
    with_db!(store.reader(), db => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(post_id).bind(since);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(db).await
    })
}

/// An author's edit, moderated again: the new text and the status the rules gave it.
#[derive(Debug, Clone)]
pub struct Edit<'a> {
    pub id: i64,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: CommentStatus,
    pub rule: &'a str,
    pub now: i64,
    /// The edit is refused for a comment posted before this time (the window closed).
    pub posted_after: i64,
}

/// Saves an author's edit if the comment is still theirs to edit (within the window,
/// not deleted, not in the trash); returns whether it was saved. A comment the edit
/// approves is announced to subscribers.
pub async fn edit(store: &Store, e: &Edit<'_>) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query(
        "update comments set body = $1, body_html = $2, status = $3, rule = $4, edited_at = $5 \
         where id = $6 and created_at >= $7 and deleted_at is null and status in ('approved', 'pending', 'spam')",
    )
    .bind(e.body)
    .bind(e.body_html)
    .bind(e.status)
    .bind(e.rule)
    .bind(e.now)
    .bind(e.id)
    .bind(e.posted_after)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?
        == 1;
    if !changed {
        return Ok(false);
    }
    if store.mail_on() && e.status == CommentStatus::Approved {
        super::mail::comments_approved(tx.conn(), &[e.id], e.now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Deletes an author's comment within the window: one with replies stays as a
/// placeholder for them, one without disappears. Returns whether anything changed.
pub async fn delete_own(store: &Store, id: i64, now: i64, posted_after: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query(&format!(
        "{ERASE_ALL} deleted_at = $1 where id = $2 and created_at >= $3 and deleted_at is null \
           and status in ('approved', 'pending', 'spam')"
    ))
    .bind(now)
    .bind(id)
    .bind(posted_after)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Ok(false);
    }
    remove_childless_placeholders(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Clears everything a comment says and who said it (the rest of the `set` follows).
const ERASE_ALL: &str = "update comments set body = '', body_html = '', author_name = '', author_email = '', \
       author_url = '', author_ip = '', user_agent = '', avatar_key = '',";

/// Deletes placeholders nothing replies to any more, until none is left (a chain of
/// deleted comments goes at once).
async fn remove_childless_placeholders(tx: &mut super::WriteTx) -> Result<()> {
    loop {
        let gone = with_db!(tx.conn(), cx => sqlx::query(
            "delete from comments where deleted_at is not null \
               and not exists (select 1 from comments r where r.parent_id = comments.id)",
        )
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
        if gone == 0 {
            return Ok(());
        }
    }
}

/// A "Manage your comments" link's row.
#[derive(Debug, Clone, FromRow)]
pub struct Link {
    pub id: i64,
    pub email: String,
    pub created_at: i64,
}

/// Makes a link for `email` and queues its mail, if the limits allow (the asker is
/// told the same either way). Returns whether a mail was queued.
pub async fn request_link(store: &Store, email: &str, client: &str, now: i64) -> Result<bool> {
    let email = email.trim().to_lowercase();
    let mut tx = store.begin_write().await?;
    if !super::mail::limited_mail_allowed(tx.conn(), "manage", &email, client, now).await? {
        return Ok(false);
    }
    let id: i64 = with_db!(tx.conn(), cx => sqlx::query_scalar(
        "insert into commenter_links (email, created_at) values ($1, $2) returning id",
    )
    .bind(&email)
    .bind(now)
    .fetch_one(cx)
    .await)?;
    // The outbox names the link in `address_id`, never carries it in a URL itself.
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into mail_outbox (kind, recipient, address_id, due_at, created_at) values ('manage', $1, $2, $3, $3)",
    )
    .bind(&email)
    .bind(id)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    with_db!(tx.conn(), cx => sqlx::query("delete from commenter_links where created_at < $1")
        .bind(now - LINK_SECONDS)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(true)
}

/// A link's row, while it works.
pub async fn link(store: &Store, id: i64, now: i64) -> Result<Option<Link>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Link>(
        "select id, email, created_at from commenter_links where id = $1 and created_at > $2",
    )
    .bind(id)
    .bind(now - LINK_SECONDS)
    .fetch_optional(db)
    .await)
}

/// A comment as its author's own page and export show it.
#[derive(Debug, Clone, FromRow)]
pub struct Written {
    pub id: i64,
    pub post_title: String,
    pub post_slug: String,
    pub status: CommentStatus,
    pub author_name: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub body: String,
    pub created_at: i64,
}

/// Every comment written with `email` (any case), newest first.
pub async fn written_by(store: &Store, email: &str) -> Result<Vec<Written>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Written>(
        "select c.id, p.title as post_title, p.slug as post_slug, c.status, c.author_name, c.author_url, \
           c.author_ip, c.user_agent, c.body, c.created_at \
         from comments c join posts p on p.id = c.post_id \
         where lower(c.author_email) = $1 and c.deleted_at is null and c.status <> 'importing' \
         order by c.created_at desc, c.id desc",
    )
    .bind(email.trim().to_lowercase())
    .fetch_all(db)
    .await)
}

/// Who asked for a data request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Commenter,
    Admin,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Commenter => "commenter",
            Self::Admin => "admin",
        }
    }
}

/// Removes name, email, website, IP and user agent from every comment written with
/// `email`, keeping their text (they show as "Anonymous"); forgets the address's
/// subscriptions. Returns how many comments changed.
pub async fn erase(store: &Store, email: &str, source: Source, now: i64) -> Result<u64> {
    let email = email.trim().to_lowercase();
    let mut tx = store.begin_write().await?;
    let n = with_db!(tx.conn(), cx => sqlx::query(
        "update comments set author_name = '', author_email = '', author_url = '', author_ip = '', user_agent = '', \
           avatar_key = '' where lower(author_email) = $1",
    )
    .bind(&email)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    forget_address(&mut tx, &email).await?;
    log_in(&mut tx, "erase", source, n, now).await?;
    tx.commit().await?;
    Ok(n)
}

/// Deletes every comment written with `email`: text and author go; one with replies
/// stays as a placeholder for them. Returns how many comments were written with it.
pub async fn delete_all(store: &Store, email: &str, source: Source, now: i64) -> Result<u64> {
    let email = email.trim().to_lowercase();
    let mut tx = store.begin_write().await?;
    let n = with_db!(tx.conn(), cx => sqlx::query(&format!(
        "{ERASE_ALL} deleted_at = $1 where lower(author_email) = $2 and deleted_at is null"
    ))
    .bind(now)
    .bind(&email)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    remove_childless_placeholders(&mut tx).await?;
    forget_address(&mut tx, &email).await?;
    log_in(&mut tx, "delete", source, n, now).await?;
    tx.commit().await?;
    Ok(n)
}

/// Forgets a subscriber's address (its subscriptions go with it) and its queued mail.
async fn forget_address(tx: &mut super::WriteTx, email: &str) -> Result<()> {
    with_db!(tx.conn(), cx => sqlx::query(
        "update mail_outbox set status = 'dropped', last_error = 'the address was erased' \
         where recipient = $1 and status = 'queued'",
    )
    .bind(email)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    with_db!(tx.conn(), cx => sqlx::query("delete from mail_addresses where email = $1")
        .bind(email)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

async fn log_in(tx: &mut super::WriteTx, kind: &str, source: Source, comments: u64, now: i64) -> Result<()> {
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into privacy_requests (kind, source, comments, created_at) values ($1, $2, $3, $4)",
    )
    .bind(kind)
    .bind(source.as_str())
    .bind(i64::try_from(comments).unwrap_or(i64::MAX))
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records an export (of `comments` comments) in the request log.
pub async fn log_export(store: &Store, source: Source, comments: usize, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    log_in(&mut tx, "export", source, u64::try_from(comments).unwrap_or(u64::MAX), now).await?;
    tx.commit().await
}

/// One data request in the log.
#[derive(Debug, Clone, FromRow)]
pub struct Request {
    pub kind: String,
    pub source: String,
    pub comments: i64,
    pub created_at: i64,
}

/// The newest requests.
pub async fn requests(store: &Store, limit: i64) -> Result<Vec<Request>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Request>(
        "select kind, source, comments, created_at from privacy_requests order by created_at desc, id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await)
}

/// Comments whose addresses one write of the retention task erases: a short write,
/// however many a large, old site has the first time (the writer lock is held briefly).
pub const RETENTION_BATCH: i64 = 1_000;

/// Erases the IP address and user agent of comments posted before `before`, in short
/// writes of [`RETENTION_BATCH`]; returns how many comments changed. It reads first
/// and writes only when there is something to erase, so every instance can run it
/// without doubling the work.
pub async fn erase_old_addresses(store: &Store, before: i64) -> Result<u64> {
    let mut total = 0;
    loop {
        let due: bool = with_db!(store.reader(), db => sqlx::query_scalar(
            "select exists (select 1 from comments where created_at < $1 and (author_ip <> '' or user_agent <> ''))",
        )
        .bind(before)
        .fetch_one(db)
        .await)?;
        if !due {
            return Ok(total);
        }
        let mut tx = store.begin_write().await?;
        let n = with_db!(tx.conn(), cx => sqlx::query(
            "update comments set author_ip = '', user_agent = '' where id in ( \
               select id from comments where created_at < $1 and (author_ip <> '' or user_agent <> '') limit $2)",
        )
        .bind(before)
        .bind(RETENTION_BATCH)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        total += n;
        // Let other writers in between two batches.
        tokio::task::yield_now().await;
    }
}

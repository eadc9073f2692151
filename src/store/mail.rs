//! The mail tables: the outbox, commenters' addresses and subscriptions, the
//! confirmation log.
//!
//! Events queue their messages in their own transaction ([`after_comment_stored`],
//! [`comments_approved`]), so a rolled-back event sends nothing and a committed one
//! cannot lose its mail. The sender claims due rows ([`claim_due`]): one claimant per
//! row, through the single writer on SQLite and `for update skip locked` on
//! PostgreSQL; a claim expires, so a sender killed mid-send leaves its rows to the
//! next one (at least once, same `Message-ID`).
//!
//! Only confirmed addresses get anything but their one confirmation mail.

use sqlx::FromRow;

use super::db::Conn;
use super::{Backend, Result, Store, placeholders};
use crate::domain::status::CommentStatus;
use crate::with_db;

/// Several approvals on one post within this many seconds reach a subscriber as one mail.
pub const NOTIFY_GROUP_SECONDS: i64 = 15 * 60;
/// Unconfirmed addresses (and their subscriptions) are forgotten after this long.
pub const UNCONFIRMED_SECONDS: i64 = 7 * 24 * 60 * 60;
/// At most this many confirmation mails to one address per hour, and per day.
pub const CONFIRM_PER_ADDRESS_HOUR: i64 = 1;
pub const CONFIRM_PER_ADDRESS_DAY: i64 = 3;
/// At most this many confirmation mails asked for by one client per hour.
pub const CONFIRM_PER_CLIENT_HOUR: i64 = 5;
/// Sent and dropped messages are kept this long for the admin's outbox page.
const KEEP_SENT_SECONDS: i64 = 30 * 24 * 60 * 60;

/// What a stored comment's transaction queues besides the comment (nothing when mail is off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailPlan {
    /// Mail is on; without it nothing below is looked at.
    pub on: bool,
    /// The commenter ticked "Notify me of follow-up comments by email".
    pub subscribe: bool,
    /// Tell the admins about a held comment.
    pub admin_on_held: bool,
    /// Tell the admins about every comment that appears.
    pub admin_on_posted: bool,
    /// An address that gets the admins' mails besides their accounts' (may be empty).
    pub extra_address: String,
}

/// A comment just stored, as the mail it causes needs it.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub id: i64,
    pub post_id: i64,
    pub status: CommentStatus,
    pub author_email: &'a str,
    pub client: &'a str,
    pub now: i64,
}

/// Queues what the comments one group commit stored cause, in its transaction: the
/// admins' mails (for the whole batch in one statement), the confirmation of a new
/// subscriber, and, for an approved comment, the subscribers' notifications.
pub async fn after_batch_stored(mut conn: Conn<'_>, stored: &[(Stored<'_>, &MailPlan)]) -> Result<()> {
    let on: Vec<&(Stored<'_>, &MailPlan)> = stored.iter().filter(|(_, plan)| plan.on).collect();
    if on.is_empty() {
        return Ok(());
    }
    let admin: Vec<(&str, &Stored<'_>, &str)> = on
        .iter()
        .filter_map(|(c, plan)| {
            let kind = match c.status {
                CommentStatus::Pending if plan.admin_on_held => "held",
                CommentStatus::Approved if plan.admin_on_posted => "posted",
                _ => return None,
            };
            Some((kind, c, plan.extra_address.trim()))
        })
        .collect();
    queue_to_admins(conn.reborrow(), &admin).await?;
    for (c, plan) in on {
        // A comment judged spam subscribes no one: its address may be a stranger's.
        if plan.subscribe && matches!(c.status, CommentStatus::Pending | CommentStatus::Approved) {
            subscribe(conn.reborrow(), c.author_email, c.post_id, c.client, c.now).await?;
        }
        if c.status == CommentStatus::Approved {
            comments_approved(conn.reborrow(), &[c.id], c.now).await?;
        }
    }
    Ok(())
}

/// Values bound per comment in [`queue_to_admins`].
const ADMIN_MAIL_PARAMS: usize = 5;

/// One message of its kind about each comment to every admin account with an
/// address, and to the comment's extra address (each address once), in one statement.
async fn queue_to_admins(mut conn: Conn<'_>, comments: &[(&str, &Stored<'_>, &str)]) -> Result<()> {
    if comments.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..comments.len())
        .map(|i| format!("({})", placeholders(i * ADMIN_MAIL_PARAMS + 1, ADMIN_MAIL_PARAMS)))
        .collect();
    let sql = format!(
        "with v (kind, post_id, comment_id, extra, at) as (values {}) \
         insert into mail_outbox (kind, recipient, post_id, comment_id, due_at, created_at) \
         select kind, recipient, post_id, comment_id, at, at from ( \
           select v.kind, lower(u.email) as recipient, v.post_id, v.comment_id, v.at \
             from v join users u on u.email <> '' \
           union \
           select v.kind, lower(v.extra), v.post_id, v.comment_id, v.at from v where v.extra <> '' \
         ) r",
        rows.join(", ")
    );
    with_db!(conn.reborrow(), cx => {
        let mut q = sqlx::query(&sql);
        for (kind, c, extra) in comments {
            q = q.bind(*kind).bind(c.post_id).bind(c.id).bind(*extra).bind(c.now);
        }
        q.execute(cx).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Subscribes `email` to the post; a new or unconfirmed address gets a confirmation
/// mail if the limits allow one (the commenter is told the same either way).
async fn subscribe(mut conn: Conn<'_>, email: &str, post_id: i64, client: &str, now: i64) -> Result<()> {
    let email = email.trim().to_lowercase();
    with_db!(conn.reborrow(), cx => sqlx::query(
        "insert into mail_addresses (email, created_at) values ($1, $2) on conflict (email) do nothing",
    )
    .bind(&email)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    let (address_id, confirmed_at): (i64, Option<i64>) = with_db!(conn.reborrow(), cx => sqlx::query_as(
        "select id, confirmed_at from mail_addresses where email = $1",
    )
    .bind(&email)
    .fetch_one(cx)
    .await)?;
    with_db!(conn.reborrow(), cx => sqlx::query(
        "insert into mail_subscriptions (address_id, post_id, created_at) values ($1, $2, $3) \
         on conflict (address_id, post_id) do nothing",
    )
    .bind(address_id)
    .bind(post_id)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    if confirmed_at.is_some() {
        return Ok(());
    }
    if !limited_mail_allowed(conn.reborrow(), "confirm", &email, client, now).await? {
        tracing::info!("a confirmation mail was not queued: the limits for this address or client are reached");
        return Ok(());
    }
    with_db!(conn.reborrow(), cx => sqlx::query(
        "insert into mail_outbox (kind, recipient, post_id, address_id, due_at, created_at) \
         values ('confirm', $1, $2, $3, $4, $4)",
    )
    .bind(&email)
    .bind(post_id)
    .bind(address_id)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// True when a mail a commenter asks for (`kind`: `confirm`, `manage`) may go to
/// `email` for `client` now; if so, it is counted. At most
/// [`CONFIRM_PER_ADDRESS_HOUR`] an hour and [`CONFIRM_PER_ADDRESS_DAY`] a day to one
/// address, [`CONFIRM_PER_CLIENT_HOUR`] an hour for one client, for each kind.
pub async fn limited_mail_allowed(mut conn: Conn<'_>, kind: &str, email: &str, client: &str, now: i64) -> Result<bool> {
    let (hour, day, client_hour): (i64, i64, i64) = with_db!(conn.reborrow(), cx => sqlx::query_as(
        "select \
           (select count(*) from mail_confirmations where email = $1 and sent_at > $3 and kind = $5), \
           (select count(*) from mail_confirmations where email = $1 and sent_at > $4 and kind = $5), \
           (select count(*) from mail_confirmations where client = $2 and sent_at > $3 and kind = $5)",
    )
    .bind(email)
    .bind(client)
    .bind(now - 3600)
    .bind(now - 86_400)
    .bind(kind)
    .fetch_one(cx)
    .await)?;
    if hour >= CONFIRM_PER_ADDRESS_HOUR || day >= CONFIRM_PER_ADDRESS_DAY || client_hour >= CONFIRM_PER_CLIENT_HOUR {
        return Ok(false);
    }
    with_db!(conn.reborrow(), cx => sqlx::query(
        "insert into mail_confirmations (email, client, sent_at, kind) values ($1, $2, $3, $4)",
    )
    .bind(email)
    .bind(client)
    .bind(now)
    .bind(kind)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Queues the subscribers' notifications for those of `ids` that are approved and
/// were never announced: each joins the subscriber's waiting mail for that post, or
/// starts one due [`NOTIFY_GROUP_SECONDS`] from now. Never to the comment's author.
pub async fn comments_approved(mut conn: Conn<'_>, ids: &[i64], now: i64) -> Result<()> {
    for &id in ids {
        let row: Option<(i64, String, CommentStatus)> = with_db!(conn.reborrow(), cx => sqlx::query_as(
            "select post_id, lower(author_email), status from comments where id = $1",
        )
        .bind(id)
        .fetch_optional(cx)
        .await)?;
        let Some((post_id, author, CommentStatus::Approved)) = row else { continue };
        let first = with_db!(conn.reborrow(), cx => sqlx::query(
            "insert into mail_notified (comment_id) values ($1) on conflict (comment_id) do nothing",
        )
        .bind(id)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
        if first == 0 {
            continue;
        }
        with_db!(conn.reborrow(), cx => sqlx::query(
            "insert into mail_outbox (kind, recipient, post_id, address_id, due_at, created_at) \
             select 'notify', a.email, s.post_id, a.id, $3, $4 \
             from mail_subscriptions s join mail_addresses a on a.id = s.address_id \
             where s.post_id = $1 and a.confirmed_at is not null and a.email <> $2 \
               and not exists (select 1 from mail_outbox o where o.kind = 'notify' and o.status = 'queued' \
                               and o.post_id = s.post_id and o.address_id = a.id)",
        )
        .bind(post_id)
        .bind(&author)
        .bind(now + NOTIFY_GROUP_SECONDS)
        .bind(now)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
        with_db!(conn.reborrow(), cx => sqlx::query(
            "insert into mail_outbox_comments (outbox_id, comment_id) \
             select o.id, $2 from mail_outbox o \
             where o.kind = 'notify' and o.status = 'queued' and o.post_id = $1 and o.recipient <> $3 \
             on conflict (outbox_id, comment_id) do nothing",
        )
        .bind(post_id)
        .bind(id)
        .bind(&author)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// An outbox row claimed for sending.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub post_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub address_id: Option<i64>,
    pub attempts: i64,
    pub created_at: i64,
}

/// True when a row is due (a read, so an idle sender writes nothing).
pub async fn anything_due(store: &Store, now: i64) -> Result<bool> {
    with_db!(store.reader(), db => sqlx::query_scalar(
        "select exists (select 1 from mail_outbox where (status = 'queued' and due_at <= $1) \
           or (status = 'sending' and claimed_until <= $1))",
    )
    .bind(now)
    .fetch_one(db)
    .await)
}

/// Claims up to `limit` due rows (and rows whose earlier claim expired) until
/// `now + lease`: no other sender takes them meanwhile.
pub async fn claim_due(store: &Store, now: i64, lease: i64, limit: i64) -> Result<Vec<Claimed>> {
    let lock = match store.backend() {
        Backend::Postgres => " for update skip locked",
        Backend::Sqlite => "",
    };
    let mut tx = store.begin_write().await?;
    let ids: Vec<i64> = with_db!(tx.conn(), cx => sqlx::query_scalar(&format!(
        "select id from mail_outbox where (status = 'queued' and due_at <= $1) \
           or (status = 'sending' and claimed_until <= $1) order by due_at, id limit $2{lock}"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(cx)
    .await)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let update = format!(
        "update mail_outbox set status = 'sending', claimed_until = $1, attempts = attempts + 1 where id in ({})",
        placeholders(2, ids.len())
    );
    with_db!(tx.conn(), cx => {
        let mut q = sqlx::query(&update).bind(now + lease);
        for id in &ids {
            q = q.bind(*id);
        }
        q.execute(cx).await.map(|r| r.rows_affected())
    })?;
    let select = format!(
        "select id, kind, recipient, post_id, comment_id, address_id, attempts, created_at \
         from mail_outbox where id in ({}) order by due_at, id",
        placeholders(1, ids.len())
    );
    let rows: Vec<Claimed> = with_db!(tx.conn(), cx => {
        let mut q = sqlx::query_as::<_, Claimed>(&select);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(cx).await
    })?;
    tx.commit().await?;
    Ok(rows)
}

/// How a claimed row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        subject: String,
    },
    /// Try again at `due_at`.
    Retry {
        error: String,
        due_at: i64,
    },
    Failed {
        error: String,
    },
    /// Nothing to send any more (the reason is kept for the admin).
    Dropped {
        reason: String,
    },
}

/// Records what became of a claimed row.
pub async fn record(store: &Store, id: i64, outcome: &Outcome, now: i64) -> Result<()> {
    let (status, subject, error, due_at, sent_at) = match outcome {
        Outcome::Sent { subject } => ("sent", subject.as_str(), "", now, Some(now)),
        Outcome::Retry { error, due_at } => ("queued", "", error.as_str(), *due_at, None),
        Outcome::Failed { error } => ("failed", "", error.as_str(), now, None),
        Outcome::Dropped { reason } => ("dropped", "", reason.as_str(), now, None),
    };
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query(
        "update mail_outbox set status = $1, subject = case when $2 = '' then subject else $2 end, \
           last_error = $3, due_at = $4, sent_at = $5, claimed_until = 0 where id = $6",
    )
    .bind(status)
    .bind(subject)
    .bind(error)
    .bind(due_at)
    .bind(sent_at)
    .bind(id)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Forgets unconfirmed addresses (with their subscriptions) after
/// [`UNCONFIRMED_SECONDS`], the confirmation log after a day, and sent messages
/// after a month. Writes only when there is something to forget.
pub async fn housekeeping(store: &Store, now: i64) -> Result<()> {
    let stale: bool = with_db!(store.reader(), db => sqlx::query_scalar(
        "select exists (select 1 from mail_addresses where confirmed_at is null and created_at < $1) \
           or exists (select 1 from mail_confirmations where sent_at < $2) \
           or exists (select 1 from mail_outbox where status in ('sent', 'dropped') and created_at < $3)",
    )
    .bind(now - UNCONFIRMED_SECONDS)
    .bind(now - 86_400)
    .bind(now - KEEP_SENT_SECONDS)
    .fetch_one(db)
    .await)?;
    if !stale {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for (sql, at) in [
        ("delete from mail_addresses where confirmed_at is null and created_at < $1", now - UNCONFIRMED_SECONDS),
        ("delete from mail_confirmations where sent_at < $1", now - 86_400),
        ("delete from mail_outbox where status in ('sent', 'dropped') and created_at < $1", now - KEEP_SENT_SECONDS),
    ] {
        with_db!(tx.conn(), cx => sqlx::query(sql).bind(at).execute(cx).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

/// An approved comment a notification tells about.
#[derive(Debug, Clone, FromRow)]
pub struct NotifyComment {
    pub id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// The comments of a `notify` row that are still approved, oldest first.
pub async fn notify_comments(store: &Store, outbox_id: i64) -> Result<Vec<NotifyComment>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, NotifyComment>(
        "select c.id, c.author_name, c.body, c.created_at from mail_outbox_comments m \
         join comments c on c.id = m.comment_id \
         where m.outbox_id = $1 and c.status = 'approved' order by c.created_at, c.id",
    )
    .bind(outbox_id)
    .fetch_all(db)
    .await)
}

/// A post as a mail names it.
#[derive(Debug, Clone, FromRow)]
pub struct MailPost {
    pub id: i64,
    pub title: String,
    pub slug: String,
}

pub async fn post(store: &Store, id: i64) -> Result<Option<MailPost>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, MailPost>("select id, title, slug from posts where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await)
}

/// A commenter's address.
#[derive(Debug, Clone, FromRow)]
pub struct Address {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<i64>,
}

pub async fn address(store: &Store, id: i64) -> Result<Option<Address>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Address>(
        "select id, email, confirmed_at from mail_addresses where id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await)
}

/// A subscriber's address by the address itself (any case).
pub async fn address_by_email(store: &Store, email: &str) -> Result<Option<Address>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Address>(
        "select id, email, confirmed_at from mail_addresses where email = $1",
    )
    .bind(email.trim().to_lowercase())
    .fetch_optional(db)
    .await)
}

/// Confirms an address; false when it no longer exists.
pub async fn confirm(store: &Store, address_id: i64, now: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query(
        "update mail_addresses set confirmed_at = coalesce(confirmed_at, $2) where id = $1",
    )
    .bind(address_id)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// Ends the address's subscription to `post_id`, or, with `None`, all of them (the
/// address is forgotten: subscribing again asks for confirmation again). Mails not
/// yet sent about those posts are dropped. Returns how many subscriptions ended.
pub async fn unsubscribe(store: &Store, address_id: i64, post_id: Option<i64>) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let ended = match post_id {
        Some(post) => {
            with_db!(tx.conn(), cx => sqlx::query(
                "update mail_outbox set status = 'dropped', last_error = 'unsubscribed' \
                 where address_id = $1 and post_id = $2 and kind = 'notify' and status = 'queued'",
            )
            .bind(address_id)
            .bind(post)
            .execute(cx)
            .await
            .map(|r| r.rows_affected()))?;
            with_db!(tx.conn(), cx => sqlx::query("delete from mail_subscriptions where address_id = $1 and post_id = $2")
                .bind(address_id)
                .bind(post)
                .execute(cx)
                .await
                .map(|r| r.rows_affected()))?
        }
        None => {
            with_db!(tx.conn(), cx => sqlx::query(
                "update mail_outbox set status = 'dropped', last_error = 'unsubscribed' \
                 where address_id = $1 and status = 'queued'",
            )
            .bind(address_id)
            .execute(cx)
            .await
            .map(|r| r.rows_affected()))?;
            let n = with_db!(tx.conn(), cx => sqlx::query("delete from mail_subscriptions where address_id = $1")
                .bind(address_id)
                .execute(cx)
                .await
                .map(|r| r.rows_affected()))?;
            with_db!(tx.conn(), cx => sqlx::query("delete from mail_addresses where id = $1")
                .bind(address_id)
                .execute(cx)
                .await
                .map(|r| r.rows_affected()))?;
            n
        }
    };
    tx.commit().await?;
    Ok(ended)
}

/// One subscription, as its owner or the admin sees it.
#[derive(Debug, Clone, FromRow)]
pub struct Subscription {
    pub id: i64,
    pub address_id: i64,
    /// Admin pages only.
    pub email: String,
    pub confirmed: bool,
    pub post_id: i64,
    pub post_title: String,
    pub post_slug: String,
    pub created_at: i64,
}

const SUBSCRIPTION: &str = "select s.id, s.address_id, a.email, a.confirmed_at is not null as confirmed, \
       s.post_id, p.title as post_title, p.slug as post_slug, s.created_at \
     from mail_subscriptions s join mail_addresses a on a.id = s.address_id join posts p on p.id = s.post_id";

/// Every subscription of one address, newest first.
pub async fn subscriptions_of(store: &Store, address_id: i64) -> Result<Vec<Subscription>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Subscription>(&format!(
        "{SUBSCRIPTION} where s.address_id = $1 order by s.created_at desc, s.id desc"
    ))
    .bind(address_id)
    .fetch_all(db)
    .await)
}

/// Subscriptions whose address or post title contains `search` (all when empty),
/// newest first: the admin's list.
pub async fn subscriptions(store: &Store, search: &str, limit: i64) -> Result<Vec<Subscription>> {
    let pattern = format!("%{}%", super::escape_like(&search.trim().to_lowercase()));
    with_db!(store.reader(), db => sqlx::query_as::<_, Subscription>(&format!(
        "{SUBSCRIPTION} where a.email like $1 escape '\\' or lower(p.title) like $1 escape '\\' \
         order by s.created_at desc, s.id desc limit $2"
    ))
    .bind(pattern)
    .bind(limit)
    .fetch_all(db)
    .await)
}

/// Deletes one subscription (the admin's delete).
pub async fn delete_subscription(store: &Store, id: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let n = with_db!(tx.conn(), cx => sqlx::query("delete from mail_subscriptions where id = $1")
        .bind(id)
        .execute(cx)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// An outbox row on the admin's page.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: i64,
    pub subject: String,
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The newest outbox rows, optionally of one status.
pub async fn outbox(store: &Store, status: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, OutboxEntry>(
        "select id, kind, recipient, status, attempts, due_at, subject, last_error, created_at, sent_at \
         from mail_outbox where cast($1 as text) = '' or status = $1 \
         order by created_at desc, id desc limit $2",
    )
    .bind(status.unwrap_or(""))
    .bind(limit)
    .fetch_all(db)
    .await)
}

/// Outbox rows per status.
pub async fn outbox_counts(store: &Store) -> Result<Vec<(String, i64)>> {
    with_db!(store.reader(), db => sqlx::query_as("select status, count(*) from mail_outbox group by status order by status")
        .fetch_all(db)
        .await)
}

/// Queues a failed (or dropped) row again, due now. False when it is not failed.
pub async fn retry(store: &Store, id: i64, now: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let n = with_db!(tx.conn(), cx => sqlx::query(
        "update mail_outbox set status = 'queued', due_at = $2, last_error = '', attempts = 0 \
         where id = $1 and status = 'failed'",
    )
    .bind(id)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Queues the admin's test message to `recipient`.
pub async fn queue_test(store: &Store, recipient: &str, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into mail_outbox (kind, recipient, due_at, created_at) values ('test', $1, $2, $2)",
    )
    .bind(recipient)
    .bind(now)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

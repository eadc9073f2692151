//! The moderation queue: comments as the admin sees them (with email and IP), counts
//! per status, search, and the status transitions of moderation actions.

use crate::domain::status::{CommentKind, CommentStatus, PostKind, PostStatus};
use sqlx::FromRow;

use super::db::Conn;
use super::placeholders;
use super::{Result, Store, comments};
use crate::domain::queue::{Action, ValidComment, add_to_list};
use crate::with_db;

/// The setting that holds the block list (one entry per line).
const BLOCK_LIST_SETTING: &str = "comment_block_words";

/// A comment in the admin panel. Admin-only: it carries the author's email and IP.
#[derive(Debug, Clone, FromRow)]
pub struct AdminComment {
    pub id: i64,
    pub post_id: i64,
    pub post_title: String,
    pub post_slug: String,
    pub post_kind: PostKind,
    pub post_status: PostStatus,
    pub post_published_at: Option<i64>,
    pub parent_id: Option<i64>,
    pub parent_author: Option<String>,
    pub kind: CommentKind,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub user_id: Option<i64>,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub rule: String,
    pub created_at: i64,
}

/// How many comments have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: i64,
    pub approved: i64,
    pub spam: i64,
    pub trash: i64,
}

impl Counts {
    /// WordPress's "All": pending and approved (spam and trash are kept apart).
    pub fn all(&self) -> i64 {
        self.pending + self.approved
    }

    /// How many comments the queue's view `view` lists ("all" for any name that is
    /// not a status with a view of its own).
    pub fn of_view(&self, view: &str) -> i64 {
        match view {
            "pending" => self.pending,
            "approved" => self.approved,
            "spam" => self.spam,
            "trash" => self.trash,
            _ => self.all(),
        }
    }
}

/// An admin's reply to a comment.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    pub parent_id: i64,
    pub user_id: i64,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub author_ip: &'a str,
    pub user_agent: &'a str,
    pub now: i64,
}

const SELECT: &str = "select c.id, c.post_id, p.title as post_title, p.slug as post_slug, p.kind as post_kind, \
       p.status as post_status, p.published_at as post_published_at, c.parent_id, pc.author_name as parent_author, c.kind, c.author_name, \
       c.author_email, c.author_url, c.author_ip, c.user_agent, c.user_id, c.body, c.body_html, c.status, \
       c.rule, c.created_at \
     from comments c join posts p on p.id = c.post_id left join comments pc on pc.id = c.parent_id";

/// Leaves out the comments of posts an import is still writing (see
/// `store::import::IMPORTING`): they are no one's to moderate until it shows them.
/// It costs a look at each comment's post, so it is added only while an import is
/// at work ([`importing`]).
const NOT_IMPORTING: &str =
    "post_id not in (select p.id from posts p where p.kind in ('post', 'page') and p.status = 'importing')";

/// True while an import is writing hidden posts (one indexed lookup).
async fn importing(store: &Store) -> Result<bool> {
    with_db!(store.reader(), db => sqlx::query_scalar(IMPORTING).fetch_one(db).await)
}

/// [`importing`], inside a write.
async fn importing_in(mut conn: Conn<'_>) -> Result<bool> {
    with_db!(conn.reborrow(), cx => sqlx::query_scalar(IMPORTING).fetch_one(cx).await)
}

const IMPORTING: &str = "select exists (select 1 from posts where kind in ('post', 'page') and status = 'importing')";

/// ` and NOT_IMPORTING` (its column qualified by `table`) while an import is at work, else nothing.
fn unless_importing(importing: bool, table: &str) -> String {
    if importing { format!(" and {table}{NOT_IMPORTING}") } else { String::new() }
}

/// A `like` pattern matching `term` anywhere, with its wildcards escaped.
fn contains_pattern(term: &str) -> String {
    let escaped = super::escape_like(&term.to_lowercase());
    format!("%{escaped}%")
}

/// The filter shared by [`list`] and [`count`]: statuses from `$1`, the search term
/// (if any) after them.
fn filter(statuses: &[CommentStatus], search: &str, importing: bool) -> String {
    let mut sql =
        format!(" where c.status in ({}){}", placeholders(1, statuses.len()), unless_importing(importing, "c."));
    if !search.is_empty() {
        let s = statuses.len() + 1;
        sql.push_str(&format!(
            " and (lower(c.body) like ${s} escape '\\' or lower(c.author_name) like ${s} escape '\\' \
               or lower(c.author_email) like ${s} escape '\\' or lower(c.author_url) like ${s} escape '\\' \
               or lower(c.author_ip) like ${s} escape '\\')"
        ));
    }
    sql
}

/// Comments per status: the counts the triggers of migration 0023 keep, or, while an
/// import is at work, counted without the comments on the posts being imported.
pub async fn counts(store: &Store) -> Result<Counts> {
    let sql = if importing(store).await? {
        format!("select status, count(*) from comments where {NOT_IMPORTING} group by status")
    } else {
        "select status, n from comment_counts".to_owned()
    };
    let rows: Vec<(CommentStatus, i64)> = with_db!(store.reader(), db => sqlx::query_as(&sql).fetch_all(db).await)?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status {
            CommentStatus::Pending => counts.pending = n,
            CommentStatus::Approved => counts.approved = n,
            CommentStatus::Spam => counts.spam = n,
            CommentStatus::Trash => counts.trash = n,
            CommentStatus::Importing => {}
        }
    }
    Ok(counts)
}

/// One page of comments with one of `statuses`, matching `search` (in the text,
/// name, email, website or IP; empty matches all), newest first.
pub async fn list(
    store: &Store,
    statuses: &[CommentStatus],
    search: &str,
    limit: u32,
    offset: u64,
) -> Result<Vec<AdminComment>> {
    let n = statuses.len() + usize::from(!search.is_empty());
    let sql = format!(
        "{SELECT}{} order by c.created_at desc, c.id desc limit ${} offset ${}",
        filter(statuses, search, importing(store).await?),
        n + 1,
        n + 2
    );
    with_db!(store.reader(), db => {
        let mut q = sqlx::query_as::<_, AdminComment>(&sql);
        for s in statuses {
            q = q.bind(*s);
        }
        if !search.is_empty() {
            q = q.bind(contains_pattern(search));
        }
        q.bind(i64::from(limit)).bind(i64::try_from(offset).unwrap_or(i64::MAX)).fetch_all(db).await
    })
}

/// How many comments [`list`] pages through, counted row by row (without a search,
/// a view's count is in [`counts`]: [`Counts::of_view`]).
pub async fn count(store: &Store, statuses: &[CommentStatus], search: &str) -> Result<i64> {
    let sql = format!("select count(*) from comments c{}", filter(statuses, search, importing(store).await?));
    with_db!(store.reader(), db => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for s in statuses {
            q = q.bind(*s);
        }
        if !search.is_empty() {
            q = q.bind(contains_pattern(search));
        }
        q.fetch_one(db).await
    })
}

/// A comment by id.
pub async fn by_id(store: &Store, id: i64) -> Result<Option<AdminComment>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, AdminComment>(&format!("{SELECT} where c.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await)
}

/// The newest comments that are not spam or trash.
pub async fn recent(store: &Store, limit: u32) -> Result<Vec<AdminComment>> {
    list(store, &[CommentStatus::Pending, CommentStatus::Approved], "", limit, 0).await
}

/// Applies `action` to the comments `ids` that are in a status it applies to;
/// returns how many changed. Everything happens in one transaction.
pub async fn apply(store: &Store, action: Action, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let from = action.applies_to();
    let mut tx = store.begin_write().await?;
    let targets = ids_in(tx.conn(), ids, from).await?;
    let changed = match action {
        Action::Delete => {
            for id in &targets {
                delete_keeping_replies(tx.conn(), *id).await?;
            }
            u64::try_from(targets.len()).unwrap_or(u64::MAX)
        }
        _ => {
            if matches!(action, Action::SpamBlockEmail | Action::SpamBlockIp) {
                let column = if action == Action::SpamBlockEmail { "author_email" } else { "author_ip" };
                block_authors(tx.conn(), &targets, column).await?;
            }
            let set = match action {
                Action::Approve => "status = 'approved'",
                Action::Unapprove => "status = 'pending'",
                Action::Spam | Action::SpamBlockEmail | Action::SpamBlockIp | Action::Trash => {
                    if action == Action::Trash {
                        "status_before_trash = status, status = 'trash'"
                    } else {
                        "status_before_trash = status, status = 'spam'"
                    }
                }
                Action::NotSpam => {
                    "status = case when status_before_trash in ('pending', 'approved') \
                       then status_before_trash else 'pending' end, status_before_trash = null"
                }
                Action::Restore | Action::Delete => {
                    "status = case when status_before_trash in ('pending', 'approved', 'spam') \
                       then status_before_trash else 'pending' end, status_before_trash = null"
                }
            };
            let changed = update_ids(tx.conn(), set, &targets).await?;
            // The spam filter learns the decision in the same transaction.
            let change =
                if action == Action::NotSpam { super::spam::Change::NotSpam } else { super::spam::Change::Status };
            super::spam::relearn_in(tx.conn(), &targets, change).await?;
            if store.mail_on() && matches!(action, Action::Approve | Action::NotSpam | Action::Restore) {
                super::mail::comments_approved(tx.conn(), &targets, store.now()).await?;
            }
            changed
        }
    };
    if changed > 0 {
        tx.commit().await?;
    }
    Ok(changed)
}

/// Deletes every comment with `status` (spam or trash); returns how many.
pub async fn empty(store: &Store, status: CommentStatus) -> Result<u64> {
    if !Action::Delete.applies_to().contains(&status) {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    let hidden = unless_importing(importing_in(tx.conn()).await?, "");
    let ids: Vec<i64> = with_db!(tx.conn(), cx => sqlx::query_scalar(&format!("select id from comments where status = $1{hidden}"))
        .bind(status)
        .fetch_all(cx)
        .await)?;
    for id in &ids {
        delete_keeping_replies(tx.conn(), *id).await?;
    }
    if !ids.is_empty() {
        tx.commit().await?;
    }
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
}

/// Saves an edited comment. A comment moved to spam or trash remembers where it
/// came from, for "not spam" and "restore".
pub async fn update(store: &Store, id: i64, c: &ValidComment, body_html: &str) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let before: Option<CommentStatus> = with_db!(tx.conn(), cx => sqlx::query_scalar("select status from comments where id = $1")
        .bind(id)
        .fetch_optional(cx)
        .await)?;
    let changed = with_db!(tx.conn(), cx => sqlx::query(
        "update comments set author_name = $1, author_email = $2, author_url = $3, body = $4, body_html = $5, \
           status_before_trash = case when status = $6 then status_before_trash \
             when $6 in ('spam', 'trash') then status else null end, \
           status = $6 \
         where id = $7",
    )
    .bind(&c.author_name)
    .bind(&c.author_email)
    .bind(&c.author_url)
    .bind(&c.body)
    .bind(body_html)
    .bind(c.status)
    .bind(id)
    .execute(cx)
    .await.map(|r| r.rows_affected()))?
        == 1;
    if changed {
        let change = if before == Some(CommentStatus::Spam) && c.status == CommentStatus::Pending {
            super::spam::Change::NotSpam
        } else {
            super::spam::Change::Status
        };
        super::spam::relearn_in(tx.conn(), &[id], change).await?;
    }
    if changed && store.mail_on() && c.status == CommentStatus::Approved {
        super::mail::comments_approved(tx.conn(), &[id], store.now()).await?;
    }
    if changed {
        tx.commit().await?;
    }
    Ok(changed)
}

/// Adds an admin's reply, approved at once, under the comment `parent_id` (which is
/// approved too if it was pending). Returns the new comment's id, or `None` when the
/// parent does not exist or is spam or trash.
pub async fn reply(store: &Store, r: &Reply<'_>) -> Result<Option<i64>> {
    let mut tx = store.begin_write().await?;
    let parent: Option<(i64, CommentStatus)> = with_db!(tx.conn(), cx => sqlx::query_as("select post_id, status from comments where id = $1")
        .bind(r.parent_id)
        .fetch_optional(cx)
        .await)?;
    let Some((post_id, status)) = parent else { return Ok(None) };
    if !matches!(status, CommentStatus::Pending | CommentStatus::Approved) {
        return Ok(None);
    }
    let approved_parent = status == CommentStatus::Pending;
    if approved_parent {
        with_db!(tx.conn(), cx => sqlx::query("update comments set status = 'approved' where id = $1")
            .bind(r.parent_id)
            .execute(cx)
            .await.map(|r| r.rows_affected()))?;
        super::spam::relearn_in(tx.conn(), &[r.parent_id], super::spam::Change::Status).await?;
    }
    let id = comments::insert_in(
        tx.conn(),
        &comments::NewComment {
            post_id,
            parent_id: Some(r.parent_id),
            kind: CommentKind::Comment,
            author_name: r.author_name,
            author_email: r.author_email,
            author_url: r.author_url,
            user_id: Some(r.user_id),
            body: r.body,
            body_html: r.body_html,
            status: CommentStatus::Approved,
            rule: "admin",
            author_ip: r.author_ip,
            user_agent: r.user_agent,
            created_at: r.now,
            avatar_key: "",
        },
    )
    .await?;
    if store.mail_on() {
        // The admin's reply counts as a comment; so does the parent it approved.
        let approved: Vec<i64> = if approved_parent { vec![r.parent_id, id] } else { vec![id] };
        super::mail::comments_approved(tx.conn(), &approved, r.now).await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// The ids among `ids` whose status is one of `statuses`.
async fn ids_in(mut conn: Conn<'_>, ids: &[i64], statuses: &[CommentStatus]) -> Result<Vec<i64>> {
    let sql = format!(
        "select id from comments where id in ({}) and status in ({})",
        placeholders(1, ids.len()),
        placeholders(ids.len() + 1, statuses.len())
    );
    with_db!(conn.reborrow(), cx => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for s in statuses {
            q = q.bind(*s);
        }
        q.fetch_all(cx).await
    })
}

async fn update_ids(mut conn: Conn<'_>, set: &str, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!("update comments set {set} where id in ({})", placeholders(1, ids.len()));
    with_db!(conn.reborrow(), cx => {
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(cx).await.map(|r| r.rows_affected())
    })
}

/// Adds the distinct, non-empty values of `column` (author_email or author_ip) of
/// the comments `ids` to the block list setting.
async fn block_authors(mut conn: Conn<'_>, ids: &[i64], column: &str) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let column = if column == "author_email" { "author_email" } else { "author_ip" };
    let sql = format!(
        "select distinct {column} from comments where id in ({}) and {column} <> ''",
        placeholders(1, ids.len())
    );
    let entries: Vec<String> = with_db!(conn.reborrow(), cx => {
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(cx).await
    })?;
    let mut list: String =
        with_db!(conn.reborrow(), cx => sqlx::query_scalar("select value from settings where name = $1")
        .bind(BLOCK_LIST_SETTING)
        .fetch_optional(cx)
        .await)?
        .unwrap_or_default();
    let mut changed = false;
    for entry in entries {
        if let Some(longer) = add_to_list(&list, &entry) {
            list = longer;
            changed = true;
        }
    }
    if changed {
        with_db!(conn.reborrow(), cx => sqlx::query(
            "insert into settings (name, value) values ($1, $2) on conflict (name) do update set value = excluded.value",
        )
        .bind(BLOCK_LIST_SETTING)
        .bind(&list)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Deletes a comment, moving its replies up to its own parent so that the thread
/// stays readable (WordPress does the same).
async fn delete_keeping_replies(mut conn: Conn<'_>, id: i64) -> Result<()> {
    with_db!(conn.reborrow(), cx => sqlx::query("update comments set parent_id = (select parent_id from comments where id = $1) where parent_id = $1")
        .bind(id)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    with_db!(conn.reborrow(), cx => sqlx::query("delete from comments where id = $1").bind(id).execute(cx).await.map(|r| r.rows_affected()))?;
    Ok(())
}

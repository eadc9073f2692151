//! Comment submissions from the public form: the moderation lookups and the insert,
//! under the write lock; parent lookups; and a commenter's own held comments.
//!
//! **Group commit.** Submissions go to one writer task, which takes every submission
//! waiting (up to [`MAX_BATCH`]) and handles them in one transaction, in order: each
//! one's facts are read after the previous one's insert, so flood control and the
//! duplicate check hold within a batch as across batches. Each submitter hears back
//! only after the commit, so an acknowledged comment survives a killed process. If a
//! batch fails, its submissions are retried one transaction each, so one bad
//! submission cannot fail the others.
//!
//! Reads for pages select into [`PublicComment`], which has no email field.

use crate::domain::status::{CommentKind, CommentStatus};
use std::sync::{Arc, OnceLock};

use sqlx::FromRow;
use tokio::sync::{mpsc, oneshot};

use super::comments::{NewComment, PublicComment, insert_many_in};
use super::db::Conn;
use super::{Result, Store, Writer};
use crate::domain::moderation::{Decision, Facts, Rule};
use crate::domain::spam::{Scored, SpamScore};
use crate::with_db;

/// Most submissions committed in one transaction.
const MAX_BATCH: usize = 64;
/// Submissions that may wait for the writer; more wait to enter the queue.
const QUEUE_LENGTH: usize = 1024;

/// The moderation decision for a submission, given the facts and the spam filter's
/// score when it scored the submission (pure: it may run twice when a batch is
/// retried).
pub type Decide = Box<dyn Fn(&Facts, Option<SpamScore>) -> Decision + Send + Sync>;

/// Why a submission was not stored (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The database stayed locked (another process writing) or the writer is overloaded.
    #[error("the database is busy")]
    Busy,
    #[error("storing a comment failed: {0}")]
    Failed(String),
}

impl From<sqlx::Error> for SubmitError {
    fn from(e: sqlx::Error) -> Self {
        if super::db::is_busy(&e) || super::db::is_unreachable(&e) { Self::Busy } else { Self::Failed(e.to_string()) }
    }
}

/// A submission waiting for the writer task.
struct Job {
    draft: Draft,
    decide: Decide,
    reply: oneshot::Sender<std::result::Result<Submitted, SubmitError>>,
}

/// The way to the writer task, started by the first submission.
#[derive(Clone, Default)]
pub(crate) struct Queue(Arc<OnceLock<mpsc::Sender<Job>>>);

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queue")
    }
}

/// Most held comments a commenter's page looks up at once.
pub const MAX_OWN: usize = 20;

/// A valid submission, everything but its status and rule.
#[derive(Debug, Clone)]
pub struct Draft {
    pub post_id: i64,
    pub post_published_at: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub body_html: String,
    pub author_ip: String,
    pub user_agent: String,
    pub created_at: i64,
    /// See `domain::privacy::avatar_key`.
    pub avatar_key: String,
    /// The mail the comment causes if stored (nothing when mail is off).
    pub mail: super::mail::MailPlan,
    /// The comment's features, when the spam filter is to score it: the writer scores
    /// it with the model as committed in its transaction, and keeps the verdict with
    /// the comment if it is held or spam.
    pub spam_features: Option<Vec<String>>,
}

/// What became of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Stored under this id with this status, decided by this rule.
    Stored { id: i64, status: CommentStatus, rule: Rule },
    /// Refused (flood, duplicate, closed): nothing was written.
    Refused(Decision),
}

/// Values bound per draft in [`facts_sql`].
const FACT_PARAMS: usize = 6;

/// The facts the moderation rules need for `n` drafts, in one statement (a row per
/// draft, in order: `d.i` its position), each fact from its own index:
/// - the client's last comment written here (`d.ip`; `comments_client`, which
///   leaves imported comments out);
/// - a duplicate: same post, same text, same author by email or name, not in the
///   trash; the `substr` term matches `comments_duplicate`, so only the post's
///   comments that begin alike are read;
/// - an approved comment by the same author (`comments_known_author`).
fn facts_sql(n: usize) -> String {
    let rows: Vec<String> =
        (0..n).map(|i| format!("({})", super::placeholders(i * FACT_PARAMS + 1, FACT_PARAMS))).collect();
    format!(
        "with d (i, post_id, body, email, name, ip) as (values {}) \
         select \
           (select max(c.created_at) from comments c where c.author_ip = d.ip and c.wp_id is null), \
           (select exists (select 1 from comments c \
              where c.post_id = d.post_id and substr(c.body, 1, 64) = substr(d.body, 1, 64) and c.body = d.body \
                and c.status <> 'trash' and (lower(c.author_email) = d.email or c.author_name = d.name))), \
           (select exists (select 1 from comments c \
              where lower(c.author_email) = d.email and c.author_name = d.name and c.status = 'approved')) \
         from d order by d.i",
        rows.join(", ")
    )
}

/// The facts the moderation rules need about `draft`, as committed now, read outside
/// the write lock: for the rules that run before the text is rendered. [`submit`]
/// reads them again under the lock before it stores anything.
pub async fn facts(store: &Store, draft: &Draft) -> Result<Facts> {
    let mut conn = store.read_pool().acquire().await?;
    let facts = facts_in(conn.conn()?, &[draft]).await?;
    conn.finished();
    facts.into_iter().next().ok_or_else(|| sqlx::Error::RowNotFound)
}

/// The facts about each of `drafts` as committed now, in one round trip (each
/// sub-select uses its own index), in order.
async fn facts_in(mut conn: Conn<'_>, drafts: &[&Draft]) -> Result<Vec<Facts>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = facts_sql(drafts.len());
    let rows: Vec<(Option<i64>, bool, bool)> = with_db!(conn.reborrow(), cx => {
        let mut q = sqlx::query_as(&sql);
        for (i, d) in drafts.iter().enumerate() {
            q = q
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(d.post_id)
                .bind(&d.body)
                .bind(d.author_email.to_ascii_lowercase())
                .bind(&d.author_name)
                .bind(&d.author_ip);
        }
        q.fetch_all(cx).await
    })?;
    Ok(drafts
        .iter()
        .zip(rows)
        .map(|(d, (last_from_client, duplicate, known_author))| Facts {
            now: d.created_at,
            post_published_at: d.post_published_at,
            last_from_client,
            duplicate,
            known_author,
        })
        .collect())
}

/// `facts`, as read before the batch, updated with the comments of the same batch
/// stored before it: what a separate read after each insert would have found.
fn with_earlier_in_batch(mut facts: Facts, draft: &Draft, earlier: &[(&Draft, CommentStatus)]) -> Facts {
    let email = draft.author_email.to_ascii_lowercase();
    for (e, status) in earlier {
        if e.author_ip == draft.author_ip {
            facts.last_from_client = facts.last_from_client.max(Some(e.created_at));
        }
        let same_email = e.author_email.to_ascii_lowercase() == email;
        let same_name = e.author_name == draft.author_name;
        if e.post_id == draft.post_id
            && e.body == draft.body
            && *status != CommentStatus::Trash
            && (same_email || same_name)
        {
            facts.duplicate = true;
        }
        if *status == CommentStatus::Approved && same_email && same_name {
            facts.known_author = true;
        }
    }
    facts
}

/// Reads the facts the moderation rules need and stores the comment if `decide` says
/// so, under the write lock: two racing submissions from one client cannot both pass
/// flood control, nor two identical ones the duplicate check. Returns once the
/// comment is committed (or refused).
pub async fn submit(store: &Store, draft: Draft, decide: Decide) -> std::result::Result<Submitted, SubmitError> {
    let sender = store.submissions.0.get_or_init(|| {
        let (sender, receiver) = mpsc::channel(QUEUE_LENGTH);
        tokio::spawn(run_writer(store.writer().clone(), receiver));
        sender
    });
    let (reply, answer) = oneshot::channel();
    sender.send(Job { draft, decide, reply }).await.map_err(|_| SubmitError::Failed("the writer stopped".into()))?;
    answer.await.map_err(|_| SubmitError::Failed("the writer stopped".into()))?
}

/// The writer task: commits waiting submissions in batches until every sender is gone.
async fn run_writer(writer: Writer, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    // The spam model's counts this writer has read (checked against the model's
    // version in every batch).
    let mut model = super::spam::Cache::default();
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = std::mem::take(&mut jobs);
        match store_batch(&writer, &mut model, &batch).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(job) = batch.into_iter().next() {
                    let _ = job.reply.send(Err(SubmitError::from(e)));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "a batch of comments failed; storing them one by one");
                for job in batch {
                    let outcome = store_batch(&writer, &mut model, std::slice::from_ref(&job)).await;
                    let _ = job.reply.send(outcome.map(|mut o| o.remove(0)).map_err(SubmitError::from));
                }
            }
        }
        jobs = Vec::with_capacity(MAX_BATCH);
    }
}

/// Handles `jobs` in order in one transaction, committing when anything was stored.
/// Returns one outcome per job (never empty for a non-empty batch).
async fn store_batch(writer: &Writer, model: &mut super::spam::Cache, jobs: &[Job]) -> Result<Vec<Submitted>> {
    let mut tx = writer.begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    // Every draft's facts in one round trip; each draft then also sees the ones of
    // this batch stored before it.
    let drafts: Vec<&Draft> = jobs.iter().map(|j| &j.draft).collect();
    let read = facts_in(tx.conn(), &drafts).await?;
    // The spam filter scores the drafts it is to score, for the whole batch at once.
    let to_score: Vec<&[String]> = jobs.iter().filter_map(|j| j.draft.spam_features.as_deref()).collect();
    let mut scores = super::spam::score_batch_in(tx.conn(), model, &to_score).await?.into_iter();
    let scored: Vec<Option<Scored>> =
        jobs.iter().map(|j| j.draft.spam_features.as_ref().and_then(|_| scores.next())).collect();
    // Decide every draft first (each one seeing the ones decided to be stored before
    // it), then store the batch's comments in one insert, in order.
    let mut stored: Vec<(&Draft, CommentStatus)> = Vec::with_capacity(jobs.len());
    let mut decided: Vec<Decision> = Vec::with_capacity(jobs.len());
    for ((job, facts), score) in jobs.iter().zip(read).zip(&scored) {
        let draft = &job.draft;
        let facts = with_earlier_in_batch(facts, draft, &stored);
        let decision = (job.decide)(&facts, score.as_ref().map(Scored::score));
        if let Decision::Store { status, .. } = decision {
            stored.push((draft, status));
        }
        decided.push(decision);
    }
    let rows: Vec<NewComment<'_>> = jobs
        .iter()
        .zip(&decided)
        .filter_map(|(job, decision)| match decision {
            Decision::Store { status, rule } => Some(new_comment(&job.draft, *status, rule.as_str())),
            _ => None,
        })
        .collect();
    let mut ids = insert_many_in(tx.conn(), &rows).await?.into_iter();
    let mut mail: Vec<(super::mail::Stored<'_>, &super::mail::MailPlan)> = Vec::new();
    let mut verdicts: Vec<(i64, &crate::domain::spam::Verdict)> = Vec::new();
    for ((job, decision), score) in jobs.iter().zip(decided).zip(&scored) {
        outcomes.push(match decision {
            Decision::Store { status, rule } => {
                let id = ids.next().ok_or(sqlx::Error::RowNotFound)?;
                let draft = &job.draft;
                let comment = super::mail::Stored {
                    id,
                    post_id: draft.post_id,
                    status,
                    author_email: &draft.author_email,
                    client: &draft.author_ip,
                    now: draft.created_at,
                };
                mail.push((comment, &draft.mail));
                if let Some(scored) = score.as_ref().filter(|_| status != CommentStatus::Approved) {
                    verdicts.push((id, &scored.verdict));
                }
                Submitted::Stored { id, status, rule }
            }
            refused => Submitted::Refused(refused),
        });
    }
    // The spam filter's verdicts of the held ones, for the queue.
    super::spam::record_verdicts_in(tx.conn(), &verdicts).await?;
    // The mail they cause, in the same transaction (nothing when mail is off).
    super::mail::after_batch_stored(tx.conn(), &mail).await?;
    if outcomes.iter().any(|o| matches!(o, Submitted::Stored { .. })) {
        tx.commit().await?;
    }
    // Otherwise dropping the transaction rolls it back: nothing was written.
    Ok(outcomes)
}

/// The row a submission stores, with the status and rule moderation gave it.
fn new_comment<'a>(draft: &'a Draft, status: CommentStatus, rule: &'a str) -> NewComment<'a> {
    NewComment {
        post_id: draft.post_id,
        parent_id: draft.parent_id,
        kind: CommentKind::Comment,
        author_name: &draft.author_name,
        author_email: &draft.author_email,
        author_url: &draft.author_url,
        user_id: None,
        body: &draft.body,
        body_html: &draft.body_html,
        status,
        rule,
        author_ip: &draft.author_ip,
        user_agent: &draft.user_agent,
        created_at: draft.created_at,
        avatar_key: &draft.avatar_key,
    }
}

/// A comment someone wants to reply to.
#[derive(Debug, Clone, FromRow)]
pub struct Parent {
    pub id: i64,
    pub post_id: i64,
    pub status: CommentStatus,
    pub kind: CommentKind,
    pub author_name: String,
}

impl Parent {
    /// True when a reply to it may be posted on `post_id`: an approved comment (not a
    /// pingback or trackback) of that post.
    pub fn accepts_replies_on(&self, post_id: i64) -> bool {
        self.post_id == post_id && self.status == CommentStatus::Approved && self.kind == CommentKind::Comment
    }
}

/// A comment by id, for checking a reply's parent.
pub async fn parent(store: &Store, id: i64) -> Result<Option<Parent>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Parent>("select id, post_id, status, kind, author_name from comments where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await)
}

/// The comments among `ids` that belong to `post_id` and are still held (pending,
/// or spam, which its author is shown as pending), oldest first.
pub async fn own_held(store: &Store, post_id: i64, ids: &[i64]) -> Result<Vec<PublicComment>> {
    let ids: Vec<i64> = ids.iter().copied().take(MAX_OWN).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = super::placeholders(2, ids.len());
    let sql = format!(
        "select id, parent_id, kind, author_name, author_url, body_html, created_at, \
           user_id is not null as by_author, wp_id, edited_at, deleted_at is not null as deleted, avatar_key \
         from comments where post_id = $1 and status in ('pending', 'spam') and id in ({}) \
         order by created_at, id",
        placeholders
    );
    with_db!(store.reader(), db => {
        let mut query = sqlx::query_as::<_, PublicComment>(&sql).bind(post_id);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(db).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{Param, fresh_store, plan};

    fn draft(ip: &str, email: &str, name: &str, body: &str, at: i64) -> Draft {
        Draft {
            post_id: 1,
            post_published_at: 0,
            parent_id: None,
            author_name: name.into(),
            author_email: email.into(),
            author_url: String::new(),
            body: body.into(),
            body_html: String::new(),
            author_ip: ip.into(),
            user_agent: String::new(),
            created_at: at,
            avatar_key: String::new(),
            mail: Default::default(),
            spam_features: None,
        }
    }

    /// A draft sees the comments its batch stored before it as a read after their
    /// inserts would: their time for flood control, their text for the duplicate
    /// check, an approved one for the known-author rule.
    #[test]
    fn a_draft_sees_what_its_batch_stored_before_it() {
        let nothing =
            Facts { now: 100, post_published_at: 0, last_from_client: None, duplicate: false, known_author: false };
        let first = draft("1.2.3.4", "Ann@Example.org", "Ann", "hello", 90);
        let earlier = [(&first, CommentStatus::Approved)];

        let same_client = with_earlier_in_batch(nothing, &draft("1.2.3.4", "x@y.z", "X", "other", 100), &earlier);
        assert_eq!(same_client.last_from_client, Some(90));
        assert!(!same_client.duplicate && !same_client.known_author);

        let repeat =
            with_earlier_in_batch(nothing, &draft("5.6.7.8", "ann@example.org", "Someone", "hello", 100), &earlier);
        assert!(repeat.duplicate, "same text, same email in any case");
        assert_eq!(repeat.last_from_client, None);

        let known =
            with_earlier_in_batch(nothing, &draft("5.6.7.8", "ANN@example.org", "Ann", "new words", 100), &earlier);
        assert!(known.known_author && !known.duplicate);

        let held = [(&first, CommentStatus::Pending)];
        let not_known =
            with_earlier_in_batch(nothing, &draft("5.6.7.8", "ann@example.org", "Ann", "new words", 100), &held);
        assert!(!not_known.known_author, "a held comment does not make its author known");
    }

    /// Each fact comes from an index: none of them reads every comment (of the blog or
    /// of the post).
    #[tokio::test]
    async fn the_moderation_facts_come_from_indexes() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let params = [
            Param::Int(0),
            Param::Int(1),
            Param::Text("text"),
            Param::Text("a@b.example"),
            Param::Text("A"),
            Param::Text("1.2.3.4"),
            Param::Int(1),
            Param::Int(1),
            Param::Text("more"),
            Param::Text("b@b.example"),
            Param::Text("B"),
            Param::Text("1.2.3.5"),
        ];

        let steps = plan(&store, &facts_sql(2), &params).await?;

        for index in ["comments_client", "comments_duplicate", "comments_known_author"] {
            assert!(steps.iter().any(|s| s.contains(index)), "{index}: {steps:#?}");
        }
        assert!(!steps.iter().any(|s| s.starts_with("SCAN comments")), "{steps:#?}");
        store.close().await;
        Ok(())
    }
}

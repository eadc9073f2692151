//! The spam filter's model in the database (migration 0017), shared by every instance:
//! reading the counts a comment needs, learning from the admin's decisions in their
//! own transaction, the verdicts shown in the queue, pruning, and rebuilding.
//!
//! **What a decision teaches.** A comment's label follows its status: approved is
//! ham, spam is spam; taken out of spam back to pending ("not spam", or a status
//! edit from spam) is ham; pending otherwise (unapproved) is unlabelled; the trash keeps the label it had (throwing a
//! comment away says nothing about spam). When the label changes, the old one is
//! unlearnt and the new one learnt, so a reversal undoes exactly what was added.
//! Comments stored by the form are not learnt until the admin decides about them
//! (the filter never trains on its own guesses).

use std::collections::HashMap;

use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store, placeholders};
use crate::domain::spam::{self, Counts, Input, Label, Model, Scored, Verdict};
use crate::domain::status::CommentStatus;
use crate::with_db;

/// Most features kept; beyond it, the rarest and least recently seen go. A feature
/// row takes about 30 bytes, so the model stays near 10 MiB whatever the history.
pub const MAX_FEATURES: i64 = 300_000;
/// Prune when the vocabulary passes the bound by this share, down to the bound.
const PRUNE_SLACK: i64 = MAX_FEATURES / 10;
/// Features read or written per statement (keeps bound values far under the limits).
const CHUNK: usize = 250;

/// The model's size, for the settings page and the CLI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub spam_docs: i64,
    pub ham_docs: i64,
    pub features: i64,
}

impl Stats {
    pub fn is_trained(&self) -> bool {
        self.spam_docs >= spam::MIN_TRAINING && self.ham_docs >= spam::MIN_TRAINING
    }
}

/// A stored comment as the filter reads it, with its status and current label.
#[derive(Debug, Clone, FromRow)]
pub struct Labelled {
    pub id: i64,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub status: CommentStatus,
    pub label: Option<String>,
}

impl Labelled {
    pub fn features(&self) -> Vec<String> {
        spam::features::features(&Input {
            author: &self.author_name,
            email: &self.author_email,
            url: &self.author_url,
            text: &self.body,
        })
    }
}

/// How a comment's status just changed, for [`relearn_in`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Any change: the label follows the new status.
    Status,
    /// Taken out of spam by the admin ("not spam"): legitimate, even when it goes back
    /// to pending and the filter (not the admin) had put it in spam.
    NotSpam,
}

/// The label a comment with `status` gets, given the one it had and the change.
pub fn label_for(status: CommentStatus, old: Option<Label>, change: Change) -> Option<Label> {
    match status {
        CommentStatus::Approved => Some(Label::Ham),
        CommentStatus::Spam => Some(Label::Spam),
        CommentStatus::Pending if old == Some(Label::Spam) || change == Change::NotSpam => Some(Label::Ham),
        CommentStatus::Pending => None,
        CommentStatus::Trash | CommentStatus::Importing => old,
    }
}

/// The model's totals as one statement read them, with its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Totals {
    version: i64,
    spam_docs: i64,
    ham_docs: i64,
}

/// Most feature counts a [`Cache`] keeps; past it, it starts again empty.
const CACHE_FEATURES: usize = 200_000;

/// Feature counts this process has read, all of one version of the model: the
/// comment writer keeps one, so a batch of comments reads from the database only the
/// model's version and the counts of features it has not seen yet (one small
/// statement), not every feature of every comment.
///
/// **Exact.** Every write to the counts adds one to the version in its own
/// transaction (see [`write_in`]), and every read of counts reads the version in the
/// same statement; counts read under another version than the kept ones' throw the
/// kept ones away. So a comment is scored with the counts as committed when its batch
/// read them, whichever instance wrote them, as if nothing were kept.
#[derive(Debug, Default)]
pub struct Cache {
    totals: Option<Totals>,
    /// The totals and every feature read, a feature the model does not have as zero
    /// counts (which weigh nothing, as a missing one).
    model: Model,
}

impl Cache {
    fn clear(&mut self) {
        self.totals = None;
        self.model = Model::default();
    }
}

/// Reads the counts of `wanted` and the model's totals: a statement per [`CHUNK`]
/// features, each carrying the totals along (its row with an empty feature name).
/// `None` for the totals when two statements saw different versions (a decision
/// committed between them).
async fn counts_in(mut conn: Conn<'_>, wanted: &[&str]) -> Result<(Option<Totals>, Vec<(String, Counts)>)> {
    let mut totals: Option<Totals> = None;
    let mut consistent = true;
    let mut found = Vec::new();
    let mut chunks: Vec<&[&str]> = wanted.chunks(CHUNK).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for chunk in chunks {
        let mut sql = String::from("select '', spam_docs, ham_docs, version from spam_model where id = 1");
        if !chunk.is_empty() {
            sql.push_str(&format!(
                " union all select feature, spam, ham, 0 from spam_features where feature in ({})",
                placeholders(1, chunk.len())
            ));
        }
        let rows: Vec<(String, i64, i64, i64)> = with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query_as(&sql);
            for f in chunk {
                q = q.bind(*f);
            }
            q.fetch_all(cx).await
        })?;
        for (f, spam, ham, version) in rows {
            if f.is_empty() {
                let read = Totals { version, spam_docs: spam, ham_docs: ham };
                consistent &= totals.is_none_or(|t| t == read);
                totals = Some(read);
            } else {
                found.push((f, Counts { spam, ham }));
            }
        }
    }
    // No totals row at all (a damaged copy): an empty model, never an error.
    let totals = totals.unwrap_or(Totals { version: 0, spam_docs: 0, ham_docs: 0 });
    Ok((consistent.then_some(totals), found))
}

/// Reads into `cache` what scoring `docs` needs, as committed now (see [`Cache`]).
async fn refresh_in(mut conn: Conn<'_>, cache: &mut Cache, docs: &[&[String]]) -> Result<()> {
    // A decision committing between the statements of one read makes it read again;
    // a few tries, then the error that makes the writer retry its comments one by one.
    for _ in 0..4 {
        let mut wanted: Vec<&str> = docs
            .iter()
            .flat_map(|d| d.iter())
            .filter(|f| !cache.model.features.contains_key(f.as_str()))
            .map(String::as_str)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if cache.model.features.len() + wanted.len() > CACHE_FEATURES {
            cache.clear();
            continue;
        }
        let (totals, found) = counts_in(conn.reborrow(), &wanted).await?;
        let Some(totals) = totals else {
            cache.clear();
            continue;
        };
        if cache.totals.is_some_and(|t| t != totals) {
            // The model changed since the kept counts were read: read them all again.
            cache.clear();
            continue;
        }
        cache.totals = Some(totals);
        (cache.model.spam_docs, cache.model.ham_docs) = (totals.spam_docs, totals.ham_docs);
        for f in wanted {
            cache.model.features.insert(f.to_owned(), Counts::default());
        }
        cache.model.features.extend(found);
        return Ok(());
    }
    Err(sqlx::Error::Protocol("the spam model kept changing while it was read".into()))
}

/// Scores each of `docs` (a comment's features) with the model as committed now,
/// reading only what `cache` lacks (see [`Cache`]); in the comment writer's
/// transaction, one statement for a whole batch of comments.
pub async fn score_batch_in(conn: Conn<'_>, cache: &mut Cache, docs: &[&[String]]) -> Result<Vec<Scored>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    refresh_in(conn, cache, docs).await?;
    Ok(docs
        .iter()
        .map(|features| Scored { verdict: cache.model.score(features), trained: cache.model.is_trained() })
        .collect())
}

/// Scores a comment with the model as committed now (as the comment writer does,
/// for one comment).
pub async fn score(store: &Store, input: &Input<'_>) -> Result<(Verdict, bool)> {
    let features = spam::features::features(input);
    let mut conn = store.read_pool().acquire().await?;
    let scored = score_batch_in(conn.conn()?, &mut Cache::default(), &[&features]).await?;
    conn.finished();
    scored.into_iter().next().map(|s| (s.verdict, s.trained)).ok_or(sqlx::Error::RowNotFound)
}

/// Changes to the model, added up before they are written.
#[derive(Debug, Default)]
struct Delta {
    features: HashMap<String, (i64, i64)>,
    spam_docs: i64,
    ham_docs: i64,
}

impl Delta {
    fn add(&mut self, features: &[String], label: Label, sign: i64) {
        for f in features {
            let d = self.features.entry(f.clone()).or_default();
            match label {
                Label::Spam => d.0 += sign,
                Label::Ham => d.1 += sign,
            }
        }
        match label {
            Label::Spam => self.spam_docs += sign,
            Label::Ham => self.ham_docs += sign,
        }
    }
}

/// Writes `delta` (counts never go below zero) and prunes if the vocabulary grew
/// past its bound.
async fn write_in(mut conn: Conn<'_>, delta: Delta) -> Result<()> {
    if delta.spam_docs == 0 && delta.ham_docs == 0 && delta.features.is_empty() {
        return Ok(());
    }
    let seen: i64 = with_db!(conn.reborrow(), cx => sqlx::query_scalar(
        "update spam_model set spam_docs = case when spam_docs + $1 < 0 then 0 else spam_docs + $1 end, \
           ham_docs = case when ham_docs + $2 < 0 then 0 else ham_docs + $2 end, \
           version = version + 1 \
         where id = 1 returning spam_docs + ham_docs"
    )
    .bind(delta.spam_docs)
    .bind(delta.ham_docs)
    .fetch_one(cx)
    .await)?;
    let mut rows: Vec<(String, (i64, i64))> = delta.features.into_iter().filter(|(_, d)| *d != (0, 0)).collect();
    rows.sort();
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 4 + 1, 4))).collect();
        let sql = format!(
            "insert into spam_features (feature, spam, ham, seen_at) values {} \
             on conflict (feature) do update set \
               spam = case when spam_features.spam + excluded.spam < 0 then 0 else spam_features.spam + excluded.spam end, \
               ham = case when spam_features.ham + excluded.ham < 0 then 0 else spam_features.ham + excluded.ham end, \
               seen_at = excluded.seen_at",
            values.join(", ")
        );
        // Inserted rows start at the positive part of their delta; the negative part
        // (unlearning) is subtracted next, never below zero.
        with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query(&sql);
            for (f, (s, h)) in chunk {
                q = q.bind(f).bind((*s).max(0)).bind((*h).max(0)).bind(seen);
            }
            q.execute(cx).await.map(|r| r.rows_affected())
        })?;
        let negative: Vec<&(String, (i64, i64))> = chunk.iter().filter(|(_, (s, h))| *s < 0 || *h < 0).collect();
        if negative.is_empty() {
            continue;
        }
        let values: Vec<String> = (0..negative.len())
            .map(|i| format!("(${}, cast(${} as bigint), cast(${} as bigint))", i * 3 + 1, i * 3 + 2, i * 3 + 3))
            .collect();
        let sql = format!(
            "with d (feature, s, h) as (values {}) update spam_features set \
               spam = case when spam_features.spam + d.s < 0 then 0 else spam_features.spam + d.s end, \
               ham = case when spam_features.ham + d.h < 0 then 0 else spam_features.ham + d.h end \
             from d where spam_features.feature = d.feature",
            values.join(", ")
        );
        with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query(&sql);
            for (f, (s, h)) in negative {
                q = q.bind(f).bind((*s).min(0)).bind((*h).min(0));
            }
            q.execute(cx).await.map(|r| r.rows_affected())
        })?;
    }
    prune_in(conn, MAX_FEATURES).await
}

/// Deletes features with no count left and, past `max` + slack, the rarest and least
/// recently seen down to `max`.
pub async fn prune_in(mut conn: Conn<'_>, max: i64) -> Result<()> {
    let n: i64 =
        with_db!(conn.reborrow(), cx => sqlx::query_scalar("select count(*) from spam_features").fetch_one(cx).await)?;
    if n <= max + (max / 10).min(PRUNE_SLACK) {
        return Ok(());
    }
    with_db!(conn.reborrow(), cx => sqlx::query(
        "delete from spam_features where feature in (select feature from spam_features \
           order by spam + ham, seen_at, feature limit $1)"
    )
    .bind(n - max)
    .execute(cx)
    .await.map(|r| r.rows_affected()))?;
    // Scores change with the features gone: kept counts must be read again.
    with_db!(conn.reborrow(), cx => sqlx::query("update spam_model set version = version + 1 where id = 1")
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

const LABELLED: &str = "select c.id, c.author_name, c.author_email, c.author_url, c.body, c.status, l.label \
     from comments c left join spam_labels l on l.comment_id = c.id";

/// Learns what the comments `ids` now teach (see the module documentation): call it
/// in the transaction that changed their status, after the change.
pub async fn relearn_in(mut conn: Conn<'_>, ids: &[i64], change: Change) -> Result<()> {
    let mut delta = Delta::default();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!("{LABELLED} where c.id in ({})", placeholders(1, chunk.len()));
        let rows: Vec<Labelled> = with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query_as::<_, Labelled>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(cx).await
        })?;
        for c in rows {
            let old = c.label.as_deref().and_then(Label::parse);
            let new = label_for(c.status, old, change);
            if new == old {
                continue;
            }
            let features = c.features();
            if let Some(old) = old {
                delta.add(&features, old, -1);
            }
            match new {
                Some(label) => with_db!(conn.reborrow(), cx => sqlx::query(
                    "insert into spam_labels (comment_id, label) values ($1, $2) \
                     on conflict (comment_id) do update set label = excluded.label"
                )
                .bind(c.id)
                .bind(label.as_str())
                .execute(cx)
                .await.map(|r| r.rows_affected()))?,
                None => with_db!(conn.reborrow(), cx => sqlx::query("delete from spam_labels where comment_id = $1")
                    .bind(c.id)
                    .execute(cx)
                    .await.map(|r| r.rows_affected()))?,
            };
            if let Some(new) = new {
                delta.add(&features, new, 1);
            }
        }
    }
    write_in(conn, delta).await
}

/// Keeps held or spam comments' verdicts for the queue, many rows a statement.
pub async fn record_verdicts_in(mut conn: Conn<'_>, verdicts: &[(i64, &Verdict)]) -> Result<()> {
    for chunk in verdicts.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 3 + 1, 3))).collect();
        let sql = format!(
            "insert into spam_verdicts (comment_id, score, reasons) values {} \
             on conflict (comment_id) do update set score = excluded.score, reasons = excluded.reasons",
            values.join(", ")
        );
        with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query(&sql);
            for (id, verdict) in chunk {
                q = q.bind(*id).bind(verdict.thousandths()).bind(verdict.reasons_text());
            }
            q.execute(cx).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// The stored verdicts of the comments `ids`: score in thousandths and reasons.
pub async fn verdicts(store: &Store, ids: &[i64]) -> Result<HashMap<i64, Verdict>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "select comment_id, score, reasons from spam_verdicts where comment_id in ({})",
            placeholders(1, chunk.len())
        );
        let rows: Vec<(i64, i64, String)> = with_db!(store.reader(), db => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(db).await
        })?;
        out.extend(rows.into_iter().map(|(id, score, reasons)| {
            (id, Verdict { score: score as f64 / 1000.0, reasons: Verdict::parse_reasons(&reasons) })
        }));
    }
    Ok(out)
}

/// The model's size and training counts.
pub async fn stats(store: &Store) -> Result<Stats> {
    let (spam_docs, ham_docs, features): (i64, i64, i64) = with_db!(store.reader(), db => sqlx::query_as(
        "select spam_docs, ham_docs, (select count(*) from spam_features) from spam_model where id = 1"
    )
    .fetch_optional(db)
    .await)?
    .unwrap_or_default();
    Ok(Stats { spam_docs, ham_docs, features })
}

/// The label retraining gives a stored comment: its recorded label, else its status
/// (approved is ham; spam is spam unless the filter itself put it there).
const RETRAIN_LABELLED: &str = "select c.id, c.author_name, c.author_email, c.author_url, c.body, c.status, \
       coalesce(l.label, case when c.status = 'approved' then 'ham' \
         when c.status = 'spam' and c.rule <> 'spam-filter' then 'spam' end) as label \
     from comments c left join spam_labels l on l.comment_id = c.id \
     where l.label is not null or c.status = 'approved' or (c.status = 'spam' and c.rule <> 'spam-filter') \
     order by c.id";

/// Every stored decision, as retraining and evaluation read them, oldest first.
pub async fn decisions(store: &Store) -> Result<Vec<(Label, Vec<String>)>> {
    let rows: Vec<Labelled> =
        with_db!(store.reader(), db => sqlx::query_as::<_, Labelled>(RETRAIN_LABELLED).fetch_all(db).await)?;
    Ok(rows.iter().filter_map(|c| Some((c.label.as_deref().and_then(Label::parse)?, c.features()))).collect())
}

/// Rebuilds the model from every stored decision (see [`decisions`]), in one
/// transaction; returns the new size.
pub async fn retrain(store: &Store) -> Result<Stats> {
    let mut tx = store.begin_write().await?;
    let rows: Vec<Labelled> =
        with_db!(tx.conn(), cx => sqlx::query_as::<_, Labelled>(RETRAIN_LABELLED).fetch_all(cx).await)?;
    for sql in [
        "delete from spam_features",
        "delete from spam_labels",
        "update spam_model set spam_docs = 0, ham_docs = 0, version = version + 1",
    ] {
        with_db!(tx.conn(), cx => sqlx::query(sql).execute(cx).await.map(|r| r.rows_affected()))?;
    }
    let mut delta = Delta::default();
    let mut labelled: Vec<(i64, Label)> = Vec::with_capacity(rows.len());
    for c in &rows {
        let Some(label) = c.label.as_deref().and_then(Label::parse) else { continue };
        delta.add(&c.features(), label, 1);
        labelled.push((c.id, label));
    }
    insert_labels_in(tx.conn(), &labelled).await?;
    write_in(tx.conn(), delta).await?;
    tx.commit().await?;
    stats(store).await
}

/// Comments learnt per write when learning an import: each write is short, so
/// commenters and the admin are not kept waiting.
const LEARN_BATCH: usize = 50;

/// Learns the imported comments (those with a WordPress or Disqus id) not learnt
/// yet, by status: approved is ham, spam is spam. After the import's own writes, in
/// short writes of its own; returns how many comments were learnt.
pub async fn learn_imported(store: &Store) -> Result<u64> {
    let sql = format!(
        "{LABELLED} where (c.wp_id is not null or c.disqus_id is not null) and l.label is null \
           and c.status in ('approved', 'spam') order by c.id"
    );
    let rows: Vec<Labelled> = with_db!(store.reader(), db => sqlx::query_as::<_, Labelled>(&sql).fetch_all(db).await)?;
    let mut learnt = 0;
    for chunk in rows.chunks(LEARN_BATCH) {
        let features: Vec<Vec<String>> = chunk.iter().map(Labelled::features).collect();
        let mut tx = store.begin_write().await?;
        // Only those still unlabelled with the same status: the admin may have
        // decided about one meanwhile (and that decision was learnt then).
        let check = format!(
            "select c.id, c.status from comments c left join spam_labels l on l.comment_id = c.id \
             where l.label is null and c.id in ({})",
            placeholders(1, chunk.len())
        );
        let still: Vec<(i64, CommentStatus)> = with_db!(tx.conn(), cx => {
            let mut q = sqlx::query_as(&check);
            for c in chunk {
                q = q.bind(c.id);
            }
            q.fetch_all(cx).await
        })?;
        let mut delta = Delta::default();
        let mut labelled: Vec<(i64, Label)> = Vec::with_capacity(chunk.len());
        for (c, f) in chunk.iter().zip(&features) {
            if !still.contains(&(c.id, c.status)) {
                continue;
            }
            let Some(label) = label_for(c.status, None, Change::Status) else { continue };
            delta.add(f, label, 1);
            labelled.push((c.id, label));
        }
        insert_labels_in(tx.conn(), &labelled).await?;
        write_in(tx.conn(), delta).await?;
        tx.commit().await?;
        // The import turned SQLite's own checkpoints off until it ends: each write
        // rewrites counts all over the model, so without this the write-ahead log
        // would grow by gigabytes on a large site (nothing on PostgreSQL).
        super::import::checkpoint(store).await;
        learnt += labelled.len();
    }
    Ok(u64::try_from(learnt).unwrap_or(0))
}

/// Records labels, many rows a statement.
async fn insert_labels_in(mut conn: Conn<'_>, labels: &[(i64, Label)]) -> Result<()> {
    for chunk in labels.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 2 + 1, 2))).collect();
        let sql = format!(
            "insert into spam_labels (comment_id, label) values {} \
             on conflict (comment_id) do update set label = excluded.label",
            values.join(", ")
        );
        with_db!(conn.reborrow(), cx => {
            let mut q = sqlx::query(&sql);
            for (id, label) in chunk {
                q = q.bind(*id).bind(label.as_str());
            }
            q.execute(cx).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::fresh_store;

    fn features(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| format!("w:{w}")).collect()
    }

    #[test]
    fn labels_follow_the_admins_decisions() {
        use CommentStatus::*;
        let s = Change::Status;
        assert_eq!(label_for(Approved, None, s), Some(Label::Ham));
        assert_eq!(label_for(Spam, Some(Label::Ham), s), Some(Label::Spam));
        assert_eq!(label_for(Pending, Some(Label::Spam), s), Some(Label::Ham), "not spam");
        assert_eq!(label_for(Pending, None, Change::NotSpam), Some(Label::Ham), "not spam, after the filter");
        assert_eq!(label_for(Pending, Some(Label::Ham), s), None, "unapproved");
        assert_eq!(label_for(Pending, None, s), None);
        assert_eq!(label_for(Trash, Some(Label::Spam), s), Some(Label::Spam));
    }

    #[tokio::test]
    async fn learning_and_unlearning_write_counts_that_add_up() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let mut tx = store.begin_write().await?;
        let mut d = Delta::default();
        d.add(&features(&["casino", "free"]), Label::Spam, 1);
        d.add(&features(&["free", "bread"]), Label::Ham, 1);
        write_in(tx.conn(), d).await?;
        let mut d = Delta::default();
        d.add(&features(&["casino", "free"]), Label::Spam, -1);
        d.add(&features(&["casino"]), Label::Spam, 1);
        write_in(tx.conn(), d).await?;
        tx.commit().await?;

        let model = model_for(&store, &features(&["casino", "free", "bread", "unseen"])).await?;
        assert_eq!((model.spam_docs, model.ham_docs), (1, 1));
        assert_eq!(model.features.get("w:casino"), Some(&Counts { spam: 1, ham: 0 }));
        assert_eq!(model.features.get("w:free"), Some(&Counts { spam: 0, ham: 1 }));
        assert_eq!(model.features.get("w:unseen"), None);
        store.close().await;
        Ok(())
    }

    /// The counts of `features` and the model's totals, as committed now.
    async fn model_for(store: &Store, features: &[String]) -> anyhow::Result<Model> {
        let mut conn = store.read_pool().acquire().await?;
        let wanted: Vec<&str> = features.iter().map(String::as_str).collect();
        let (totals, found) = counts_in(conn.conn()?, &wanted).await?;
        conn.finished();
        let totals = totals.ok_or_else(|| anyhow::anyhow!("the model changed while it was read"))?;
        Ok(Model { features: found.into_iter().collect(), spam_docs: totals.spam_docs, ham_docs: totals.ham_docs })
    }

    #[tokio::test]
    async fn pruning_keeps_the_most_seen_features() -> anyhow::Result<()> {
        let (_dir, store) = fresh_store().await?;
        let mut tx = store.begin_write().await?;
        let mut d = Delta::default();
        for i in 0..30 {
            d.add(&features(&[&format!("rare{i}")]), Label::Spam, 1);
        }
        for _ in 0..5 {
            d.add(&features(&["common"]), Label::Ham, 1);
        }
        write_in(tx.conn(), d).await?;
        prune_in(tx.conn(), 10).await?;
        tx.commit().await?;

        let s = stats(&store).await?;
        assert_eq!(s.features, 10);
        let model = model_for(&store, &features(&["common"])).await?;
        assert_eq!(model.features.get("w:common"), Some(&Counts { spam: 0, ham: 5 }));
        store.close().await;
        Ok(())
    }
}

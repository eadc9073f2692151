//! The sender task, one per serving instance: it claims due outbox rows, composes
//! each from what the database holds now, sends it, and records the outcome.
//! Temporary failures (server unreachable, 4xx) are retried with exponential
//! backoff for about a day; a 5xx marks the row failed with the server's answer.
//! An idle sender only reads (once a second), so it never invalidates a cache.

use std::time::Duration;

use super::compose::{self, AdminView, Context, Letter, NewComment};
use super::smtp::{Mailer, SendError};
use crate::app::AppState;
use crate::domain::moderation::contains_any;
use crate::domain::settings::Settings;
use crate::domain::signing::Secret;
use crate::domain::status::CommentStatus;
use crate::store::mail::{self, Claimed, Outcome};

/// How often an idle sender looks for due mail.
const POLL: Duration = Duration::from_secs(1);
/// How long a claim holds a row (a sender killed mid-send leaves it this long).
pub const LEASE_SECONDS: i64 = 120;
/// Rows claimed at once.
const BATCH: i64 = 20;
/// First retry after a minute, doubling up to an hour between tries.
const FIRST_RETRY_SECONDS: i64 = 60;
const MAX_RETRY_SECONDS: i64 = 3600;
/// Tries before a temporary failure counts as final: about 24 hours of retries.
pub const MAX_ATTEMPTS: i64 = 30;
/// Housekeeping (forgetting unconfirmed addresses, old sent rows) this often, in polls.
const HOUSEKEEPING_POLLS: u32 = 600;

/// Starts the sender for `app` (mail must be on); it stops when the store closes.
pub fn spawn(app: AppState, mailer: Mailer) {
    tokio::spawn(async move {
        let mut polls = 0u32;
        loop {
            if app.store.is_closed() {
                break;
            }
            if polls.is_multiple_of(HOUSEKEEPING_POLLS)
                && let Err(e) = mail::housekeeping(&app.store, app.now()).await
            {
                tracing::warn!(error = %e, "mail housekeeping failed");
            }
            polls = polls.wrapping_add(1);
            match run_once(&app, &mailer).await {
                Ok(0) => tokio::time::sleep(POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the mail sender could not reach the database");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    });
}

/// Sends what is due now; returns how many rows it handled.
pub async fn run_once(app: &AppState, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    let now = app.now();
    if !mail::anything_due(&app.store, now).await? {
        return Ok(0);
    }
    let rows = mail::claim_due(&app.store, now, LEASE_SECONDS, BATCH).await?;
    // What every message of the batch is written with, read once.
    let settings = crate::store::settings::load_values(&app.store).await?;
    let secret = app.secret().await?;
    for row in &rows {
        let outcome = deliver(app, mailer, row, &settings, &secret).await;
        match &outcome {
            Outcome::Sent { .. } => tracing::info!(outbox = row.id, kind = %row.kind, "mail sent"),
            Outcome::Retry { error, .. } => {
                tracing::warn!(outbox = row.id, kind = %row.kind, attempts = row.attempts, error = %without_addresses(error), "mail not sent; will retry")
            }
            Outcome::Failed { error } => {
                tracing::warn!(outbox = row.id, kind = %row.kind, error = %without_addresses(error), "mail refused for good")
            }
            Outcome::Dropped { reason } => {
                tracing::info!(outbox = row.id, kind = %row.kind, reason = %reason, "mail dropped")
            }
        }
        mail::record(&app.store, row.id, &outcome, app.now()).await?;
    }
    Ok(rows.len())
}

/// An SMTP server's answer for the log: any word with an `@` (an address the server
/// quoted) is left out. The admin's Mail page shows the whole answer.
fn without_addresses(text: &str) -> String {
    text.split(' ').map(|w| if w.contains('@') { "<address>" } else { w }).collect::<Vec<_>>().join(" ")
}

/// Composes and sends one claimed row.
async fn deliver(app: &AppState, mailer: &Mailer, row: &Claimed, settings: &Settings, secret: &Secret) -> Outcome {
    let Some(config) = app.config.mail.as_ref() else {
        return Outcome::Retry { error: "mail is off".into(), due_at: app.now() + MAX_RETRY_SECONDS };
    };
    let letter = match compose_row(app, row, settings, secret).await {
        Ok(Ok(letter)) => letter,
        Ok(Err(reason)) => return Outcome::Dropped { reason },
        Err(e) => return retry(row, app.now(), format!("reading what to write failed: {e}")),
    };
    let host = config.from.email.domain().to_owned();
    let id = compose::message_id(row.id, row.created_at, &host);
    let message = match compose::message(&letter, &config.from, &id, app.now()) {
        Ok(m) => m,
        Err(e) => return Outcome::Failed { error: e },
    };
    match mailer.send(message).await {
        Ok(()) => Outcome::Sent { subject: letter.subject },
        Err(SendError::Permanent(e)) => Outcome::Failed { error: e },
        Err(SendError::Temporary(e)) => retry(row, app.now(), e),
    }
}

/// A temporary failure: try again later, or give up after [`MAX_ATTEMPTS`].
fn retry(row: &Claimed, now: i64, error: String) -> Outcome {
    if row.attempts >= MAX_ATTEMPTS {
        return Outcome::Failed { error: format!("gave up after {} tries over about a day: {error}", row.attempts) };
    }
    let shift = u32::try_from(row.attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    let wait = FIRST_RETRY_SECONDS.saturating_mul(1 << shift).min(MAX_RETRY_SECONDS);
    Outcome::Retry { error, due_at: now + wait }
}

/// The letter for a row, or why there is nothing to send any more.
async fn compose_row(
    app: &AppState,
    row: &Claimed,
    settings: &Settings,
    secret: &Secret,
) -> Result<Result<Letter, String>, sqlx::Error> {
    let ctx = Context { base_url: &app.config.base_url, site_title: &settings.site_title, secret, now: app.now() };
    let to = row.recipient.as_str();
    Ok(match row.kind.as_str() {
        "held" | "posted" => {
            let Some(c) = crate::store::moderation::by_id(&app.store, row.comment_id.unwrap_or(0)).await? else {
                return Ok(Err("the comment was deleted".into()));
            };
            let view = AdminView {
                id: c.id,
                post_title: &c.post_title,
                post_slug: &c.post_slug,
                post_id: c.post_id,
                author_name: &c.author_name,
                author_email: &c.author_email,
                author_url: &c.author_url,
                author_ip: &c.author_ip,
                rule: &c.rule,
                body: &c.body,
                status: c.status,
            };
            if row.kind == "held" {
                if c.status != CommentStatus::Pending {
                    return Ok(Err("the comment was moderated before the mail went out".into()));
                }
                let waiting = crate::store::moderation::counts(&app.store).await?.pending;
                Ok(compose::held(&ctx, to, &view, (waiting - 1).max(0)))
            } else if c.status != CommentStatus::Approved {
                Err("the comment is no longer approved".into())
            } else {
                Ok(compose::posted(&ctx, to, &view))
            }
        }
        "notify" => {
            if contains_any(&settings.discussion.block_words, &[to]) {
                return Ok(Err("the address is on the block list".into()));
            }
            let (Some(post_id), Some(address_id)) = (row.post_id, row.address_id) else {
                return Ok(Err("the row names no post".into()));
            };
            let Some(post) = mail::post(&app.store, post_id).await? else {
                return Ok(Err("the post was deleted".into()));
            };
            let comments = mail::notify_comments(&app.store, row.id).await?;
            if comments.is_empty() {
                return Ok(Err("none of its comments is approved any more".into()));
            }
            let items: Vec<NewComment<'_>> =
                comments.iter().map(|c| NewComment { id: c.id, author_name: &c.author_name, body: &c.body }).collect();
            Ok(compose::notify(&ctx, to, address_id, (post.id, &post.title, &post.slug), &items))
        }
        "confirm" => {
            let Some(address) = mail::address(&app.store, row.address_id.unwrap_or(0)).await? else {
                return Ok(Err("the address was forgotten".into()));
            };
            if address.confirmed_at.is_some() {
                return Ok(Err("the address is already confirmed".into()));
            }
            let title = match row.post_id {
                Some(id) => mail::post(&app.store, id).await?.map(|p| p.title).unwrap_or_default(),
                None => String::new(),
            };
            Ok(compose::confirm(&ctx, to, address.id, &title))
        }
        "manage" => {
            let Some(link) = crate::store::commenters::link(&app.store, row.address_id.unwrap_or(0), app.now()).await?
            else {
                return Ok(Err("the link expired before it could be sent".into()));
            };
            Ok(compose::manage(&ctx, to, link.id, link.created_at + crate::store::commenters::LINK_SECONDS))
        }
        "test" => Ok(compose::test(&ctx, to)),
        other => Err(format!("unknown kind of mail {other:?}")),
    })
}

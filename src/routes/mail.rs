//! The pages mailed links open, under `/mail`. The signed link is the credential
//! (no login): each GET shows a page with one button, and only the POST acts, so
//! mail scanners and link previews that follow links change nothing. The
//! unsubscribe URL also takes the POST a mail client sends by itself (RFC 8058).
//! Links carry ids, never addresses; every page is `private, no-store`.

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::extract::{Path, Query};
use crate::app::AppState;
use crate::domain::queue::Action;
use crate::domain::signing::{LinkPurpose, LinkSignature};
use crate::domain::status::CommentStatus;
use crate::error::AppError;
use crate::http_cache::CachePolicy;
use crate::mail::compose::Context;
use crate::store;
use crate::views::mail::MailPage;
use crate::views::{self, Layout};

/// What a link that does not work says: forged, cut, or expired look the same.
pub const LINK_REFUSED: &str = "This link does not work: it has expired, or it was changed or cut short. \
     Links in hewn's mails work for a limited time; use the newest mail, or the site itself.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail/moderate/{id}/{action}", get(show_moderate).post(moderate))
        .route("/mail/confirm/{address}", get(show_confirm).post(confirm))
        .route("/mail/unsubscribe/{address}/{post}", get(show_unsubscribe).post(unsubscribe))
        .route("/mail/subscriptions/{address}", get(show_subscriptions))
}

/// The signature in a signed link's query (and the moderation link's status): the
/// one reader of every signed link, mailed or not.
#[derive(Debug, Default, Deserialize)]
pub struct Signed {
    expires: Option<String>,
    sig: Option<String>,
    status: Option<String>,
}

impl Signed {
    /// Checks the signature for `purpose` and `fields` with the site secret, now;
    /// a forged, cut or expired link gets [`LINK_REFUSED`].
    pub(crate) async fn verify(&self, app: &AppState, purpose: LinkPurpose, fields: &[&str]) -> Result<(), AppError> {
        let refused = || AppError::Forbidden(LINK_REFUSED.to_owned());
        let expires = self.expires.as_deref().and_then(|e| e.parse::<i64>().ok()).ok_or_else(refused)?;
        let sig = self.sig.clone().ok_or_else(refused)?;
        let secret = app.secret().await?;
        if (LinkSignature { expires, sig }).verify(&secret, purpose, fields, app.now()) {
            Ok(())
        } else {
            Err(refused())
        }
    }

    /// The signature again, as the query of a link to the same page's actions.
    pub(crate) fn query(&self) -> String {
        format!("?expires={}&sig={}", self.expires.as_deref().unwrap_or(""), self.sig.as_deref().unwrap_or(""))
    }
}

fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| AppError::Forbidden(LINK_REFUSED.to_owned()))
}

/// What a mail page says, before it has its layout.
pub(crate) struct Parts {
    heading: String,
    message: String,
    action: Option<(String, String)>,
    subscriptions: Vec<(String, String, String)>,
    unsubscribe_all: Option<String>,
}

/// Renders a page a signed link opens, private.
pub(crate) async fn page(app: &AppState, uri: &Uri, parts: Parts) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let mut layout = Layout::new(&settings, &app.config.base_url, uri.path(), Some(&parts.heading));
    layout.canonical.clear();
    let view = MailPage {
        layout,
        heading: parts.heading,
        message: parts.message,
        action: parts.action,
        subscriptions: parts.subscriptions,
        unsubscribe_all: parts.unsubscribe_all,
    };
    let mut response = views::render(&view)?.into_response();
    response.extensions_mut().insert(CachePolicy::Private);
    Ok(response)
}

/// A page with a message and at most one button: `(where it posts, its label)`.
pub(crate) fn view(heading: &str, message: String, action: Option<(String, String)>) -> Parts {
    Parts { heading: heading.to_owned(), message, action, subscriptions: Vec::new(), unsubscribe_all: None }
}

/// The link's own address, to post the button's form to.
fn same_link(uri: &Uri) -> String {
    uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// The moderation link's comment, action and the status it was signed for, checked.
async fn moderation_link(
    app: &AppState,
    id: &str,
    action: &str,
    q: &Signed,
) -> Result<(store::moderation::AdminComment, Action, CommentStatus), AppError> {
    let id = parse_id(id)?;
    let action = Action::parse(action)
        .filter(|a| matches!(a, Action::Approve | Action::Spam | Action::Trash))
        .ok_or_else(|| AppError::Forbidden(LINK_REFUSED.to_owned()))?;
    let status = q
        .status
        .as_deref()
        .and_then(|s| s.parse::<CommentStatus>().ok())
        .ok_or_else(|| AppError::Forbidden(LINK_REFUSED.to_owned()))?;
    q.verify(app, LinkPurpose::Moderate, &[&id.to_string(), action.as_str(), status.as_str()]).await?;
    let comment = store::moderation::by_id(&app.store, id)
        .await?
        .ok_or_else(|| AppError::Conflict("This comment no longer exists, so the link has nothing to do.".into()))?;
    if comment.status != status {
        return Err(AppError::Conflict(format!(
            "This comment was moderated after the mail was sent (it is now {}), so this link no longer works. \
             Open the admin panel to change it.",
            comment.status.as_str()
        )));
    }
    Ok((comment, action, status))
}

/// `GET /mail/moderate/{id}/{action}`: the comment, and one button.
async fn show_moderate(
    State(app): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let (comment, action, _) = moderation_link(&app, &id, &action, &q).await?;
    let message = format!(
        "{} the comment by {} on “{}”? Nothing changes until you press the button.",
        action.label(),
        crate::views::comments::author_name(&comment.author_name),
        comment.post_title
    );
    page(&app, &uri, view("Moderate a comment", message, Some((same_link(&uri), action.label().to_owned())))).await
}

/// `POST /mail/moderate/{id}/{action}`: does it.
async fn moderate(
    State(app): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let (comment, action, _) = moderation_link(&app, &id, &action, &q).await?;
    let changed = store::moderation::apply(&app.store, action, &[comment.id]).await?;
    tracing::info!(comment = comment.id, action = action.as_str(), changed, "moderated from a mailed link");
    page(&app, &uri, view("Done", action.done_message(changed), None)).await
}

/// `GET /mail/confirm/{address}`.
async fn show_confirm(
    State(app): State<AppState>,
    Path(address): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let address = checked(&app, &address, &q, LinkPurpose::Confirm, None).await?;
    let message = "Press the button to confirm your address and start getting mails about new comments.".to_owned();
    let _ = address;
    page(&app, &uri, view("Confirm your subscription", message, Some((same_link(&uri), "Confirm".into())))).await
}

/// `POST /mail/confirm/{address}`.
async fn confirm(
    State(app): State<AppState>,
    Path(address): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let address = checked(&app, &address, &q, LinkPurpose::Confirm, None).await?;
    store::mail::confirm(&app.store, address.id, app.now()).await?;
    tracing::info!(address = address.id, "a subscriber confirmed");
    let message = "Your address is confirmed: you will get a mail when new comments appear on the posts you follow. \
         Every mail has a link to stop them."
        .to_owned();
    page(&app, &uri, view("Subscription confirmed", message, None)).await
}

/// The address a link names, once its signature is checked.
async fn checked(
    app: &AppState,
    address: &str,
    q: &Signed,
    purpose: LinkPurpose,
    extra: Option<&str>,
) -> Result<store::mail::Address, AppError> {
    let id = parse_id(address)?;
    let id_text = id.to_string();
    let mut fields = vec![id_text.as_str()];
    fields.extend(extra);
    q.verify(app, purpose, &fields).await?;
    store::mail::address(&app.store, id).await?.ok_or_else(|| {
        AppError::Conflict("This address has no subscriptions any more: there is nothing to change.".into())
    })
}

/// The post part of an unsubscribe link: a post id or `all`.
fn post_part(raw: &str) -> Result<Option<i64>, AppError> {
    if raw == "all" { Ok(None) } else { parse_id(raw).map(Some) }
}

/// `GET /mail/unsubscribe/{address}/{post}`.
async fn show_unsubscribe(
    State(app): State<AppState>,
    Path((address, post)): Path<(String, String)>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let post_id = post_part(&post)?;
    checked(&app, &address, &q, LinkPurpose::Unsubscribe, Some(&post)).await?;
    let message = match post_id {
        Some(id) => {
            let title = store::mail::post(&app.store, id).await?.map(|p| p.title).unwrap_or_default();
            format!("Stop the mails about new comments on “{title}”?")
        }
        None => "Stop every mail about new comments on this site?".to_owned(),
    };
    page(&app, &uri, view("Unsubscribe", message, Some((same_link(&uri), "Unsubscribe".into())))).await
}

/// `POST /mail/unsubscribe/{address}/{post}`: the button, or a mail client's
/// one-click POST (`List-Unsubscribe=One-Click`).
async fn unsubscribe(
    State(app): State<AppState>,
    Path((address, post)): Path<(String, String)>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let post_id = post_part(&post)?;
    let id = parse_id(&address)?;
    q.verify(&app, LinkPurpose::Unsubscribe, &[&id.to_string(), &post]).await?;
    // Unsubscribing twice is not an error: the answer is the same.
    let ended = store::mail::unsubscribe(&app.store, id, post_id).await?;
    tracing::info!(address = id, ended, "a subscriber unsubscribed");
    let message = match post_id {
        Some(_) => "You will get no more mails about this post.".to_owned(),
        None => "You will get no more mails from this site. If you subscribe again, you will be asked to confirm."
            .to_owned(),
    };
    page(&app, &uri, view("Unsubscribed", message, None)).await
}

/// `GET /mail/subscriptions/{address}`: every subscription, each with its button.
async fn show_subscriptions(
    State(app): State<AppState>,
    Path(address): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    let address = checked(&app, &address, &q, LinkPurpose::Subscriptions, None).await?;
    let subscriptions = store::mail::subscriptions_of(&app.store, address.id).await?;
    let secret = app.secret().await?;
    let settings = store::settings::load_values(&app.store).await?;
    let ctx =
        Context { base_url: &app.config.base_url, site_title: &settings.site_title, secret: &secret, now: app.now() };
    let mut v = view(
        "Your subscriptions",
        if subscriptions.is_empty() {
            "This address follows no post.".to_owned()
        } else {
            "This address gets a mail when new comments appear on these posts:".to_owned()
        },
        None,
    );
    v.subscriptions = subscriptions
        .iter()
        .map(|s| {
            (
                s.post_title.clone(),
                crate::views::posts::post_url(&s.post_slug),
                ctx.unsubscribe_link(address.id, Some(s.post_id)),
            )
        })
        .collect();
    v.unsubscribe_all = Some(ctx.unsubscribe_link(address.id, None));
    page(&app, &uri, v).await
}

//! A commenter's control over their own words, without an account:
//! - within the edit window, from the browser that posted it (its signed pass in the
//!   commenter cookie), editing a comment (moderated again) or deleting it;
//! - "Manage your comments": a mailed link (one hour) to every comment written with
//!   an address, its export, and erasing or deleting them, each a POST after a page
//!   with one button, recorded in the admin's request log without the address.
//!
//! Every page here is the reader's own: `private, no-store`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::commenter::CommenterCookies;
use super::extract::{ClientIp, Form, Path, Query};
use super::mail::Signed;
use crate::app::AppState;
use crate::domain::comment_form::{self, FIELD_COMMENT, MAX_COMMENT_CHARS};
use crate::domain::moderation::{self, Candidate, Decision, Facts};
use crate::domain::signing::LinkPurpose;
use crate::domain::status::CommentStatus;
use crate::domain::{FieldErrors, comment_text, datefmt, render_limits};
use crate::error::AppError;
use crate::http_cache::CachePolicy;
use crate::store::commenters::{self, Source};
use crate::store::{self, posts::PublicPost};
use crate::views::own_comments::{EditPage, ManagePage, WrittenView, export_json};
use crate::views::posts::post_url;
use crate::views::{self, Layout};

/// The answer when the edit window has closed, or the browser holds no pass.
pub const EDIT_REFUSED: &str = "This comment can no longer be changed from this browser: comments can be edited or \
     deleted only for a few minutes after posting, from the browser they were posted from.";
/// What asking for a "Manage your comments" link answers, whatever the address.
pub const LINK_SENT: &str = "If comments on this blog were written with that address, a link to them is on its way \
     there. It works for one hour.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{slug}/comments/{id}/edit", get(show_edit).post(save_edit))
        .route("/posts/{slug}/comments/{id}/delete", get(show_delete).post(delete))
        .route("/comments/manage", get(show_request).post(request_link))
        .route("/comments/manage/{link}", get(show_manage))
        .route("/comments/manage/{link}/export", get(export_page))
        .route("/comments/manage/{link}/export.json", get(export_file))
        .route("/comments/manage/{link}/erase", get(show_erase).post(erase))
        .route("/comments/manage/{link}/delete", get(show_delete_all).post(delete_all))
        .layer(super::refuse_cross_site())
}

fn private(mut response: Response) -> Response {
    response.extensions_mut().insert(CachePolicy::Private);
    response
}

/// A page with a message and at most one button (the layout of mailed-link pages).
async fn message_page(
    app: &AppState,
    uri: &Uri,
    heading: &str,
    message: String,
    action: Option<(String, String)>,
) -> Result<Response, AppError> {
    super::mail::page(app, uri, super::mail::view(heading, message, action)).await
}

/// The edit window in seconds (0: off).
async fn window(app: &AppState) -> Result<i64, AppError> {
    let settings = store::settings::load_values(&app.store).await?;
    Ok(i64::from(settings.discussion.edit_minutes) * 60)
}

/// The comment `id` on the post `slug`, if this browser may still change it.
async fn editable(
    app: &AppState,
    slug: &str,
    id: &str,
    headers: &HeaderMap,
) -> Result<(PublicPost, commenters::Own, i64), AppError> {
    let now = app.now();
    let post = store::posts::visible_by_slug(&app.store, now, slug).await?.ok_or(AppError::NotFound)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let comment = commenters::own(&app.store, id)
        .await?
        .filter(|c| c.post_id == post.id && !c.deleted)
        .filter(|c| matches!(c.status, CommentStatus::Approved | CommentStatus::Pending | CommentStatus::Spam))
        .ok_or(AppError::NotFound)?;
    let window = window(app).await?;
    let secret = app.secret().await?;
    let has_pass = CommenterCookies::read(headers).passes.iter().any(|p| p.comment_id == id && p.verify(&secret, now));
    if window == 0 || !has_pass || now >= comment.created_at + window {
        return Err(AppError::Forbidden(EDIT_REFUSED.to_owned()));
    }
    Ok((post, comment, window))
}

/// The edit form, with `text` and `errors`.
async fn edit_page(
    app: &AppState,
    post: &PublicPost,
    comment: &commenters::Own,
    window: i64,
    text: String,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let path = post_url(&post.slug);
    let mut layout = Layout::new(&settings, &app.config.base_url, &path, Some("Edit your comment"));
    layout.canonical.clear();
    let zone = settings.zone();
    views::render(&EditPage {
        layout,
        action: format!("{path}/comments/{}/edit", comment.id),
        delete_url: format!("{path}/comments/{}/delete", comment.id),
        post_path: format!("{path}#comment-{}", comment.id),
        post_title: post.title.clone(),
        text,
        errors,
        until: datefmt::format(comment.created_at + window, &zone, &settings.time_format),
        max_chars: MAX_COMMENT_CHARS,
    })
}

/// `GET /posts/{slug}/comments/{id}/edit`.
async fn show_edit(
    State(app): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (post, comment, window) = editable(&app, &slug, &id, &headers).await?;
    let text = comment.body.clone();
    Ok(private(edit_page(&app, &post, &comment, window, text, FieldErrors::default()).await?.into_response()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    comment: String,
}

/// `POST /posts/{slug}/comments/{id}/edit`: the same validation, rendering limits and
/// moderation rules as a new comment; the comment keeps its id and anchor.
async fn save_edit(
    State(app): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let (post, comment, window) = editable(&app, &slug, &id, &headers).await?;
    let now = app.now();
    let text = comment_form::clean(&form.comment);
    let entered = comment_form::Entered {
        comment: text.clone(),
        author: comment.author_name.clone(),
        email: comment.author_email.clone(),
        url: String::new(),
        consent: false,
        subscribe: false,
    };
    let mut errors = match comment_form::validate(&entered, "") {
        Ok(_) => FieldErrors::default(),
        Err(all) => {
            // Only the text is edited here: the rest was valid when posted.
            let mut mine = FieldErrors::default();
            if let Some(m) = all.message(FIELD_COMMENT) {
                mine.add(FIELD_COMMENT, m.to_owned());
            }
            mine
        }
    };
    let html = if errors.is_empty() {
        let rendered = text.clone();
        match render_limits::render_off_runtime(move |deadline| comment_text::render_within(&rendered, Some(deadline)))
            .await
        {
            Ok(html) => Some(html.into_string()),
            Err(_) => {
                errors.add(FIELD_COMMENT, super::comments::TOO_COMPLEX);
                None
            }
        }
    } else {
        None
    };
    let Some(body_html) = html else {
        let page = edit_page(&app, &post, &comment, window, text, errors).await?;
        return Ok(private((StatusCode::UNPROCESSABLE_ENTITY, page).into_response()));
    };

    let settings = store::settings::load_values(&app.store).await?;
    let candidate = Candidate {
        author: &comment.author_name,
        email: &comment.author_email,
        url: &comment.author_url,
        text: &text,
        links: moderation::count_links(&body_html),
        ip: &comment.author_ip,
        user_agent: &comment.user_agent,
        honeypot_filled: false,
        // The learned filter and the timing rule judge new comments, not a fix of one.
        spam: None,
        seconds_on_page: None,
    };
    // Flood control and the duplicate check concern new comments, not a fix of one.
    let draft = store::submissions::Draft {
        post_id: post.id,
        post_published_at: post.published_at,
        parent_id: None,
        author_name: comment.author_name.clone(),
        author_email: comment.author_email.clone(),
        author_url: comment.author_url.clone(),
        body: text.clone(),
        body_html: String::new(),
        author_ip: comment.author_ip.clone(),
        user_agent: comment.user_agent.clone(),
        created_at: now,
        avatar_key: String::new(),
        mail: Default::default(),
        spam_features: None,
    };
    let known = store::submissions::facts(&app.store, &draft).await?.known_author;
    let facts = Facts {
        now,
        post_published_at: post.published_at,
        last_from_client: None,
        duplicate: false,
        known_author: known || comment.status == CommentStatus::Approved,
    };
    let (status, rule) = match moderation::decide(&candidate, &settings.discussion, &facts) {
        Decision::Store { status, rule } => (status, rule.as_str()),
        // Closed by age since it was posted: the fix keeps the comment where it is.
        _ => (comment.status, "edit"),
    };
    let saved = commenters::edit(
        &app.store,
        &commenters::Edit {
            id: comment.id,
            body: &text,
            body_html: &body_html,
            status,
            rule,
            now,
            posted_after: now - window,
        },
    )
    .await?;
    if !saved {
        return Err(AppError::Forbidden(EDIT_REFUSED.to_owned()));
    }
    tracing::info!(comment = comment.id, status = status.as_str(), rule, "a comment was edited by its author");
    let path = post_url(&post.slug);
    let location = if status == CommentStatus::Approved {
        format!("{path}#comment-{}", comment.id)
    } else {
        // Held again: its author still sees it through the pass in their cookie.
        format!("{path}#comments")
    };
    Ok(private(super::see_other(&location)))
}

/// `GET /posts/{slug}/comments/{id}/delete`: one button.
async fn show_delete(
    State(app): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let (post, _, _) = editable(&app, &slug, &id, &headers).await?;
    let message = format!(
        "Delete your comment on “{}”? If someone has replied to it, it stays as “This comment was deleted.” so \
         that the replies keep their place.",
        post.title
    );
    message_page(&app, &uri, "Delete your comment", message, Some((uri.path().to_owned(), "Delete".into()))).await
}

/// `POST /posts/{slug}/comments/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (post, comment, window) = editable(&app, &slug, &id, &headers).await?;
    let now = app.now();
    if !commenters::delete_own(&app.store, comment.id, now, now - window).await? {
        return Err(AppError::Forbidden(EDIT_REFUSED.to_owned()));
    }
    tracing::info!(comment = comment.id, "a comment was deleted by its author");
    Ok(private(super::see_other(&format!("{}#comments", post_url(&post.slug)))))
}

/// `GET /comments/manage`: the form that asks for a link.
async fn show_request(State(app): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    if app.config.mail.is_none() {
        return Err(AppError::NotFound);
    }
    request_page(&app, &uri, String::new(), StatusCode::OK).await
}

async fn request_page(app: &AppState, uri: &Uri, error: String, status: StatusCode) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let mut layout = Layout::new(&settings, &app.config.base_url, uri.path(), Some("Manage your comments"));
    layout.canonical.clear();
    let view = RequestPage { layout, error };
    Ok(private((status, views::render(&view)?).into_response()))
}

/// `templates/comments/request.html`.
#[derive(askama::Template)]
#[template(path = "comments/request.html")]
struct RequestPage {
    layout: Layout,
    error: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    email: String,
}

/// `POST /comments/manage`: queues the link if the limits allow; the answer is the
/// same whether or not the address wrote anything, and whatever the limits decided.
async fn request_link(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    if app.config.mail.is_none() {
        return Err(AppError::NotFound);
    }
    let email = form.email.trim();
    if email.is_empty() || email.chars().count() > comment_form::MAX_EMAIL_CHARS || !comment_form::is_valid_email(email)
    {
        return request_page(
            &app,
            &uri,
            "Please enter a valid email address, such as name@example.com.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let queued = commenters::request_link(&app.store, email, &ip.to_string(), app.now()).await?;
    tracing::info!(queued, "a commenter asked for a link to their comments");
    message_page(&app, &uri, "Check your mail", LINK_SENT.to_owned(), None).await
}

/// The link's row, once its signature and age are checked.
async fn link(app: &AppState, raw: &str, q: &Signed) -> Result<commenters::Link, AppError> {
    let refused = || AppError::Forbidden(super::mail::LINK_REFUSED.to_owned());
    let id: i64 = raw.parse().map_err(|_| refused())?;
    q.verify(app, LinkPurpose::Manage, &[&id.to_string()]).await?;
    commenters::link(&app.store, id, app.now()).await?.ok_or_else(refused)
}

async fn manage_page(app: &AppState, uri: &Uri, link_id: &str, q: &Signed, export: bool) -> Result<Response, AppError> {
    let link = link(app, link_id, q).await?;
    let settings = store::settings::load(&app.store).await?;
    let written = commenters::written_by(&app.store, &link.email).await?;
    let comments = written.iter().map(|c| WrittenView::new(c, &settings)).collect();
    let subscriptions_url = subscriptions_url(app, &link.email).await?;
    if export {
        commenters::log_export(&app.store, Source::Commenter, written.len(), app.now()).await?;
    }
    let mut layout = Layout::new(&settings, &app.config.base_url, uri.path(), Some("Your comments"));
    layout.canonical.clear();
    let view = ManagePage {
        layout,
        export,
        query: q.query(),
        base: format!("/comments/manage/{}", link.id),
        comments,
        subscriptions_url,
    };
    Ok(private(views::render(&view)?.into_response()))
}

/// The address's subscriptions page (signed), when it has subscriptions.
async fn subscriptions_url(app: &AppState, email: &str) -> Result<Option<String>, AppError> {
    let Some(address) = store::mail::address_by_email(&app.store, email).await? else { return Ok(None) };
    let secret = app.secret().await?;
    let settings = store::settings::load_values(&app.store).await?;
    let ctx = crate::mail::compose::Context {
        base_url: &app.config.base_url,
        site_title: &settings.site_title,
        secret: &secret,
        now: app.now(),
    };
    Ok(Some(ctx.subscriptions_link(address.id)))
}

/// `GET /comments/manage/{link}`.
async fn show_manage(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    manage_page(&app, &uri, &link_id, &q, false).await
}

/// `GET /comments/manage/{link}/export`: everything stored, readable.
async fn export_page(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    manage_page(&app, &uri, &link_id, &q, true).await
}

/// `GET /comments/manage/{link}/export.json`: the same as a file.
async fn export_file(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let link = link(&app, &link_id, &q).await?;
    let json = export_json_for(&app, &link.email).await?;
    commenters::log_export(&app.store, Source::Commenter, json.1, app.now()).await?;
    Ok(json_download(json.0))
}

/// The JSON export of `email`'s comments and subscriptions, and how many comments.
pub async fn export_json_for(app: &AppState, email: &str) -> Result<(String, usize), AppError> {
    let written = commenters::written_by(&app.store, email).await?;
    let subscriptions: Vec<(String, String)> = match store::mail::address_by_email(&app.store, email).await? {
        Some(a) => store::mail::subscriptions_of(&app.store, a.id)
            .await?
            .into_iter()
            .map(|s| (s.post_title, post_url(&s.post_slug)))
            .collect(),
        None => Vec::new(),
    };
    let email = email.trim().to_lowercase();
    Ok((export_json(&email, &written, &subscriptions, &app.config.base_url), written.len()))
}

/// A JSON file to download, private.
pub fn json_download(json: String) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"my-comments.json\""),
        ],
        json,
    )
        .into_response();
    response.extensions_mut().insert(CachePolicy::Private);
    response
}

/// What a commenter can do to all their comments from their page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    Erase,
    Delete,
}

impl Whole {
    /// The confirmation page's heading, question and button.
    fn asks(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Erase => (
                "Erase my personal data",
                "Erase your name, email address, website, IP address and browser from every comment you wrote \
                 here? The comments stay, signed “Anonymous”, and your subscriptions end. This cannot be undone.",
                "Erase",
            ),
            Self::Delete => (
                "Delete my comments",
                "Delete every comment you wrote here, with its text? A comment with replies stays as “This \
                 comment was deleted.” so that the replies keep their place. This cannot be undone.",
                "Delete my comments",
            ),
        }
    }

    /// Does it; returns what the commenter is told.
    async fn run(self, app: &AppState, email: &str) -> Result<String, AppError> {
        let now = app.now();
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        Ok(match self {
            Self::Erase => {
                let n = commenters::erase(&app.store, email, Source::Commenter, now).await?;
                tracing::info!(comments = n, "a commenter erased their personal data");
                format!("Your name and address are gone from {n} comment{}.", plural(n))
            }
            Self::Delete => {
                let n = commenters::delete_all(&app.store, email, Source::Commenter, now).await?;
                tracing::info!(comments = n, "a commenter deleted their comments");
                format!("{n} comment{} deleted.", plural(n))
            }
        })
    }
}

/// The page with one button before erasing or deleting.
async fn ask(app: &AppState, uri: &Uri, link_id: &str, q: &Signed, what: Whole) -> Result<Response, AppError> {
    link(app, link_id, q).await?;
    let (heading, question, button) = what.asks();
    let action = format!("{}{}", uri.path(), q.query());
    message_page(app, uri, heading, question.to_owned(), Some((action, button.to_owned()))).await
}

/// Erases or deletes, and clears the commenter cookies of this browser.
async fn act(app: &AppState, uri: &Uri, link_id: &str, q: &Signed, what: Whole) -> Result<Response, AppError> {
    let link = link(app, link_id, q).await?;
    let told = what.run(app, &link.email).await?;
    let mut response = message_page(app, uri, "Done", told, None).await?;
    super::commenter::forget(&mut response, app.config.is_https());
    Ok(response)
}

/// `GET /comments/manage/{link}/erase`: one button.
async fn show_erase(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    ask(&app, &uri, &link_id, &q, Whole::Erase).await
}

/// `POST /comments/manage/{link}/erase`.
async fn erase(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    act(&app, &uri, &link_id, &q, Whole::Erase).await
}

/// `GET /comments/manage/{link}/delete`: one button.
async fn show_delete_all(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    ask(&app, &uri, &link_id, &q, Whole::Delete).await
}

/// `POST /comments/manage/{link}/delete`.
async fn delete_all(
    State(app): State<AppState>,
    Path(link_id): Path<String>,
    Query(q): Query<Signed>,
    uri: Uri,
) -> Result<Response, AppError> {
    act(&app, &uri, &link_id, &q, Whole::Delete).await
}

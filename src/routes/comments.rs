//! The comment form: `POST /posts/{slug}/comments` (strict parsing, validation, the
//! moderation pipeline, the 303 back to the post), and the discussion part of the post
//! page: the reply target, the reader's own held comments, the prefilled form.
//!
//! A page that shows a commenter's own data (their held comment, their remembered
//! details, their rejected input) is personal: it is sent `private, no-store`, and
//! that decision is made explicitly in [`render_post`]. Every other post page is the
//! same for everyone and never depends on the commenter cookies.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;

use super::commenter::{self, CommenterCookies, Remembered};
use super::extract::{ClientIp, Path, unreadable_body};
use crate::app::AppState;
use crate::domain::comment_form::{self, FIELD_HONEYPOT, FIELD_RENDERED};
use crate::domain::form_body::{self, BodyError};
use crate::domain::moderation::{self, Candidate, Decision};
use crate::domain::settings::{Discussion, Settings};
use crate::domain::signing::{PENDING_COOKIE_SECONDS, PENDING_LINK_SECONDS, PendingPass, RenderStamp, Secret};
use crate::domain::spam;
use crate::domain::status::CommentStatus;
use crate::domain::{comment_text, markdown, privacy, render_limits};
use crate::error::AppError;
use crate::http_cache::CachePolicy;
use crate::store;
use crate::store::comments::PublicComment;
use crate::store::posts::PublicPost;
use crate::store::submissions::{self, SubmitError};
use crate::views::comments::{OwnValues, PreviewView, ReplyTarget, RespondView};
use crate::views::posts::{PostPage, post_url};
use crate::views::{self, Layout};

/// What a post with closed comments says, on the page and to a POST.
pub const COMMENTS_CLOSED: &str = "Comments are closed.";
/// WordPress's answer to a comment posted twice.
pub const DUPLICATE_COMMENT: &str = "Duplicate comment detected; it looks as though you've already said that!";
/// The answer to a reply whose parent does not take replies: missing, held, spam, in
/// the trash, on another post, or a pingback. One answer for all, so that it tells
/// nothing about comments the reader cannot see.
pub const REPLY_REFUSED: &str =
    "The comment you are replying to does not take replies. You can post yours as a new comment.";
/// The answer to a comment that cannot be rendered within the limits.
pub const TOO_COMPLEX: &str = "Your comment has more formatting than can be shown (quotes nested too deep, or too \
     much markup for its length). Simplify it and post it again.";
/// Longest user agent stored with a comment (WordPress keeps 254 characters).
const MAX_USER_AGENT_CHARS: usize = 254;

pub fn router() -> Router<AppState> {
    Router::new().route("/posts/{slug}/comments", post(create_comment)).layer(super::refuse_cross_site())
}

/// The post page's query parameters that concern the discussion.
#[derive(Debug, Default, Deserialize)]
pub struct DiscussionQuery {
    /// `?replytocom=ID`: the form replies to that comment.
    replytocom: Option<String>,
    /// `?unapproved=ID&moderation-hash=TOKEN`: the redirect after posting a held comment.
    unapproved: Option<String>,
    #[serde(rename = "moderation-hash")]
    moderation_hash: Option<String>,
}

/// The post page (`GET /posts/{slug}`) with its discussion.
pub async fn show_post_page(
    app: &AppState,
    post: &PublicPost,
    query: &DiscussionQuery,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let now = app.now();
    let settings = store::settings::load(&app.store).await?;
    let cookies = CommenterCookies::read(headers);

    let mut passes = cookies.passes.clone();
    let link_id = query.unapproved.as_deref().and_then(|s| s.parse::<i64>().ok());
    if let (Some(id), Some(token)) = (link_id, query.moderation_hash.as_deref())
        && let Some(pass) = PendingPass::from_token(id, token)
    {
        passes.push(pass);
    }
    let (own, pass_ids) = if passes.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let secret = secret(app).await?;
        let ids: Vec<i64> = passes.iter().filter(|p| p.verify(&secret, now)).map(|p| p.comment_id).collect();
        (submissions::own_held(&app.store, post.id, &ids).await?, ids)
    };

    let mut respond =
        RespondView::new(&post_url(&post.slug), is_open(post, &settings, now), settings.discussion.honeypot);
    respond.mail = app.config.mail.is_some();
    if respond.open && settings.discussion.min_seconds > 0 {
        respond.rendered = RenderStamp::sign(&secret(app).await?, now);
    }
    if respond.open {
        if let Some(id) = query.replytocom.as_deref().and_then(|s| s.trim().parse::<i64>().ok()) {
            respond.reply_to = reply_target(app, post, id).await?;
        }
        if let Some(r) = cookies.remembered {
            respond.values =
                OwnValues { author: r.author, email: r.email, url: r.url, consent: true, ..OwnValues::default() };
        }
    }
    let editable = editable_ids(app, post.id, &pass_ids, &settings, now).await?;
    render_post(app, post, &settings, &own, &editable, respond, StatusCode::OK).await
}

/// The comments among `ids` (the reader's valid passes) on the post that are still
/// within the edit window.
async fn editable_ids(
    app: &AppState,
    post_id: i64,
    ids: &[i64],
    settings: &Settings,
    now: i64,
) -> Result<Vec<i64>, AppError> {
    let window = i64::from(settings.discussion.edit_minutes) * 60;
    if window == 0 || ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().copied().take(submissions::MAX_OWN).collect();
    Ok(store::commenters::editable(&app.store, post_id, &ids, now - window).await?)
}

/// `POST /posts/{slug}/comments`.
#[tracing::instrument(name = "create_comment", skip_all, fields(slug = %slug))]
async fn create_comment(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body.map_err(unreadable_body)?;
    let now = app.now();
    let post = store::posts::visible_by_slug(&app.store, now, &slug).await?.ok_or(AppError::NotFound)?;
    if !post.comments_open {
        return Err(AppError::Forbidden(COMMENTS_CLOSED.to_owned()));
    }
    let mut settings = store::settings::load_values(&app.store).await?;

    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let fields = form_body::parse(content_type, &body, comment_form::FIELDS).map_err(|e| match e {
        BodyError::UnsupportedMediaType => AppError::UnsupportedMediaType(e.to_string()),
        other => AppError::BadRequest(other.to_string()),
    })?;
    let parent_id = comment_form::parent(&fields).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let entered = comment_form::entered(&fields);

    let post_path = post_url(&post.slug);
    let mut respond = RespondView::new(&post_path, true, settings.discussion.honeypot);
    respond.mail = app.config.mail.is_some();
    if settings.discussion.min_seconds > 0 {
        respond.rendered = RenderStamp::sign(&secret(&app).await?, now);
    }
    // Seconds since the form was rendered: none without a stamp; a stamp that is not
    // ours counts as sent at once.
    let seconds_on_page = match fields.text(FIELD_RENDERED).trim() {
        "" => None,
        stamp => Some(RenderStamp::verify(&secret(&app).await?, stamp).map_or(0, |at| now.saturating_sub(at))),
    };
    respond.values = OwnValues::from(&entered);
    if let Some(id) = parent_id {
        match submissions::parent(&app.store, id).await?.filter(|p| p.accepts_replies_on(post.id)) {
            Some(parent) => {
                respond.reply_to =
                    Some(ReplyTarget { id, name: crate::views::comments::author_name(&parent.author_name) })
            }
            None => respond.form_error = Some(REPLY_REFUSED.to_owned()),
        }
    }

    let validated = comment_form::validate(&entered, fields.text(FIELD_HONEYPOT));
    let submission = match validated {
        Ok(s) if respond.form_error.is_none() => s,
        invalid => {
            // An invalid form on a post closed by age gets the closing, not corrections.
            if !is_open(&post, &settings, now) {
                return Err(AppError::Forbidden(COMMENTS_CLOSED.to_owned()));
            }
            respond.errors = invalid.err().unwrap_or_default();
            settings.nav = store::pages::nav(&app.store, now).await?;
            return render_post(&app, &post, &settings, &[], &[], respond, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };

    if !fields.text(comment_form::FIELD_PREVIEW).is_empty() {
        return preview(&app, &post, settings, respond, &submission.comment, &submission.author, now).await;
    }

    let ip = if settings.discussion.truncate_ips { privacy::truncate_ip(ip) } else { ip }.to_string();
    let avatar_key = privacy::avatar_key(&secret(&app).await?, &submission.email);
    let user_agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let mut draft = submissions::Draft {
        post_id: post.id,
        post_published_at: post.published_at,
        parent_id: respond.reply_to.as_ref().map(|t| t.id),
        author_name: submission.author.clone(),
        author_email: submission.email.clone(),
        author_url: submission.url.clone(),
        body: submission.comment.clone(),
        body_html: String::new(),
        author_ip: ip,
        user_agent,
        created_at: now,
        avatar_key,
        mail: mail_plan(&app, &settings, submission.subscribe),
        spam_features: None,
    };

    // The rules that need no rendering come first: a refused submission costs no
    // rendering, and spam is kept as plain text (nobody reads it on the site). Flood
    // control and the duplicate check need facts read from the store; a short text
    // costs less to render than that read, and meets those two rules as it is stored
    // (see `facts_before_rendering`).
    let facts = if moderation::facts_before_rendering(&draft.body) {
        submissions::facts(&app.store, &draft).await?
    } else {
        moderation::Facts::unread(draft.created_at, draft.post_published_at)
    };
    let unrendered = candidate(&draft, 0, submission.honeypot_filled, seconds_on_page);
    let prechecked = moderation::precheck(&unrendered, &settings.discussion, &facts);
    if prechecked.is_none() && settings.discussion.spam_filter {
        // Its features here, in parallel with other requests; the writer scores them
        // with the model as committed in its transaction, a batch of comments at once.
        let input = spam::Input {
            author: &draft.author_name,
            email: &draft.author_email,
            url: &draft.author_url,
            text: &draft.body,
        };
        draft.spam_features = Some(spam::features::features(&input));
    }
    draft.body_html = match prechecked {
        Some(Decision::Store { .. }) => markdown::plain_paragraphs(&draft.body).into_string(),
        Some(refused) => return Err(refusal(refused)),
        None => {
            let text = draft.body.clone();
            match render_limits::render_off_runtime(move |deadline| comment_text::render_within(&text, Some(deadline)))
                .await
            {
                Ok(html) => html.into_string(),
                Err(e) => {
                    tracing::info!(reason = %e, "comment refused: too complex to render");
                    respond.errors.add(comment_form::FIELD_COMMENT, TOO_COMPLEX);
                    settings.nav = store::pages::nav(&app.store, now).await?;
                    return render_post(&app, &post, &settings, &[], &[], respond, StatusCode::UNPROCESSABLE_ENTITY)
                        .await;
                }
            }
        }
    };
    let decide = judge(&draft, submission.honeypot_filled, seconds_on_page, settings.discussion.clone());
    let outcome = submissions::submit(&app.store, draft, decide).await.map_err(|e| match e {
        SubmitError::Busy => AppError::Unavailable,
        SubmitError::Failed(message) => AppError::Internal(anyhow::anyhow!(message)),
    })?;
    let (id, status) = match outcome {
        submissions::Submitted::Stored { id, status, rule } => {
            tracing::info!(
                comment = id,
                post = post.id,
                status = status.as_str(),
                rule = rule.as_str(),
                "comment stored"
            );
            (id, status)
        }
        submissions::Submitted::Refused(decision) => return Err(refusal(decision)),
    };

    // Held comments (spam included, so a filled honeypot looks like any first comment)
    // come back with a pass that shows them to their author alone; every comment's
    // pass also lets its author edit or delete it within the edit window.
    let secret = secret(&app).await?;
    let held = status != CommentStatus::Approved;
    let location = if held {
        let pass = PendingPass::sign(&secret, id, now + PENDING_LINK_SECONDS);
        format!("{post_path}?unapproved={id}&moderation-hash={}#comment-{id}", pass.token())
    } else {
        format!("{post_path}#comment-{id}")
    };
    let mut response = super::see_other(&location);
    let https = app.config.is_https();
    let edit_seconds = i64::from(settings.discussion.edit_minutes) * 60;
    let pass_seconds = match (held, submission.consent) {
        (true, true) => PENDING_COOKIE_SECONDS,
        (true, false) => edit_seconds,
        (false, _) => edit_seconds,
    };
    let pass = (pass_seconds > 0).then(|| PendingPass::sign(&secret, id, now + pass_seconds));
    let cookies = CommenterCookies::read(&headers);
    let kept: Vec<PendingPass> = cookies.passes.into_iter().filter(|p| p.verify(&secret, now)).collect();
    if submission.consent {
        let details = Remembered { author: submission.author, email: submission.email, url: submission.url };
        commenter::remember(&mut response, &details, pass.as_ref(), &kept, https, now);
    } else {
        commenter::forget_details(&mut response, https);
        commenter::keep_passes(&mut response, pass.as_ref(), &kept, https, now);
    }
    response.extensions_mut().insert(CachePolicy::Private);
    Ok(response)
}

/// The post page with the comment shown as it will look above the form, the fields
/// kept: nothing stored, no moderation rule run, the page the reader's own.
async fn preview(
    app: &AppState,
    post: &PublicPost,
    mut settings: Settings,
    mut respond: RespondView,
    text: &str,
    author: &str,
    now: i64,
) -> Result<Response, AppError> {
    let owned = text.to_owned();
    let rendered =
        render_limits::render_off_runtime(move |deadline| comment_text::render_within(&owned, Some(deadline))).await;
    settings.nav = store::pages::nav(&app.store, now).await?;
    match rendered {
        Ok(html) => {
            respond.preview = Some(PreviewView {
                author: crate::views::comments::author_name(author),
                body_html: html.into_string(),
            });
            render_post(app, post, &settings, &[], &[], respond, StatusCode::OK).await
        }
        Err(_) => {
            respond.errors.add(comment_form::FIELD_COMMENT, TOO_COMPLEX);
            render_post(app, post, &settings, &[], &[], respond, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The mail a stored comment causes: none when mail is off.
fn mail_plan(app: &AppState, settings: &Settings, subscribe: bool) -> store::mail::MailPlan {
    if app.config.mail.is_none() {
        return store::mail::MailPlan::default();
    }
    store::mail::MailPlan {
        on: true,
        subscribe,
        admin_on_held: settings.mail.on_held,
        admin_on_posted: settings.mail.on_comment,
        extra_address: settings.mail.extra_address.clone(),
    }
}

/// The moderation rules applied to `draft`, as the writer calls them once it has read
/// the facts.
fn judge(
    draft: &submissions::Draft,
    honeypot_filled: bool,
    seconds_on_page: Option<i64>,
    rules: Discussion,
) -> submissions::Decide {
    let links = moderation::count_links(&draft.body_html);
    let judged = draft.clone();
    Box::new(move |facts, spam| {
        let candidate = Candidate { spam, ..candidate(&judged, links, honeypot_filled, seconds_on_page) };
        moderation::decide(&candidate, &rules, facts)
    })
}

/// `draft` as the moderation rules see it, with `links` links in its rendered text
/// (and no spam score: the writer adds it).
fn candidate(
    draft: &submissions::Draft,
    links: usize,
    honeypot_filled: bool,
    seconds_on_page: Option<i64>,
) -> Candidate<'_> {
    Candidate {
        author: &draft.author_name,
        email: &draft.author_email,
        url: &draft.author_url,
        text: &draft.body,
        links,
        ip: &draft.author_ip,
        user_agent: &draft.user_agent,
        honeypot_filled,
        spam: None,
        seconds_on_page,
    }
}

/// The error answer to a refused submission.
fn refusal(decision: Decision) -> AppError {
    match decision {
        Decision::Flood { retry_after } => AppError::TooManyRequests {
            retry_after,
            message: format!(
                "You are posting comments too quickly. Slow down, and try again in {retry_after} second{}.",
                if retry_after == 1 { "" } else { "s" }
            ),
        },
        Decision::Duplicate => AppError::Conflict(DUPLICATE_COMMENT.to_owned()),
        Decision::Closed | Decision::Store { .. } => AppError::Forbidden(COMMENTS_CLOSED.to_owned()),
    }
}

/// Renders the post page with its discussion, deciding whether it is personal.
async fn render_post(
    app: &AppState,
    post: &PublicPost,
    settings: &Settings,
    own: &[PublicComment],
    editable: &[i64],
    respond: RespondView,
    status: StatusCode,
) -> Result<Response, AppError> {
    let comments = store::comments::approved_for_post(&app.store, post.id).await?;
    let mut layout = Layout::new(settings, &app.config.base_url, &post_url(&post.slug), Some(&post.title))
        .describe(post.excerpt.clone());
    if respond.has_errors() {
        layout.title = format!("Error: {}", layout.title);
    }
    // The one place that decides: the reader's own comments or own input make the page theirs.
    let personal = !own.is_empty() || !editable.is_empty() || respond.carries_own_data();
    let (layout, footer, featured) = super::archive::post_extras(app, layout, post, comments.len(), settings).await?;
    let mut page = PostPage::with_discussion(layout, post, &comments, own, settings, respond);
    page.allow_edits(&post.slug, editable);
    page.footer = footer;
    if let Some(image) = featured.filter(|_| settings.featured.on_post) {
        page.show_featured(&image);
    }
    let Html(html) = views::render(&page)?;
    let mut response = (status, Html(html)).into_response();
    if personal {
        response.extensions_mut().insert(CachePolicy::Private);
    }
    Ok(response)
}

/// True when the post takes comments now.
fn is_open(post: &PublicPost, settings: &Settings, now: i64) -> bool {
    post.comments_open && !moderation::closed_by_age(&settings.discussion, post.published_at, now)
}

/// The comment `id` as a reply target on `post`, if it takes replies.
async fn reply_target(app: &AppState, post: &PublicPost, id: i64) -> Result<Option<ReplyTarget>, AppError> {
    let parent = submissions::parent(&app.store, id).await?;
    Ok(parent
        .filter(|p| p.accepts_replies_on(post.id))
        .map(|p| ReplyTarget { id: p.id, name: crate::views::comments::author_name(&p.author_name) }))
}

async fn secret(app: &AppState) -> Result<Secret, AppError> {
    Ok(app.secret().await?)
}

//! The moderation queue: views per status with counts, search, actions per comment
//! and in bulk, emptying spam and trash, editing, and replying as the admin.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::NoticeQuery;
use super::{CurrentAdmin, Form, layout, parse_id, with_notice, with_status};
use crate::app::AppState;
use crate::domain::FieldErrors;
use crate::domain::comment_text;
use crate::domain::percent;
use crate::domain::queue::{self as rules, Action, CommentForm, STATUSES, status_label};
use crate::domain::status::CommentStatus;
use crate::error::AppError;
use crate::routes::extract::{ClientIp, Page, Path, Query};
use crate::routes::see_other;
use crate::store::{self, moderation as queue};
use crate::views::admin::Tab;
use crate::views::admin::comments::{CommentEditPage, CommentRow, CommentsPage, RowAction, SpamView, StatusOption};
use crate::views::pager::{self, Pager, page_url};
use crate::views::render;

/// Comments per page of the queue.
pub const PER_PAGE: u32 = 20;
/// Most comments one bulk action takes (a page shows [`PER_PAGE`]); keeps the
/// statement under SQLite's limit on bound values.
const MAX_BULK: usize = 500;
/// Longest search term accepted.
const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    s: String,
    notice: Option<String>,
    n: Option<u64>,
}

/// The views of the queue, with the statuses each shows.
const VIEWS: [(&str, &str); 5] =
    [("all", "All"), ("pending", "Pending"), ("approved", "Approved"), ("spam", "Spam"), ("trash", "Trash")];

fn view_statuses(view: &str) -> Vec<CommentStatus> {
    match view.parse::<CommentStatus>() {
        Ok(s) if STATUSES.contains(&s) => vec![s],
        _ => vec![CommentStatus::Pending, CommentStatus::Approved],
    }
}

fn bulk_actions(view: &str) -> Vec<RowAction> {
    let actions: &[Action] = match view {
        "pending" => &[Action::Approve, Action::Spam, Action::SpamBlockEmail, Action::SpamBlockIp, Action::Trash],
        "approved" => &[Action::Unapprove, Action::Spam, Action::Trash],
        "spam" => &[Action::NotSpam, Action::Delete],
        "trash" => &[Action::Restore, Action::Delete],
        _ => &[
            Action::Approve,
            Action::Unapprove,
            Action::Spam,
            Action::SpamBlockEmail,
            Action::SpamBlockIp,
            Action::Trash,
        ],
    };
    actions.iter().map(|a| RowAction::new(*a)).collect()
}

/// `rows` with the spam filter's verdicts on the held and spam comments.
async fn with_verdicts(app: &AppState, mut rows: Vec<CommentRow>) -> Result<Vec<CommentRow>, AppError> {
    let held: Vec<i64> = rows
        .iter()
        .filter(|r| matches!(r.status, CommentStatus::Pending | CommentStatus::Spam))
        .map(|r| r.id)
        .collect();
    if held.is_empty() {
        return Ok(rows);
    }
    let verdicts = store::spam::verdicts(&app.store, &held).await?;
    for row in &mut rows {
        if matches!(row.status, CommentStatus::Pending | CommentStatus::Spam) {
            row.spam = verdicts.get(&row.id).map(SpamView::new);
        }
    }
    Ok(rows)
}

/// The listing's URL for a view, search and page.
fn list_url(view: &str, search: &str, page: u64) -> String {
    let mut url = format!("/admin/comments?status={view}");
    if !search.is_empty() {
        url.push_str(&format!("&s={}", percent::component(search)));
    }
    page_url(&url, page)
}

/// `GET /admin/comments?status=&s=&page=`.
pub async fn list_comments(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Page(requested): Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let view = VIEWS.iter().map(|(v, _)| *v).find(|v| *v == q.status).unwrap_or("all");
    let search: String = q.s.trim().chars().take(MAX_SEARCH_CHARS).collect();
    let statuses = view_statuses(view);
    let settings = store::settings::load(&app.store).await?;
    let counts = queue::counts(&app.store).await?;
    // The tab's count is the view's; only a search counts again.
    let total =
        if search.is_empty() { counts.of_view(view) } else { queue::count(&app.store, &statuses, &search).await? };
    let pages = u64::try_from(total).unwrap_or(0).div_ceil(u64::from(PER_PAGE)).max(1);
    let page = requested.min(pages);
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE));
    let comments = queue::list(&app.store, &statuses, &search, PER_PAGE, offset).await?;
    let now = app.now();
    let tabs = VIEWS
        .iter()
        .map(|(v, label)| Tab { label, count: counts.of_view(v), href: list_url(v, "", 1), current: *v == view })
        .collect();
    let title = match view {
        "all" => "Comments".to_owned(),
        v => v.parse().map_or_else(|_| "Comments".to_owned(), |s| format!("Comments: {}", status_label(s))),
    };
    let page_view = CommentsPage {
        layout: layout(&app, &admin, &title, "comments").await?.with_notice(q.notice.as_deref(), q.n),
        tabs,
        view: view.to_owned(),
        rows: with_verdicts(&app, comments.iter().map(|c| CommentRow::new(c, &settings, now)).collect()).await?,
        total,
        pager: Pager::new(pager::PANEL, &list_url(view, &search, 1), page, pages),
        back: list_url(view, &search, page),
        bulk: bulk_actions(view),
        empty: match view {
            "spam" if counts.spam > 0 => Some("spam"),
            "trash" if counts.trash > 0 => Some("trash"),
            _ => None,
        },
        search,
    };
    Ok(render(&page_view)?.into_response())
}

/// Where to return after an action: a queue URL from the form, or the queue.
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if (b == "/admin/comments" || b.starts_with("/admin/comments?")) && !b.contains("//") => b.to_owned(),
        _ => "/admin/comments".to_owned(),
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `POST /admin/comments/bulk`: `action` on every checked `ids`.
pub async fn bulk_comments(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let back = safe_back(field(&pairs, "back"));
    let action = field(&pairs, "action")
        .and_then(Action::parse)
        .ok_or_else(|| AppError::BadRequest("Choose an action to apply to the selected comments.".to_owned()))?;
    let mut ids: Vec<i64> = pairs.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_BULK {
        return Err(AppError::BadRequest(format!("Select at most {MAX_BULK} comments at a time.")));
    }
    if ids.is_empty() {
        return Ok(see_other(&with_notice(&back, action.as_str(), Some(0))));
    }
    let changed = queue::apply(&app.store, action, &ids).await?;
    tracing::info!(action = action.as_str(), changed, "bulk moderation");
    Ok(see_other(&with_notice(&back, action.as_str(), Some(changed))))
}

/// `POST /admin/comments/{id}/{action}`: one comment.
pub async fn moderate_comment(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let action = Action::parse(&action).ok_or(AppError::NotFound)?;
    queue::by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    let changed = queue::apply(&app.store, action, &[id]).await?;
    let back = safe_back(field(&pairs, "back"));
    Ok(see_other(&with_notice(&back, action.as_str(), Some(changed))))
}

/// `POST /admin/comments/empty/{status}`: deletes all spam or all trash.
pub async fn empty_comments(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Path(status): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let status = match status.parse::<CommentStatus>() {
        Ok(s @ (CommentStatus::Spam | CommentStatus::Trash)) => s,
        _ => return Err(AppError::NotFound),
    };
    let deleted = queue::empty(&app.store, status).await?;
    tracing::info!(status = %status, deleted, "emptied comments");
    let back = safe_back(field(&pairs, "back"));
    Ok(see_other(&with_notice(&back, "emptied", Some(deleted))))
}

fn status_options(current: &str) -> Vec<StatusOption> {
    STATUSES
        .into_iter()
        .map(|s| StatusOption { value: s, label: status_label(s), selected: s.as_str() == current })
        .collect()
}

/// `GET /admin/comments/{id}/edit`: the comment in full, its edit form and a reply box.
pub async fn edit_comment(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let comment = queue::by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    let form = CommentForm {
        author_name: comment.author_name.clone(),
        author_email: comment.author_email.clone(),
        author_url: comment.author_url.clone(),
        body: comment.body.clone(),
        status: comment.status.to_string(),
    };
    let layout = layout(&app, &admin, "Edit comment", "comments").await?.with_notice(q.notice.as_deref(), q.n);
    edit_page(&app, layout, &comment, form, FieldErrors::default(), String::new(), String::new(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    app: &AppState,
    layout: crate::views::admin::AdminLayout,
    comment: &queue::AdminComment,
    form: CommentForm,
    errors: FieldErrors,
    reply: String,
    reply_error: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let page = CommentEditPage {
        layout,
        row: with_verdicts(app, vec![CommentRow::new(comment, &settings, app.now())])
            .await?
            .pop()
            .ok_or(AppError::NotFound)?,
        errors,
        reply,
        reply_error,
        statuses: status_options(&form.status),
        form,
    };
    Ok(with_status(status, render(&page)?))
}

/// `POST /admin/comments/{id}`: saves an edited comment.
pub async fn update_comment(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let comment = queue::by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    match rules::validate_comment(&form) {
        Ok(valid) => {
            let body_html = comment_text::render(&valid.body);
            queue::update(&app.store, id, &valid, body_html.as_str()).await?;
            Ok(see_other(&format!("/admin/comments/{id}/edit?notice=comment-saved")))
        }
        Err(errors) => {
            let layout = layout(&app, &admin, "Edit comment", "comments").await?;
            edit_page(
                &app,
                layout,
                &comment,
                form,
                errors,
                String::new(),
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    reply: String,
    back: Option<String>,
}

/// `POST /admin/comments/{id}/reply`: the admin's reply, published at once and
/// shown as by the post's author. A pending comment replied to is approved.
pub async fn reply_comment(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let comment = queue::by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    let body = match rules::validate_reply(&form.reply) {
        Ok(body) => body,
        Err(message) => {
            let layout = layout(&app, &admin, "Edit comment", "comments").await?;
            let edit = CommentForm {
                author_name: comment.author_name.clone(),
                author_email: comment.author_email.clone(),
                author_url: comment.author_url.clone(),
                body: comment.body.clone(),
                status: comment.status.to_string(),
            };
            return edit_page(
                &app,
                layout,
                &comment,
                edit,
                FieldErrors::default(),
                form.reply,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let s = &admin.0;
    let user_agent: String =
        headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(255).collect();
    let body_html = comment_text::render(&body);
    let reply = queue::Reply {
        parent_id: id,
        user_id: s.user_id,
        author_name: &s.display_name,
        author_email: &s.email,
        author_url: &app.config.base_url,
        body: &body,
        body_html: body_html.as_str(),
        author_ip: &ip.to_string(),
        user_agent: &user_agent,
        now: app.now(),
    };
    match queue::reply(&app.store, &reply).await? {
        Some(new_id) => {
            tracing::info!(comment_id = new_id, "admin replied to a comment");
            Ok(see_other(&with_notice(&safe_back(form.back.as_deref()), "replied", None)))
        }
        None => Err(AppError::Conflict("Only pending and approved comments can be replied to.".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_in_the_queue() {
        assert_eq!(safe_back(Some("/admin/comments?status=spam&page=2")), "/admin/comments?status=spam&page=2");
        assert_eq!(safe_back(Some("https://evil.example/")), "/admin/comments");
        assert_eq!(safe_back(Some("/admin/comments?x=//evil")), "/admin/comments");
        assert_eq!(safe_back(None), "/admin/comments");
    }

    #[test]
    fn list_urls_encode_the_search() {
        assert_eq!(list_url("pending", "a&b c", 2), "/admin/comments?status=pending&s=a%26b%20c&page=2");
        assert_eq!(list_url("all", "", 1), "/admin/comments?status=all");
    }
}

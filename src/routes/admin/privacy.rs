//! `/admin/privacy`: WordPress's Export / Erase Personal Data, by address, with the
//! log of every data request (commenters' and the admin's, without addresses), and
//! the privacy notice page drafted from the live settings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CurrentAdmin, Form, layout, with_notice, with_status};
use crate::app::AppState;
use crate::domain::comment_form::is_valid_email;
use crate::domain::status::{PostKind, PostStatus};
use crate::domain::{markdown, privacy};
use crate::error::AppError;
use crate::routes::extract::Query;
use crate::routes::own_comments::{export_json_for, json_download};
use crate::routes::see_other;
use crate::store::{self, commenters::Source};
use crate::views::admin::date_time;
use crate::views::admin::privacy::{PrivacyPage, RequestRow};
use crate::views::render;

/// Requests shown in the log.
const LOG_LIMIT: i64 = 100;
/// Where the privacy notice is published.
pub const NOTICE_SLUG: &str = "privacy";

#[derive(Debug, Default, Deserialize)]
pub struct PrivacyQuery {
    notice: Option<String>,
    n: Option<u64>,
}

/// `GET /admin/privacy`.
pub async fn show_privacy(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<PrivacyQuery>,
) -> Result<Response, AppError> {
    let page = privacy_page(&app, &admin, String::new(), String::new(), q.notice.as_deref(), q.n).await?;
    Ok(render(&page)?.into_response())
}

async fn privacy_page(
    app: &AppState,
    admin: &CurrentAdmin,
    email: String,
    error: String,
    notice: Option<&str>,
    n: Option<u64>,
) -> Result<PrivacyPage, AppError> {
    let settings = store::settings::load_values(&app.store).await?;
    let requests = store::commenters::requests(&app.store, LOG_LIMIT)
        .await?
        .into_iter()
        .map(|r| RequestRow { when: date_time(r.created_at, &settings), request: r })
        .collect();
    let notice_page = store::editor::slug_owner(&app.store, NOTICE_SLUG).await?;
    Ok(PrivacyPage {
        layout: layout(app, admin, "Privacy", "privacy").await?.with_notice(notice, n),
        email,
        error,
        requests,
        notice_page,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddressForm {
    email: String,
    confirm: Option<String>,
}

/// The form's address, or the page again with the reason (422).
async fn address(
    app: &AppState,
    admin: &CurrentAdmin,
    form: &AddressForm,
    needs_confirm: bool,
) -> Result<Result<String, Response>, AppError> {
    let email = form.email.trim().to_owned();
    let error = if !is_valid_email(&email) {
        "Please enter a valid email address, such as name@example.com."
    } else if needs_confirm && form.confirm.is_none() {
        "Tick the box to confirm: this cannot be undone."
    } else {
        return Ok(Ok(email));
    };
    let page = privacy_page(app, admin, email, error.to_owned(), None, None).await?;
    Ok(Err(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?)))
}

/// `POST /admin/privacy/export`: every comment of an address as a JSON file.
pub async fn export(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<AddressForm>,
) -> Result<Response, AppError> {
    let email = match address(&app, &admin, &form, false).await? {
        Ok(e) => e,
        Err(page) => return Ok(page),
    };
    let (json, n) = export_json_for(&app, &email).await?;
    store::commenters::log_export(&app.store, Source::Admin, n, app.now()).await?;
    let mut response = json_download(json);
    response.extensions_mut().insert(crate::http_cache::CachePolicy::Admin);
    Ok(response)
}

/// `POST /admin/privacy/erase`.
pub async fn erase(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<AddressForm>,
) -> Result<Response, AppError> {
    remove(&app, &admin, &form, false).await
}

/// `POST /admin/privacy/delete`.
pub async fn delete(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<AddressForm>,
) -> Result<Response, AppError> {
    remove(&app, &admin, &form, true).await
}

/// Erases an address's personal data, or with `delete` its comments too.
async fn remove(app: &AppState, admin: &CurrentAdmin, form: &AddressForm, delete: bool) -> Result<Response, AppError> {
    let email = match address(app, admin, form, true).await? {
        Ok(e) => e,
        Err(page) => return Ok(page),
    };
    let now = app.now();
    let (n, notice) = if delete {
        (store::commenters::delete_all(&app.store, &email, Source::Admin, now).await?, "comments-deleted")
    } else {
        (store::commenters::erase(&app.store, &email, Source::Admin, now).await?, "erased")
    };
    tracing::info!(comments = n, notice, "the admin removed a commenter's data");
    Ok(see_other(&with_notice("/admin/privacy", notice, Some(n))))
}

/// `POST /admin/privacy/notice`: drafts the page at `/privacy` from the live
/// settings and opens it in the editor, to change and publish.
pub async fn draft_notice(State(app): State<AppState>, admin: CurrentAdmin) -> Result<Response, AppError> {
    if let Some(id) = store::editor::slug_owner(&app.store, NOTICE_SLUG).await? {
        return Ok(see_other(&format!("/admin/pages/{id}/edit")));
    }
    let settings = store::settings::load_values(&app.store).await?;
    let source = privacy::notice_markdown(&settings, app.config.mail.is_some());
    let html = markdown::render_markdown(&source);
    let now = app.now();
    let saved = store::editor::save(
        &app.store,
        None,
        &store::editor::SavePost {
            kind: PostKind::Page,
            slug: NOTICE_SLUG,
            title: "Privacy",
            source: &source,
            source_format: "markdown",
            body_html: html.as_str(),
            excerpt: &markdown::excerpt(html.as_str()),
            status: PostStatus::Draft,
            comments_open: false,
            published_at: None,
            menu_order: 0,
            tags: &[],
            author_id: admin.0.user_id,
            author_name: &admin.0.display_name,
            now,
            featured_media_id: None,
        },
    )
    .await?;
    match saved {
        store::editor::Saved::Yes(id) => Ok(see_other(&format!("/admin/pages/{id}/edit"))),
        _ => Err(AppError::Conflict("A page already has the address /privacy.".into())),
    }
}

//! `/admin/mail`: the Mail page and its actions (a test message, retrying a failed
//! message, deleting a subscription).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CurrentAdmin, Form, layout, parse_id, with_notice, with_status};
use crate::app::AppState;
use crate::domain::comment_form::is_valid_email;
use crate::error::AppError;
use crate::routes::extract::{Path, Query};
use crate::routes::see_other;
use crate::store;
use crate::views::admin::date_time;
use crate::views::admin::mail::{MailAdminPage, OutboxRow, SubscriptionRow};
use crate::views::render;

/// Rows of each list shown.
const LIST_LIMIT: i64 = 100;
const STATUSES: [&str; 5] = ["queued", "sending", "sent", "failed", "dropped"];

#[derive(Debug, Default, Deserialize)]
pub struct MailQuery {
    status: Option<String>,
    search: Option<String>,
    notice: Option<String>,
}

/// `GET /admin/mail`.
pub async fn show_mail(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<MailQuery>,
) -> Result<Response, AppError> {
    let page = mail_page(&app, &admin, &q, admin.0.email.clone(), String::new()).await?;
    Ok(render(&page)?.into_response())
}

async fn mail_page(
    app: &AppState,
    admin: &CurrentAdmin,
    q: &MailQuery,
    test_to: String,
    test_error: String,
) -> Result<MailAdminPage, AppError> {
    let settings = store::settings::load_values(&app.store).await?;
    let status = q.status.as_deref().filter(|s| STATUSES.contains(s)).unwrap_or("").to_owned();
    let search = q.search.clone().unwrap_or_default();
    let outbox = store::mail::outbox(&app.store, Some(status.as_str()).filter(|s| !s.is_empty()), LIST_LIMIT)
        .await?
        .into_iter()
        .map(|entry| OutboxRow {
            created: date_time(entry.created_at, &settings),
            sent: entry.sent_at.map(|t| date_time(t, &settings)).unwrap_or_default(),
            entry,
        })
        .collect();
    let subscriptions = store::mail::subscriptions(&app.store, &search, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|sub| SubscriptionRow { created: date_time(sub.created_at, &settings), sub })
        .collect();
    let mail = app.config.mail.as_ref();
    Ok(MailAdminPage {
        layout: layout(app, admin, "Mail", "mail").await?.with_notice(q.notice.as_deref(), None),
        server: mail.map(|m| m.smtp.display()),
        sender: mail.map(|m| m.from.to_string()).unwrap_or_default(),
        test_to,
        test_error,
        counts: store::mail::outbox_counts(&app.store).await?,
        status,
        outbox,
        search,
        subscriptions,
    })
}

#[derive(Debug, Deserialize)]
pub struct TestForm {
    #[serde(default)]
    to: String,
}

/// `POST /admin/mail/test`: queues a test message.
pub async fn send_test(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<TestForm>,
) -> Result<Response, AppError> {
    if app.config.mail.is_none() {
        return Err(AppError::Conflict("Mail is off, so nothing can be sent: set HEWN_SMTP_URL first.".into()));
    }
    let to = form.to.trim().to_owned();
    if !is_valid_email(&to) || to.chars().count() > 100 {
        let page = mail_page(
            &app,
            &admin,
            &MailQuery::default(),
            to,
            "Please enter a valid email address, such as name@example.com.".into(),
        )
        .await?;
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?));
    }
    store::mail::queue_test(&app.store, &to, app.now()).await?;
    Ok(see_other(&with_notice("/admin/mail", "test-queued", None)))
}

/// `POST /admin/mail/outbox/{id}/retry`.
pub async fn retry_message(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    if !store::mail::retry(&app.store, id, app.now()).await? {
        return Err(AppError::Conflict("Only a failed message can be retried.".into()));
    }
    Ok(see_other(&with_notice("/admin/mail?status=queued", "retry-queued", None)))
}

/// `POST /admin/mail/subscriptions/{id}/delete`.
pub async fn delete_subscription(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    if !store::mail::delete_subscription(&app.store, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&with_notice("/admin/mail", "subscription-deleted", None)))
}

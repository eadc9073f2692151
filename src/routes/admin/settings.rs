//! `GET/POST /admin/settings`: the site and discussion settings, and the live
//! example of a date format.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::NoticeQuery;
use super::{CurrentAdmin, Form, layout, with_status};
use crate::app::AppState;
use crate::domain::FieldErrors;
use crate::domain::datefmt;
use crate::error::AppError;
use crate::routes::extract::Query;
use crate::routes::see_other;
use crate::store;
use crate::views::admin::settings::{Input, SECTIONS, SettingsPage, current_value, sections, spam_model_summary};
use crate::views::render;

/// `GET /admin/settings`.
pub async fn show_settings(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let page = SettingsPage {
        layout: layout(&app, &admin, "Settings", "settings").await?.with_notice(q.notice.as_deref(), None),
        sections: sections(|name| current_value(&settings, name), |_| String::new(), &settings.zone(), app.now()),
        has_errors: false,
        spam_model: spam_model_summary(&store::spam::stats(&app.store).await?),
    };
    Ok(render(&page)?.into_response())
}

/// `POST /admin/settings`: every field is checked; nothing is stored unless all are valid.
pub async fn update_settings(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let stored = store::settings::load(&app.store).await?;
    let submitted =
        |name: &str| -> String { pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default() };
    let mut updated = stored.clone();
    let mut errors = FieldErrors::default();
    for (_, specs) in SECTIONS {
        for spec in *specs {
            let raw = submitted(spec.name);
            // An unticked checkbox is not sent at all.
            let raw = match spec.input {
                Input::Checkbox if raw.is_empty() => "0".to_owned(),
                // Browsers send text area lines ending in CRLF.
                Input::Textarea | Input::Css => raw.replace("\r\n", "\n"),
                _ => raw,
            };
            if let Err(e) = updated.set(spec.name, &raw) {
                errors.add(spec.name, format!("This {e}."));
            }
        }
    }
    if !errors.is_empty() {
        let error = |name: &str| errors.get(name).to_owned();
        let value = |name: &str| {
            let spec = SECTIONS.iter().flat_map(|(_, s)| s.iter()).find(|s| s.name == name);
            match spec {
                Some(s) if s.input == Input::Checkbox => {
                    if submitted(name).is_empty() {
                        "0".to_owned()
                    } else {
                        "1".to_owned()
                    }
                }
                _ => submitted(name),
            }
        };
        let page = SettingsPage {
            layout: layout(&app, &admin, "Settings", "settings").await?,
            sections: sections(value, error, &stored.zone(), app.now()),
            has_errors: true,
            spam_model: spam_model_summary(&store::spam::stats(&app.store).await?),
        };
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?));
    }
    let values: Vec<(&str, String)> = SECTIONS
        .iter()
        .flat_map(|(_, specs)| specs.iter())
        .map(|spec| (spec.name, current_value(&updated, spec.name)))
        .collect();
    store::settings::put_all(&app.store, &values).await?;
    tracing::info!("settings saved");
    Ok(see_other("/admin/settings?notice=settings-saved"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExampleQuery {
    format: String,
    timezone: String,
}

/// `GET /admin/settings/date-example?format=&timezone=`: the current time in a
/// format, as plain text (the settings page's script shows it as you type).
pub async fn date_example(
    State(app): State<AppState>,
    _admin: CurrentAdmin,
    Query(q): Query<ExampleQuery>,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let zone = if datefmt::is_known_zone(&q.timezone) { datefmt::zone(&q.timezone) } else { settings.zone() };
    let format: String = q.format.chars().take(64).collect();
    let text = datefmt::format(app.now(), &zone, &format);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

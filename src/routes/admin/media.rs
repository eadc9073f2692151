//! The Media page (`/admin/media`): the library, uploads (a multipart form that
//! works without JavaScript), an item's alt text, title and caption, and deletion
//! that names the posts using the file first.
//!
//! An upload is read field by field: each file is checked against the size limit
//! while it arrives, then recognised by its bytes and processed (see
//! [`crate::media`]) before the next one is read. Nothing is stored unless every
//! file of the request is accepted; then all are stored in one transaction.

use std::collections::HashMap;

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::NoticeQuery;
use super::{CSRF_FIELD, CurrentAdmin, Form, layout, parse_id, safe_next, with_notice, with_status};
use crate::app::AppState;
use crate::domain::markdown::SafeHtml;
use crate::domain::{FieldErrors, responsive, secret};
use crate::error::AppError;
use crate::media::{self, Processed, Refusal};
use crate::routes::extract::{Path, Query};
use crate::routes::see_other;
use crate::store::{self, media::LibraryItem, media::NewUpload};
use crate::views::admin::date_time;
use crate::views::admin::media::{LimitField, MediaEditPage, MediaPage, MediaRow, human_size};
use crate::views::render;

/// The path uploads are sent to: the only admin route with a multipart body, and
/// the only one allowed more than the admin body limit.
pub const UPLOAD_PATH: &str = "/admin/media";
/// True for a multipart POST to [`UPLOAD_PATH`]: the request the upload handler
/// takes, with its own limit and its own CSRF check.
pub fn is_upload<B>(request: &axum::http::Request<B>) -> bool {
    request.method() == axum::http::Method::POST
        && request.uri().path() == UPLOAD_PATH
        && request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Items the Media page lists.
const LIBRARY_PAGE: i64 = 500;
/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;
const MAX_ALT_CHARS: usize = 1000;
const MAX_TITLE_CHARS: usize = 300;
const MAX_CAPTION_CHARS: usize = 2000;

/// `GET /admin/media`.
pub async fn list_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let layout = layout(&app, &admin, "Media", "media").await?.with_notice(q.notice.as_deref(), q.n);
    media_page(&app, layout, String::new(), StatusCode::OK, None).await
}

async fn media_page(
    app: &AppState,
    layout: crate::views::admin::AdminLayout,
    error: String,
    status: StatusCode,
    limits_form: Option<(LimitsForm, FieldErrors)>,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let items = store::media::library(&app.store, LIBRARY_PAGE).await?;
    let ceiling = app.config.media;
    let limits = settings.upload_limits.under(ceiling);
    let (form, errors) = limits_form.unwrap_or_else(|| {
        let shown = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        let set = settings.upload_limits;
        let form = LimitsForm {
            max_file_mib: shown(set.max_file_mib),
            max_megapixels: shown(set.max_megapixels),
            max_files: shown(set.max_files),
        };
        (form, FieldErrors::default())
    });
    let ceilings = ceilings(ceiling);
    let limit_fields = LIMIT_FIELDS
        .iter()
        .zip([&form.max_file_mib, &form.max_megapixels, &form.max_files])
        .zip(ceilings)
        .map(|((field, value), ceiling)| LimitField {
            name: field.name,
            label: field.label,
            flag: field.flag,
            value: value.clone(),
            ceiling,
            error: errors.get(field.name).to_owned(),
        })
        .collect();
    let page = MediaPage {
        layout,
        items: items.into_iter().map(|item| row(item, &settings)).collect(),
        error,
        max_file_mib: limits.max_file_bytes / 1024 / 1024,
        max_megapixels: limits.max_pixels / 1_000_000,
        max_files: limits.max_files,
        limit_fields,
    };
    Ok(with_status(status, render(&page)?))
}

/// An upload limit the Media page sets.
struct LimitSetting {
    name: &'static str,
    label: &'static str,
    /// The server's flag that sets its ceiling.
    flag: &'static str,
}

const LIMIT_FIELDS: [LimitSetting; 3] = [
    LimitSetting { name: "media_max_file_mib", label: "Largest file (MiB)", flag: "--media-max-file-mib" },
    LimitSetting {
        name: "media_max_megapixels",
        label: "Most pixels of an image (megapixels)",
        flag: "--media-max-megapixels",
    },
    LimitSetting { name: "media_max_files", label: "Most files in one upload", flag: "--media-max-files" },
];

/// The settings the Media page's upload limits form sets (the settings page has
/// no field for them).
pub const LIMIT_SETTINGS: [&str; 3] = [LIMIT_FIELDS[0].name, LIMIT_FIELDS[1].name, LIMIT_FIELDS[2].name];

/// The server's limits (its flags), in the units of [`LIMIT_FIELDS`].
fn ceilings(limits: media::Limits) -> [u64; 3] {
    [limits.max_file_bytes / 1024 / 1024, limits.max_pixels / 1_000_000, limits.max_files as u64]
}

/// The limits that apply to an upload now: the site's settings under the server's flags.
async fn upload_limits(app: &AppState) -> Result<media::Limits, AppError> {
    Ok(store::settings::load_values(&app.store).await?.upload_limits.under(app.config.media))
}

/// The upload limits form (empty fields: the server's limit).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LimitsForm {
    #[serde(rename = "media_max_file_mib")]
    max_file_mib: String,
    #[serde(rename = "media_max_megapixels")]
    max_megapixels: String,
    #[serde(rename = "media_max_files")]
    max_files: String,
}

/// `POST /admin/media/limits`: the upload limits, each at most the server's own (its
/// flag); a value above it, or not a whole number from 1, is shown again with the
/// reason next to its field (422) and nothing is saved.
pub async fn update_limits(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<LimitsForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let values = [&form.max_file_mib, &form.max_megapixels, &form.max_files];
    for ((field, value), ceiling) in LIMIT_FIELDS.iter().zip(values).zip(ceilings(app.config.media)) {
        let value = value.trim();
        if value.is_empty() {
            pairs.push((field.name, String::new()));
            continue;
        }
        match value.parse::<u64>() {
            Ok(n) if n >= 1 && n <= ceiling => pairs.push((field.name, n.to_string())),
            Ok(n) if n > ceiling => errors.add(
                field.name,
                format!(
                    "At most {ceiling}: the server's {} flag sets the ceiling, which a setting cannot raise.",
                    field.flag
                ),
            ),
            _ => errors.add(field.name, format!("Enter a whole number from 1 to {ceiling}, or leave it empty.")),
        }
    }
    if !errors.is_empty() {
        let layout = layout(&app, &admin, "Media", "media").await?;
        return media_page(&app, layout, String::new(), StatusCode::UNPROCESSABLE_ENTITY, Some((form, errors))).await;
    }
    store::settings::put_all(&app.store, &pairs).await?;
    Ok(see_other(&with_notice("/admin/media", "media-limits-saved", None)))
}

/// The Markdown that places a library file in a post: an image with its alt text,
/// anything else as a link named after the file.
fn markdown(content_type: &str, alt: &str, name: &str, path: &str) -> String {
    if content_type.starts_with("image/") {
        format!("![{}](/media/{path})", alt.replace(['[', ']'], ""))
    } else {
        format!("[{}](/media/{path})", name.replace(['[', ']'], ""))
    }
}

fn row(item: LibraryItem, settings: &crate::domain::settings::Settings) -> MediaRow {
    let markdown = markdown(&item.content_type, &item.alt, &item.name, &item.path);
    MediaRow { size: human_size(item.size), date: date_time(item.created_at, settings), markdown, item }
}

/// `POST /admin/media`: stores the uploaded files, or shows the page again with the
/// reason next to the file field (413, 415 or 422) and nothing stored.
pub async fn upload_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // The editor's script uploads with `Accept: application/json` and places the
    // answer's Markdown at the cursor; the form without script gets the Media page.
    let json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    let mut multipart = multipart
        .map_err(|_| AppError::UnsupportedMediaType("Uploads must be sent as multipart/form-data.".to_owned()))?;
    // The token comes first (the form puts it there), before any file is read.
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(CSRF_FIELD) => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|t| secret::constant_time_eq(&t, &admin.0.csrf_token)) {
        return Err(AppError::Forbidden(
            "This form has expired or did not come from this site, so nothing was uploaded. \
             Go back, reload the page and try again."
                .to_owned(),
        ));
    }
    let limits = upload_limits(&app).await?;
    let mut keep_original = false;
    let mut back = String::from(UPLOAD_PATH);
    let mut processed: Vec<(String, Processed)> = Vec::new();
    let outcome: Result<(), Refusal> = async {
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(body_refusal(e.status(), &limits)),
            };
            match field.name().unwrap_or_default() {
                "files" => {
                    let name: String = field.file_name().unwrap_or_default().chars().take(MAX_NAME_CHARS).collect();
                    let mut field = field;
                    let mut bytes = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                if (bytes.len() + chunk.len()) as u64 > limits.max_file_bytes {
                                    return Err(named(
                                        &name,
                                        Refusal::TooLarge(format!(
                                            "This file is larger than {} MiB, the most accepted.",
                                            limits.max_file_bytes / 1024 / 1024
                                        )),
                                    ));
                                }
                                bytes.extend_from_slice(&chunk);
                            }
                            Ok(None) => break,
                            Err(e) => return Err(body_refusal(e.status(), &limits)),
                        }
                    }
                    // A file field left empty is sent with no name and no bytes.
                    if name.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    if processed.len() >= limits.max_files {
                        return Err(Refusal::TooLarge(format!(
                            "At most {} files can be uploaded at once.",
                            limits.max_files
                        )));
                    }
                    if bytes.is_empty() {
                        return Err(named(&name, Refusal::Invalid("This file is empty.".to_owned())));
                    }
                    // Processed now, so that only one file's upload is held at a time.
                    let done =
                        media::process_bounded(bytes, limits, keep_original).await.map_err(|r| named(&name, r))?;
                    processed.push((name, done));
                }
                "keep_original" => keep_original = true,
                "return" => back = safe_next(&field.text().await.unwrap_or_default()).to_owned(),
                _ => {}
            }
        }
        if processed.is_empty() {
            return Err(Refusal::Invalid("Choose one or more files to upload.".to_owned()));
        }
        Ok(())
    }
    .await;
    if let Err(refusal) = outcome {
        let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        if json {
            return Ok(json_answer(status, &serde_json::json!({ "error": refusal.message() })));
        }
        let layout = layout(&app, &admin, "Media", "media").await?;
        return media_page(&app, layout, refusal.message().to_owned(), status, None).await;
    }
    let count = processed.len() as u64;
    let uploads: Vec<NewUpload> =
        processed.into_iter().map(|(name, p)| store::media::new_upload(name, p, None)).collect();
    store::media::insert_uploads(&app.store, &uploads, app.now()).await?;
    if json {
        let placed: Vec<String> =
            uploads.iter().map(|u| markdown(&u.file.content_type, "", &u.name, &u.file.path)).collect();
        return Ok(json_answer(StatusCode::OK, &serde_json::json!({ "markdown": placed })));
    }
    Ok(see_other(&with_notice(&back, "uploaded", Some(count))))
}

fn json_answer(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], value.to_string()).into_response()
}

/// The refusal for a body that could not be read: over the request limit, or broken off.
fn body_refusal(status: StatusCode, limits: &media::Limits) -> Refusal {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::TooLarge(format!(
            "This upload is larger than the most accepted: {} files of {} MiB.",
            limits.max_files,
            limits.max_file_bytes / 1024 / 1024
        ))
    } else {
        Refusal::Invalid("The upload was broken off or could not be read. Try again.".to_owned())
    }
}

/// A refusal that names its file.
fn named(name: &str, refusal: Refusal) -> Refusal {
    if name.is_empty() {
        return refusal;
    }
    let text = format!("{name}: {}", refusal.message());
    match refusal {
        Refusal::TooLarge(_) => Refusal::TooLarge(text),
        Refusal::Unsupported(_) => Refusal::Unsupported(text),
        Refusal::Invalid(_) => Refusal::Invalid(text),
    }
}

/// A post body with each uploaded image's `<img>` made responsive (see
/// [`responsive`]).
pub async fn responsive_images(app: &AppState, html: SafeHtml) -> Result<SafeHtml, AppError> {
    let mut images = HashMap::new();
    for path in responsive::media_paths(html.as_str()) {
        if let Some(image) = store::media::responsive_by_path(&app.store, &path).await? {
            images.insert(path, image);
        }
    }
    if images.is_empty() {
        return Ok(html);
    }
    Ok(responsive::rewrite(&html, &images))
}

/// `GET /admin/media/{id}`.
pub async fn edit_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let layout = layout(&app, &admin, "Media file", "media").await?.with_notice(q.notice.as_deref(), q.n);
    edit_page(&app, layout, id, false, StatusCode::OK).await
}

async fn edit_page(
    app: &AppState,
    layout: crate::views::admin::AdminLayout,
    id: i64,
    confirm_delete: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let item = store::media::item_by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    let settings = store::settings::load(&app.store).await?;
    let used_by = store::media::used_by(&app.store, &item.path).await?;
    let featured_by = store::featured::featuring(&app.store, item.id).await?;
    let page = MediaEditPage { layout, row: row(item, &settings), used_by, featured_by, confirm_delete };
    Ok(with_status(status, render(&page)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    alt: String,
    title: String,
    caption: String,
}

/// `POST /admin/media/{id}`: the alt text, title and caption.
pub async fn update_media(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let clip = |s: &str, n: usize| -> String { s.trim().chars().take(n).collect() };
    let caption = form.caption.replace("\r\n", "\n");
    let saved = store::media::update_details(
        &app.store,
        id,
        &clip(&form.title, MAX_TITLE_CHARS),
        &clip(&form.alt, MAX_ALT_CHARS),
        &clip(&caption, MAX_CAPTION_CHARS),
    )
    .await?;
    if !saved {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&with_notice(&format!("/admin/media/{id}"), "media-saved", None)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

/// `POST /admin/media/{id}/delete`: a file no post uses goes at once; one that is
/// used (in a post's text, or as its featured image) is deleted only with
/// `confirm`, after the page named the posts (409). Posts featuring it are left
/// with none.
pub async fn delete_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let item = store::media::item_by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    let used = !store::media::used_by(&app.store, &item.path).await?.is_empty()
        || !store::featured::featuring(&app.store, item.id).await?.is_empty();
    if form.confirm != "1" && used {
        let layout = layout(&app, &admin, "Media file", "media").await?;
        return edit_page(&app, layout, id, true, StatusCode::CONFLICT).await;
    }
    let paths = store::media::paths_of_item(&app.store, id).await?;
    let deleted = store::media::delete_item(&app.store, id).await?;
    // Gone from this instance's memory at once (other instances: see `media_cache`).
    app.media.remove_paths(&paths);
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&with_notice("/admin/media", "media-deleted", None)).into_response())
}

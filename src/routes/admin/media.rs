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
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::auth::NoticeQuery;
use super::{CSRF_FIELD, CurrentAdmin, Form, layout, parse_id, safe_next, with_notice, with_status};
use crate::app::AppState;
use crate::domain::markdown::SafeHtml;
use crate::domain::{responsive, secret, slug};
use crate::error::AppError;
use crate::media::{self, Processed, Refusal};
use crate::routes::extract::{Path, Query};
use crate::routes::see_other;
use crate::store::{self, media::LibraryItem, media::NewFile, media::NewUpload};
use crate::views::admin::date_time;
use crate::views::admin::media::{MediaEditPage, MediaPage, MediaRow, human_size};
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
/// Longest name part of a stored path, in characters.
const MAX_STEM_CHARS: usize = 60;
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
    media_page(&app, layout, String::new(), StatusCode::OK).await
}

async fn media_page(
    app: &AppState,
    layout: crate::views::admin::AdminLayout,
    error: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let items = store::media::library(&app.store, LIBRARY_PAGE).await?;
    let limits = app.config.media;
    let page = MediaPage {
        layout,
        items: items.into_iter().map(|item| row(item, &settings)).collect(),
        error,
        max_file_mib: limits.max_file_bytes / 1024 / 1024,
        max_megapixels: limits.max_pixels / 1_000_000,
        max_files: limits.max_files,
    };
    Ok(with_status(status, render(&page)?))
}

fn row(item: LibraryItem, settings: &crate::domain::settings::Settings) -> MediaRow {
    let alt = item.alt.replace(['[', ']'], "");
    let markdown = if item.content_type.starts_with("image/") {
        format!("![{alt}](/media/{})", item.path)
    } else {
        format!("[{}](/media/{})", item.name.replace(['[', ']'], ""), item.path)
    };
    MediaRow { size: human_size(item.size), date: date_time(item.created_at, settings), markdown, item }
}

/// `POST /admin/media`: stores the uploaded files, or shows the page again with the
/// reason next to the file field (413, 415 or 422) and nothing stored.
pub async fn upload_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
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
    let limits = app.config.media;
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
        let layout = layout(&app, &admin, "Media", "media").await?;
        return media_page(&app, layout, refusal.message().to_owned(), status).await;
    }
    let count = processed.len() as u64;
    let uploads: Vec<NewUpload> = processed.into_iter().map(|(name, p)| new_upload(name, p)).collect();
    store::media::insert_uploads(&app.store, &uploads, app.now()).await?;
    Ok(see_other(&with_notice(&back, "uploaded", Some(count))))
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

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The rows to store for a processed upload. Paths are content-addressed: the
/// folder is named by the digest of the file the public gets, and each variant is
/// made from it alone, so a path names the same bytes for ever.
fn new_upload(name: String, p: Processed) -> NewUpload {
    let digest = hex(&p.bytes);
    let folder = digest.get(..20).unwrap_or(&digest).to_owned();
    let stem_source = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
    let mut stem: String = slug::slugify(stem_source).chars().take(MAX_STEM_CHARS).collect();
    stem = stem.trim_end_matches('-').to_owned();
    if stem.is_empty() {
        stem = "file".to_owned();
    }
    let ext = p.kind.extension();
    let file = NewFile {
        path: format!("u/{folder}/{stem}.{ext}"),
        content_type: p.kind.content_type().to_owned(),
        sha256: digest,
        bytes: p.bytes,
    };
    let full_width = p.size.map(|(w, _)| w);
    let variants = p
        .variants
        .into_iter()
        .map(|v| {
            let path = match v.kind {
                media::VariantKind::Original => format!("u/{folder}/{stem}-original.{ext}"),
                _ if Some(v.width) == full_width => format!("u/{folder}/{stem}.{}", v.extension),
                _ => format!("u/{folder}/{stem}-{}.{}", v.width, v.extension),
            };
            let sha256 = hex(&v.bytes);
            (
                NewFile { path, content_type: v.content_type.to_owned(), sha256, bytes: v.bytes },
                v.kind.as_str(),
                v.width,
                v.height,
            )
        })
        .collect();
    let title = stem_source.chars().take(MAX_TITLE_CHARS).collect();
    NewUpload { file, name, title, size: p.size, variants }
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
    let page = MediaEditPage { layout, row: row(item, &settings), used_by, confirm_delete };
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
/// used is deleted only with `confirm`, after the page named the posts (409).
pub async fn delete_media(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let item = store::media::item_by_id(&app.store, id).await?.ok_or(AppError::NotFound)?;
    if form.confirm != "1" && !store::media::used_by(&app.store, &item.path).await?.is_empty() {
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

//! `GET /media/{path}`: files imported into the database (WordPress attachments and
//! the images posts use), with a strong ETag and a year of immutable caching: an
//! uploads path names one file for ever, as it did in WordPress.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::error::AppError;
use crate::store;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{*path}", get(serve_media))
}

async fn serve_media(
    State(app): State<AppState>,
    Path(path): Path<String>,
    request: HeaderMap,
) -> Result<Response, AppError> {
    let head = store::media::head_by_path(&app.store, &path).await?.ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", head.sha256.get(..32).unwrap_or(&head.sha256));
    let etag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cache = [(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)), (header::ETAG, etag.clone())];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*"));
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let bytes = store::media::bytes_by_id(&app.store, head.id).await?.ok_or(AppError::NotFound)?;
    let content_type = HeaderValue::from_str(&head.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let mut response = (cache, [(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if !shows_inline(&head.content_type) {
        // SVG and anything unknown could carry script: a browser opening one
        // directly downloads it instead (an <img> still shows an SVG).
        response.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(response)
}

/// Types a browser may show in place.
fn shows_inline(content_type: &str) -> bool {
    let t = content_type.split(';').next().unwrap_or_default().trim();
    (t.starts_with("image/") && t != "image/svg+xml")
        || t.starts_with("audio/")
        || t.starts_with("video/")
        || t == "application/pdf"
        || t == "text/plain"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passive_types_show_inline() {
        assert!(shows_inline("image/png"));
        assert!(shows_inline("text/plain; charset=utf-8"));
        assert!(!shows_inline("image/svg+xml"));
        assert!(!shows_inline("text/html"));
        assert!(!shows_inline("application/octet-stream"));
    }
}

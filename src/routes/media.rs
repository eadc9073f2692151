//! `GET /media/{path}`: files imported into the database (WordPress attachments and
//! the images posts use), with a strong ETag and a year of immutable caching: an
//! uploads path names one file for ever, as it did in WordPress. Single byte ranges
//! are answered with `206`, reading only those bytes, so audio and video can be
//! played from any point (Safari plays no video without them). Hot files are
//! answered from memory by [`crate::media_cache`], which this handler fills.

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::error::AppError;
use crate::http_cache::{CachePolicy, Conditions, EntityTag, not_modified_file};
use crate::media_cache::{Fill, Fillable};
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{*path}", get(serve_media))
}

async fn serve_media(
    State(app): State<AppState>,
    Path(path): Path<String>,
    fill: Option<Extension<Fill>>,
    request: HeaderMap,
) -> Result<Response, AppError> {
    let head = store::media::head_by_path(&app.store, &path).await?.ok_or(AppError::NotFound)?;
    let size = u64::try_from(head.size).unwrap_or(0);
    // The media cache asks for whole files it can keep; a larger one is answered as
    // the client asked (its conditions and range travel in the marker).
    let (request, keep) = match fill {
        Some(Extension(fill)) if size <= fill.max_bytes => (request, true),
        Some(Extension(fill)) => (fill.client, false),
        None => (request, false),
    };
    let tag = format!("\"{}\"", head.sha256.get(..32).unwrap_or(&head.sha256));
    // A client with the current copy gets its 304 without the file being read.
    if Conditions::from_headers(&request).not_modified(&tag, None) {
        return Ok(not_modified_file(CachePolicy::Immutable, EntityTag(tag)));
    }
    let etag = HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cache = (CachePolicy::Immutable, EntityTag(tag));
    let content_type = HeaderValue::from_str(&head.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // A range applies only to the file the client already has part of (If-Range).
    let same_file = request.get(header::IF_RANGE).is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let wanted = request.get(header::RANGE).and_then(|v| v.to_str().ok()).filter(|_| same_file);
    let headers = [(header::CONTENT_TYPE, content_type), (header::ACCEPT_RANGES, HeaderValue::from_static("bytes"))];
    let mut response = match wanted.map(|v| byte_range(v, size)) {
        Some(Range::Satisfiable { first, last }) => {
            let bytes = store::media::slice_by_id(&app.store, head.id, first, last - first + 1)
                .await?
                .ok_or(AppError::NotFound)?;
            let content_range = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}"))
                .unwrap_or_else(|_| HeaderValue::from_static("bytes */0"));
            (StatusCode::PARTIAL_CONTENT, cache, headers, [(header::CONTENT_RANGE, content_range)], bytes)
                .into_response()
        }
        Some(Range::Unsatisfiable) => {
            let content_range = HeaderValue::from_str(&format!("bytes */{size}"))
                .unwrap_or_else(|_| HeaderValue::from_static("bytes */0"));
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, content_range)]).into_response());
        }
        Some(Range::Whole) | None => {
            let bytes = store::media::bytes_by_id(&app.store, head.id).await?.ok_or(AppError::NotFound)?;
            (cache, headers, bytes).into_response()
        }
    };
    if !shows_inline(&head.content_type) {
        // SVG and anything unknown could carry script: a browser opening one
        // directly downloads it instead (an <img> still shows an SVG).
        response.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    if !head.content_type.starts_with("application/pdf") {
        // Opened on its own, a file is a sandboxed document that can run nothing
        // (PDF keeps the site's policy: Chromium shows no PDF in a sandbox).
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::app::MEDIA_CONTENT_SECURITY_POLICY),
        );
    }
    if keep && response.status() == StatusCode::OK {
        response.extensions_mut().insert(Fillable { path, sha256: head.sha256 });
    }
    Ok(response)
}

/// What a `Range` header asks of a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Range {
    /// Bytes `first..=last`.
    Satisfiable { first: u64, last: u64 },
    /// A range that starts past the end (answered `416`).
    Unsatisfiable,
    /// Not a single byte range this server answers (several ranges, another
    /// unit, bad syntax): the whole file, as RFC 9110 allows.
    Whole,
}

/// Reads a `Range` header for a file of `size` bytes: `bytes=10-19`, `bytes=10-`
/// or `bytes=-10` (the last ten).
pub(crate) fn byte_range(value: &str, size: u64) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Range::Whole };
    if spec.contains(',') {
        return Range::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else { return Range::Whole };
    let number = |s: &str| if s.is_empty() { Ok(None) } else { s.parse::<u64>().map(Some) };
    let (Ok(start), Ok(end)) = (number(start.trim()), number(end.trim())) else { return Range::Whole };
    match (start, end) {
        (Some(first), _) if first >= size => Range::Unsatisfiable,
        (Some(first), Some(last)) if last < first => Range::Whole,
        (Some(first), last) => Range::Satisfiable { first, last: last.map_or(size - 1, |l| l.min(size - 1)) },
        (None, Some(0)) => Range::Unsatisfiable,
        (None, Some(_)) if size == 0 => Range::Unsatisfiable,
        (None, Some(suffix)) => Range::Satisfiable { first: size.saturating_sub(suffix), last: size - 1 },
        (None, None) => Range::Whole,
    }
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
    fn single_byte_ranges_are_read_as_rfc_9110_says() {
        let r = |first, last| Range::Satisfiable { first, last };
        assert_eq!(byte_range("bytes=0-9", 100), r(0, 9));
        assert_eq!(byte_range("bytes=90-", 100), r(90, 99));
        assert_eq!(byte_range("bytes=90-500", 100), r(90, 99));
        assert_eq!(byte_range("bytes=-10", 100), r(90, 99));
        assert_eq!(byte_range("bytes=-500", 100), r(0, 99));
        assert_eq!(byte_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-", 0), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-6", 100), Range::Whole);
        assert_eq!(byte_range("bytes=9-1", 100), Range::Whole);
        assert_eq!(byte_range("items=0-1", 100), Range::Whole);
        assert_eq!(byte_range("bytes=x-1", 100), Range::Whole);
        assert_eq!(byte_range("bytes=-", 100), Range::Whole);
    }

    #[test]
    fn only_passive_types_show_inline() {
        assert!(shows_inline("image/png"));
        assert!(shows_inline("text/plain; charset=utf-8"));
        assert!(!shows_inline("image/svg+xml"));
        assert!(!shows_inline("text/html"));
        assert!(!shows_inline("application/octet-stream"));
    }
}

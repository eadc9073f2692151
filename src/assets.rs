//! Static files compiled into the binary, served under fingerprinted names with
//! immutable caching, and under their plain names with short caching and an ETag.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http_cache::{CachePolicy, EntityTag, SHORT_MAX_AGE};
use crate::routes::extract::Path;

/// A file from `static/`.
pub struct Asset {
    /// The plain name, e.g. `style.css`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// The name with a content hash, e.g. `style.5f3a09c2e1b4.css`.
    pub fingerprinted: String,
    /// Quoted strong validator derived from the content.
    pub etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        ("style.css", "text/css; charset=utf-8", include_bytes!("../static/style.css").as_slice()),
        ("favicon.svg", "image/svg+xml", include_bytes!("../static/favicon.svg").as_slice()),
        ("favicon.ico", "image/x-icon", include_bytes!("../static/favicon.ico").as_slice()),
        ("admin.css", "text/css; charset=utf-8", include_bytes!("../static/admin.css").as_slice()),
        ("admin.js", "text/javascript; charset=utf-8", include_bytes!("../static/admin.js").as_slice()),
    ]
    .into_iter()
    .map(|(name, content_type, bytes)| {
        let hash = format!("{:012x}", fnv1a(bytes) & 0xffff_ffff_ffff);
        let fingerprinted = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{name}.{hash}"),
        };
        Asset { name, content_type, bytes, fingerprinted, etag: format!("\"{hash}\"") }
    })
    .collect()
});

/// 64-bit FNV-1a: a stable content hash for cache-busting names (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The URL path of an asset under its fingerprinted name, for templates.
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or_else(|| format!("/static/{name}"), |a| format!("/static/{}", a.fingerprinted))
}

/// `GET /static/{file}`.
pub async fn serve_static(Path(file): Path<String>) -> Result<Response, AppError> {
    if let Some(asset) = ASSETS.iter().find(|a| a.fingerprinted == file) {
        return Ok(respond(asset, CachePolicy::Immutable));
    }
    let asset = ASSETS.iter().find(|a| a.name == file).ok_or(AppError::NotFound)?;
    Ok(respond(asset, CachePolicy::RevalidateAfter(SHORT_MAX_AGE)))
}

/// `GET /favicon.ico`, which browsers ask for on their own.
pub async fn favicon() -> Result<Response, AppError> {
    let asset = ASSETS.iter().find(|a| a.name == "favicon.ico").ok_or(AppError::NotFound)?;
    Ok(respond(asset, CachePolicy::RevalidateAfter(SHORT_MAX_AGE)))
}

/// The file, with its policy and validator (`http_cache` answers `304` from them).
fn respond(asset: &Asset, policy: CachePolicy) -> Response {
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type))];
    (policy, EntityTag(asset.etag.clone()), content_type, asset.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprinted_names_carry_the_content_hash() {
        let css = url("style.css");
        assert!(css.starts_with("/static/style.") && css.ends_with(".css"), "{css}");
        assert_ne!(css, "/static/style.css");
        assert_eq!(url("unknown.txt"), "/static/unknown.txt");
    }
}

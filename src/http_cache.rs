//! Caching headers for every response, from one place: handlers declare a
//! [`CachePolicy`] (and, for files, the validator they already know), and one
//! middleware, [`caching`], writes `Cache-Control`, `ETag` and `Last-Modified` and
//! answers `304 Not Modified` to a matching `If-None-Match` (weak tags compare
//! equal, RFC 9110 section 13.1.2) or `If-Modified-Since`.
//!
//! A public page or feed (a `200` document, declared or by default) gets a strong
//! `ETag` hashed from the body as sent and `Last-Modified` from the store. Because
//! the ETag is a hash of the exact bytes, it changes the moment the content does (a
//! newly approved comment, a scheduled post coming due), and a 304 only ever tells a
//! client that the copy it holds is byte-for-byte what it would get now. A reader's
//! own page, the admin panel, errors and responses setting a cookie get no shared
//! validators; downloads (other content types, `Content-Disposition`) are never
//! buffered. The pure functions here (`etag_for`, `http_date`, [`Conditions`]) are
//! what the page cache reuses for the answers it gives from memory.

use std::hash::{Hash, Hasher};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, ResponseParts};
use jiff::Timestamp;
use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};

use crate::app::AppState;

/// Largest body the middleware buffers to hash. Pages and feeds are far smaller;
/// a larger body is an error answered as such.
pub const MAX_BUFFERED: usize = 32 * 1024 * 1024;

/// How long a public file under a plain name (`/static/style.css`, `/custom.css`)
/// may be used before it is revalidated.
pub const SHORT_MAX_AGE: u32 = 300;

/// How a response may be kept by browsers and shared caches. Handlers declare it
/// (it is a response part: `(CachePolicy::Private, Html(page))`); [`caching`]
/// writes the header. A response that declares none is [`CachePolicy::Revalidate`]
/// when it is a `200` document hewn renders, [`CachePolicy::Private`] when it is an
/// error, and left without `Cache-Control` otherwise (redirects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Public, but revalidated before each use (`no-cache`), which the validators
    /// make cheap: pages, feeds, the sitemap.
    Revalidate,
    /// Public, used for `max-age` seconds, then revalidated: files under a plain name.
    RevalidateAfter(u32),
    /// Public and never changing: fingerprinted files, media (a path names one file).
    Immutable,
    /// A reader's own page, an error, a health check: never stored anywhere.
    Private,
    /// The admin panel: never stored.
    Admin,
}

impl CachePolicy {
    /// The `Cache-Control` value.
    pub fn header_value(self) -> HeaderValue {
        match self {
            Self::Revalidate => HeaderValue::from_static("no-cache"),
            Self::RevalidateAfter(seconds) => {
                HeaderValue::from_str(&format!("public, max-age={seconds}, must-revalidate"))
                    .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
            }
            Self::Immutable => HeaderValue::from_static("public, max-age=31536000, immutable"),
            Self::Private => HeaderValue::from_static("private, no-store"),
            Self::Admin => HeaderValue::from_static("no-store"),
        }
    }

    /// True when every reader gets the same answer, so validators may be shared.
    fn is_shared(self) -> bool {
        matches!(self, Self::Revalidate | Self::RevalidateAfter(_) | Self::Immutable)
    }
}

impl IntoResponseParts for CachePolicy {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// The strong validator of a body its handler already knows (a file's content
/// hash), quoted: declared beside the policy, written and compared by [`caching`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag(pub String);

impl IntoResponseParts for EntityTag {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// A `304` for a handler that found, with [`Conditions::not_modified`], that the
/// client's copy of its file is current, and so need not read the body at all.
pub fn not_modified_file(policy: CachePolicy, etag: EntityTag) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    response.extensions_mut().insert(policy);
    response.extensions_mut().insert(etag);
    response
}

/// Headers a 304 repeats from the 200 it stands for (RFC 9110, section 15.4.5).
const KEPT_ON_304: [header::HeaderName; 6] = [
    header::CACHE_CONTROL,
    header::CONTENT_LOCATION,
    header::ETAG,
    header::EXPIRES,
    header::LAST_MODIFIED,
    header::VARY,
];

static HTTP_DATE_PARSER: DateTimeParser = DateTimeParser::new().relaxed_weekday(true);

/// The middleware: `Cache-Control` from the declared policy on every response, and
/// validators and `304` for `GET`/`HEAD` of what every reader may share.
pub async fn caching(State(app): State<AppState>, request: Request, next: Next) -> Response<Body> {
    let conditional = request.method() == Method::GET || request.method() == Method::HEAD;
    let conditions = Conditions::from_headers(request.headers());
    let mut response = next.run(request).await;
    debug_assert!(
        !response.headers().contains_key(header::CACHE_CONTROL),
        "a handler wrote Cache-Control itself; it should declare an http_cache::CachePolicy"
    );
    let status = response.status();
    let declared = response.extensions().get::<CachePolicy>().copied();
    let policy = match declared {
        Some(policy) => policy,
        None if status.is_client_error() || status.is_server_error() => CachePolicy::Private,
        None if status == StatusCode::OK && is_document(response.headers()) => CachePolicy::Revalidate,
        None => return response,
    };
    response.headers_mut().insert(header::CACHE_CONTROL, policy.header_value());
    if let Some(EntityTag(etag)) = response.extensions().get::<EntityTag>().cloned() {
        // A file with its own validator: nothing to buffer.
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        if conditional && status == StatusCode::OK && policy.is_shared() && conditions.not_modified(&etag, None) {
            return not_modified(response.headers());
        }
        return response;
    }
    if !conditional || status != StatusCode::OK || policy != CachePolicy::Revalidate {
        return response;
    }
    if !is_shared_cacheable(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "could not buffer a response to validate it");
            let mut failed = Response::new(Body::empty());
            *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            failed.headers_mut().insert(header::CACHE_CONTROL, CachePolicy::Private.header_value());
            return failed;
        }
    };
    let etag = etag_for(&bytes);
    let last_modified = match app.store.snapshot().await {
        Ok(snapshot) => Some(snapshot.last_modified),
        Err(e) => {
            tracing::warn!(error = %e, "no Last-Modified: the store did not answer");
            None
        }
    };
    let headers = &mut parts.headers;
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Some(v) = last_modified.and_then(|t| HeaderValue::from_str(&http_date(t)).ok()) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    if conditions.not_modified(&etag, last_modified) {
        return not_modified(headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A `304` carrying the validators and caching headers of the `200` it replaces.
pub fn not_modified(from: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    for name in KEPT_ON_304 {
        for value in from.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

/// Content types of the documents hewn renders (pages, feeds, the sitemap,
/// robots.txt): the only bodies the middleware buffers. Downloads and streams pass
/// through untouched.
const VALIDATED_TYPES: [&str; 5] =
    ["text/html", "application/atom+xml", "application/rss+xml", "application/xml", "text/plain"];

/// True for a document hewn renders (a page, a feed, the sitemap, robots.txt), not a
/// download.
fn is_document(headers: &HeaderMap) -> bool {
    let rendered = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| VALIDATED_TYPES.iter().any(|v| t.trim().eq_ignore_ascii_case(v)));
    rendered && !headers.contains_key(header::CONTENT_DISPOSITION)
}

/// True when a response may get shared validators: a document hewn renders (not a
/// download), not marked as a visitor's own (`no-store`, `private`), setting no
/// cookie and without a validator of its own.
pub fn is_shared_cacheable(headers: &HeaderMap) -> bool {
    let personal = headers.get_all(header::CACHE_CONTROL).iter().any(|v| {
        v.to_str().map_or(true, |v| {
            v.split(',').any(|d| {
                let d = d.trim();
                d.eq_ignore_ascii_case("no-store")
                    || d.split('=').next().is_some_and(|n| n.eq_ignore_ascii_case("private"))
            })
        })
    });
    is_document(headers)
        && !personal
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::ETAG)
}

/// A strong entity tag for exactly these bytes (quoted, as the header wants it).
/// Stable across processes running the same build, so instances behind a load
/// balancer agree.
pub fn etag_for(body: &[u8]) -> String {
    // SipHash with fixed keys: `DefaultHasher::new()` is deterministic.
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:x}-{:016x}\"", body.len(), hasher.finish())
}

/// Unix seconds as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(unix: i64) -> String {
    let ts = Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH);
    DateTimePrinter::new().timestamp_to_rfc9110_string(&ts).unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".into())
}

/// Parses an HTTP date (IMF-fixdate, as every current client sends) to unix seconds.
pub fn parse_http_date(value: &str) -> Option<i64> {
    HTTP_DATE_PARSER.parse_timestamp(value.trim()).ok().map(|t| t.as_second())
}

/// The conditions of a `GET`/`HEAD` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// `If-None-Match`, unparsed (it may span several header lines).
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`, as unix seconds; an unreadable date is ignored.
    pub if_modified_since: Option<i64>,
}

impl Conditions {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let inm: Vec<&str> = headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).collect();
        Self {
            if_none_match: (!inm.is_empty()).then(|| inm.join(",")),
            if_modified_since: headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date),
        }
    }

    /// True when the client's copy is current (RFC 9110, section 13.2.2): any listed
    /// tag matches `etag` (weak comparison), or, without `If-None-Match`, nothing
    /// changed since `If-Modified-Since`.
    pub fn not_modified(&self, etag: &str, last_modified: Option<i64>) -> bool {
        if let Some(list) = &self.if_none_match {
            let ours = opaque(etag);
            return list.split(',').map(str::trim).any(|tag| tag == "*" || opaque(tag) == ours);
        }
        match (self.if_modified_since, last_modified) {
            (Some(since), Some(modified)) => modified <= since,
            _ => false,
        }
    }
}

/// An entity tag without its weakness prefix.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_quoted_and_follow_the_bytes() {
        let a = etag_for(b"hello");
        assert!(a.starts_with("\"5-") && a.ends_with('"'), "{a}");
        assert_eq!(a, etag_for(b"hello"));
        assert_ne!(a, etag_for(b"hellp"));
    }

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let etag = etag_for(b"page");
        let matching = Conditions { if_none_match: Some(format!("\"x\", W/{etag}")), if_modified_since: None };
        assert!(matching.not_modified(&etag, Some(10)));
        let star = Conditions { if_none_match: Some("*".into()), if_modified_since: None };
        assert!(star.not_modified(&etag, None));
        let stale = Conditions { if_none_match: Some("\"old\"".into()), if_modified_since: Some(100) };
        assert!(!stale.not_modified(&etag, Some(10)), "a failed If-None-Match is not rescued by the date");
        let dated = Conditions { if_none_match: None, if_modified_since: Some(100) };
        assert!(dated.not_modified(&etag, Some(100)));
        assert!(!dated.not_modified(&etag, Some(101)));
        assert!(!dated.not_modified(&etag, None));
    }

    #[test]
    fn personal_responses_get_no_shared_validators() {
        let page = || {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            h
        };
        assert!(is_shared_cacheable(&page()));
        let mut h = page();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        assert!(!is_shared_cacheable(&h));
        let mut h = page();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private=\"set-cookie\""));
        assert!(!is_shared_cacheable(&h));
        let mut h = page();
        h.insert(header::SET_COOKIE, HeaderValue::from_static("a=b"));
        assert!(!is_shared_cacheable(&h));
    }

    #[test]
    fn downloads_and_other_bodies_pass_through() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        assert!(!is_shared_cacheable(&h));
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=export.xml"));
        assert!(!is_shared_cacheable(&h));
        assert!(!is_shared_cacheable(&HeaderMap::new()));
    }
}

//! The media cache: hot files under `/media/` kept in memory with every header of
//! their `200`, so that a hit is answered without the database or any other layer,
//! near the speed of a static file server.
//!
//! **Filling.** On a miss the request goes down the whole application with a
//! [`Fill`] marker and without its conditions, range or `Accept-Encoding`; the
//! handler answers a file that fits with its whole body and a [`Fillable`] tag, and
//! the response, headers as the layers made them, becomes the entry. The client's
//! own request (`304`, a byte range) is then answered from the entry, the same way
//! every later hit is. A `HEAD` is answered from an entry but fills none.
//!
//! **Freshness.** A media path names one file for ever (uploads are
//! content-addressed, imports never overwrite), so an entry is never stale in what
//! it holds; it can only be deleted. On the instance that deletes, the item's files
//! leave the cache in the same request, and a fill that read the file before the
//! delete is not stored (the removal count moves). Another instance sharing the
//! database keeps answering from memory for at most [`RECHECK_SECONDS`]: after that
//! an entry is checked again with one query before it is used.
//! Browsers and shared caches may keep a copy for the year `immutable` allows.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use tower::ServiceExt;

use crate::app::AppState;
use crate::http_cache::Conditions;
use crate::page_cache::{Answer, CACHE_HEADER, RequestIds, X_REQUEST_ID};
use crate::routes::media::{Range, byte_range};

/// Default memory for cached media bodies, in MiB.
pub const DEFAULT_BUDGET_MIB: usize = 64;
/// Largest share of the budget one file may take; larger files are always read
/// from the database (ranges of them too).
const MAX_ENTRY_SHARE: usize = 4;
/// Seconds an entry is used before it is checked against the database again, so
/// that a file deleted through another instance stops being served here.
pub const RECHECK_SECONDS: i64 = 60;
/// The path prefix the cache serves.
const PREFIX: &str = "/media/";
const HIT: HeaderValue = HeaderValue::from_static("hit");
const MISS: HeaderValue = HeaderValue::from_static("miss");

/// Put on a request by the cache: the handler may answer with the whole file, as a
/// plain `200`, when it is at most `max_bytes` long. `client` holds the request's
/// conditions, range and `Accept-Encoding`, taken off it, for a file that is larger.
#[derive(Debug, Clone)]
pub struct Fill {
    pub max_bytes: u64,
    pub client: HeaderMap,
}

/// Put on a response by the handler: this `200` carries the whole file at `path`
/// with the digest `sha256`, and may be cached.
#[derive(Debug, Clone)]
pub struct Fillable {
    pub path: String,
    pub sha256: String,
}

/// One cached file.
#[derive(Debug)]
struct Entry {
    /// The file; a large one also in a file the kernel sends it from (zero_copy).
    body: Bytes,
    /// Memory the body takes (twice its length when it is also in that file).
    held: usize,
    /// Every header of the `200`, without the request id.
    headers: HeaderMap,
    etag: HeaderValue,
    /// The media path as stored (not percent-encoded) and its digest.
    path: String,
    sha256: String,
    /// When the file was last known to exist (unix seconds, store clock).
    checked_at: AtomicI64,
    last_used: AtomicU64,
}

impl Entry {
    fn size(&self, key: &str) -> usize {
        self.held + key.len() + self.path.len()
    }
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Box<str>, Arc<Entry>>,
    bytes: usize,
}

/// Media bodies with their headers, by request path, within a byte budget; the
/// least recently used go first.
#[derive(Debug)]
pub struct MediaCache {
    budget: usize,
    entries: RwLock<Entries>,
    uses: AtomicU64,
    /// Moves on every removal: a fill that began before one is not stored.
    removals: AtomicU64,
    request_ids: RequestIds,
}

impl MediaCache {
    /// A cache of at most `budget_mib` MiB of bodies (0 turns it off).
    pub fn new(budget_mib: usize) -> Self {
        Self {
            budget: budget_mib.saturating_mul(1024 * 1024),
            entries: RwLock::new(Entries::default()),
            uses: AtomicU64::new(0),
            removals: AtomicU64::new(0),
            request_ids: RequestIds::new(),
        }
    }

    fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// Largest file kept.
    fn max_entry(&self) -> usize {
        self.budget / MAX_ENTRY_SHARE
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.map.get(key)?;
        entry.last_used.store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(Arc::clone(entry))
    }

    /// Stores `entry`, evicting the least recently used to stay within the budget,
    /// unless a removal happened since `removals` was read.
    fn put(&self, key: &str, entry: Arc<Entry>, removals: u64) {
        let size = entry.size(key);
        if size > self.max_entry() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.removals.load(Ordering::SeqCst) != removals {
            return;
        }
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.size(key);
        }
        while entries.bytes + size > self.budget {
            let victim = entries.map.iter().min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed));
            let Some(victim) = victim.map(|(k, _)| k.clone()) else { break };
            if let Some(old) = entries.map.remove(&victim) {
                entries.bytes -= old.size(&victim);
            }
        }
        entry.last_used.store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        entries.bytes += size;
        entries.map.insert(key.into(), entry);
    }

    /// Forgets the files at these media paths (as stored, without `/media/`): they
    /// were deleted.
    pub fn remove_paths(&self, paths: &[String]) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.removals.fetch_add(1, Ordering::SeqCst);
        let Entries { map, bytes } = &mut *entries;
        map.retain(|k, e| {
            let keep = !paths.contains(&e.path);
            if !keep {
                *bytes -= e.size(k);
            }
            keep
        });
    }

    fn remove_key(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.removals.fetch_add(1, Ordering::SeqCst);
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.size(key);
        }
    }

    /// Bytes held (bodies and keys).
    pub fn bytes(&self) -> usize {
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner).bytes
    }
}

/// The media cache as a layer, just inside the page cache.
#[derive(Clone)]
pub struct MediaCacheLayer {
    app: AppState,
}

impl MediaCacheLayer {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }
}

impl<S> tower::Layer<S> for MediaCacheLayer {
    type Service = MediaCacheService<S>;

    fn layer(&self, inner: S) -> MediaCacheService<S> {
        MediaCacheService { inner, app: self.app.clone() }
    }
}

/// Answers `GET`/`HEAD /media/…` from memory, and fills itself on a miss.
#[derive(Clone)]
pub struct MediaCacheService<S> {
    inner: S,
    app: AppState,
}

impl<S> tower::Service<Request> for MediaCacheService<S>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Anything but a media read is handed to the application itself (a media
        // read goes to a clone, through `oneshot`, which polls it ready).
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        if !self.app.media.enabled() || !is_media_read(&request) {
            return Answer::Later(Box::pin(self.inner.call(request)));
        }
        if let Some(response) = answer_from_memory(&self.app, &request) {
            return Answer::Ready(Some(response));
        }
        let (app, inner) = (self.app.clone(), self.inner.clone());
        Answer::Later(Box::pin(async move { Ok(serve(app, request, inner).await) }))
    }
}

fn is_media_read(request: &Request) -> bool {
    (request.method() == Method::GET || request.method() == Method::HEAD) && request.uri().path().starts_with(PREFIX)
}

/// A hit on an entry checked recently enough; `None` for anything else.
fn answer_from_memory(app: &AppState, request: &Request) -> Option<Response<Body>> {
    let entry = app.media.get(request.uri().path())?;
    if app.now() - entry.checked_at.load(Ordering::Relaxed) >= RECHECK_SECONDS {
        return None;
    }
    answer(&app.media, &entry, request.headers(), request.method() == Method::HEAD, HIT)
}

/// A miss, an entry due for its check, or a request the entry cannot answer.
async fn serve<S>(app: AppState, request: Request, inner: S) -> Response<Body>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Send,
    S::Future: Send,
{
    let pass = |request| async move {
        match inner.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    };
    let cache = &app.media;
    let key = request.uri().path().to_owned();
    let head = request.method() == Method::HEAD;
    if let Some(entry) = cache.get(&key) {
        match crate::store::media::head_by_path(&app.store, &entry.path).await {
            Ok(Some(found)) if found.sha256 == entry.sha256 => {
                entry.checked_at.store(app.now(), Ordering::Relaxed);
                if let Some(response) = answer(cache, &entry, request.headers(), head, HIT) {
                    return response;
                }
                return pass(request).await;
            }
            Ok(_) => cache.remove_key(&key),
            Err(e) => {
                tracing::warn!(error = %e, "media cache: cannot check a file; serving uncached");
                return pass(request).await;
            }
        }
    }
    if head || matches!(range_of(request.headers(), u64::MAX), Some(Range::Unsatisfiable)) {
        // A HEAD reads no body, so it fills nothing (and a large file is not read for
        // it); a range past any end is answered by the handler, with the error page.
        return pass(request).await;
    }
    let removals = cache.removals.load(Ordering::SeqCst);
    let checked_at = app.now();
    let (mut parts, body) = request.into_parts();
    let mut client = HeaderMap::new();
    for name in
        [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE, header::RANGE, header::IF_RANGE, header::ACCEPT_ENCODING]
    {
        for value in parts.headers.get_all(&name) {
            client.append(name.clone(), value.clone());
        }
        parts.headers.remove(&name);
    }
    let max_bytes = (cache.max_entry().saturating_sub(key.len() * 2) / crate::zero_copy::COPIES) as u64;
    parts.extensions.insert(Fill { max_bytes, client: client.clone() });
    let response = pass(Request::from_parts(parts, body)).await;
    let Some(Fillable { path, sha256 }) = response.extensions().get::<Fillable>().cloned() else {
        return response;
    };
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::try_from(max_bytes).unwrap_or(usize::MAX)).await else {
        let mut failed = Response::new(Body::empty());
        *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return failed;
    };
    parts.headers.remove(X_REQUEST_ID);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    parts.headers.insert(CACHE_HEADER, HIT);
    let etag = parts.headers.get(header::ETAG).cloned().unwrap_or_else(|| HeaderValue::from_static("\"0\""));
    let (body, shared) = crate::zero_copy::shareable(bytes);
    let entry = Arc::new(Entry {
        held: crate::zero_copy::held_bytes(&body, shared),
        body,
        headers: parts.headers,
        etag,
        path,
        sha256,
        checked_at: AtomicI64::new(checked_at),
        last_used: AtomicU64::new(0),
    });
    cache.put(&key, Arc::clone(&entry), removals);
    answer(cache, &entry, &client, false, MISS).unwrap_or_else(|| {
        let mut failed = Response::new(Body::empty());
        *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        failed
    })
}

/// The range a request asks for (once `If-Range`, if any, names this file).
fn range_of(request: &HeaderMap, size: u64) -> Option<Range> {
    let value = request.get(header::RANGE)?.to_str().ok()?;
    Some(byte_range(value, size))
}

/// The answer to one request from an entry: `304` when the client's copy is
/// current, `206` for a byte range, else the `200`. `None` for a range the entry
/// does not answer (past the end: the handler answers it).
fn answer(
    cache: &MediaCache,
    entry: &Entry,
    request: &HeaderMap,
    head: bool,
    outcome: HeaderValue,
) -> Option<Response<Body>> {
    let etag = entry.etag.to_str().unwrap_or("");
    if request.contains_key(header::IF_NONE_MATCH) && Conditions::from_headers(request).not_modified(etag, None) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        for (name, value) in &entry.headers {
            let describes_body =
                [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::ACCEPT_RANGES, header::CONTENT_DISPOSITION];
            if !describes_body.contains(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(X_REQUEST_ID, cache.request_ids.next());
        headers.insert(CACHE_HEADER, outcome);
        return Some(response);
    }
    let size = entry.body.len() as u64;
    let same_file = request.get(header::IF_RANGE).is_none_or(|v| v.as_bytes() == entry.etag.as_bytes());
    let range = if same_file { range_of(request, size) } else { None };
    let mut response = match range {
        Some(Range::Satisfiable { first, last }) => {
            let (Ok(from), Ok(to)) = (usize::try_from(first), usize::try_from(last)) else { return None };
            let slice = entry.body.slice(from..=to);
            let mut response = Response::new(if head { Body::empty() } else { Body::from(slice) });
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            *headers = entry.headers.clone();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(to - from + 1));
            let content_range = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")).ok()?;
            headers.insert(header::CONTENT_RANGE, content_range);
            response
        }
        Some(Range::Unsatisfiable) => return None,
        Some(Range::Whole) | None => {
            let mut response = Response::new(if head { Body::empty() } else { Body::from(entry.body.clone()) });
            *response.headers_mut() = entry.headers.clone();
            response
        }
    };
    response.headers_mut().insert(X_REQUEST_ID, cache.request_ids.next());
    if outcome != HIT {
        response.headers_mut().insert(CACHE_HEADER, outcome);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, len: usize) -> Arc<Entry> {
        Arc::new(Entry {
            body: Bytes::from(vec![0u8; len]),
            held: len,
            headers: HeaderMap::new(),
            etag: HeaderValue::from_static("\"e\""),
            path: path.to_owned(),
            sha256: String::new(),
            checked_at: AtomicI64::new(0),
            last_used: AtomicU64::new(0),
        })
    }

    #[test]
    fn the_least_recently_used_file_leaves_first() {
        let cache = MediaCache::new(1);
        let quarter = 1024 * 1024 / 4 - 100;
        for name in ["a", "b", "c"] {
            cache.put(&format!("/media/{name}"), entry(name, quarter), 0);
        }
        assert!(cache.get("/media/a").is_some());
        cache.put("/media/d", entry("d", quarter), 0);
        cache.put("/media/e", entry("e", quarter), 0);
        assert!(cache.get("/media/a").is_some(), "used recently, kept");
        assert!(cache.get("/media/b").is_none(), "least recently used, evicted");
        assert!(cache.bytes() <= 1024 * 1024);
    }

    #[test]
    fn a_fill_that_began_before_a_removal_is_not_stored() {
        let cache = MediaCache::new(1);
        let before = cache.removals.load(Ordering::SeqCst);
        cache.remove_paths(&["a".to_owned()]);
        cache.put("/media/a", entry("a", 10), before);
        assert!(cache.get("/media/a").is_none());
        cache.put("/media/a", entry("a", 10), cache.removals.load(Ordering::SeqCst));
        assert!(cache.get("/media/a").is_some());
        cache.remove_paths(&["a".to_owned()]);
        assert!(cache.get("/media/a").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_file_over_its_share_of_the_budget_is_not_kept() {
        let cache = MediaCache::new(1);
        cache.put("/media/big", entry("big", 1024 * 1024 / 2), 0);
        assert!(cache.get("/media/big").is_none());
    }
}

//! The page cache: every public page and feed is rendered once, compressed once
//! (gzip and brotli, at their best settings), and served from memory until the data
//! it shows changes.
//!
//! **Exact invalidation.** Each entry belongs to a *generation* of the site's data,
//! which the store tracks (`store::freshness`): a write a reader can see, or the
//! clock passing a scheduled post's time, starts a new one, on every instance
//! sharing the database; other writes (sessions, failed logins, held comments) do
//! not. A hit costs one `pread` of SQLite's WAL index and no query.
//!
//! **Personal pages are never shared.** A request carrying a commenter's cookies
//! goes around the cache, and a response marked `private`/`no-store` or setting a
//! cookie is never stored.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use tower::ServiceExt;

use crate::app::AppState;
use crate::http_cache::{Conditions, etag_for, http_date, is_shared_cacheable};
use crate::request_limits;
use crate::store::freshness::Snapshot;

/// Default memory budget for cached bodies (all encodings together).
pub const DEFAULT_BUDGET_MIB: usize = 16;
/// Largest share of the budget one entry may take.
const MAX_ENTRY_SHARE: usize = 4;
/// Paths never cached: the admin panel, health checks, and files already served from
/// memory with their own validators.
const UNCACHED_PREFIXES: [&str; 5] = ["/admin", "/healthz", "/static/", "/media/", "/custom.css"];
/// Says whether an answer came from memory (`hit`) or was rendered for it (`miss`).
pub const CACHE_HEADER: HeaderName = HeaderName::from_static("x-hewn-cache");
/// The id of the request an answer is for.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const HIT: HeaderValue = HeaderValue::from_static("hit");
const MISS: HeaderValue = HeaderValue::from_static("miss");

/// A cached body in every encoding hewn serves.
#[derive(Debug)]
pub struct Entry {
    generation: u64,
    /// Headers of the `200` (content type, caching, validators, security), without
    /// `Content-Encoding`, `ETag` or the request id, which vary per answer.
    headers: HeaderMap,
    last_modified: Option<i64>,
    last_modified_value: Option<HeaderValue>,
    identity: Variant,
    gzip: Option<Variant>,
    br: Option<Variant>,
}

#[derive(Debug, Clone)]
struct Variant {
    body: Bytes,
    etag: HeaderValue,
    /// Every header of a `200` carrying this body, ready to clone.
    headers: HeaderMap,
}

impl Variant {
    fn new(body: Bytes, encoding: Option<&'static str>, base: &HeaderMap, last_modified: Option<&HeaderValue>) -> Self {
        let etag = header_value(&etag_for(&body));
        let mut headers = base.clone();
        headers.insert(header::ETAG, etag.clone());
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        if let Some(value) = last_modified {
            headers.insert(header::LAST_MODIFIED, value.clone());
        }
        headers.insert(CACHE_HEADER, HIT);
        // Held in place for the answer's own id: setting it then replaces this value,
        // so the clone an answer starts from never has to grow.
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("-"));
        Self { body, etag, headers }
    }
}

impl Entry {
    fn copy(&self) -> Entry {
        Entry {
            generation: self.generation,
            headers: self.headers.clone(),
            last_modified: self.last_modified,
            last_modified_value: self.last_modified_value.clone(),
            identity: self.identity.clone(),
            gzip: self.gzip.clone(),
            br: self.br.clone(),
        }
    }

    fn size(&self) -> usize {
        self.identity.body.len()
            + self.gzip.as_ref().map_or(0, |v| v.body.len())
            + self.br.as_ref().map_or(0, |v| v.body.len())
    }
}

/// Rendered public pages, by path and query.
#[derive(Debug)]
pub struct PageCache {
    budget: usize,
    entries: RwLock<Entries>,
    request_ids: RequestIds,
    /// One render at a time per key: after a write, the first request renders and the
    /// others wait for its entry instead of all rendering the same page.
    renders: Mutex<HashMap<Box<str>, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Box<str>, Arc<Entry>>,
    bytes: usize,
}

impl PageCache {
    /// A cache of at most `budget_mib` MiB of bodies (0 turns caching off).
    pub fn new(budget_mib: usize) -> Self {
        Self {
            budget: budget_mib.saturating_mul(1024 * 1024),
            entries: RwLock::new(Entries::default()),
            request_ids: RequestIds::new(),
            renders: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the right to render `key`.
    async fn render_turn(&self, key: &str) -> RenderTurn<'_> {
        let lock = {
            let mut renders = self.renders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(renders.entry(key.into()).or_default())
        };
        let guard = Arc::clone(&lock).lock_owned().await;
        RenderTurn { cache: self, key: key.into(), lock, guard: Some(guard) }
    }

    fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn get(&self, key: &str, generation: u64) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.map.get(key).filter(|e| e.generation == generation).cloned()
    }

    /// Stores `entry` under `key`, evicting older generations first, then anything,
    /// to stay within the budget.
    fn put(&self, key: &str, entry: Arc<Entry>) {
        let size = entry.size() + key.len();
        if size > self.budget / MAX_ENTRY_SHARE {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.size() + key.len();
        }
        if entries.bytes + size > self.budget {
            let generation = entry.generation;
            let Entries { map, bytes } = &mut *entries;
            map.retain(|k, e| {
                let keep = e.generation == generation;
                if !keep {
                    *bytes -= e.size() + k.len();
                }
                keep
            });
        }
        while entries.bytes + size > self.budget {
            let Some(victim) = entries.map.keys().next().cloned() else { break };
            if let Some(old) = entries.map.remove(&victim) {
                entries.bytes -= old.size() + victim.len();
            }
        }
        entries.bytes += size;
        entries.map.insert(key.into(), entry);
    }

    /// Replaces the entry under `key` with one that has more compressed bodies, if it
    /// is still the same entry (not replaced or evicted meanwhile).
    fn upgrade(&self, key: &str, old: &Arc<Entry>, new: Arc<Entry>) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(current) = entries.map.get(key) else { return };
        if !Arc::ptr_eq(current, old) {
            return;
        }
        let (before, after) = (old.size(), new.size());
        if entries.bytes - before + after > self.budget {
            return;
        }
        entries.bytes = entries.bytes - before + after;
        entries.map.insert(key.into(), new);
    }
}

/// The right to render one key; dropping it lets the next waiter look again.
struct RenderTurn<'a> {
    cache: &'a PageCache,
    key: Box<str>,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for RenderTurn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut renders = self.cache.renders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The map and this turn hold the only references: nobody waits, forget the lock.
        if renders.get(&self.key).is_some_and(|l| Arc::ptr_eq(l, &self.lock) && Arc::strong_count(l) == 2) {
            renders.remove(&self.key);
        }
    }
}

/// Request ids for answers served from memory: a random process prefix and a counter.
#[derive(Debug)]
pub(crate) struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

/// Room for a request id: the prefix, a dash and a 64-bit counter in hexadecimal.
const ID_ROOM: usize = 48;

impl RequestIds {
    pub(crate) fn new() -> Self {
        Self { prefix: crate::domain::random_token(6), next: AtomicU64::new(0) }
    }

    pub(crate) fn next(&self) -> HeaderValue {
        use std::io::Write as _;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Written on the stack: every answer from memory takes one.
        let mut id = [0u8; ID_ROOM];
        let mut rest = &mut id[..];
        let _ = write!(rest, "{}-{n:x}", self.prefix);
        let written = ID_ROOM - rest.len();
        id.get(..written)
            .and_then(|id| HeaderValue::from_bytes(id).ok())
            .unwrap_or_else(|| HeaderValue::from_static("-"))
    }
}

/// The page cache as a layer: the outermost of the application's stack
/// (`app::serve_router`), in front of the router itself, so that a hit
/// touches nothing else (no other middleware, no handler, no database).
#[derive(Clone)]
pub struct PageCacheLayer {
    app: AppState,
}

impl PageCacheLayer {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }
}

impl<S> tower::Layer<S> for PageCacheLayer {
    type Service = CachedService<S>;

    fn layer(&self, inner: S) -> CachedService<S> {
        CachedService { inner: Arc::new(inner), app: self.app.clone() }
    }
}

/// The page cache in front of the application: answers public `GET`/`HEAD`
/// requests from memory, and fills itself from the application on a miss.
pub struct CachedService<S> {
    /// The application, cloned only when a request goes down to it (cloning it
    /// clones every layer of the route), not for a hit that waited for the version.
    inner: Arc<S>,
    app: AppState,
}

impl<S> Clone for CachedService<S> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), app: self.app.clone() }
    }
}

impl<S> tower::Service<Request> for CachedService<S>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The application is called through a clone (`oneshot`), which polls it ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answer {
        // Judged once per request: a request the cache does not take goes straight on.
        if !self.app.cache.enabled() || !is_cacheable_request(&request) {
            let inner = Arc::clone(&self.inner);
            return Answer::Later(Box::pin(async move { Ok(pass(inner, request).await) }));
        }
        // A ready hit takes nothing it does not use (not even the application).
        if let Some(response) = answer_from_memory(&self.app, &request) {
            return Answer::Ready(Some(response));
        }
        Answer::Later(Box::pin(serve(self.app.clone(), request, Arc::clone(&self.inner))))
    }
}

/// The future of [`CachedService`]: ready at once for a hit.
pub enum Answer {
    Ready(Option<Response<Body>>),
    Later(Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>),
}

impl Future for Answer {
    type Output = Result<Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answer::Ready(response) => Poll::Ready(Ok(response.take().unwrap_or_default())),
            Answer::Later(future) => future.as_mut().poll(cx),
        }
    }
}

/// A hit on a cacheable request answered without awaiting anything, when the data
/// generation is known to be unchanged (one `pread`); `None` sends the request down
/// the slow path.
fn answer_from_memory(app: &AppState, request: &Request) -> Option<Response<Body>> {
    let cache = &app.cache;
    let snapshot = app.store.unchanged_snapshot()?;
    let entry = cache.get(request.uri().path_and_query().map_or("/", |p| p.as_str()), snapshot.generation)?;
    Some(answer(cache, &entry, request.headers(), request.method() == Method::HEAD, HIT))
}

/// A cacheable request that was not a ready hit: a miss (render, store, answer), or
/// a hit after the generation had to be read from the database.
///
/// Every path but the hit is boxed: on PostgreSQL every hit waits here for the data
/// version, so this future is allocated for each, and a small one is cheap to allocate.
async fn serve<S>(app: AppState, request: Request, inner: Arc<S>) -> Result<Response<Body>, Infallible>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + Sync,
    S::Future: Send,
{
    let cache = &app.cache;
    let snapshot = match app.store.snapshot().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "page cache: cannot read the data version; serving uncached");
            return Ok(Box::pin(pass(inner, request)).await);
        }
    };
    let key = request.uri().path_and_query().map_or("/", |p| p.as_str());
    if let Some(entry) = cache.get(key, snapshot.generation) {
        return Ok(answer(cache, &entry, request.headers(), request.method() == Method::HEAD, HIT));
    }
    Ok(Box::pin(fill(app, request, inner, snapshot)).await)
}

/// The application's own answer, on a clone of it. Its future holds the whole
/// route's, so it is awaited only in boxed futures (a hit's stays small).
async fn pass<S>(inner: Arc<S>, request: Request) -> Response<Body>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + Sync,
    S::Future: Send,
{
    match S::clone(&inner).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A miss: render (one request per page at a time), store and answer.
async fn fill<S>(app: AppState, request: Request, inner: Arc<S>, snapshot: Snapshot) -> Response<Body>
where
    S: tower::Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + Sync,
    S::Future: Send,
{
    let cache = &app.cache;
    let key = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    if request.method() != Method::GET {
        return pass(inner, request).await;
    }
    let _turn = cache.render_turn(&key).await;
    if let Some(entry) = cache.get(&key, snapshot.generation) {
        return answer(cache, &entry, request.headers(), false, HIT);
    }
    // Render the identity body with no conditions, so it can be stored whole.
    let client_headers = request.headers().clone();
    let (mut parts, body) = request.into_parts();
    for name in [header::ACCEPT_ENCODING, header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
        parts.headers.remove(name);
    }
    let response = pass(inner, Request::from_parts(parts, body)).await;
    if response.status() != StatusCode::OK || !is_storable(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::http_cache::MAX_BUFFERED).await else {
        return internal_error();
    };
    let entry = new_entry(snapshot, parts.headers, bytes);
    // Compress now, so this answer is compressed too: gzip always, brotli when it is
    // quick (the body is small); a large body gets its brotli form in the background.
    let small = entry.identity.body.len() <= SYNC_BROTLI_MAX;
    let entry = match tokio::task::spawn_blocking(move || compressed(entry, true, small)).await {
        Ok(entry) => Arc::new(entry),
        Err(e) => {
            tracing::error!(error = %e, "page cache: compression failed");
            return internal_error();
        }
    };
    cache.put(&key, Arc::clone(&entry));
    if entry.br.is_none() && !small {
        brotli_later(app.clone(), key, Arc::clone(&entry));
    }
    answer(cache, &entry, &client_headers, false, MISS)
}

fn internal_error() -> Response<Body> {
    let mut failed = Response::new(Body::empty());
    *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    failed
}

/// A request the cache may answer: `GET`/`HEAD` of a public path, without the
/// cookies that make a page the reader's own.
fn is_cacheable_request(request: &Request) -> bool {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return false;
    }
    let path = request.uri().path();
    if UNCACHED_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return false;
    }
    // What the guards behind the cache refuse goes on to them, never to memory.
    if request_limits::has_nul(request.uri())
        || request_limits::header_bytes(request) > request_limits::MAX_HEADER_BYTES
    {
        return false;
    }
    !crate::routes::commenter::is_personal(request.headers())
}

/// A `200` that may be shared with every reader: a document hewn renders, not
/// personal, and not carrying a validator the cache would lose.
fn is_storable(headers: &HeaderMap) -> bool {
    let mut without_validators = headers.clone();
    without_validators.remove(header::ETAG);
    is_shared_cacheable(&without_validators) && !headers.contains_key(header::CONTENT_ENCODING)
}

/// Headers that differ per answer and are set when answering.
const PER_ANSWER: [HeaderName; 5] =
    [header::ETAG, header::CONTENT_ENCODING, header::CONTENT_LENGTH, header::LAST_MODIFIED, X_REQUEST_ID];

fn new_entry(snapshot: Snapshot, mut headers: HeaderMap, body: Bytes) -> Entry {
    for name in PER_ANSWER {
        headers.remove(name);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let last_modified_value = header_value(&http_date(snapshot.last_modified));
    let identity = Variant::new(body, None, &headers, Some(&last_modified_value));
    Entry {
        generation: snapshot.generation,
        headers,
        last_modified: Some(snapshot.last_modified),
        last_modified_value: Some(last_modified_value),
        identity,
        gzip: None,
        br: None,
    }
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// Bodies up to this size get their brotli form before the first answer.
const SYNC_BROTLI_MAX: usize = 64 * 1024;

/// `entry` with the compressed forms asked for (those that are smaller).
fn compressed(entry: Entry, with_gzip: bool, with_br: bool) -> Entry {
    let body = &entry.identity.body;
    let lm = entry.last_modified_value.as_ref();
    let variant =
        |b: Bytes, encoding| (b.len() < body.len()).then(|| Variant::new(b, Some(encoding), &entry.headers, lm));
    let gzip = if with_gzip { gzip(body).and_then(|b| variant(b, "gzip")) } else { entry.gzip.clone() };
    let br = if with_br { brotli(body).and_then(|b| variant(b, "br")) } else { entry.br.clone() };
    Entry { gzip, br, ..entry }
}

/// Adds the brotli form of a large body on the blocking pool and swaps it in.
fn brotli_later(app: AppState, key: String, entry: Arc<Entry>) {
    tokio::task::spawn_blocking(move || {
        let with_br = compressed(entry.copy(), false, true);
        app.cache.upgrade(&key, &entry, Arc::new(with_br));
    });
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

fn brotli(body: &[u8]) -> Option<Bytes> {
    // Quality 11 is the densest and costs about a millisecond per 10 KB: fine when it
    // runs once per page and generation, off the request path.
    let quality = if body.len() > 256 * 1024 { 9 } else { 11 };
    // A window no larger than the body: the encoder's tables grow with the window
    // (32 MiB at the maximum), and a page gains nothing from a larger one.
    let lgwin = (usize::BITS - body.len().max(1).leading_zeros()).clamp(16, 22);
    let params =
        brotli::enc::BrotliEncoderParams { quality, lgwin: i32::try_from(lgwin).unwrap_or(22), ..Default::default() };
    let mut out = Vec::with_capacity(body.len() / 3);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// Which encodings a client takes, from `Accept-Encoding` (`q=0` refuses one).
fn accepts(headers: &HeaderMap) -> (bool, bool) {
    let (mut gzip, mut br) = (false, false);
    for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for item in value.split(',') {
            let mut fields = item.split(';');
            let coding = fields.next().unwrap_or("").trim();
            let refused = fields.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            if coding.eq_ignore_ascii_case("gzip") || coding == "*" {
                gzip = true;
            }
            if coding.eq_ignore_ascii_case("br") || coding == "*" {
                br = true;
            }
        }
    }
    (gzip, br)
}

/// The answer to one request from a cache entry: the best encoding the client takes,
/// or `304` when its copy is current.
fn answer(cache: &PageCache, entry: &Entry, request: &HeaderMap, head: bool, outcome: HeaderValue) -> Response<Body> {
    let (takes_gzip, takes_br) = accepts(request);
    let variant = match (&entry.br, &entry.gzip) {
        (Some(br), _) if takes_br => br,
        (_, Some(gz)) if takes_gzip => gz,
        _ => &entry.identity,
    };
    let has_conditions = request.contains_key(header::IF_NONE_MATCH) || request.contains_key(header::IF_MODIFIED_SINCE);
    if has_conditions {
        let etag = variant.etag.to_str().unwrap_or("");
        if Conditions::from_headers(request).not_modified(etag, entry.last_modified) {
            return not_modified(cache, entry, variant);
        }
    }
    let body = if head { Body::empty() } else { Body::from(variant.body.clone()) };
    let mut response = Response::new(body);
    *response.headers_mut() = variant.headers.clone();
    response.headers_mut().insert(X_REQUEST_ID, cache.request_ids.next());
    if outcome != HIT {
        response.headers_mut().insert(CACHE_HEADER, outcome);
    }
    response
}

/// A `304`: caching, `Vary`, validators and the security headers, not the body's type.
fn not_modified(cache: &PageCache, entry: &Entry, variant: &Variant) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    for (name, value) in &entry.headers {
        if name != header::CONTENT_TYPE {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(header::ETAG, variant.etag.clone());
    if let Some(value) = &entry.last_modified_value {
        headers.insert(header::LAST_MODIFIED, value.clone());
    }
    headers.insert(X_REQUEST_ID, cache.request_ids.next());
    headers.insert(CACHE_HEADER, HIT);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn each_answer_from_memory_carries_one_id_of_its_own() -> anyhow::Result<()> {
        let cache = PageCache::new(1);
        let snapshot = Snapshot { generation: 1, last_modified: 0 };
        let entry = new_entry(snapshot, headers(&[("content-type", "text/html")]), Bytes::from_static(b"<p>x</p>"));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..3 {
            let response = answer(&cache, &entry, &HeaderMap::new(), false, HIT);
            let ids: Vec<_> = response.headers().get_all("x-request-id").iter().map(HeaderValue::to_str).collect();
            let [Ok(id)] = ids.as_slice() else { anyhow::bail!("not one request id: {ids:?}") };
            let (prefix, counter) = id.split_once('-').ok_or_else(|| anyhow::anyhow!("no dash in {id}"))?;
            assert_eq!(prefix, cache.request_ids.prefix);
            assert!(u64::from_str_radix(counter, 16).is_ok(), "{id}");
            assert!(seen.insert(id.to_string()), "{id} twice");
        }
        Ok(())
    }

    #[test]
    fn accept_encoding_is_read_with_its_refusals() {
        assert_eq!(accepts(&headers(&[("accept-encoding", "gzip, br")])), (true, true));
        assert_eq!(accepts(&headers(&[("accept-encoding", "gzip;q=0.5, br;q=0")])), (true, false));
        assert_eq!(accepts(&headers(&[("accept-encoding", "*")])), (true, true));
        assert_eq!(accepts(&headers(&[("accept-encoding", "identity")])), (false, false));
        assert_eq!(accepts(&HeaderMap::new()), (false, false));
    }

    #[test]
    fn compressed_bodies_decode_to_the_original() {
        use std::io::Read;
        let body = "<p>hewn</p>".repeat(500);
        let gz = gzip(body.as_bytes()).unwrap_or_default();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out).unwrap_or_default();
        assert_eq!(out, body);
        let br = brotli(body.as_bytes()).unwrap_or_default();
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap_or_default();
        assert_eq!(out, body.as_bytes());
        assert!(br.len() < body.len() / 10);
    }

    #[test]
    fn a_commenter_cookie_by_exact_name_sends_a_request_around_the_cache() {
        let get = |cookies: &[&'static str]| {
            let mut request = Request::new(Body::empty());
            *request.uri_mut() = axum::http::Uri::from_static("/posts/a");
            for c in cookies {
                request.headers_mut().append(header::COOKIE, HeaderValue::from_static(c));
            }
            is_cacheable_request(&request)
        };
        assert!(get(&[]));
        assert!(get(&["theme=dark; hewn_session=abc"]));
        // A name that merely starts like a commenter cookie, or an emptied one, is not one.
        assert!(get(&["hewn_comment_authorship=1; hewn_comment_author="]));
        assert!(!get(&["theme=dark", " hewn_comment_author=Zo%C3%AB"]));
        assert!(!get(&["hewn_comment_pending=\"1.2.x\""]));
    }

    #[test]
    fn only_shared_documents_are_stored() {
        let page = headers(&[("content-type", "text/html; charset=utf-8"), ("etag", "\"x\"")]);
        assert!(is_storable(&page));
        let private = headers(&[("content-type", "text/html"), ("cache-control", "private, no-store")]);
        assert!(!is_storable(&private));
        let cookie = headers(&[("content-type", "text/html"), ("set-cookie", "a=b")]);
        assert!(!is_storable(&cookie));
        let encoded = headers(&[("content-type", "text/html"), ("content-encoding", "gzip")]);
        assert!(!is_storable(&encoded));
    }
}

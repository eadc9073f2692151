//! The application: shared state, the router with its layers, and serving it (the
//! accept loop with its connection limits is `server`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::middleware::{self, Next};
use tower::{Layer, ServiceBuilder};
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::domain::signing::Secret;
use crate::error::{ErrorPage, default_message};
use crate::http_cache::CachePolicy;
use crate::media_cache::{MediaCache, MediaCacheLayer};
use crate::page_cache::{PageCache, PageCacheLayer};
use crate::store::{self, Store};
use crate::views::Layout;
use crate::views::errors::{ErrorView, fallback_html};
use crate::{request_limits, routes};

/// Longest a request may take before the client gets a 503 (a 408 when its body was
/// still arriving: see `request_limits`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest an upload to the media library may take: a phone's photos over a slow
/// uplink. A stalled upload is still cut off by the body timeout.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// Largest request body accepted outside `/admin`: the comment form with every field
/// at its limit in four-byte characters, each byte percent-encoded as three, plus room
/// for the field names (about 776 KiB).
pub const BODY_LIMIT: usize = {
    use crate::domain::comment_form::{MAX_AUTHOR_CHARS, MAX_COMMENT_CHARS, MAX_EMAIL_CHARS, MAX_URL_CHARS};
    (MAX_COMMENT_CHARS + MAX_AUTHOR_CHARS + MAX_EMAIL_CHARS + MAX_URL_CHARS) * 4 * 3 + 4096
};
/// Largest request body under `/admin`: a long post in any script, percent-encoded
/// (up to nine bytes per character), with its preview round trip.
pub const ADMIN_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// `Content-Security-Policy` for every response: no inline script anywhere, and no
/// framing. Images may come from anywhere (imported posts link to their old hosts).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src * data:; media-src *; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `Content-Security-Policy` of a media file opened on its own (PDF excepted): a
/// sandboxed document, in an origin of its own, that loads and runs nothing.
pub const MEDIA_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/// State shared by every handler: one reference-counted handle, since every layer
/// and handler takes its own clone for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    pub store: Store,
    pub config: Arc<Config>,
    /// Rendered public pages and the data generation they belong to.
    pub cache: Arc<PageCache>,
    /// Hot media files with their headers.
    pub media: Arc<MediaCache>,
    /// The signing secret, read once (it never changes while hewn runs).
    secret: tokio::sync::OnceCell<Secret>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        let store = store.with_mail(config.mail.is_some());
        let cache = Arc::new(PageCache::new(config.page_cache_mib));
        let media = Arc::new(MediaCache::new(config.media_cache_mib));
        Self(Arc::new(Shared { store, config: Arc::new(config), cache, media, secret: tokio::sync::OnceCell::new() }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// The current time as unix seconds (UTC), from the store's clock.
    pub fn now(&self) -> i64 {
        self.store.now()
    }

    /// The site's signing secret: the operator's, or the one kept in the database.
    pub async fn secret(&self) -> Result<Secret, sqlx::Error> {
        self.secret
            .get_or_try_init(|| store::secret::site_secret(&self.store, self.config.secret.as_ref()))
            .await
            .cloned()
    }
}

/// The whole application: routes, error pages and every layer.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The application with `extra` routes mounted beside the site's own, under the same
/// layers (tests use it to exercise the layers with routes that misbehave on purpose).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    // The admin's body limit is applied outermost (`limit_bodies`), where uploads get theirs.
    let admin = routes::admin::router(state.clone()).layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT));
    routes::router()
        .merge(extra)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(admin)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), routes::legacy::redirect_old_links))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(make_span))
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(middleware::map_response(security_headers))
                .layer(middleware::from_fn_with_state(state.clone(), crate::http_cache::caching))
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
                .layer(middleware::from_fn_with_state(state.clone(), render_error_pages))
                .layer(middleware::from_fn_with_state(state.clone(), request_limits::time_out_slow_bodies))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(middleware::from_fn(time_limit))
                .layer(middleware::from_fn_with_state(state.clone(), limit_bodies)),
        )
        // Outermost of the routes': a media file answered from memory goes through
        // none of the layers above (the page cache is in front of the whole router).
        .layer(MediaCacheLayer::new(state.clone()))
        .with_state(state)
}

/// Answers 503 when a request takes longer than [`REQUEST_TIMEOUT`] ([`UPLOAD_TIMEOUT`]
/// for an upload to the media library).
async fn time_limit(request: Request, next: Next) -> Response<Body> {
    let limit = if routes::admin::media::is_upload(&request) { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}

/// Limits every request body to [`ADMIN_BODY_LIMIT`] (public routes have a smaller
/// limit of their own), except an upload to the media library, which may carry as
/// many files at the size limit as one upload may have.
async fn limit_bodies(State(app): State<AppState>, request: Request, next: Next) -> Response<Body> {
    let limit =
        if routes::admin::media::is_upload(&request) { app.config.media.request_bytes() } else { ADMIN_BODY_LIMIT };
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return axum::response::IntoResponse::into_response(crate::error::AppError::PayloadTooLarge);
    }
    // Reading past the limit fails with the error axum's extractors answer 413.
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit)))).await
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(listener, store, config, shutdown, Router::new()).await
}

/// [`serve`] with extra routes (see [`router_with`]).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    extra: Router<AppState>,
) -> anyhow::Result<()> {
    let base_url = config.base_url.clone();
    let (limits, trusted_proxies) = (config.limits, config.trusted_proxies.clone());
    let mail = config.mail.clone();
    let state = AppState::new(store.clone(), config);
    if let Some(mail) = mail {
        let mailer = crate::mail::smtp::Mailer::new(&mail.smtp).map_err(anyhow::Error::msg)?;
        tracing::info!(server = %mail.smtp.display(), "mail is on");
        crate::mail::sender::spawn(state.clone(), mailer);
    }
    crate::tasks::spawn(state.clone());
    let app = router_with(state.clone(), extra);
    let app = middleware::from_fn_with_state(state.clone(), request_limits::refuse_nul_in_address).layer(app);
    let app = middleware::from_fn_with_state(state.clone(), request_limits::limit_header_size).layer(app);
    // Outermost: a page answered from memory goes through nothing else, not even the
    // router (it passes on what the two guards above refuse). On PostgreSQL a hit
    // waits for the data version here, holding only the request.
    let app = PageCacheLayer::new(state).layer(app);
    tracing::info!("hewn is listening on {base_url}/");
    crate::server::run(listener, app, limits, trusted_proxies, shutdown).await;
    store.close().await;
    tracing::info!("hewn stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The tracing span of a request: method, path (never the query, which may carry
/// tokens) and request id. Bodies, cookies and other headers are never logged.
fn make_span(req: &Request) -> tracing::Span {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id = %id)
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound
}

/// Sets the security headers on every response.
async fn security_headers<B>(mut response: Response<B>) -> Response<B> {
    let h = response.headers_mut();
    // A media file declares its own, stricter policy.
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// A handler that panicked: logged, and answered with the 500 page.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a handler panicked");
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
        .extensions_mut()
        .insert(ErrorPage { message: default_message(StatusCode::INTERNAL_SERVER_ERROR).to_owned() });
    response
}

/// Turns every error response that is not already an HTML page (errors raised by
/// handlers, 404/405 from routing, 413 from the body limit, 503 from the timeout,
/// 500 from a panic) into the site's error page, keeping status and headers.
async fn render_error_pages(State(app): State<AppState>, request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let explicit = response.extensions().get::<ErrorPage>().map(|e| e.message.clone());
    let own_answer = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if explicit.is_none() && own_answer {
        // A handler rendered its own page (e.g. a form re-shown with 422), or answered
        // a script with JSON that says what went wrong.
        return response;
    }
    let message = explicit.unwrap_or_else(|| default_message(status).to_owned());
    let html = error_html(&app, status, message).await;
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// The site's error page for `status` with `message`, with the headers every
/// response carries, for answers given outside the router.
pub async fn error_response(app: &AppState, status: StatusCode, message: String) -> Response<Body> {
    let html = error_html(app, status, message).await;
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // Outside the router, so outside `http_cache::caching`: the policy an error gets there.
    h.insert(header::CACHE_CONTROL, CachePolicy::Private.header_value());
    security_headers(response).await
}

async fn error_html(app: &AppState, status: StatusCode, message: String) -> String {
    use askama::Template;
    // The error page must render even when the database is the problem.
    let settings = store::settings::load(&app.store).await.unwrap_or_default();
    let layout = Layout::new(&settings, &app.config.base_url, "/", None);
    let view = ErrorView::new(layout, status, message.clone());
    view.render().unwrap_or_else(|e| {
        tracing::error!(error = ?e, "the error page failed to render");
        fallback_html(status, &message)
    })
}

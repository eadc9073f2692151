//! The admin panel under `/admin`: its route table, and the guards every admin
//! response passes through (login session, CSRF token, no-store and noindex).
//!
//! [`routes`] is the one list of admin routes: the router is built from it, and the
//! route-walk test iterates it.

pub mod auth;
pub mod comments;
pub mod dashboard;
pub mod mail;
pub mod media;
pub mod posts;
pub mod privacy;
pub mod settings;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};

use crate::app::{ADMIN_BODY_LIMIT, AppState};
use crate::config::Config;
use crate::domain::{percent, secret};
use crate::error::AppError;
use crate::http_cache::CachePolicy;
use crate::routes::cookies;
use crate::store::{self, sessions::Session};
use crate::views::admin::AdminLayout;

/// Who may reach a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the login and setup pages).
    Anyone,
    /// Logged-in admins; anyone else is sent to the login page.
    Admin,
}

/// One admin route: method, path, who may use it, and its handler.
pub struct AdminRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> AdminRoute {
    AdminRoute { method, path, access, handler }
}

/// Every admin route. The last one catches unknown paths under `/admin/`, so that
/// they too pass the guards (anonymous: to the login page; logged in: 404).
pub fn routes() -> Vec<AdminRoute> {
    use Access::{Admin, Anyone};
    let (g, p) = (Method::GET, Method::POST);
    vec![
        route(g.clone(), "/admin/login", Anyone, get(auth::show_login)),
        route(
            p.clone(),
            "/admin/login",
            Anyone,
            post(auth::login).layer(DefaultBodyLimit::max(auth::LOGIN_BODY_LIMIT)),
        ),
        route(g.clone(), "/admin/setup", Anyone, get(auth::show_setup)),
        route(p.clone(), "/admin/setup", Anyone, post(auth::setup)),
        route(p.clone(), "/admin/logout", Admin, post(auth::logout)),
        route(g.clone(), "/admin", Admin, get(dashboard::show_dashboard)),
        route(g.clone(), "/admin/", Admin, get(dashboard::redirect_to_dashboard)),
        route(g.clone(), "/admin/profile", Admin, get(auth::show_profile)),
        route(p.clone(), "/admin/profile", Admin, post(auth::update_profile)),
        route(p.clone(), "/admin/profile/password", Admin, post(auth::change_password)),
        route(g.clone(), "/admin/comments", Admin, get(comments::list_comments)),
        route(p.clone(), "/admin/comments/bulk", Admin, post(comments::bulk_comments)),
        route(p.clone(), "/admin/comments/empty/{status}", Admin, post(comments::empty_comments)),
        route(g.clone(), "/admin/comments/{id}/edit", Admin, get(comments::edit_comment)),
        route(p.clone(), "/admin/comments/{id}", Admin, post(comments::update_comment)),
        route(p.clone(), "/admin/comments/{id}/reply", Admin, post(comments::reply_comment)),
        route(p.clone(), "/admin/comments/{id}/{action}", Admin, post(comments::moderate_comment)),
        route(g.clone(), "/admin/posts", Admin, get(posts::list_posts)),
        route(g.clone(), "/admin/posts/new", Admin, get(posts::new_post)),
        route(p.clone(), "/admin/posts", Admin, post(posts::create_post)),
        route(g.clone(), "/admin/posts/{id}/edit", Admin, get(posts::edit_post)),
        route(p.clone(), "/admin/posts/{id}", Admin, post(posts::update_post)),
        route(p.clone(), "/admin/posts/{id}/trash", Admin, post(posts::trash_post)),
        route(p.clone(), "/admin/posts/{id}/restore", Admin, post(posts::restore_post)),
        route(p.clone(), "/admin/posts/{id}/delete", Admin, post(posts::delete_post)),
        route(g.clone(), "/admin/pages", Admin, get(posts::list_pages)),
        route(g.clone(), "/admin/pages/new", Admin, get(posts::new_page)),
        route(p.clone(), "/admin/pages", Admin, post(posts::create_page)),
        route(g.clone(), "/admin/pages/{id}/edit", Admin, get(posts::edit_page)),
        route(p.clone(), "/admin/pages/{id}", Admin, post(posts::update_page)),
        route(p.clone(), "/admin/pages/{id}/trash", Admin, post(posts::trash_page)),
        route(p.clone(), "/admin/pages/{id}/restore", Admin, post(posts::restore_page)),
        route(p.clone(), "/admin/pages/{id}/delete", Admin, post(posts::delete_page)),
        route(g.clone(), "/admin/media", Admin, get(media::list_media)),
        route(
            p.clone(),
            media::UPLOAD_PATH,
            Admin,
            // Limited outside the router instead (see `app::limit_bodies`).
            post(media::upload_media).layer(DefaultBodyLimit::disable()),
        ),
        route(p.clone(), "/admin/media/limits", Admin, post(media::update_limits)),
        route(g.clone(), "/admin/media/{id}", Admin, get(media::edit_media)),
        route(p.clone(), "/admin/media/{id}", Admin, post(media::update_media)),
        route(p.clone(), "/admin/media/{id}/delete", Admin, post(media::delete_media)),
        route(g.clone(), "/admin/settings", Admin, get(settings::show_settings)),
        route(p.clone(), "/admin/settings", Admin, post(settings::update_settings)),
        route(g.clone(), "/admin/settings/date-example", Admin, get(settings::date_example)),
        route(g.clone(), "/admin/mail", Admin, get(mail::show_mail)),
        route(g.clone(), "/admin/privacy", Admin, get(privacy::show_privacy)),
        route(p.clone(), "/admin/privacy/export", Admin, post(privacy::export)),
        route(p.clone(), "/admin/privacy/erase", Admin, post(privacy::erase)),
        route(p.clone(), "/admin/privacy/delete", Admin, post(privacy::delete)),
        route(p.clone(), "/admin/privacy/notice", Admin, post(privacy::draft_notice)),
        route(p.clone(), "/admin/mail/test", Admin, post(mail::send_test)),
        route(p.clone(), "/admin/mail/outbox/{id}/retry", Admin, post(mail::retry_message)),
        route(p, "/admin/mail/subscriptions/{id}/delete", Admin, post(mail::delete_subscription)),
        route(g, "/admin/{*rest}", Admin, any(not_found)),
    ]
}

/// The admin panel's router, with its guards.
pub fn router(state: AppState) -> Router<AppState> {
    let mut open = Router::new();
    let mut guarded = Router::new();
    for r in routes() {
        match r.access {
            Access::Anyone => open = open.route(r.path, r.handler),
            Access::Admin => guarded = guarded.route(r.path, r.handler),
        }
    }
    let guarded = guarded.route_layer(middleware::from_fn_with_state(state, require_session));
    open.merge(guarded).layer(super::refuse_cross_site()).layer(middleware::map_response(admin_headers))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Admin pages are private and change with every action: never stored by a cache,
/// never indexed.
async fn admin_headers(mut response: Response) -> Response {
    response.extensions_mut().insert(CachePolicy::Admin);
    response.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// The logged-in admin of this request (put there by the session guard).
#[derive(Debug, Clone)]
pub struct CurrentAdmin(pub Arc<Session>);

impl FromRequestParts<AppState> for CurrentAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Arc<Session>>().cloned().map(CurrentAdmin).ok_or(AppError::Unauthorized)
    }
}

pub use crate::routes::extract::Form;

/// The hidden field every state-changing admin form carries.
pub const CSRF_FIELD: &str = "_csrf";

/// Lets a request through only with a live session; a state-changing request must
/// also carry the session's CSRF token in its form. Anonymous requests are sent to
/// the login page (a page they asked for comes back after login).
async fn require_session(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let now = app.now();
    let cookie = cookies::get(request.headers(), session_cookie_name(&app.config)).map(str::to_owned);
    let found = match &cookie {
        Some(value) => store::sessions::find(&app.store, value, now).await,
        None => Ok(None),
    };
    let session = match found {
        Ok(Some(s)) => s,
        Ok(None) => return to_login(&request, cookie.is_some(), &app.config),
        Err(e) => return AppError::from(e).into_response(),
    };
    if now - session.last_seen_at >= store::sessions::TOUCH_INTERVAL
        && let Err(e) = store::sessions::touch(&app.store, &session.id_hash, now).await
    {
        tracing::warn!(error = ?e, "could not refresh a session");
    }
    let mut request = request;
    // An upload's body is not read here: its handler checks the token, which the
    // form sends as the first field, before it reads any file.
    if !is_safe(request.method()) && !media::is_upload(&request) {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, ADMIN_BODY_LIMIT).await else {
            return AppError::PayloadTooLarge.into_response();
        };
        let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
        if !token.is_some_and(|t| secret::constant_time_eq(&t, &session.csrf_token)) {
            return AppError::Forbidden(
                "This form has expired or did not come from this site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .to_owned(),
            )
            .into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(Arc::new(session));
    next.run(request).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The answer to an anonymous request: 303 to the login page, remembering a page
/// that was asked for with GET; a stale session cookie is cleared.
fn to_login(request: &Request, had_cookie: bool, config: &Config) -> Response {
    let target = if request.method() == Method::GET {
        let wanted = request.uri().path_and_query().map_or("/admin", |pq| pq.as_str());
        if wanted == "/admin" {
            "/admin/login".to_owned()
        } else {
            format!("/admin/login?next={}", percent::component(wanted))
        }
    } else {
        "/admin/login".to_owned()
    };
    let mut response = super::see_other(&target);
    if had_cookie {
        cookies::clear(&mut response, session_cookie_name(config), config.is_https());
    }
    response
}

/// A page inside the panel to go to after login: only `/admin` paths, so the
/// parameter cannot send anyone off-site.
pub fn safe_next(next: &str) -> &str {
    let inside = next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?");
    if inside && !next.contains("\\") && !next.contains("//") && !next.starts_with("/admin/login") {
        next
    } else {
        "/admin"
    }
}

/// The session cookie's name: with the `__Host-` prefix over https, which binds it
/// to this host and path `/` and requires `Secure`.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.is_https() { "__Host-hewn_session" } else { "hewn_session" }
}

/// The login form's token cookie (double-submitted with a hidden field).
pub fn login_cookie_name(config: &Config) -> &'static str {
    if config.is_https() { "__Host-hewn_login" } else { "hewn_login" }
}

/// The device cookie's name: proof that this browser logged in before (see
/// [`crate::domain::signing::DevicePass`]).
pub fn device_cookie_name(config: &Config) -> &'static str {
    if config.is_https() { "__Host-hewn_device" } else { "hewn_device" }
}

/// The layout of a panel page for the logged-in admin.
pub async fn layout(
    app: &AppState,
    admin: &CurrentAdmin,
    title: &str,
    section: &'static str,
) -> Result<AdminLayout, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let counts = store::moderation::counts(&app.store).await?;
    Ok(AdminLayout::new(&settings, title, section, Some(&admin.0), counts.pending))
}

/// A page rendered with a status other than 200 (a form shown again with 422).
pub fn with_status(status: StatusCode, html: axum::response::Html<String>) -> Response {
    (status, html).into_response()
}

/// `path` with `?notice=code` (and `&n=count`) added, for the message shown after a redirect.
pub fn with_notice(path: &str, code: &str, count: Option<u64>) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    match count {
        Some(n) => format!("{path}{sep}notice={code}&n={n}"),
        None => format!("{path}{sep}notice={code}"),
    }
}

/// Parses a positive id from a path segment (anything else is a 404).
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_panel() {
        assert_eq!(safe_next("/admin/comments?status=pending"), "/admin/comments?status=pending");
        assert_eq!(safe_next("/admin"), "/admin");
        for evil in
            ["https://evil.example/admin", "//evil.example", "/admin//evil", "/administrator", "/", "/admin/login"]
        {
            assert_eq!(safe_next(evil), "/admin", "{evil}");
        }
    }

    #[test]
    fn every_route_is_under_admin_and_only_login_and_setup_are_open() {
        for r in routes() {
            assert!(r.path == "/admin" || r.path.starts_with("/admin/"), "{}", r.path);
            let open = r.path == "/admin/login" || r.path == "/admin/setup";
            assert_eq!(r.access == Access::Anyone, open, "{} {}", r.method, r.path);
        }
    }
}

//! HTTP routes. Handlers extract, call the store, and render; each module has `router()`.

pub mod admin;
pub mod archive;
pub mod avatars;
pub mod commenter;
pub mod comments;
pub mod cookies;
pub mod crawlers;
pub mod extract;
pub mod feeds;
pub mod health;
pub mod legacy;
pub mod mail;
pub mod media;
pub mod own_comments;
pub mod pages;
pub mod posts;
pub mod search;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::csrf::{CsrfLayer, ProtectionError};

use crate::app::AppState;
use crate::assets;
use crate::error::AppError;

/// Every route of the site.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(posts::router())
        .merge(comments::router())
        .merge(health::router())
        .merge(feeds::router())
        .merge(archive::router())
        .merge(search::router())
        .merge(crawlers::router())
        .merge(pages::router())
        .merge(media::router())
        .merge(mail::router())
        .merge(own_comments::router())
        .merge(avatars::router())
        .route("/static/{file}", get(assets::serve_static))
        .route("/favicon.ico", get(assets::favicon))
}

/// Refuses a form posted from another site with 403 and the site's error page: a
/// POST whose browser says so (`Sec-Fetch-Site` other than `same-origin` or `none`),
/// or whose `Origin` is not this host. A request with neither header (curl, scripts,
/// old browsers) passes, and so do GET and HEAD. For the admin panel and the comment
/// form alike.
pub fn refuse_cross_site() -> CsrfLayer<fn(ProtectionError) -> Response> {
    CsrfLayer::new().with_rejection_response(cross_site_refusal as fn(ProtectionError) -> Response)
}

fn cross_site_refusal(_: ProtectionError) -> Response {
    AppError::Forbidden("This form came from another site, so it was refused.".to_owned()).into_response()
}

/// A `301` to a path on this site. The path is percent-encoded as needed, so any
/// slug (non-ASCII, spaces, control characters) makes a valid `Location`.
pub fn moved_permanently(path: &str) -> Response {
    redirect(StatusCode::MOVED_PERMANENTLY, path)
}

/// A `303 See Other` to a path on this site (the answer to a successful form POST).
pub fn see_other(path: &str) -> Response {
    redirect(StatusCode::SEE_OTHER, path)
}

fn redirect(status: StatusCode, path: &str) -> Response {
    let encoded = crate::domain::percent::url(path);
    let location = HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (status, [(header::LOCATION, location)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_always_valid_header_values() {
        let r = see_other("/posts/caf\u{e9} au lait?x=1");
        assert_eq!(r.headers()[header::LOCATION], "/posts/caf%C3%A9%20au%20lait?x=1");
        let r = moved_permanently("/posts/\u{2713}");
        assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    }
}

//! Public routes of the admin's content: standalone pages at `/{slug}`, and the
//! custom stylesheet at `/custom.css`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::domain::now;
use crate::error::AppError;
use crate::store;
use crate::views::pages::{PageView, css_version};
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/custom.css", get(custom_css)).route("/{slug}", get(show_page))
}

async fn show_page(State(app): State<AppState>, Path(slug): Path<String>) -> Result<Html<String>, AppError> {
    let page = store::pages::visible_by_slug(&app.store, now(), &slug).await?.ok_or(AppError::NotFound)?;
    let settings = store::settings::load(&app.store).await?;
    let layout = Layout::new(&settings, &app.config.base_url, &format!("/{}", page.slug), Some(&page.title))
        .describe(page.excerpt.clone());
    render(&PageView::new(layout, &page))
}

/// The custom CSS, with an ETag of its content. Pages link it with `?v=` of that
/// same hash, so it can be cached for long; a bare request revalidates.
async fn custom_css(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let css = settings.custom_css;
    let etag = format!("\"{}\"", css_version(&css));
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| AppError::Internal(e.into()))?;
    let cache = HeaderValue::from_static("public, max-age=300, must-revalidate");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)]).into_response()
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        css,
    )
        .into_response())
}

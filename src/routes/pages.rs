//! Public routes of the admin's content: standalone pages at `/{slug}`, and the
//! custom stylesheet at `/custom.css`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::error::AppError;
use crate::http_cache::{CachePolicy, EntityTag, SHORT_MAX_AGE};
use crate::store;
use crate::views::pages::{PageView, css_version};
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/custom.css", get(custom_css)).route("/{slug}", get(show_page))
}

async fn show_page(State(app): State<AppState>, Path(slug): Path<String>) -> Result<Html<String>, AppError> {
    let page = store::pages::visible_by_slug(&app.store, app.now(), &slug).await?.ok_or(AppError::NotFound)?;
    let settings = store::settings::load(&app.store).await?;
    let base = &app.config.base_url;
    let mut layout =
        Layout::new(&settings, base, &format!("/{}", page.slug), Some(&page.title)).describe(page.excerpt.clone());
    let featured = store::featured::of_post(&app.store, page.id).await?;
    if let Some(image) = &featured {
        layout = layout.share_image(image, base);
    }
    let mut view = PageView::new(layout, &page);
    if let Some(image) = featured.filter(|_| settings.featured.on_post) {
        view.show_featured(&image);
    }
    render(&view)
}

/// The custom CSS, with an ETag of its content. Pages link it with `?v=` of that
/// same hash, so it can be cached for long; a bare request revalidates.
async fn custom_css(State(app): State<AppState>) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let css = settings.custom_css;
    let etag = EntityTag(format!("\"{}\"", css_version(&css)));
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"))];
    Ok((CachePolicy::RevalidateAfter(SHORT_MAX_AGE), etag, content_type, css).into_response())
}

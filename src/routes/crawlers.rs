//! For crawlers: `/robots.txt` and `/sitemap.xml`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::feeds::xml;
use crate::app::AppState;
use crate::error::AppError;
use crate::store;
use crate::views::crawlers::{SITEMAP_LIMIT, Sitemap, robots_txt};

pub fn router() -> Router<AppState> {
    Router::new().route("/robots.txt", get(robots)).route("/sitemap.xml", get(sitemap))
}

async fn robots(State(app): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], robots_txt(&app.config.base_url)).into_response()
}

async fn sitemap(State(app): State<AppState>) -> Result<Response, AppError> {
    let now = app.now();
    // The home page takes one of the file's URLs.
    let posts = store::feeds::sitemap_posts(&app.store, now, SITEMAP_LIMIT - 1).await?;
    let room = u32::try_from(posts.len()).map_or(0, |n| SITEMAP_LIMIT - 1 - n.min(SITEMAP_LIMIT - 1));
    let tags = store::feeds::sitemap_tags(&app.store, now, room).await?;
    let sitemap = Sitemap::new(&app.config.base_url, &posts, &tags);
    Ok(xml("application/xml", askama::Template::render(&sitemap)?))
}

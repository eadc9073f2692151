//! Public post routes: the index and post pages.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::get;

use std::collections::HashMap;

use super::extract::{Page, Path, Query};
use crate::app::AppState;
use crate::domain::settings::Settings;
use crate::error::AppError;
use crate::store;
use crate::views::pager::{self, Pager, page_url};
use crate::views::posts::{IndexPage, SummaryView, post_url};
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show_index))
        .route("/posts/{slug}", get(show_post))
        .route("/posts/{slug}/", get(redirect_to_post))
}

async fn show_index(State(app): State<AppState>, Page(page): Page) -> Result<Html<String>, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let now = app.now();
    let per_page = settings.posts_per_page;
    let offset = (page - 1).saturating_mul(u64::from(per_page));
    // One post more than a page shows tells whether older posts exist, with no count
    // (which would read every post of the blog).
    let mut posts = store::posts::visible_page(&app.store, now, per_page + 1, offset).await?;
    if posts.is_empty() && page > 1 {
        return Err(AppError::NotFound);
    }
    let has_older = posts.len() > usize::try_from(per_page).unwrap_or(usize::MAX);
    posts.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
    let path = page_url("/", page);
    let title = (page > 1).then(|| format!("Page {page}"));
    let layout =
        Layout::new(&settings, &app.config.base_url, &path, title.as_deref()).describe(settings.tagline.clone());
    render(&IndexPage {
        layout,
        posts: summaries(&app, &posts, &settings).await?,
        pager: Pager::new(pager::POSTS, "/", page, if has_older { page + 1 } else { page }),
    })
}

/// A list's posts ready to print, with their featured images when the site shows
/// them in lists.
pub async fn summaries(
    app: &AppState,
    posts: &[store::posts::PostSummary],
    settings: &Settings,
) -> Result<Vec<SummaryView>, AppError> {
    let featured = if settings.featured.in_lists {
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        store::featured::of_posts(&app.store, &ids).await?
    } else {
        HashMap::new()
    };
    Ok(SummaryView::list(posts, settings, &featured))
}

async fn show_post(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    Query(discussion): Query<super::comments::DiscussionQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let post = store::posts::visible_by_slug(&app.store, app.now(), &slug).await?.ok_or(AppError::NotFound)?;
    super::comments::show_post_page(&app, &post, &discussion, &headers).await
}

async fn redirect_to_post(Path(slug): Path<String>) -> Response {
    super::moved_permanently(&post_url(&slug))
}

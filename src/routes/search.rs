//! `GET /search?q=...`: full-text search over visible posts and pages.
//!
//! Whatever the query string holds (quotes, operators, unbalanced parentheses,
//! thousands of characters, nothing, bytes that are not UTF-8) the answer is a
//! normal page: the query is parsed into quoted terms (`domain::search`) and never
//! reaches the full-text engine as syntax.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::extract::{Page, Query};
use crate::app::AppState;
use crate::domain::percent;
use crate::domain::search::SearchQuery;
use crate::error::AppError;
use crate::store;
use crate::views::pager::{self, Pager, page_url};
use crate::views::search::{ResultView, SearchPage, results_label};
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// The query string as name/value pairs: repeated or unknown names never make it
/// unreadable (the first `q` counts; see [`Page`] for `page`), and bytes that are not UTF-8 are
/// replaced rather than refused.
type Params = Vec<(String, String)>;

fn first<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

async fn search(
    State(app): State<AppState>,
    Page(page): Page,
    Query(params): Query<Params>,
) -> Result<Html<String>, AppError> {
    let raw = first(&params, "q").unwrap_or_default();
    let settings = store::settings::load(&app.store).await?;
    let display = SearchQuery::display(raw);
    let query = SearchQuery::parse(raw);
    let per_page = settings.posts_per_page;

    let (total, hits) = match (!query.is_empty()).then_some(&query) {
        Some(expr) => {
            let skip = (page - 1).saturating_mul(u64::from(per_page));
            let hits = store::search::visible_page(&app.store, app.now(), expr, per_page, skip).await?;
            match store::search::total(&hits) {
                Some(total) => (total, hits),
                // Past the last page of results; the first page of none says so.
                None if page > 1 => return Err(AppError::NotFound),
                None => (0, hits),
            }
        }
        None if page > 1 => return Err(AppError::NotFound),
        None => (0, Vec::new()),
    };
    let pages = total.div_ceil(u64::from(per_page)).max(1);
    let base = format!("/search?q={}", percent::component(&display));
    let path = if display.is_empty() { "/search".to_owned() } else { page_url(&base, page) };
    let title = if display.is_empty() { "Search".to_owned() } else { format!("Search results for “{display}”") };
    let layout = Layout::new(&settings, &app.config.base_url, &path, Some(&title))
        .describe(format!("Search {}.", settings.site_title))
        .searching(&display)
        .noindex();
    render(&SearchPage {
        layout,
        searched: !query.is_empty(),
        query: display,
        total_label: results_label(total),
        results: hits.iter().map(|h| ResultView::new(h, &query, &settings)).collect(),
        pager: Pager::new(pager::RESULTS, &base, page, pages),
    })
}

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

use super::extract::Query;
use super::posts::PageQuery;
use crate::app::AppState;
use crate::domain::search::SearchQuery;
use crate::error::AppError;
use crate::store;
use crate::views::meta::query_value;
use crate::views::search::{ResultView, SearchPage, pager, results_label};
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// The query string as name/value pairs: repeated or unknown names never make it
/// unreadable (the first `q` and `page` count), and bytes that are not UTF-8 are
/// replaced rather than refused.
type Params = Vec<(String, String)>;

fn first<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

async fn search(State(app): State<AppState>, Query(params): Query<Params>) -> Result<Html<String>, AppError> {
    let raw = first(&params, "q").unwrap_or_default();
    let page = PageQuery::from_raw(first(&params, "page")).number()?;
    let settings = store::settings::load(&app.store).await?;
    let display = SearchQuery::display(raw);
    let query = SearchQuery::parse(raw);
    let per_page = settings.posts_per_page;

    let (total, hits) = match (!query.is_empty()).then_some(&query) {
        Some(expr) => {
            let now = app.now();
            let total = u64::try_from(store::search::count_visible(&app.store, now, expr).await?).unwrap_or(0);
            let skip = (page - 1).saturating_mul(u64::from(per_page));
            if page > 1 && skip >= total {
                return Err(AppError::NotFound);
            }
            (total, store::search::visible_page(&app.store, now, expr, per_page, skip).await?)
        }
        None if page > 1 => return Err(AppError::NotFound),
        None => (0, Vec::new()),
    };
    let pages = total.div_ceil(u64::from(per_page)).max(1);
    let encoded = query_value(&display);
    let path = match (display.is_empty(), page) {
        (true, _) => "/search".to_owned(),
        (false, 1) => format!("/search?q={encoded}"),
        (false, n) => format!("/search?q={encoded}&page={n}"),
    };
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
        pager: pager(&encoded, page, pages),
    })
}

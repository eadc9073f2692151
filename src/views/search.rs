//! The search page: the query, the results with highlighted snippets, and pages.

use askama::Template;

use super::Layout;
use super::meta::entry_url;
use super::pager::Pager;
use super::posts::count_label;
use crate::domain::SafeHtml;
use crate::domain::datefmt;
use crate::domain::markdown::plain_text;
use crate::domain::search::{self, SearchQuery};
use crate::domain::settings::Settings;
use crate::domain::status::PostKind;
use crate::store::search::SearchHit;

/// `templates/search/results.html`.
#[derive(Template)]
#[template(path = "search/results.html")]
pub struct SearchPage {
    pub layout: Layout,
    /// The query as typed (trimmed and cut), for the heading.
    pub query: String,
    /// True when the query had words to look for.
    pub searched: bool,
    /// `3 results`.
    pub total_label: String,
    pub results: Vec<ResultView>,
    pub pager: Pager,
}

/// One result.
pub struct ResultView {
    pub url: String,
    /// Escaped, with matches marked.
    pub title_html: SafeHtml,
    pub is_page: bool,
    pub date: String,
    pub datetime: String,
    /// Escaped, with matches marked.
    pub snippet_html: SafeHtml,
    pub comments_label: String,
}

impl ResultView {
    pub fn new(hit: &SearchHit, query: &SearchQuery, settings: &Settings) -> Self {
        let zone = settings.zone();
        Self {
            url: entry_url(hit.kind, &hit.slug),
            title_html: search::highlight(&hit.title, query),
            is_page: hit.kind == PostKind::Page,
            date: datefmt::format(hit.published_at, &zone, &settings.date_format),
            datetime: datefmt::rfc3339(hit.published_at),
            snippet_html: search::snippet(&plain_text(&hit.body_html), query),
            comments_label: count_label(hit.comment_count),
        }
    }
}

/// `1 result`, `N results`, `No results`.
pub fn results_label(n: u64) -> String {
    match n {
        0 => "No results".to_owned(),
        1 => "1 result".to_owned(),
        n => format!("{n} results"),
    }
}

//! Links to the neighbouring pages of a listing (`templates/partials/pager.html`), the
//! one pager of the index, tag and archive pages, search results and the panel's lists.

/// What a pager says: its landmark's name and its two links' labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagerLabels {
    /// The `aria-label` of the `<nav>`.
    pub nav: &'static str,
    /// The link to the next page (older entries).
    pub older: &'static str,
    /// The link to the previous page (newer entries).
    pub newer: &'static str,
    /// Also show "Page N of M" (listings that count their entries).
    pub count: bool,
    /// An extra class for the `<nav>` (the panel lays it out its own way).
    pub class: &'static str,
}

/// Listings of posts: the index, a tag, a year or a month.
pub const POSTS: PagerLabels =
    PagerLabels { nav: "Pages", older: "← Older posts", newer: "Newer posts →", count: false, class: "" };
/// Search results.
pub const RESULTS: PagerLabels =
    PagerLabels {
        nav: "Result pages", older: "More results →", newer: "← Previous results", count: false, class: ""
    };
/// The panel's lists of posts, pages and comments.
pub const PANEL: PagerLabels =
    PagerLabels { nav: "Pages", older: "Older →", newer: "← Newer", count: true, class: " paging" };

/// Previous/next links of a paginated listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    pub labels: PagerLabels,
    pub page: u64,
    pub pages: u64,
    /// Newer entries (a lower page number).
    pub newer: Option<String>,
    /// Older entries (a higher page number).
    pub older: Option<String>,
}

impl Pager {
    /// Links for page `page` of `pages` of the listing at `base` (see [`page_url`]).
    pub fn new(labels: PagerLabels, base: &str, page: u64, pages: u64) -> Self {
        Self {
            labels,
            page,
            pages,
            newer: (page > 1).then(|| page_url(base, page - 1)),
            older: (page < pages).then(|| page_url(base, page + 1)),
        }
    }
}

/// The URL of page `page` of the listing at `base`: `base` itself for the first page,
/// then `page=N` added to its query.
pub fn page_url(base: &str, page: u64) -> String {
    match page {
        1 => base.to_owned(),
        n if base.contains('?') => format!("{base}&page={n}"),
        n => format!("{base}?page={n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_neighbouring_pages() {
        let p = Pager::new(POSTS, "/", 2, 3);
        assert_eq!(p.newer.as_deref(), Some("/"));
        assert_eq!(p.older.as_deref(), Some("/?page=3"));
        let p = Pager::new(POSTS, "/", 1, 1);
        assert!(p.newer.is_none() && p.older.is_none());
    }

    #[test]
    fn page_numbers_join_an_existing_query() {
        assert_eq!(page_url("/tags/coal", 1), "/tags/coal");
        assert_eq!(page_url("/tags/coal", 2), "/tags/coal?page=2");
        assert_eq!(page_url("/search?q=a%20b", 3), "/search?q=a%20b&page=3");
        let p = Pager::new(PANEL, "/admin/comments?status=spam", 2, 2);
        assert_eq!(p.newer.as_deref(), Some("/admin/comments?status=spam"));
        assert_eq!(p.older, None);
    }
}

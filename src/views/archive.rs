//! Tag pages, the tag list, archives by date, and the links under a post (its tags,
//! the previous and next posts).

use askama::Template;
use jiff::tz::TimeZone;

use super::Layout;
use super::meta::tag_url;
use super::pager::Pager;
use super::posts::{SummaryView, post_url};
use crate::domain::archive::{Period, YearCount};
use crate::store::archive::{PostLink, TagCount};
use crate::store::tags::Tag;

/// `templates/archive/listing.html`: a page of posts under a heading (a tag, a year,
/// a month), with the total count.
#[derive(Template)]
#[template(path = "archive/listing.html")]
pub struct ListingPage {
    pub layout: Layout,
    /// `tag` or `period`, for tests and styling.
    pub kind: &'static str,
    pub heading: String,
    /// `3 posts`.
    pub count_label: String,
    pub posts: Vec<SummaryView>,
    pub pager: Pager,
    /// On a year's page: its months, with counts.
    pub months: Vec<PeriodLink>,
    /// A feed of just these posts, when there is one.
    pub feed: Option<String>,
}

/// A link to an archive period, with its post count.
pub struct PeriodLink {
    pub url: String,
    pub name: String,
    pub count: u64,
}

/// `templates/archive/tags.html`: every tag in use.
#[derive(Template)]
#[template(path = "archive/tags.html")]
pub struct TagsPage {
    pub layout: Layout,
    pub tags: Vec<TagLink>,
}

/// A link to a tag's page.
pub struct TagLink {
    pub url: String,
    pub name: String,
    pub count: i64,
}

impl TagLink {
    pub fn from_count(t: &TagCount) -> Self {
        Self { url: tag_url(&t.slug), name: t.name.clone(), count: t.posts }
    }
}

/// `templates/archive/index.html`: years and months with their counts.
#[derive(Template)]
#[template(path = "archive/index.html")]
pub struct ArchivePage {
    pub layout: Layout,
    pub years: Vec<YearLinks>,
}

/// A year and its months.
pub struct YearLinks {
    pub year: PeriodLink,
    pub months: Vec<PeriodLink>,
}

impl YearLinks {
    pub fn new(y: &YearCount, tz: &TimeZone) -> Self {
        let year = Period { year: y.year, month: None };
        Self { year: PeriodLink { url: year.path(), name: year.name(tz), count: y.posts }, months: month_links(y, tz) }
    }
}

/// The months of a year, as links with counts.
pub fn month_links(y: &YearCount, tz: &TimeZone) -> Vec<PeriodLink> {
    y.months
        .iter()
        .map(|(m, n)| {
            let p = Period { year: y.year, month: Some(*m) };
            PeriodLink { url: p.path(), name: p.name(tz), count: *n }
        })
        .collect()
}

/// `1 post`, `N posts`.
pub fn posts_label(n: u64) -> String {
    if n == 1 { "1 post".to_owned() } else { format!("{n} posts") }
}

/// What `templates/partials/post_footer.html` shows under a post.
#[derive(Debug, Clone, Default)]
pub struct PostFooter {
    pub tags: Vec<(String, String)>,
    /// The post published just before (older).
    pub previous: Option<(String, String)>,
    /// The post published just after (newer).
    pub next: Option<(String, String)>,
}

impl PostFooter {
    pub fn new(tags: &[Tag], older: Option<PostLink>, newer: Option<PostLink>) -> Self {
        let link = |p: PostLink| (post_url(&p.slug), p.title);
        Self {
            tags: tags.iter().map(|t| (tag_url(&t.slug), t.name.clone())).collect(),
            previous: older.map(link),
            next: newer.map(link),
        }
    }
}

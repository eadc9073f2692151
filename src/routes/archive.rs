//! Ways into the archive: the tag list, tag pages, archives by year and month, and
//! the tags and neighbours shown under a post.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::extract::{Page, Path};
use crate::app::AppState;
use crate::domain::archive::{Period, count_by_month};
use crate::domain::settings::Settings;
use crate::domain::slug::slugify;
use crate::error::AppError;
use crate::store;
use crate::store::featured::Featured;
use crate::store::posts::PublicPost;
use crate::views::archive::{
    ArchivePage, ListingPage, PeriodLink, PostFooter, TagLink, TagsPage, YearLinks, month_links, posts_label,
};
use crate::views::meta::{ATOM, Article, first_image, tag_url};
use crate::views::pager::{self, Pager, page_url};
use crate::views::posts::post_url;
use crate::views::{Layout, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(list_tags))
        .route("/tags/{slug}", get(show_tag))
        .route("/archive", get(show_archive))
        .route("/archive/{year}", get(show_year))
        .route("/archive/{year}/{month}", get(show_month))
}

/// The number of pages of `total` posts and how many `page` skips; a page past the
/// end (or an empty listing) is a 404.
fn paginate(page: u64, total: i64, per_page: u32) -> Result<(u64, u64), AppError> {
    let total = u64::try_from(total).unwrap_or(0);
    let pages = total.div_ceil(u64::from(per_page));
    if total == 0 || page > pages {
        return Err(AppError::NotFound);
    }
    Ok((pages, (page - 1).saturating_mul(u64::from(per_page))))
}

async fn list_tags(State(app): State<AppState>) -> Result<Html<String>, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let tags = store::archive::tags_in_use(&app.store, app.now()).await?;
    let layout = Layout::new(&settings, &app.config.base_url, "/tags", Some("Tags"))
        .describe(format!("Every tag on {}, with how many posts carry it.", settings.site_title));
    render(&TagsPage { layout, tags: tags.iter().map(TagLink::from_count).collect() })
}

async fn show_tag(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    Page(page): Page,
) -> Result<Response, AppError> {
    let Some(tag) = store::archive::tag_by_slug(&app.store, &slug).await? else {
        // `/tags/Rust Lang` finds `/tags/rust-lang`.
        let canonical = slugify(&slug);
        if canonical != slug && store::archive::tag_by_slug(&app.store, &canonical).await?.is_some() {
            return Ok(super::moved_permanently(&tag_url(&canonical)));
        }
        return Err(AppError::NotFound);
    };
    let settings = store::settings::load(&app.store).await?;
    let now = app.now();
    let total = store::archive::count_tagged(&app.store, now, tag.id).await?;
    let (pages, skip) = paginate(page, total, settings.posts_per_page)?;
    let posts = store::archive::tagged_page(&app.store, now, tag.id, settings.posts_per_page, skip).await?;
    let path = tag_url(&tag.slug);
    let title = if page == 1 { format!("Tag: {}", tag.name) } else { format!("Tag: {} – Page {page}", tag.name) };
    let feed = format!("{path}/feed.xml");
    let base = &app.config.base_url;
    let layout = Layout::new(&settings, base, &page_url(&path, page), Some(&title))
        .describe(format!("Posts tagged “{}” on {}.", tag.name, settings.site_title))
        .with_feed(ATOM, format!("{} – {} Feed", settings.site_title, tag.name), format!("{base}{feed}"));
    Ok(render(&ListingPage {
        layout,
        kind: "tag",
        heading: format!("Posts tagged “{}”", tag.name),
        count_label: posts_label(u64::try_from(total).unwrap_or(0)),
        posts: super::posts::summaries(&app, &posts, &settings).await?,
        pager: Pager::new(pager::POSTS, &path, page, pages),
        months: Vec::new(),
        feed: Some(feed),
    })?
    .into_response())
}

async fn show_archive(State(app): State<AppState>) -> Result<Html<String>, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let zone = settings.zone();
    let times = store::archive::visible_times(&app.store, app.now()).await?;
    let years = count_by_month(&times, &zone).iter().map(|y| YearLinks::new(y, &zone)).collect();
    let layout = Layout::new(&settings, &app.config.base_url, "/archive", Some("Archives"))
        .describe(format!("Every post on {}, by year and month.", settings.site_title));
    render(&ArchivePage { layout, years })
}

async fn show_year(
    State(app): State<AppState>,
    Path(year): Path<String>,
    Page(page): Page,
) -> Result<Html<String>, AppError> {
    let period = Period::parse(&year, None).ok_or(AppError::NotFound)?;
    show_period(&app, period, page).await
}

async fn show_month(
    State(app): State<AppState>,
    Path((year, month)): Path<(String, String)>,
    Page(page): Page,
) -> Result<Html<String>, AppError> {
    let period = Period::parse(&year, Some(&month)).ok_or(AppError::NotFound)?;
    show_period(&app, period, page).await
}

async fn show_period(app: &AppState, period: Period, page: u64) -> Result<Html<String>, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let zone = settings.zone();
    let (from, until) = period.bounds(&zone).ok_or(AppError::NotFound)?;
    let now = app.now();
    let total = store::archive::count_between(&app.store, now, from, until).await?;
    let (pages, skip) = paginate(page, total, settings.posts_per_page)?;
    let posts = store::archive::between_page(&app.store, now, from, until, settings.posts_per_page, skip).await?;
    let months: Vec<PeriodLink> = if period.month.is_none() {
        let times = store::archive::visible_times(&app.store, now).await?;
        let in_year: Vec<i64> = times.into_iter().filter(|t| (from..until).contains(t)).collect();
        count_by_month(&in_year, &zone).first().map(|y| month_links(y, &zone)).unwrap_or_default()
    } else {
        Vec::new()
    };
    let name = period.name(&zone);
    let path = period.path();
    let title = if page == 1 { format!("Archive: {name}") } else { format!("Archive: {name} – Page {page}") };
    let layout = Layout::new(&settings, &app.config.base_url, &page_url(&path, page), Some(&title))
        .describe(format!("Posts published on {} in {name}.", settings.site_title));
    render(&ListingPage {
        layout,
        kind: "period",
        heading: format!("Posts from {name}"),
        count_label: posts_label(u64::try_from(total).unwrap_or(0)),
        posts: super::posts::summaries(app, &posts, &settings).await?,
        pager: Pager::new(pager::POSTS, &path, page, pages),
        months,
        feed: None,
    })
}

/// What a post page adds for discovery: its comment feed, link-preview tags and
/// JSON-LD in the head (with the featured image, else the body's first image), and
/// its tags and neighbours under the text; and its featured image, if any.
pub async fn post_extras(
    app: &AppState,
    layout: Layout,
    post: &PublicPost,
    comment_count: usize,
    settings: &Settings,
) -> Result<(Layout, PostFooter, Option<Featured>), AppError> {
    let tags = store::tags::for_post(&app.store, post.id).await?;
    let (older, newer) = store::archive::neighbours(&app.store, app.now(), post.published_at, post.id).await?;
    let featured = store::featured::of_post(&app.store, post.id).await?;
    let base = &app.config.base_url;
    let url = format!("{base}{}", post_url(&post.slug));
    let tag_names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let article = Article {
        url: &url,
        title: &post.title,
        description: &post.excerpt,
        published: post.published_at,
        modified: post.updated_at,
        author: &post.author_name,
        tags: &tag_names,
        comment_count,
        image: match &featured {
            Some(image) => Some(format!("{base}/media/{}", image.share_image().path)),
            None => first_image(&post.body_html, base),
        },
    };
    let mut layout = layout
        .with_feed(
            ATOM,
            format!("{} – {} Comments Feed", settings.site_title, post.title),
            format!("{url}/comments.xml"),
        )
        .article(&article, settings, base);
    if let Some(image) = &featured {
        layout = layout.share_image(image, base);
    }
    Ok((layout, PostFooter::new(&tags, older, newer), featured))
}

//! Feeds: Atom and RSS for posts (site-wide and per tag), Atom for approved
//! comments (site-wide and per post).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::error::AppError;
use crate::store;
use crate::views::feeds::{AtomFeed, CommentFeed, FeedSource, PostFeed, RssFeed};
use crate::views::meta::{ATOM, RSS, tag_url};
use crate::views::posts::post_url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.xml", get(atom_feed))
        .route("/rss.xml", get(rss_feed))
        .route("/comments/feed.xml", get(comments_feed))
        .route("/posts/{slug}/comments.xml", get(post_comments_feed))
        .route("/tags/{slug}/feed.xml", get(tag_feed))
        .merge(wordpress_feed_addresses())
}

/// WordPress's feed addresses, answered with a permanent redirect so that readers
/// subscribed before a move from WordPress keep receiving posts.
fn wordpress_feed_addresses() -> Router<AppState> {
    let to = |path: &'static str| get(move || async move { super::moved_permanently(path) });
    let mut router = Router::new();
    for (from, target) in [
        ("/feed", "/feed.xml"),
        ("/feed/atom", "/feed.xml"),
        ("/feed/rss2", "/rss.xml"),
        ("/feed/rss", "/rss.xml"),
        ("/comments/feed", "/comments/feed.xml"),
    ] {
        router = router.route(from, to(target)).route(&format!("{from}/"), to(target));
    }
    router
}

/// An XML document answered with its content type.
pub fn xml(content_type: &'static str, body: String) -> Response {
    let value = HeaderValue::from_str(&format!("{content_type}; charset=utf-8"))
        .unwrap_or_else(|_| HeaderValue::from_static("application/xml; charset=utf-8"));
    ([(header::CONTENT_TYPE, value)], body).into_response()
}

fn render<T: askama::Template>(content_type: &'static str, t: &T) -> Result<Response, AppError> {
    Ok(xml(content_type, t.render()?))
}

async fn site_feed(app: &AppState) -> Result<PostFeed, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let posts = store::feeds::newest_posts(&app.store, app.now(), None, settings.feed_items).await?;
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let tags = store::feeds::tags_of(&app.store, &ids).await?;
    let featured = store::featured::of_posts(&app.store, &ids).await?;
    let changed = store::site::state(&app.store).await?.changed_at;
    let source = FeedSource { title: settings.site_title.clone(), self_path: "/feed.xml", html_path: "/" };
    Ok(PostFeed::new(&source, &settings, &app.config.base_url, &posts, &tags, &featured, changed))
}

async fn atom_feed(State(app): State<AppState>) -> Result<Response, AppError> {
    render(ATOM, &AtomFeed { feed: site_feed(&app).await? })
}

async fn rss_feed(State(app): State<AppState>) -> Result<Response, AppError> {
    let mut feed = site_feed(&app).await?;
    feed.self_url = format!("{}/rss.xml", app.config.base_url);
    render(RSS, &RssFeed { feed })
}

async fn tag_feed(State(app): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let tag = store::archive::tag_by_slug(&app.store, &slug).await?.ok_or(AppError::NotFound)?;
    let settings = store::settings::load(&app.store).await?;
    let posts = store::feeds::newest_posts(&app.store, app.now(), Some(tag.id), settings.feed_items).await?;
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let tags = store::feeds::tags_of(&app.store, &ids).await?;
    let featured = store::featured::of_posts(&app.store, &ids).await?;
    let changed = store::site::state(&app.store).await?.changed_at;
    let html_path = tag_url(&tag.slug);
    let self_path = format!("{html_path}/feed.xml");
    let source = FeedSource {
        title: format!("{} – {}", settings.site_title, tag.name),
        self_path: &self_path,
        html_path: &html_path,
    };
    render(
        ATOM,
        &AtomFeed { feed: PostFeed::new(&source, &settings, &app.config.base_url, &posts, &tags, &featured, changed) },
    )
}

async fn comments_feed(State(app): State<AppState>) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let comments = store::feeds::newest_comments(&app.store, app.now(), None, settings.feed_items).await?;
    let changed = store::site::state(&app.store).await?.changed_at;
    let title = format!("Comments for {}", settings.site_title);
    let feed = CommentFeed::new(title, "/comments/feed.xml", "/", &settings, &app.config.base_url, &comments, changed);
    render(ATOM, &feed)
}

async fn post_comments_feed(State(app): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let post = store::posts::visible_by_slug(&app.store, app.now(), &slug).await?.ok_or(AppError::NotFound)?;
    let settings = store::settings::load(&app.store).await?;
    let comments = store::feeds::newest_comments(&app.store, app.now(), Some(post.id), settings.feed_items).await?;
    let html_path = post_url(&post.slug);
    let self_path = format!("{html_path}/comments.xml");
    let title = format!("Comments on “{}”", post.title);
    let base = &app.config.base_url;
    let feed = CommentFeed::new(
        title,
        &self_path,
        &html_path,
        &settings,
        base,
        &comments,
        post.updated_at.max(post.published_at),
    );
    render(ATOM, &feed)
}

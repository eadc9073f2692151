//! Old WordPress links: a layer that answers `301` for the addresses an imported blog
//! used to have. Before the index runs it resolves `/?p=ID`, `/?page_id=ID` and
//! WordPress's other query links; after any `404` it resolves old paths (recorded
//! permalinks, `/YYYY/MM/DD/slug/`, `/slug/`, `/category/x/`, `/tag/x/`, feeds,
//! `/wp-content/uploads/...`). Browsers keep a link's `#comment-N` across the
//! redirect, and imported comments keep their WordPress numbers, so old comment
//! anchors land on the comment.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::moved_permanently;
use crate::app::AppState;
use crate::domain::percent;
use crate::domain::slug::slugify;
use crate::error::AppError;
use crate::store::{self, Store, legacy::Target};
use crate::wordpress::links::key_of_path;
use crate::wordpress::uploads::media_url;

/// The middleware (mounted innermost, so it sees the router's own `404`s).
pub async fn redirect_old_links(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    if path == "/"
        && let Some(q) = query.as_deref()
    {
        match resolve_query(&app.store, q).await {
            Ok(Query::Moved(location)) => return moved_permanently(&location),
            // A WordPress id that names nothing readers may see: 404, as WordPress answers.
            Ok(Query::Gone) => return AppError::NotFound.into_response(),
            Ok(Query::NotLegacy) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    match resolve_path(&app.store, &path, query.as_deref()).await {
        Ok(Some(location)) if location != path => moved_permanently(&location),
        Ok(_) => response,
        Err(e) => {
            tracing::warn!("resolving an old link: {e}");
            response
        }
    }
}

/// The address of a target.
pub fn url_of(target: &Target) -> String {
    match target {
        Target::Post { kind, slug } if kind == "page" => format!("/{slug}"),
        Target::Post { slug, .. } => crate::views::posts::post_url(slug),
        Target::Tag { slug } => format!("/tags/{slug}"),
        Target::Media { path } => media_url(path),
    }
}

/// The pairs of a query string, percent-decoded (`+` is a space).
fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// What a front-page query string means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// An old link to this address.
    Moved(String),
    /// An old link to something that is not here (or not public).
    Gone,
    /// Not one of WordPress's links.
    NotLegacy,
}

/// WordPress's query links to its front page.
pub async fn resolve_query(store: &Store, query: &str) -> store::Result<Query> {
    let pairs = pairs(query);
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let feed = get("feed");
    let now = store.now();
    let found = |target: Option<Target>| target.map_or(Query::Gone, |t| Query::Moved(url_of(&t)));
    for name in ["p", "page_id"] {
        if let Some(id) = get(name).and_then(|v| v.parse::<i64>().ok()) {
            return Ok(match store::legacy::visible_by_wp_id(store, now, id).await? {
                Some(Target::Post { kind, slug }) if kind == "post" && feed.is_some() => {
                    Query::Moved(format!("/posts/{slug}/comments.xml"))
                }
                target => found(target),
            });
        }
    }
    for (name, key) in [("attachment_id", "?attachment_id="), ("cat", "?cat="), ("tag", "?tag=")] {
        if let Some(value) = get(name).filter(|v| !v.is_empty()) {
            let target = match store::legacy::by_key(store, now, &format!("{key}{}", value.to_lowercase())).await? {
                None if name == "tag" => store::legacy::tag_by_slug(store, &slugify(value)).await?,
                target => target,
            };
            return Ok(found(target));
        }
    }
    if let Some(feed) = feed {
        return Ok(Query::Moved(
            if feed.starts_with("comments-") { "/comments/feed.xml" } else { "/feed.xml" }.to_owned(),
        ));
    }
    if let Some(n) = get("paged").and_then(|v| v.parse::<u64>().ok()).filter(|n| *n > 1) {
        return Ok(Query::Moved(format!("/?page={n}")));
    }
    Ok(Query::NotLegacy)
}

/// Feed names WordPress answers under `/feed/NAME/`.
const FEED_TYPES: [&str; 5] = ["feed", "rss", "rss2", "atom", "rdf"];
/// Endings WordPress adds to a post's address (comment pages, AMP, embeds...).
const POST_SUFFIXES: [&str; 4] = ["amp", "embed", "trackback", "attachment"];

/// An old path, resolved to a current address.
pub async fn resolve_path(store: &Store, path: &str, query: Option<&str>) -> store::Result<Option<String>> {
    let Some(key) = key_of_path(path) else { return Ok(None) };
    let now = store.now();
    if let Some(t) = store::legacy::by_key(store, now, &key).await? {
        return Ok(Some(url_of(&t)));
    }
    let base = store::legacy::old_base_path(store).await?.unwrap_or_default();
    let key = match key.strip_prefix(base.as_str()) {
        Some(rest) if !base.is_empty() && rest.starts_with('/') => {
            if let Some(t) = store::legacy::by_key(store, now, rest).await? {
                return Ok(Some(url_of(&t)));
            }
            rest.to_owned()
        }
        // The old blog's front page, with or without WordPress's query links.
        Some("") if !base.is_empty() => {
            let moved = match query {
                Some(q) => resolve_query(store, q).await?,
                None => Query::NotLegacy,
            };
            return Ok(match moved {
                Query::Moved(location) => Some(location),
                Query::Gone => None,
                Query::NotLegacy => Some("/".to_owned()),
            });
        }
        _ => key,
    };
    let mut segments: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();

    // Files of the old uploads folder that were imported.
    if let ["wp-content", "uploads", rest @ ..] = segments.as_slice()
        && !rest.is_empty()
    {
        let file = percent::decode(path.split("/wp-content/uploads/").nth(1).unwrap_or_default());
        return Ok(store::media::exists(store, &file).await?.then(|| media_url(&file)));
    }
    // Feeds: /feed/, /feed/atom/, /comments/feed/, /a/post/feed/, and the old files.
    let mut feed = false;
    if let [.., "feed", kind] = segments.as_slice()
        && FEED_TYPES.contains(kind)
    {
        segments.truncate(segments.len() - 2);
        feed = true;
    } else if segments.last() == Some(&"feed") {
        segments.pop();
        feed = true;
    }
    match segments.as_slice() {
        [] if feed => return Ok(Some("/feed.xml".to_owned())),
        ["comments"] if feed => return Ok(Some("/comments/feed.xml".to_owned())),
        ["wp-rss2.php" | "wp-rss.php" | "wp-atom.php" | "wp-rdf.php" | "rss" | "rss2" | "atom"] => {
            return Ok(Some("/feed.xml".to_owned()));
        }
        ["wp-commentsrss2.php"] => return Ok(Some("/comments/feed.xml".to_owned())),
        _ => {}
    }
    // Pages of listings: /page/2/ and /category/x/page/2/.
    if let [.., "page", n] = segments.as_slice()
        && n.parse::<u64>().is_ok()
    {
        let n = (*n).to_owned();
        segments.truncate(segments.len() - 2);
        if segments.is_empty() {
            return Ok(Some(format!("/?page={n}")));
        }
    }
    // Endings of a post's address.
    if let Some(last) = segments.last()
        && (last.starts_with("comment-page-") || POST_SUFFIXES.contains(last))
    {
        segments.pop();
    }
    if segments.is_empty() {
        return Ok(None);
    }
    let rest = format!("/{}", segments.join("/"));
    let target = match store::legacy::by_key(store, now, &rest).await? {
        Some(t) => Some(t),
        None => guess(store, now, &segments).await?,
    };
    Ok(target.map(|t| match t {
        Target::Post { kind, slug } if feed && kind == "post" => format!("/posts/{slug}/comments.xml"),
        t => url_of(&t),
    }))
}

/// For paths no import recorded: categories and tags by name, `/archives/ID`, and
/// any other path by its last segment as a post's old or current slug.
async fn guess(store: &Store, now: i64, segments: &[&str]) -> store::Result<Option<Target>> {
    let Some(last) = segments.last() else { return Ok(None) };
    match segments {
        ["category" | "tag", ..] => return store::legacy::tag_by_slug(store, &slugify(last)).await,
        ["archives" | "p", id] if id.parse::<i64>().is_ok() => {
            return store::legacy::visible_by_wp_id(store, now, id.parse().unwrap_or_default()).await;
        }
        _ => {}
    }
    if segments.iter().all(|s| s.bytes().all(|b| b.is_ascii_digit())) {
        // A date archive (/2013/10/): nothing to point at.
        return Ok(None);
    }
    if let Some(t) = store::legacy::by_key(store, now, &format!("/{last}")).await? {
        return Ok(Some(t));
    }
    let slug = slugify(last);
    if slug.is_empty() {
        return Ok(None);
    }
    store::legacy::visible_by_slug(store, now, &slug).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_decoded() {
        assert_eq!(
            pairs("p=5&s=a+b%21&x"),
            [("p".into(), "5".into()), ("s".into(), "a b!".into()), ("x".into(), String::new())]
        );
    }

    #[test]
    fn targets_have_their_addresses() {
        assert_eq!(url_of(&Target::Post { kind: "post".into(), slug: "a".into() }), "/posts/a");
        assert_eq!(url_of(&Target::Post { kind: "page".into(), slug: "about".into() }), "/about");
        assert_eq!(url_of(&Target::Tag { slug: "news".into() }), "/tags/news");
        assert_eq!(url_of(&Target::Media { path: "2013/10/a b.png".into() }), "/media/2013/10/a%20b.png");
    }
}

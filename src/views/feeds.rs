//! Atom and RSS feeds: askama XML templates (escaped like HTML, with numeric
//! character references) fed by the structs here.
//!
//! Entry ids never change: an imported post keeps its WordPress GUID, and every
//! other entry gets a `tag:` URI (RFC 4151) from the site's host, the day the row was
//! created and its id; neither the slug nor the title, which can be edited.

use std::borrow::Cow;
use std::collections::HashMap;

use askama::Template;
use jiff::tz::TimeZone;

use super::meta::entry_url;
use super::posts::post_url;
use crate::domain::datefmt;
use crate::domain::settings::Settings;
use crate::store::featured::Featured;
use crate::store::feeds::{FeedComment, FeedPost, FeedTag};

/// A feed of posts, rendered as Atom or RSS.
pub struct PostFeed {
    pub lang: String,
    pub title: String,
    pub subtitle: String,
    /// The feed's own URL (its Atom id and `rel="self"`).
    pub self_url: String,
    /// The page the feed mirrors.
    pub html_url: String,
    pub author: String,
    pub updated: String,
    pub updated_rfc822: String,
    pub entries: Vec<PostEntry>,
}

/// A post in a feed.
pub struct PostEntry {
    pub id: String,
    /// True when `id` is the WordPress GUID of an imported post.
    pub id_is_url: bool,
    pub title: String,
    pub url: String,
    pub author: String,
    pub published: String,
    pub updated: String,
    pub published_rfc822: String,
    pub summary: String,
    /// Sanitised when stored; links made absolute for readers off the site.
    pub content_html: String,
    pub categories: Vec<Category>,
    pub comments_url: String,
    pub comments_feed_url: String,
    pub comment_count: i64,
    /// The featured image, as an enclosure (Atom `rel="enclosure"`, RSS
    /// `<enclosure>`) and a Media RSS `media:content` that feed readers show.
    pub image: Option<FeedImage>,
}

/// A post's featured image in a feed entry.
pub struct FeedImage {
    pub url: String,
    pub content_type: String,
    pub length: i64,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl FeedImage {
    fn new(image: &Featured, base_url: &str) -> Self {
        let share = image.share_image();
        Self {
            url: xml_text(&format!("{base_url}/media/{}", share.path)).into_owned(),
            content_type: share.content_type.to_owned(),
            length: share.size,
            width: share.width,
            height: share.height,
            alt: xml_text(&image.alt).into_owned(),
        }
    }
}

/// A tag, as a feed category.
pub struct Category {
    pub term: String,
    pub label: String,
    pub scheme: String,
}

/// `templates/feeds/atom.xml`.
#[derive(Template)]
#[template(path = "feeds/atom.xml")]
pub struct AtomFeed {
    pub feed: PostFeed,
}

/// `templates/feeds/rss.xml`.
#[derive(Template)]
#[template(path = "feeds/rss.xml")]
pub struct RssFeed {
    pub feed: PostFeed,
}

/// Where a feed of posts comes from: the whole site, or one tag.
pub struct FeedSource<'a> {
    pub title: String,
    pub self_path: &'a str,
    pub html_path: &'a str,
}

impl PostFeed {
    /// `fallback_updated` dates an empty feed (the site's last change).
    pub fn new(
        source: &FeedSource<'_>,
        settings: &Settings,
        base_url: &str,
        posts: &[FeedPost],
        tags: &[FeedTag],
        featured: &HashMap<i64, Featured>,
        fallback_updated: i64,
    ) -> Self {
        let host = tag_authority(base_url);
        let updated = posts.iter().map(|p| p.updated_at.max(p.published_at)).max().unwrap_or(fallback_updated);
        let entries = posts
            .iter()
            .map(|p| {
                let url = format!("{base_url}{}", post_url(&p.slug));
                let (id, id_is_url) = match p.wp_guid.as_deref().filter(|g| is_absolute_url(g)) {
                    Some(guid) => (xml_text(guid).into_owned(), true),
                    None => (tag_uri(&host, p.created_at, &format!("post-{}", p.id)), false),
                };
                PostEntry {
                    id,
                    id_is_url,
                    title: xml_text(&p.title).into_owned(),
                    author: xml_text(&p.author_name).trim().to_owned(),
                    published: datefmt::rfc3339(p.published_at),
                    updated: datefmt::rfc3339(p.updated_at.max(p.published_at)),
                    published_rfc822: rfc822(p.published_at),
                    summary: xml_text(&p.excerpt).into_owned(),
                    content_html: absolutize(&xml_text(&p.body_html), base_url, &url),
                    categories: tags
                        .iter()
                        .filter(|t| t.post_id == p.id)
                        .map(|t| Category {
                            term: xml_text(&t.slug).into_owned(),
                            label: xml_text(&t.name).into_owned(),
                            scheme: format!("{base_url}/tags/"),
                        })
                        .collect(),
                    comments_url: format!("{url}#comments"),
                    comments_feed_url: format!("{url}/comments.xml"),
                    comment_count: p.comment_count,
                    image: featured.get(&p.id).map(|image| FeedImage::new(image, base_url)),
                    url,
                }
            })
            .collect();
        Self {
            lang: settings.language.clone(),
            title: xml_text(&source.title).into_owned(),
            subtitle: xml_text(&settings.tagline).into_owned(),
            self_url: format!("{base_url}{}", source.self_path),
            html_url: format!("{base_url}{}", source.html_path),
            author: xml_text(&settings.site_title).into_owned(),
            updated: datefmt::rfc3339(updated),
            updated_rfc822: rfc822(updated),
            entries,
        }
    }
}

/// `templates/feeds/comments.xml`: an Atom feed of approved comments.
#[derive(Template)]
#[template(path = "feeds/comments.xml")]
pub struct CommentFeed {
    pub lang: String,
    pub title: String,
    pub subtitle: String,
    pub self_url: String,
    pub html_url: String,
    pub author: String,
    pub updated: String,
    pub entries: Vec<CommentEntry>,
}

/// A comment in a feed: author name (and website) only, never an address.
pub struct CommentEntry {
    pub id: String,
    pub title: String,
    pub url: String,
    pub author: String,
    pub author_uri: Option<String>,
    pub published: String,
    /// Sanitised when stored; links made absolute.
    pub content_html: String,
    /// Atom threading (RFC 4685): the post's entry id and URL.
    pub post_id: String,
    pub post_url: String,
}

impl CommentFeed {
    pub fn new(
        title: String,
        self_path: &str,
        html_path: &str,
        settings: &Settings,
        base_url: &str,
        comments: &[FeedComment],
        fallback_updated: i64,
    ) -> Self {
        let host = tag_authority(base_url);
        let updated = comments.iter().map(|c| c.comment.created_at).max().unwrap_or(fallback_updated);
        let entries = comments
            .iter()
            .map(|row| {
                let c = &row.comment;
                let post_url = format!("{base_url}{}", entry_url(row.post_kind, &row.post_slug));
                let url = format!("{post_url}#comment-{}", c.id);
                let author = if c.author_name.trim().is_empty() { "Anonymous" } else { c.author_name.trim() };
                let post_id = match row.post_wp_guid.as_deref().filter(|g| is_absolute_url(g)) {
                    Some(guid) => xml_text(guid).into_owned(),
                    None => tag_uri(&host, row.post_created_at, &format!("post-{}", row.post_id)),
                };
                CommentEntry {
                    id: tag_uri(&host, c.created_at, &format!("comment-{}", c.id)),
                    title: xml_text(&format!("Comment on {} by {}", isolate(&row.post_title), isolate(author)))
                        .into_owned(),
                    author: xml_text(&strip_bidi(author)).into_owned(),
                    author_uri: Some(c.author_url.as_str())
                        .filter(|u| is_absolute_url(u))
                        .map(|u| xml_text(u).into_owned()),
                    published: datefmt::rfc3339(c.created_at),
                    content_html: absolutize(&xml_text(&c.body_html), base_url, &post_url),
                    post_id,
                    post_url,
                    url,
                }
            })
            .collect();
        Self {
            lang: settings.language.clone(),
            title: xml_text(&title).into_owned(),
            subtitle: xml_text(&settings.tagline).into_owned(),
            self_url: format!("{base_url}{self_path}"),
            html_url: format!("{base_url}{html_path}"),
            author: xml_text(&settings.site_title).into_owned(),
            updated: datefmt::rfc3339(updated),
            entries,
        }
    }
}

/// The `tag:` URI authority of a base URL: its host, without scheme, port or path.
pub fn tag_authority(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    let host = if host_port.starts_with('[') { "localhost" } else { host_port.split(':').next().unwrap_or(host_port) };
    if host.is_empty() { "localhost".to_owned() } else { host.to_ascii_lowercase() }
}

/// `tag:{authority},{YYYY-MM-DD}:{specific}`, dated the (UTC) day of `unix`.
pub fn tag_uri(authority: &str, unix: i64, specific: &str) -> String {
    format!("tag:{authority},{}:{specific}", datefmt::format(unix, &TimeZone::UTC, "Y-m-d"))
}

/// An RFC 822 date, as RSS wants it.
pub fn rfc822(unix: i64) -> String {
    datefmt::format(unix, &TimeZone::UTC, "r")
}

fn is_absolute_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.contains(char::is_whitespace)
}

/// Text without the characters XML 1.0 forbids (C0 controls other than tab, line
/// feed and carriage return; U+FFFE and U+FFFF), which would make a feed unreadable.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    let bad = |c: char| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}';
    if s.contains(bad) { Cow::Owned(s.chars().filter(|c| !bad(*c)).collect()) } else { Cow::Borrowed(s) }
}

/// True for the characters that change the direction of the text after them:
/// embeddings, overrides, isolates and marks (the page wraps names in `<bdi>` instead).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` without bidi controls.
fn strip_bidi(s: &str) -> Cow<'_, str> {
    if s.contains(is_bidi_control) {
        Cow::Owned(s.chars().filter(|c| !is_bidi_control(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` without bidi controls and, when it has right-to-left letters, as a first-strong
/// isolate (U+2068 … U+2069): the plain-text counterpart of the `<bdi>` on the pages,
/// so a right-to-left name keeps its direction without turning the rest of a title
/// around. Left-to-right text comes back as it was.
fn isolate(s: &str) -> Cow<'_, str> {
    let plain = strip_bidi(s);
    if plain.chars().any(is_right_to_left) { Cow::Owned(format!("\u{2068}{plain}\u{2069}")) } else { plain }
}

/// True for letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko,
/// Samaritan, Mandaic and their presentation forms, and the historic scripts above U+10800).
fn is_right_to_left(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFE}' | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
}

/// Makes the links of sanitised HTML absolute: `/path` gets the base URL and
/// `#fragment` the page's URL, so they work in a feed reader. Only attribute values
/// inside tags change (sanitised HTML always double-quotes them); text is untouched.
pub fn absolutize(html: &str, base_url: &str, page_url: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let (mut in_tag, mut in_quotes, mut copied) = (false, false, 0);
    for (i, b) in html.bytes().enumerate() {
        match b {
            b'<' if !in_tag => in_tag = true,
            b'>' if in_tag && !in_quotes => in_tag = false,
            b'"' if in_tag => {
                if !in_quotes {
                    let (before, value) = html.split_at(i);
                    let value = value.get(1..).unwrap_or_default();
                    let prefix = if !is_link_attribute(before) {
                        None
                    } else if value.starts_with('/') && !value.starts_with("//") {
                        Some(base_url)
                    } else if value.starts_with('#') {
                        Some(page_url)
                    } else {
                        None
                    };
                    if let Some(prefix) = prefix {
                        out.push_str(html.get(copied..=i).unwrap_or_default());
                        out.push_str(prefix);
                        copied = i + 1;
                    }
                }
                in_quotes = !in_quotes;
            }
            _ => {}
        }
    }
    out.push_str(html.get(copied..).unwrap_or_default());
    out
}

/// True when `before` (the HTML up to an opening quote) ends with ` href=`, ` src=`
/// or ` poster=`.
fn is_link_attribute(before: &str) -> bool {
    let Some(name) = before.strip_suffix('=') else { return false };
    ["href", "src", "poster"]
        .iter()
        .any(|a| name.strip_suffix(a).is_some_and(|rest| rest.ends_with(|c: char| c.is_ascii_whitespace())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_uris_use_the_host_and_the_creation_day() {
        assert_eq!(tag_authority("https://Blog.Example/"), "blog.example");
        assert_eq!(tag_authority("http://127.0.0.1:3000"), "127.0.0.1");
        assert_eq!(tag_authority("http://[::1]:3000"), "localhost");
        assert_eq!(tag_uri("blog.example", 1_381_572_000, "post-1"), "tag:blog.example,2013-10-12:post-1");
    }

    #[test]
    fn rss_dates_are_rfc_822() {
        assert_eq!(rfc822(1_381_694_460), "Sun, 13 Oct 2013 20:01:00 +0000");
    }

    #[test]
    fn control_characters_are_dropped_from_xml_text() {
        assert_eq!(xml_text("a\u{0}b\u{b}c\td\ne\u{ffff}"), "abc\td\ne");
        assert!(matches!(xml_text("clean"), Cow::Borrowed(_)));
    }

    #[test]
    fn isolates_hold_names_and_titles_without_their_own_controls() {
        assert_eq!(isolate("\u{202E}evil\u{2069}\u{200F}"), "evil");
        assert_eq!(isolate("\u{202E}שלום"), "\u{2068}שלום\u{2069}");
        assert!(matches!(isolate("Year of the Stakhanovite"), Cow::Borrowed(_)));
        assert!(matches!(strip_bidi("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn relative_links_become_absolute() {
        let html = r##"<p><a href="/posts/x">x</a> <a href="#fn1">1</a> <img src="/m.png"> <a href="//cdn/x">c</a> <a href="https://o/">o</a> <abbr data-href="/no">n</abbr> <code>src="/text"</code></p>"##;
        let out = absolutize(html, "https://b.example", "https://b.example/posts/p");
        assert!(out.contains(r#"href="https://b.example/posts/x""#), "{out}");
        assert!(out.contains(r##"href="https://b.example/posts/p#fn1""##), "{out}");
        assert!(out.contains(r#"src="https://b.example/m.png""#), "{out}");
        assert!(out.contains(r#"href="//cdn/x""#) && out.contains(r#"href="https://o/""#), "{out}");
        assert!(out.contains(r#"data-href="/no""#), "{out}");
        assert!(out.contains(r#"<code>src="/text"</code>"#), "text is not a link: {out}");
    }
}

//! What a page's `<head>` tells feed readers, crawlers and link previews: feed
//! alternates, Open Graph and Twitter card tags, robots directives and JSON-LD;
//! plus the URL helpers the discovery pages share.

use super::Layout;
use crate::domain::SafeHtml;
use crate::domain::percent;
use crate::domain::settings::Settings;
use crate::domain::status::PostKind;

/// Head metadata of a page (`templates/partials/head_meta.html`).
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// The title link previews show: the page's own title, without the site's.
    pub share_title: String,
    /// Open Graph type: `website`, or `article` for posts.
    pub og_type: &'static str,
    /// Absolute URL of an image for link previews.
    pub image: Option<String>,
    /// The preview image's size, type and alt text, when known (a featured image).
    pub image_size: Option<(u32, u32)>,
    pub image_type: Option<String>,
    pub image_alt: Option<String>,
    /// RFC 3339 times and tags of an article.
    pub published: Option<String>,
    pub modified: Option<String>,
    pub tags: Vec<String>,
    /// `<link rel="alternate">` feeds, the site's first.
    pub feeds: Vec<FeedLink>,
    /// A `BlogPosting` (or other) JSON-LD object, escaped for a script data block.
    pub json_ld: Option<SafeHtml>,
    /// Ask crawlers not to index this page (search results).
    pub noindex: bool,
    /// What the search box in the header shows.
    pub search_query: String,
}

/// A feed a page advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub href: String,
}

/// Content types of the feeds.
pub const ATOM: &str = "application/atom+xml";
pub const RSS: &str = "application/rss+xml";

impl Meta {
    /// The metadata every page starts with: the site's feeds, a `website` preview.
    pub fn new(settings: &Settings, base_url: &str, title: Option<&str>) -> Self {
        let site = &settings.site_title;
        Self {
            share_title: title.filter(|t| !t.is_empty()).unwrap_or(site).to_owned(),
            og_type: "website",
            feeds: vec![
                FeedLink { mime: ATOM, title: format!("{site} – Feed"), href: format!("{base_url}/feed.xml") },
                FeedLink { mime: RSS, title: format!("{site} – RSS Feed"), href: format!("{base_url}/rss.xml") },
                FeedLink {
                    mime: ATOM,
                    title: format!("{site} – Comments Feed"),
                    href: format!("{base_url}/comments/feed.xml"),
                },
            ],
            ..Self::default()
        }
    }
}

/// An article's facts for its head metadata.
#[derive(Debug, Clone)]
pub struct Article<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub published: i64,
    pub modified: i64,
    pub author: &'a str,
    pub tags: &'a [String],
    pub comment_count: usize,
    pub image: Option<String>,
}

impl Layout {
    /// Advertises one more feed (a post's comments, a tag's posts).
    pub fn with_feed(mut self, mime: &'static str, title: String, href: String) -> Self {
        self.meta.feeds.push(FeedLink { mime, title, href });
        self
    }

    /// Marks the page as a blog post: Open Graph `article` tags and JSON-LD
    /// `BlogPosting` with the comment count.
    pub fn article(mut self, a: &Article<'_>, settings: &Settings, base_url: &str) -> Self {
        use crate::domain::datefmt::rfc3339;
        let modified = a.modified.max(a.published);
        self.meta.og_type = "article";
        self.meta.published = Some(rfc3339(a.published));
        self.meta.modified = Some(rfc3339(modified));
        self.meta.tags = a.tags.to_vec();
        self.meta.image.clone_from(&a.image);
        let author = if a.author.trim().is_empty() {
            serde_json::json!({ "@type": "Organization", "name": settings.site_title, "url": format!("{base_url}/") })
        } else {
            serde_json::json!({ "@type": "Person", "name": a.author })
        };
        let mut posting = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "@id": format!("{}#post", a.url),
            "url": a.url,
            "mainEntityOfPage": a.url,
            "headline": a.title,
            "description": a.description,
            "datePublished": rfc3339(a.published),
            "dateModified": rfc3339(modified),
            "inLanguage": settings.language,
            "author": author,
            "publisher": { "@type": "Organization", "name": settings.site_title, "url": format!("{base_url}/") },
            "isPartOf": { "@type": "Blog", "name": settings.site_title, "url": format!("{base_url}/") },
            "commentCount": a.comment_count,
        });
        if let Some(map) = posting.as_object_mut() {
            if !a.tags.is_empty() {
                map.insert("keywords".to_owned(), serde_json::json!(a.tags));
            }
            if let Some(image) = &a.image {
                map.insert("image".to_owned(), serde_json::Value::String(image.clone()));
            }
        }
        self.meta.json_ld = Some(json_for_script(&posting));
        self
    }

    /// Makes a featured image the page's link-preview image, with its size, type and
    /// alt text (the post's JSON-LD `image` names the same file, see `article`).
    pub fn share_image(mut self, image: &crate::store::featured::Featured, base_url: &str) -> Self {
        let share = image.share_image();
        self.meta.image = Some(format!("{base_url}/media/{}", share.path));
        self.meta.image_size = Some((share.width, share.height));
        self.meta.image_type = Some(share.content_type.to_owned());
        self.meta.image_alt = Some(image.alt.clone()).filter(|a| !a.trim().is_empty());
        self
    }

    /// Keeps the page out of search engines' indexes (links are still followed).
    pub fn noindex(mut self) -> Self {
        self.meta.noindex = true;
        self
    }

    /// Fills the header's search box.
    pub fn searching(mut self, query: &str) -> Self {
        self.meta.search_query = query.to_owned();
        self
    }
}

/// JSON text that can stand inside `<script type="application/ld+json">`: `<`, `>`
/// and `&` are written as `\u` escapes, so no `</script>` or `<!--` can appear and
/// the text means the same to a JSON parser.
pub fn json_for_script(value: &serde_json::Value) -> SafeHtml {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    SafeHtml::trusted(out)
}

/// The public URL path of a tag's page.
pub fn tag_url(slug: &str) -> String {
    format!("/tags/{}", percent::component(slug))
}

/// The public URL path of a static page (`kind = 'page'`).
pub fn page_url(slug: &str) -> String {
    format!("/{slug}")
}

/// The URL path of a post or a page.
pub fn entry_url(kind: PostKind, slug: &str) -> String {
    if kind == PostKind::Page { page_url(slug) } else { super::posts::post_url(slug) }
}

/// The first image of a rendered body, as an absolute URL, for link previews.
pub fn first_image(body_html: &str, base_url: &str) -> Option<String> {
    let start = body_html.find("<img ")?;
    let tag = body_html.get(start..)?;
    let tag = tag.get(..tag.find('>')?)?;
    let src = tag.split(" src=\"").nth(1)?.split('"').next()?;
    let src = src.replace("&amp;", "&");
    if src.starts_with("https://") || src.starts_with("http://") {
        Some(src)
    } else if src.starts_with('/') && !src.starts_with("//") {
        Some(format!("{base_url}{src}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_block_cannot_close_it() {
        let v = serde_json::json!({ "headline": "</script><script>alert(1)</script> & <!--" });
        let s = json_for_script(&v);
        assert!(!s.as_str().contains('<') && !s.as_str().contains('>'), "{s}");
        let back: serde_json::Value = serde_json::from_str(s.as_str()).unwrap_or_default();
        assert_eq!(back, v, "the escapes mean the same to a JSON parser");
    }

    #[test]
    fn slugs_are_encoded_as_path_segments() {
        assert_eq!(tag_url("rust-lang"), "/tags/rust-lang");
        assert_eq!(tag_url("a b/c?"), "/tags/a%20b%2Fc%3F");
    }

    #[test]
    fn previews_use_the_first_absolute_or_rooted_image() {
        let base = "https://blog.example";
        assert_eq!(
            first_image(r#"<p>x</p><img alt="a" src="/media/a.png?x=1&amp;y=2"><img src="https://b/c.png">"#, base),
            Some("https://blog.example/media/a.png?x=1&y=2".to_owned())
        );
        assert_eq!(first_image(r#"<img src="relative.png">"#, base), None);
        assert_eq!(first_image("<p>no image</p>", base), None);
    }
}

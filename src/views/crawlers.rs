//! For crawlers: the sitemap (an askama XML template) and robots.txt.

use askama::Template;

use super::feeds::xml_text;
use super::meta::{entry_url, tag_url};
use crate::domain::datefmt;
use crate::store::feeds::{SitemapPost, SitemapTag};

/// `templates/feeds/sitemap.xml`.
#[derive(Template)]
#[template(path = "feeds/sitemap.xml")]
pub struct Sitemap {
    pub urls: Vec<SitemapUrl>,
}

/// One `<url>` of the sitemap.
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// The most URLs one sitemap file may list (sitemaps.org).
pub const SITEMAP_LIMIT: u32 = 50_000;

impl Sitemap {
    pub fn new(base_url: &str, posts: &[SitemapPost], tags: &[SitemapTag]) -> Self {
        let newest = posts.iter().map(|p| p.updated_at.max(p.published_at)).max();
        let mut urls = vec![SitemapUrl { loc: format!("{base_url}/"), lastmod: newest.map(datefmt::rfc3339) }];
        urls.extend(posts.iter().map(|p| {
            let lastmod = p.updated_at.max(p.published_at).max(p.last_comment_at.unwrap_or(0));
            SitemapUrl {
                loc: format!("{base_url}{}", xml_text(&entry_url(p.kind, &p.slug))),
                lastmod: Some(datefmt::rfc3339(lastmod)),
            }
        }));
        urls.extend(tags.iter().map(|t| SitemapUrl {
            loc: format!("{base_url}{}", tag_url(&t.slug)),
            lastmod: Some(datefmt::rfc3339(t.last_updated_at.max(t.last_published_at))),
        }));
        Self { urls }
    }
}

/// robots.txt: everything but the admin panel, and where the sitemap is.
pub fn robots_txt(base_url: &str) -> String {
    format!("User-agent: *\nDisallow: /admin\n\nSitemap: {base_url}/sitemap.xml\n")
}

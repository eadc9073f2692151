//! Page types: one askama struct per template, built from store rows and settings.
//! Views do no I/O.

pub mod admin;
pub mod archive;
pub mod comments;
pub mod crawlers;
pub mod errors;
pub mod feeds;
pub mod mail;
pub mod meta;
pub mod own_comments;
pub mod pager;
pub mod pages;
pub mod posts;
pub mod search;

use askama::Template;
use axum::response::Html;

use crate::assets;
use crate::domain::settings::Settings;
use crate::error::AppError;

/// What every page's layout (`base.html`) shows.
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_title: String,
    pub tagline: String,
    pub lang: String,
    /// The `<title>`.
    pub title: String,
    /// The meta description; empty leaves it out.
    pub description: String,
    /// Absolute canonical URL of this page.
    pub canonical: String,
    pub stylesheet: String,
    pub favicon: String,
    /// Feeds, link previews, JSON-LD and the search box (see `views::meta`).
    pub meta: meta::Meta,
    /// The navigation's page links after Home.
    pub nav: Vec<crate::domain::settings::NavLink>,
    /// `/custom.css?v=...` when the site has custom CSS.
    pub custom_css: Option<String>,
}

impl Layout {
    /// A layout for the page at `path` (beginning with `/`), titled `title`
    /// (the site title alone when `None`).
    pub fn new(settings: &Settings, base_url: &str, path: &str, title: Option<&str>) -> Self {
        let meta = meta::Meta::new(settings, base_url, title);
        let title = match title {
            Some(t) if !t.is_empty() => format!("{t} – {}", settings.site_title),
            _ if settings.tagline.is_empty() => settings.site_title.clone(),
            _ => format!("{} – {}", settings.site_title, settings.tagline),
        };
        Self {
            site_title: settings.site_title.clone(),
            tagline: settings.tagline.clone(),
            lang: settings.language.clone(),
            title,
            // Every page has a description; pages with their own replace the tagline.
            description: if settings.tagline.is_empty() {
                settings.site_title.clone()
            } else {
                settings.tagline.clone()
            },
            canonical: format!("{base_url}{path}"),
            stylesheet: assets::url("style.css"),
            favicon: assets::url("favicon.svg"),
            meta,
            nav: settings.nav.clone(),
            custom_css: pages::custom_css_url(&settings.custom_css),
        }
    }

    /// Sets the meta description (an empty one keeps the site's default).
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        let description = description.into();
        if !description.trim().is_empty() {
            self.description = description;
        }
        self
    }
}

/// Renders a page template to an HTML response.
pub fn render<T: Template>(page: &T) -> Result<Html<String>, AppError> {
    Ok(Html(page.render()?))
}

//! Page types: one askama struct per template, built from store rows and settings.
//! Views do no I/O.

pub mod admin;
pub mod comments;
pub mod errors;
pub mod pages;
pub mod posts;

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
    /// The navigation's page links after Home.
    pub nav: Vec<crate::domain::settings::NavLink>,
    /// `/custom.css?v=...` when the site has custom CSS.
    pub custom_css: Option<String>,
}

impl Layout {
    /// A layout for the page at `path` (beginning with `/`), titled `title`
    /// (the site title alone when `None`).
    pub fn new(settings: &Settings, base_url: &str, path: &str, title: Option<&str>) -> Self {
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
            description: String::new(),
            canonical: format!("{base_url}{path}"),
            stylesheet: assets::url("style.css"),
            favicon: assets::url("favicon.svg"),
            nav: settings.nav.clone(),
            custom_css: pages::custom_css_url(&settings.custom_css),
        }
    }

    /// Sets the meta description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

/// Renders a page template to an HTML response.
pub fn render<T: Template>(page: &T) -> Result<Html<String>, AppError> {
    Ok(Html(page.render()?))
}

//! Standalone pages (About, Contact) and the custom stylesheet's address.

use askama::Template;

use super::Layout;
use crate::domain::secret;
use crate::store::posts::PublicPost;

/// `templates/pages/show.html`.
#[derive(Template)]
#[template(path = "pages/show.html")]
pub struct PageView {
    pub layout: Layout,
    pub id: i64,
    pub title: String,
    /// Sanitised when stored.
    pub body_html: String,
    /// The featured image's markup, when the page has one and the site shows it.
    pub featured: Option<crate::domain::SafeHtml>,
}

impl PageView {
    pub fn new(layout: Layout, page: &PublicPost) -> Self {
        Self { layout, id: page.id, title: page.title.clone(), body_html: page.body_html.clone(), featured: None }
    }

    /// Shows `image` at the top of the page (see [`super::posts::PostPage::show_featured`]).
    pub fn show_featured(&mut self, image: &crate::store::featured::Featured) {
        self.featured = Some(super::posts::featured_html(image, false));
        self.body_html = crate::domain::responsive::lazy_images(&self.body_html);
    }
}

/// The URL of the custom stylesheet, versioned by its content so that a change is
/// fetched at once; `None` when there is none.
pub fn custom_css_url(css: &str) -> Option<String> {
    (!css.trim().is_empty()).then(|| format!("/custom.css?v={}", css_version(css)))
}

/// A short content hash of the custom CSS, also its ETag.
pub fn css_version(css: &str) -> String {
    secret::hash_token(css).chars().take(12).collect()
}

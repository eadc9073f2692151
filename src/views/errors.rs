//! The error page, in the site's layout.

use askama::Template;
use axum::http::StatusCode;

use super::Layout;

/// `templates/error.html`.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub layout: Layout,
    pub code: u16,
    pub heading: String,
    pub message: String,
}

impl ErrorView {
    pub fn new(mut layout: Layout, status: StatusCode, message: String) -> Self {
        let heading = match status {
            StatusCode::NOT_FOUND => "Page not found".to_owned(),
            StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong".to_owned(),
            s => s.canonical_reason().unwrap_or("Error").to_owned(),
        };
        layout.title = format!("{heading} – {}", layout.site_title);
        // An error answer is not a page to index or share.
        layout.canonical.clear();
        Self { layout, code: status.as_u16(), heading, message }
    }
}

/// A minimal page for when even the error template fails to render.
pub fn fallback_html(status: StatusCode, message: &str) -> String {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title></head>\
         <body><h1>{code}</h1><p>{escaped}</p><p><a href=\"/\">Home</a></p></body></html>",
        code = status.as_u16()
    )
}

//! The Privacy page: export, erase or delete a commenter's data by address, the
//! request log, and the privacy notice.

use askama::Template;

use super::AdminLayout;
use crate::store::commenters::Request;

/// `templates/admin/privacy.html`.
#[derive(Template)]
#[template(path = "admin/privacy.html")]
pub struct PrivacyPage {
    pub layout: AdminLayout,
    /// The address typed (kept when the form is shown again).
    pub email: String,
    pub error: String,
    pub requests: Vec<RequestRow>,
    /// The page at `/privacy`, when there is one.
    pub notice_page: Option<i64>,
}

/// A request with its time formatted.
pub struct RequestRow {
    pub request: Request,
    pub when: String,
}

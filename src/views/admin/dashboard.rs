//! The dashboard: what needs attention, and what changed lately.

use askama::Template;

use super::AdminLayout;
use super::comments::CommentRow;
use super::posts::PostListRow;
use crate::domain::status::CommentStatus;

/// `templates/admin/dashboard.html`.
#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub layout: AdminLayout,
    pub pending: i64,
    pub approved: i64,
    pub spam: i64,
    pub posts: i64,
    pub drafts: i64,
    pub scheduled: i64,
    pub pages: i64,
    pub comments: Vec<CommentRow>,
    pub recent: Vec<PostListRow>,
}

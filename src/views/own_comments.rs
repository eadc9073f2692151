//! A commenter's own pages: editing a comment within the edit window, and "your
//! comments" (the list, its export, and the confirmations of erasing and deleting).
//! These pages show one commenter their own data only, and are `private, no-store`.

use askama::Template;

use super::Layout;
use super::posts::post_url;
use crate::domain::settings::Settings;
use crate::domain::status::CommentStatus;
use crate::domain::{FieldErrors, datefmt};
use crate::store::commenters::Written;

/// `templates/comments/edit.html`.
#[derive(Template)]
#[template(path = "comments/edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub action: String,
    pub delete_url: String,
    pub post_path: String,
    pub post_title: String,
    pub text: String,
    pub errors: FieldErrors,
    /// "until 3:45 pm".
    pub until: String,
    pub max_chars: usize,
}

/// `templates/comments/manage.html`: the list of an address's comments with the
/// actions, or (`export`) the readable copy of everything stored.
#[derive(Template)]
#[template(path = "comments/manage.html")]
pub struct ManagePage {
    pub layout: Layout,
    pub export: bool,
    /// The signed part of the link (`?expires=…&sig=…`), appended to every action.
    pub query: String,
    pub base: String,
    pub comments: Vec<WrittenView>,
    /// The subscriptions page, when the address has any.
    pub subscriptions_url: Option<String>,
}

/// A comment on its author's page.
pub struct WrittenView {
    pub post_title: String,
    pub post_path: String,
    pub date: String,
    /// A held comment (spam included) says "held".
    pub status: &'static str,
    pub name: String,
    pub website: String,
    pub ip: String,
    pub user_agent: String,
    pub text: String,
    pub anchor: String,
}

/// What a commenter is told about a comment's status: spam is "held" (they are not
/// told how it was judged).
pub fn status_word(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Approved => "published",
        CommentStatus::Trash => "removed",
        CommentStatus::Pending | CommentStatus::Spam | CommentStatus::Importing => "held",
    }
}

impl WrittenView {
    pub fn new(c: &Written, settings: &Settings) -> Self {
        let zone = settings.zone();
        Self {
            post_title: c.post_title.clone(),
            post_path: post_url(&c.post_slug),
            date: format!(
                "{} at {}",
                datefmt::format(c.created_at, &zone, &settings.date_format),
                datefmt::format(c.created_at, &zone, &settings.time_format)
            ),
            status: status_word(c.status),
            name: c.author_name.clone(),
            website: c.author_url.clone(),
            ip: c.author_ip.clone(),
            user_agent: c.user_agent.clone(),
            text: c.body.clone(),
            anchor: format!("#comment-{}", c.id),
        }
    }
}

/// The JSON export: every comment, with the post it is on, and the subscriptions.
pub fn export_json(email: &str, comments: &[Written], subscriptions: &[(String, String)], base_url: &str) -> String {
    let comments: Vec<serde_json::Value> = comments
        .iter()
        .map(|c| {
            serde_json::json!({
                "post": { "title": c.post_title, "url": format!("{base_url}{}", post_url(&c.post_slug)) },
                "date": datefmt::rfc3339(c.created_at),
                "status": status_word(c.status),
                "name": c.author_name,
                "website": c.author_url,
                "ip_address": c.author_ip,
                "user_agent": c.user_agent,
                "text": c.body,
            })
        })
        .collect();
    let subscriptions: Vec<serde_json::Value> = subscriptions
        .iter()
        .map(|(title, path)| serde_json::json!({ "post": { "title": title, "url": format!("{base_url}{path}") } }))
        .collect();
    let doc = serde_json::json!({ "email": email, "comments": comments, "subscriptions": subscriptions });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

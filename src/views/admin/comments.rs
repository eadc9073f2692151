//! The moderation queue and the comment editor. Admin-only: rows carry email and IP.

use askama::Template;

use super::{AdminLayout, Tab, date_time};
use crate::domain::FieldErrors;
use crate::domain::percent;
use crate::domain::queue::{Action, CommentForm, rule_label, status_label};
use crate::domain::settings::Settings;
use crate::domain::spam::{self, Verdict};
use crate::domain::status::{CommentKind, CommentStatus, PostKind, PostStatus};
use crate::store::moderation::AdminComment;
use crate::views::pager::Pager;

/// `templates/admin/comments.html`.
#[derive(Template)]
#[template(path = "admin/comments.html")]
pub struct CommentsPage {
    pub layout: AdminLayout,
    pub tabs: Vec<Tab>,
    /// The current view: all, pending, approved, spam or trash.
    pub view: String,
    pub search: String,
    pub rows: Vec<CommentRow>,
    pub total: i64,
    pub pager: Pager,
    /// This listing's own URL, to come back to after an action.
    pub back: String,
    /// The bulk actions this view offers.
    pub bulk: Vec<RowAction>,
    /// "spam" or "trash" when the view can be emptied.
    pub empty: Option<&'static str>,
}

/// A comment as a row of the queue.
#[derive(Debug, Clone)]
pub struct CommentRow {
    pub id: i64,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    /// The queue searched for this IP.
    pub ip_search_url: String,
    pub user_agent: String,
    pub by_admin: bool,
    pub kind_label: String,
    pub post_title: String,
    /// The public address of the post, when readers can see it.
    pub post_url: Option<String>,
    pub post_edit_url: String,
    /// The comment this one replies to, and its author.
    pub parent_id: Option<i64>,
    pub parent_author: String,
    pub date: String,
    /// Sanitised when stored.
    pub body_html: String,
    pub status: CommentStatus,
    pub status_label: &'static str,
    pub rule: String,
    pub actions: Vec<RowAction>,
    /// The spam filter's score and strongest reasons, for a held or spam comment it
    /// scored.
    pub spam: Option<SpamView>,
}

/// Why the spam filter scored a comment as it did.
#[derive(Debug, Clone)]
pub struct SpamView {
    /// e.g. "97%".
    pub score: String,
    /// e.g. "link to casino-xyz.example +3.1", strongest first.
    pub reasons: Vec<String>,
}

impl SpamView {
    pub fn new(v: &Verdict) -> Self {
        Self {
            score: format!("{:.0}%", v.score * 100.0),
            reasons: v.reasons.iter().map(|(f, w)| format!("{} {w:+.1}", spam::describe(f))).collect(),
        }
    }
}

/// A moderation button.
#[derive(Debug, Clone, Copy)]
pub struct RowAction {
    pub name: &'static str,
    pub label: &'static str,
    /// Permanent: the button asks for confirmation first.
    pub destructive: bool,
    /// The usual next step (approving a pending comment): shown prominently.
    pub primary: bool,
}

impl RowAction {
    pub fn new(action: Action) -> Self {
        Self {
            name: action.as_str(),
            label: action.label(),
            destructive: action == Action::Delete,
            primary: action == Action::Approve,
        }
    }
}

impl CommentRow {
    pub fn new(c: &AdminComment, settings: &Settings, now: i64) -> Self {
        let visible = matches!(c.post_status, PostStatus::Published | PostStatus::Scheduled)
            && c.post_published_at.is_some_and(|t| t <= now);
        let post_url = visible.then(|| public_url(c.post_kind, &c.post_slug));
        Self {
            id: c.id,
            author: crate::views::comments::author_name(&c.author_name),
            email: c.author_email.clone(),
            url: c.author_url.clone(),
            ip: c.author_ip.clone(),
            ip_search_url: format!("/admin/comments?status=all&s={}", percent::component(&c.author_ip)),
            user_agent: c.user_agent.clone(),
            by_admin: c.user_id.is_some(),
            kind_label: match c.kind {
                CommentKind::Pingback => "Pingback".to_owned(),
                CommentKind::Trackback => "Trackback".to_owned(),
                CommentKind::Comment => String::new(),
            },
            post_title: c.post_title.clone(),
            post_url,
            post_edit_url: edit_url(c.post_kind, c.post_id),
            parent_id: c.parent_id,
            parent_author: match c.parent_author.as_deref().map(str::trim) {
                None | Some("") => "Anonymous".to_owned(),
                Some(name) => name.to_owned(),
            },
            date: date_time(c.created_at, settings),
            body_html: c.body_html.clone(),
            status: c.status,
            status_label: status_label(c.status),
            rule: rule_label(&c.rule),
            actions: Action::for_status(c.status).iter().map(|a| RowAction::new(*a)).collect(),
            spam: None,
        }
    }
}

/// The public address of a post or page.
pub fn public_url(kind: PostKind, slug: &str) -> String {
    if kind == PostKind::Page { format!("/{slug}") } else { format!("/posts/{slug}") }
}

/// The editor's address for a post or page.
pub fn edit_url(kind: PostKind, id: i64) -> String {
    if kind == PostKind::Page { format!("/admin/pages/{id}/edit") } else { format!("/admin/posts/{id}/edit") }
}

/// `templates/admin/comment_edit.html`: edit a comment, or reply to it.
#[derive(Template)]
#[template(path = "admin/comment_edit.html")]
pub struct CommentEditPage {
    pub layout: AdminLayout,
    pub row: CommentRow,
    pub form: CommentForm,
    pub errors: FieldErrors,
    pub reply: String,
    pub reply_error: String,
    pub statuses: Vec<StatusOption>,
}

/// An option of the status select.
#[derive(Debug, Clone)]
pub struct StatusOption {
    pub value: CommentStatus,
    pub label: &'static str,
    pub selected: bool,
}

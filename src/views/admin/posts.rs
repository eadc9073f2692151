//! The post and page lists and the editor.

use askama::Template;

use super::comments::{edit_url, public_url};
use super::{AdminLayout, Tab, date_time};
use crate::domain::FieldErrors;
use crate::domain::editor::{PostForm, PostKind};
use crate::domain::settings::Settings;
use crate::domain::status::PostStatus;
use crate::store::editor::PostRow;
use crate::views::pager::Pager;

/// `templates/admin/posts.html`: posts or pages.
#[derive(Template)]
#[template(path = "admin/posts.html")]
pub struct PostsPage {
    pub layout: AdminLayout,
    pub is_page: bool,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub tabs: Vec<Tab>,
    pub view: String,
    pub search: String,
    pub rows: Vec<PostListRow>,
    pub total: i64,
    pub pager: Pager,
}

/// A post or page in a list.
#[derive(Debug, Clone)]
pub struct PostListRow {
    pub id: i64,
    pub title: String,
    /// What readers can see now: published, scheduled, draft or trash.
    pub status: PostStatus,
    pub status_label: &'static str,
    pub date_label: &'static str,
    pub date: String,
    pub author: String,
    pub tags: String,
    pub approved: i64,
    pub pending: i64,
    pub menu_order: i64,
    pub edit_url: String,
    pub public_url: Option<String>,
    /// `/admin/posts/{id}` or `/admin/pages/{id}`, for the row's actions.
    pub action_base: String,
}

impl PostListRow {
    pub fn new(p: &PostRow, tags: Vec<&str>, settings: &Settings, now: i64) -> Self {
        let status = effective_status(p.status, p.published_at, now);
        let (date_label, at) = match (status, p.published_at) {
            (PostStatus::Published, Some(t)) => ("Published", t),
            (PostStatus::Scheduled, Some(t)) => ("Scheduled for", t),
            _ => ("Last modified", p.updated_at),
        };
        let plural = if p.kind == PostKind::Page { "pages" } else { "posts" };
        Self {
            id: p.id,
            title: if p.title.trim().is_empty() { "(no title)".to_owned() } else { p.title.clone() },
            status,
            status_label: status_label(status),
            date_label,
            date: date_time(at, settings),
            author: p.author_name.clone(),
            tags: tags.join(", "),
            approved: p.approved_comments,
            pending: p.pending_comments,
            menu_order: p.menu_order,
            edit_url: edit_url(p.kind, p.id),
            public_url: (status == PostStatus::Published).then(|| public_url(p.kind, &p.slug)),
            action_base: format!("/admin/{plural}/{}", p.id),
        }
    }
}

/// The status readers experience: a scheduled post whose time has come is published.
pub fn effective_status(status: PostStatus, published_at: Option<i64>, now: i64) -> PostStatus {
    match status {
        PostStatus::Published => PostStatus::Published,
        PostStatus::Scheduled if published_at.is_some_and(|t| t <= now) => PostStatus::Published,
        PostStatus::Scheduled => PostStatus::Scheduled,
        PostStatus::Trash => PostStatus::Trash,
        PostStatus::Draft | PostStatus::Private | PostStatus::Importing => PostStatus::Draft,
    }
}

pub fn status_label(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Published => "Published",
        PostStatus::Scheduled => "Scheduled",
        PostStatus::Trash => "Trash",
        PostStatus::Draft | PostStatus::Private | PostStatus::Importing => "Draft",
    }
}

/// `templates/admin/editor.html`: write or edit a post or page.
#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    pub layout: AdminLayout,
    pub is_page: bool,
    /// Where the form posts: `/admin/posts` (new) or `/admin/posts/{id}`.
    pub action: String,
    pub form: PostForm,
    pub errors: FieldErrors,
    /// The rendered body, after Preview.
    pub preview: Option<String>,
    /// The stored body is HTML (an imported post), not Markdown.
    pub html_source: bool,
    /// The site's time zone, for the publish time's label.
    pub zone: String,
    /// The public address, once readers can see the post.
    pub public_url: Option<String>,
    /// `https://blog.example/posts/` or `https://blog.example/`, shown before the slug.
    pub slug_prefix: String,
    /// When the post is stored: its current status, for the heading.
    pub current_status: PostStatus,
    /// When the post is stored: where its "Move to trash" button posts.
    pub trash_action: Option<String>,
    /// The library images the featured image can be chosen from.
    pub featured_choices: Vec<crate::store::featured::Choice>,
}

impl EditorPage {
    pub fn kind(&self) -> PostKind {
        if self.is_page { PostKind::Page } else { PostKind::Post }
    }

    /// "post" or "page".
    pub fn noun(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn comments_open(&self) -> bool {
        self.form.comments_open.is_some()
    }

    /// True when the library image `id` is the chosen featured image.
    pub fn is_featured(&self, id: &i64) -> bool {
        self.form.featured.trim() == id.to_string()
    }

    /// True when no featured image is chosen.
    pub fn no_featured(&self) -> bool {
        self.form.featured.trim().is_empty()
    }

    /// True when `status` is the selected option.
    pub fn selected(&self, status: &str) -> bool {
        let current = if self.form.status.is_empty() { "draft" } else { self.form.status.as_str() };
        current == status
    }
}

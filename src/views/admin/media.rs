//! The Media page: the library as a grid, the upload form, and one item's details.

use askama::Template;

use super::AdminLayout;
use crate::store::media::{LibraryItem, UsedBy};

/// `templates/admin/media.html`.
#[derive(Template)]
#[template(path = "admin/media.html")]
pub struct MediaPage {
    pub layout: AdminLayout,
    pub items: Vec<MediaRow>,
    /// Why the last upload was refused (shown next to the file field).
    pub error: String,
    /// The upload limits, for the form's help text.
    pub max_file_mib: u64,
    pub max_megapixels: u64,
    pub max_files: usize,
    /// The upload limits form: one field per limit.
    pub limit_fields: Vec<LimitField>,
}

/// An upload limit on the Media page: the value set (empty: the server's), the
/// server's ceiling and the flag that sets it, and what is wrong with it.
pub struct LimitField {
    pub name: &'static str,
    pub label: &'static str,
    pub flag: &'static str,
    pub value: String,
    pub ceiling: u64,
    pub error: String,
}

/// A library item with what the grid prints.
pub struct MediaRow {
    pub item: LibraryItem,
    pub size: String,
    pub date: String,
    /// The Markdown that shows it in a post.
    pub markdown: String,
}

impl MediaRow {
    pub fn is_image(&self) -> bool {
        self.item.content_type.starts_with("image/")
    }

    pub fn dimensions(&self) -> String {
        match (self.item.width, self.item.height) {
            (Some(w), Some(h)) => format!("{w} × {h}"),
            _ => String::new(),
        }
    }

    pub fn thumb(&self) -> &str {
        self.item.thumb.as_deref().unwrap_or(&self.item.path)
    }
}

/// `templates/admin/media_edit.html`: one item's details, and its deletion.
#[derive(Template)]
#[template(path = "admin/media_edit.html")]
pub struct MediaEditPage {
    pub layout: AdminLayout,
    pub row: MediaRow,
    pub used_by: Vec<UsedBy>,
    /// The posts and pages that have it as their featured image.
    pub featured_by: Vec<UsedBy>,
    /// True when a delete was asked for and the posts using the file must be confirmed.
    pub confirm_delete: bool,
}

impl MediaEditPage {
    /// True when no post or page uses the file, in its text or as its featured image.
    pub fn unused(&self) -> bool {
        self.used_by.is_empty() && self.featured_by.is_empty()
    }
}

/// A size in bytes for people: `930 B`, `12.5 KiB`, `3.1 MiB`.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

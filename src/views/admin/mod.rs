//! The admin panel's pages. These types may carry email addresses and IPs: they
//! are only ever rendered behind the login.

pub mod auth;
pub mod comments;
pub mod dashboard;
pub mod mail;
pub mod media;
pub mod posts;
pub mod privacy;
pub mod settings;

use crate::assets;
use crate::domain::datefmt;
use crate::domain::queue::Action;
use crate::domain::settings::Settings;
use crate::store::sessions::Session;

/// What every panel page's layout (`admin/layout.html`) shows.
#[derive(Debug, Clone)]
pub struct AdminLayout {
    pub lang: String,
    pub site_title: String,
    /// The `<title>` and the page heading.
    pub title: String,
    /// The menu entry to mark as current: dashboard, comments, posts, pages, settings, profile.
    pub section: &'static str,
    /// The logged-in admin's display name (empty on the login and setup pages).
    pub user_name: String,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    pub pending: i64,
    /// A message about what just happened, e.g. after a redirect.
    pub notice: String,
    pub stylesheet: String,
    pub admin_css: String,
    pub admin_js: String,
    pub favicon: String,
}

impl AdminLayout {
    pub fn new(
        settings: &Settings,
        title: &str,
        section: &'static str,
        session: Option<&Session>,
        pending: i64,
    ) -> Self {
        Self {
            lang: settings.language.clone(),
            site_title: settings.site_title.clone(),
            title: title.to_owned(),
            section,
            user_name: session.map(|s| s.display_name.clone()).unwrap_or_default(),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            pending,
            notice: String::new(),
            stylesheet: assets::url("style.css"),
            admin_css: assets::url("admin.css"),
            admin_js: assets::url("admin.js"),
            favicon: assets::url("favicon.svg"),
        }
    }

    /// Shows the message for a `?notice=` code from a redirect.
    pub fn with_notice(mut self, code: Option<&str>, count: Option<u64>) -> Self {
        if let Some(text) = code.and_then(|c| notice_text(c, count)) {
            self.notice = text;
        }
        self
    }

    /// True when `section` is the current menu entry.
    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }
}

/// The message for a notice code. Only known codes show anything, so a link cannot
/// make the panel say what its author wants.
pub fn notice_text(code: &str, count: Option<u64>) -> Option<String> {
    if let Some(action) = Action::parse(code) {
        return Some(action.done_message(count.unwrap_or(0)));
    }
    let text = match code {
        "logged-out" => "You are now logged out.",
        "saved" => "Saved.",
        "published" => "Published.",
        "scheduled" => "Scheduled.",
        "draft-saved" => "Draft saved.",
        "trashed" => "Moved to the trash.",
        "restored" => "Restored from the trash as a draft.",
        "deleted" => "Deleted permanently.",
        "comment-saved" => "Comment saved.",
        "replied" => "Your reply is published.",
        "settings-saved" => "Settings saved.",
        "profile-saved" => "Profile saved.",
        "password-changed" => "Password changed. Your other sessions were logged out.",
        "welcome" => "Welcome! Your account is ready.",
        "test-queued" => "A test message is on its way; its outcome shows in the outbox below.",
        "retry-queued" => "The message is queued again.",
        "subscription-deleted" => "Subscription deleted.",
        "media-saved" => "Details saved.",
        "media-deleted" => "File deleted.",
        "media-limits-saved" => "Upload limits saved.",
        "uploaded" => {
            return Some(match count.unwrap_or(0) {
                1 => "1 file uploaded.".to_owned(),
                n => format!("{n} files uploaded."),
            });
        }
        "erased" => {
            return Some(match count.unwrap_or(0) {
                1 => "Personal data erased from 1 comment.".to_owned(),
                n => format!("Personal data erased from {n} comments."),
            });
        }
        "comments-deleted" => {
            return Some(match count.unwrap_or(0) {
                1 => "1 comment deleted.".to_owned(),
                n => format!("{n} comments deleted."),
            });
        }
        "emptied" => {
            return Some(match count.unwrap_or(0) {
                1 => "1 comment deleted permanently.".to_owned(),
                n => format!("{n} comments deleted permanently."),
            });
        }
        _ => return None,
    };
    Some(text.to_owned())
}

/// `date at time` in the site's formats and zone.
pub fn date_time(unix: i64, settings: &Settings) -> String {
    let zone = settings.zone();
    format!(
        "{} at {}",
        datefmt::format(unix, &zone, &settings.date_format),
        datefmt::format(unix, &zone, &settings.time_format)
    )
}

/// A tab of a filtered listing: its label, count, link, and whether it is current.
#[derive(Debug, Clone)]
pub struct Tab {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_only_from_known_codes() {
        assert_eq!(notice_text("approve", Some(2)).as_deref(), Some("2 comments approved."));
        assert_eq!(notice_text("saved", None).as_deref(), Some("Saved."));
        assert_eq!(notice_text("<script>", None), None);
    }
}

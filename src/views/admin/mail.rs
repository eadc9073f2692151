//! The Mail page: whether mail is on and through which server, a test message, the
//! outbox with its errors and retry buttons, and the commenters' subscriptions.

use askama::Template;

use super::AdminLayout;
use crate::store::mail::{OutboxEntry, Subscription};

/// `templates/admin/mail.html`.
#[derive(Template)]
#[template(path = "admin/mail.html")]
pub struct MailAdminPage {
    pub layout: AdminLayout,
    /// The SMTP server (no password), or `None` when mail is off.
    pub server: Option<String>,
    pub sender: String,
    /// The test form's default address (the admin's own).
    pub test_to: String,
    pub test_error: String,
    pub counts: Vec<(String, i64)>,
    /// The outbox status shown (empty: all).
    pub status: String,
    pub outbox: Vec<OutboxRow>,
    pub search: String,
    pub subscriptions: Vec<SubscriptionRow>,
}

/// An outbox row with its times formatted.
pub struct OutboxRow {
    pub entry: OutboxEntry,
    pub created: String,
    pub sent: String,
}

/// A subscription with its time formatted.
pub struct SubscriptionRow {
    pub sub: Subscription,
    pub created: String,
}

impl MailAdminPage {
    pub fn is_status(&self, status: &str) -> bool {
        self.status == status
    }
}

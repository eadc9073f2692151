//! The reply form under a post (`templates/comments/respond.html`): WordPress's
//! "Leave a Reply" section, its values, and its error messages.

use crate::domain::FieldErrors;
use crate::domain::comment_form::{self, Entered};

/// The comment a reply answers, as the form's heading names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTarget {
    pub id: i64,
    pub name: String,
}

/// The values the form shows. This is the one page type with an email address in it:
/// it only ever holds the requester's *own* input (what they just sent, or what their
/// own cookies remember), never a stored comment's, and a page showing any of it is
/// sent `private, no-store` (see [`RespondView::carries_own_data`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnValues {
    pub comment: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub consent: bool,
    pub subscribe: bool,
}

impl From<&Entered> for OwnValues {
    fn from(e: &Entered) -> Self {
        Self {
            comment: e.comment.clone(),
            author: e.author.clone(),
            email: e.email.clone(),
            url: e.url.clone(),
            consent: e.consent,
            subscribe: e.subscribe,
        }
    }
}

/// A comment previewed: its author's name and its text rendered as it will be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewView {
    pub author: String,
    /// Rendered and sanitised like a stored comment's.
    pub body_html: String,
}

/// One line of the error summary, linking to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryItem {
    pub field: &'static str,
    pub message: String,
}

/// The "Leave a Reply" section.
#[derive(Debug, Clone, Default)]
pub struct RespondView {
    /// False: show nothing at all (a page without discussion, such as a preview).
    pub shown: bool,
    /// False: show "Comments are closed." instead of the form.
    pub open: bool,
    /// Where the form posts, with `#respond` so a re-shown form scrolls into view.
    pub action: String,
    /// Where "Cancel reply" goes.
    pub cancel_url: String,
    pub reply_to: Option<ReplyTarget>,
    pub values: OwnValues,
    pub errors: FieldErrors,
    /// Mail is on: the form offers "Notify me of follow-up comments by email" and
    /// links to "Manage your comments".
    pub mail: bool,
    /// The comment as it will look, shown above the form (nothing is stored).
    pub preview: Option<PreviewView>,
    /// An error not tied to one field (e.g. a parent that no longer takes replies).
    pub form_error: Option<String>,
    pub honeypot: bool,
    pub field_honeypot: &'static str,
    /// The form's signed render time (empty: none), for the `too-fast` rule.
    pub rendered: String,
    pub limits: Limits,
}

/// The form's `maxlength` values.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub comment: usize,
    pub author: usize,
    pub email: usize,
    pub url: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            comment: comment_form::MAX_COMMENT_CHARS,
            author: comment_form::MAX_AUTHOR_CHARS,
            email: comment_form::MAX_EMAIL_CHARS,
            url: comment_form::MAX_URL_CHARS,
        }
    }
}

impl RespondView {
    /// The section for the post at `post_path` (e.g. `/posts/slug`).
    pub fn new(post_path: &str, open: bool, honeypot: bool) -> Self {
        Self {
            shown: true,
            open,
            action: format!("{post_path}/comments#respond"),
            cancel_url: format!("{post_path}#respond"),
            honeypot,
            field_honeypot: comment_form::FIELD_HONEYPOT,
            ..Self::default()
        }
    }

    /// The section a page without discussion has: nothing.
    pub fn none() -> Self {
        Self::default()
    }

    /// True when the page shows the requester's own data and must not be cached or
    /// shown to anyone else.
    pub fn carries_own_data(&self) -> bool {
        self.values != OwnValues::default()
            || !self.errors.is_empty()
            || self.form_error.is_some()
            || self.preview.is_some()
    }

    /// `Leave a Reply` or `Leave a Reply to NAME`, as WordPress says it.
    pub fn heading(&self) -> String {
        match &self.reply_to {
            Some(t) => format!("Leave a Reply to {}", t.name),
            None => "Leave a Reply".to_owned(),
        }
    }

    /// The `comment_parent` value.
    pub fn parent_value(&self) -> i64 {
        self.reply_to.as_ref().map_or(0, |t| t.id)
    }

    /// True when there is anything for the error summary.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.form_error.is_some()
    }

    /// The error summary, in the form's field order.
    pub fn summary(&self) -> Vec<SummaryItem> {
        self.errors.iter().map(|(field, message)| SummaryItem { field, message: message.to_owned() }).collect()
    }

    /// `aria-describedby` for a field: its own note (if any) and its error (if any).
    pub fn described_by(&self, field: &str, note: Option<&str>) -> String {
        let has_error = self.summary().iter().any(|i| i.field == field);
        let error = has_error.then(|| format!("{field}-error"));
        note.map(str::to_owned).into_iter().chain(error).collect::<Vec<_>>().join(" ")
    }
}

/// A comment author's name as pages and mails show it: "Anonymous" for none.
pub fn author_name(name: &str) -> String {
    if name.trim().is_empty() { "Anonymous".to_owned() } else { name.to_owned() }
}

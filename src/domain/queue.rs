//! The moderation queue's rules: the actions an admin takes on comments, what each
//! does to a comment's status, readable names for the pipeline's rules, and the
//! comment edit form's rules.

use super::FieldErrors;
use super::comment_form::{self, MAX_AUTHOR_CHARS, MAX_COMMENT_CHARS, MAX_EMAIL_CHARS, MAX_URL_CHARS};
use super::status::CommentStatus::{self, Approved, Pending, Spam, Trash};

/// The statuses a comment can have.
pub const STATUSES: [CommentStatus; 4] = [Pending, Approved, Spam, Trash];

/// Something the admin does to one or more comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Unapprove,
    Spam,
    /// Spam, and add the author's email address to the block list.
    SpamBlockEmail,
    /// Spam, and add the author's IP address to the block list.
    SpamBlockIp,
    NotSpam,
    Trash,
    Restore,
    /// Permanent; only spam and trash can be deleted.
    Delete,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Self::Approve,
        Self::Unapprove,
        Self::Spam,
        Self::SpamBlockEmail,
        Self::SpamBlockIp,
        Self::NotSpam,
        Self::Trash,
        Self::Restore,
        Self::Delete,
    ];

    /// The action's name in URLs and forms (`/admin/comments/{id}/not-spam`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Unapprove => "unapprove",
            Self::Spam => "spam",
            Self::SpamBlockEmail => "spam-block-email",
            Self::SpamBlockIp => "spam-block-ip",
            Self::NotSpam => "not-spam",
            Self::Trash => "trash",
            Self::Restore => "restore",
            Self::Delete => "delete",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Approve => "Approve",
            Self::Unapprove => "Unapprove",
            Self::Spam => "Spam",
            Self::SpamBlockEmail => "Spam + block email",
            Self::SpamBlockIp => "Spam + block IP",
            Self::NotSpam => "Not spam",
            Self::Trash => "Trash",
            Self::Restore => "Restore",
            Self::Delete => "Delete permanently",
        }
    }

    /// The statuses this action applies to; comments in other statuses are left alone.
    pub fn applies_to(self) -> &'static [CommentStatus] {
        match self {
            Self::Approve => &[Pending],
            Self::Unapprove => &[Approved],
            Self::Spam | Self::SpamBlockEmail | Self::SpamBlockIp => &[Pending, Approved],
            Self::NotSpam => &[Spam],
            Self::Trash => &[Pending, Approved, Spam],
            Self::Restore => &[Trash],
            Self::Delete => &[Spam, Trash],
        }
    }

    /// The sentence shown after the action, e.g. `2 comments approved.`
    pub fn done_message(self, count: u64) -> String {
        let what = match count {
            0 => "No comments were".to_owned(),
            1 => "1 comment".to_owned(),
            n => format!("{n} comments"),
        };
        let verb = match self {
            Self::Approve => "approved",
            Self::Unapprove => "unapproved",
            Self::Spam => "marked as spam",
            Self::SpamBlockEmail => "marked as spam and their email addresses blocked",
            Self::SpamBlockIp => "marked as spam and their IP addresses blocked",
            Self::NotSpam => "restored from spam",
            Self::Trash => "moved to the trash",
            Self::Restore => "restored from the trash",
            Self::Delete => "deleted permanently",
        };
        format!("{what} {verb}.")
    }

    /// The actions offered for a comment in `status`, in button order.
    pub fn for_status(status: CommentStatus) -> &'static [Action] {
        match status {
            Pending => &[Self::Approve, Self::Spam, Self::SpamBlockEmail, Self::SpamBlockIp, Self::Trash],
            Approved => &[Self::Unapprove, Self::Spam, Self::SpamBlockEmail, Self::SpamBlockIp, Self::Trash],
            Spam => &[Self::NotSpam, Self::Delete],
            Trash => &[Self::Restore, Self::Delete],
            CommentStatus::Importing => &[],
        }
    }
}

/// A readable reason for the rule the moderation pipeline recorded; unknown names
/// are shown as they are.
pub fn rule_label(rule: &str) -> String {
    match rule {
        "" => "—".to_owned(),
        "honeypot" => "Honeypot field filled in (a bot)".to_owned(),
        "blocklist" => "Matched the block list".to_owned(),
        "links" => "Too many links".to_owned(),
        "spam-filter" => "The spam filter’s score".to_owned(),
        "too-fast" => "Sent too soon after the page loaded (a bot?)".to_owned(),
        "moderation-words" => "Matched the moderation list".to_owned(),
        "manual" => "Every comment needs approval".to_owned(),
        "first-comment" => "First comment from this author".to_owned(),
        "known-author" => "Previously approved author".to_owned(),
        "open" => "No rule held it".to_owned(),
        "flood" => "Posted too soon after another".to_owned(),
        "duplicate" => "Duplicate comment".to_owned(),
        "closed" => "Comments were closed".to_owned(),
        "admin" => "Written in the admin panel".to_owned(),
        "demo" => "Demo content".to_owned(),
        "import" => "Imported".to_owned(),
        other => other.to_owned(),
    }
}

/// A status's name for people.
pub fn status_label(status: CommentStatus) -> &'static str {
    match status {
        Pending => "Pending",
        Approved => "Approved",
        Spam => "Spam",
        Trash => "Trash",
        CommentStatus::Importing => "Unknown",
    }
}

/// The comment edit form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CommentForm {
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub status: String,
}

/// An edited comment that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidComment {
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub status: CommentStatus,
}

/// Validates an edited comment with the public comment form's limits and rules
/// (an admin may leave the name and email empty, as imported comments have them).
pub fn validate_comment(form: &CommentForm) -> Result<ValidComment, FieldErrors> {
    let mut errors = FieldErrors::default();
    let author_name = comment_form::clean(&form.author_name);
    if author_name.chars().count() > MAX_AUTHOR_CHARS {
        errors.add("author_name", format!("A name has at most {MAX_AUTHOR_CHARS} characters."));
    } else if author_name.chars().any(char::is_control) {
        errors.add("author_name", "A name cannot contain control characters.");
    }
    let author_email = comment_form::clean(&form.author_email);
    if author_email.chars().count() > MAX_EMAIL_CHARS {
        errors.add("author_email", format!("An email address has at most {MAX_EMAIL_CHARS} characters."));
    } else if !author_email.is_empty() && !comment_form::is_valid_email(&author_email) {
        errors.add("author_email", "Enter an email address such as name@example.com.");
    }
    let author_url = match comment_form::normalise_url(&comment_form::clean(&form.author_url)) {
        Ok(url) if url.chars().count() > MAX_URL_CHARS => {
            errors.add("author_url", format!("A website address has at most {MAX_URL_CHARS} characters."));
            String::new()
        }
        Ok(url) => url,
        Err(e) => {
            errors.add("author_url", e);
            String::new()
        }
    };
    let body = comment_form::clean(&form.body);
    if body.is_empty() {
        errors.add("body", "A comment needs some text.");
    } else if body.chars().count() > MAX_COMMENT_CHARS {
        errors.add("body", format!("A comment has at most {MAX_COMMENT_CHARS} characters."));
    }
    let status = STATUSES.into_iter().find(|s| s.as_str() == form.status).unwrap_or_else(|| {
        errors.add("status", "Choose pending, approved, spam or trash.");
        Pending
    });
    if errors.is_empty() {
        Ok(ValidComment { author_name, author_email, author_url, body, status })
    } else {
        Err(errors)
    }
}

/// Validates the text of an admin's reply.
pub fn validate_reply(text: &str) -> Result<String, String> {
    let body = comment_form::clean(text);
    if body.is_empty() {
        Err("Write a reply first.".to_owned())
    } else if body.chars().count() > MAX_COMMENT_CHARS {
        Err(format!("A reply has at most {MAX_COMMENT_CHARS} characters."))
    } else {
        Ok(body)
    }
}

/// Adds `entry` as a line of a word list unless a line already equals it (ignoring case).
pub fn add_to_list(list: &str, entry: &str) -> Option<String> {
    let entry = entry.trim();
    if entry.is_empty() || list.lines().any(|l| l.trim().eq_ignore_ascii_case(entry)) {
        return None;
    }
    let mut out = list.trim_end().to_owned();
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(entry);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_names() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("explode"), None);
    }

    #[test]
    fn only_spam_and_trash_can_be_deleted() {
        assert_eq!(Action::Delete.applies_to(), [Spam, Trash]);
        assert!(!Action::for_status(Pending).contains(&Action::Delete));
    }

    #[test]
    fn rules_get_readable_labels_and_unknown_ones_stay() {
        assert_eq!(rule_label("first-comment"), "First comment from this author");
        assert_eq!(rule_label("custom-rule"), "custom-rule");
    }

    #[test]
    fn edited_comments_are_checked_field_by_field() {
        let form = CommentForm {
            author_name: "Ann".into(),
            author_email: "not an email".into(),
            author_url: "example.org".into(),
            body: " ".into(),
            status: "approved".into(),
        };
        let err = validate_comment(&form).err().unwrap_or_default();
        assert!(!err.get("author_email").is_empty());
        assert_eq!(err.get("body"), "A comment needs some text.");
        assert_eq!(err.get("author_url"), "");
        let ok =
            validate_comment(&CommentForm { author_email: "a@b.example".into(), body: "hi".into(), ..form.clone() });
        assert_eq!(ok.map(|c| c.author_url), Ok("http://example.org".to_owned()));
        let script = validate_comment(&CommentForm { author_url: "javascript:alert(1)".into(), ..form });
        assert!(!script.err().unwrap_or_default().get("author_url").is_empty());
    }

    #[test]
    fn block_list_entries_are_added_once() {
        assert_eq!(add_to_list("", "a@b.example").as_deref(), Some("a@b.example"));
        assert_eq!(add_to_list("viagra\n", "1.2.3.4").as_deref(), Some("viagra\n1.2.3.4"));
        assert_eq!(add_to_list("A@B.example", "a@b.example"), None);
        assert_eq!(add_to_list("x", "  "), None);
    }
}

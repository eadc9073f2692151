//! The settings page: every site and discussion setting, with a help line each.

use askama::Template;

use super::AdminLayout;
use crate::domain::datefmt;
use crate::domain::settings::Settings;

/// `templates/admin/settings.html`.
#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub layout: AdminLayout,
    pub sections: Vec<Section>,
    pub has_errors: bool,
    /// What the spam filter has learnt, e.g. "Learnt from 25 spam and 30 legitimate
    /// comments; 4,210 features."
    pub spam_model: String,
}

/// The spam filter's size and training, as the settings page says it.
pub fn spam_model_summary(stats: &crate::store::spam::Stats) -> String {
    let mut s = format!(
        "The filter has learnt from {} spam and {} legitimate comments; its model has {} features.",
        stats.spam_docs, stats.ham_docs, stats.features
    );
    if !stats.is_trained() {
        s.push_str(&format!(
            " Until it has seen {} of each it only holds comments, never marks them spam.",
            crate::domain::spam::MIN_TRAINING
        ));
    }
    s
}

/// A group of fields under a heading.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: &'static str,
    pub fields: Vec<FieldView>,
}

/// How a setting is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Textarea,
    Number,
    Checkbox,
    TimeZone,
    /// A date or time format, shown with an example.
    DateFormat,
    /// A stylesheet (a large monospace text area).
    Css,
}

/// One setting: its stored name, label, help line and input.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub input: Input,
}

/// Every setting on the page, by section. A setting of `Settings` that is not in
/// this table cannot be changed in the panel.
pub const SECTIONS: &[(&str, &[FieldSpec])] = &[
    (
        "General",
        &[
            spec("site_title", "Site title", "Shown in the header and in every page title.", Input::Text),
            spec("tagline", "Tagline", "A few words under the title about what the site is.", Input::Text),
            spec("language", "Language", "The language of the site, as a tag such as en or en-GB.", Input::Text),
            spec("timezone", "Time zone", "Dates are shown, and publish times entered, in this zone.", Input::TimeZone),
            spec(
                "date_format",
                "Date format",
                "WordPress letters: j day, F month name, M short month, n month number, Y year, l weekday. A backslash shows a letter as it is.",
                Input::DateFormat,
            ),
            spec(
                "time_format",
                "Time format",
                "g hour (1–12), G hour (0–23), i minutes, a am/pm, A AM/PM.",
                Input::DateFormat,
            ),
            spec(
                "posts_per_page",
                "Posts per page",
                "How many posts the home page lists before “Older posts” (1–100).",
                Input::Number,
            ),
            spec("feed_items", "Items in feeds", "How many entries the feeds carry (1–100).", Input::Number),
        ],
    ),
    (
        "Appearance",
        &[
            spec(
                "custom_css",
                "Custom CSS",
                "Added after the site’s stylesheet on every public page, so its rules win. Leave empty for none.",
                Input::Css,
            ),
            spec(
                "featured_on_post",
                "Show a post’s featured image at its top",
                "The image chosen in the editor, under the title of the post or page, above its text.",
                Input::Checkbox,
            ),
            spec(
                "featured_in_lists",
                "Show featured images in lists of posts",
                "On the home page, archives and tag pages. Link previews and feeds carry the image either way.",
                Input::Checkbox,
            ),
        ],
    ),
    (
        "Mail",
        &[
            spec(
                "mail_on_comment",
                "Email me whenever anyone posts a comment",
                "Sent to every admin account with an email address. Needs mail to be on (see Mail).",
                Input::Checkbox,
            ),
            spec(
                "mail_on_held",
                "Email me whenever a comment is held for moderation",
                "With links to approve, spam or trash it from the mail.",
                Input::Checkbox,
            ),
            spec(
                "mail_extra_address",
                "Also send these mails to",
                "One more email address besides the admins' accounts. Leave empty for none.",
                Input::Text,
            ),
        ],
    ),
    (
        "Discussion",
        &[
            spec(
                "comment_manual_approval",
                "Every comment must be approved manually",
                "Hold every new comment for moderation, whoever wrote it.",
                Input::Checkbox,
            ),
            spec(
                "comment_require_prior_approval",
                "Comment author must have a previously approved comment",
                "A first comment is held; later ones from the same name and email appear at once.",
                Input::Checkbox,
            ),
            spec(
                "comment_max_links",
                "Hold a comment with this many links or more",
                "Spam often carries many links. 0 turns this rule off.",
                Input::Number,
            ),
            spec(
                "comment_moderation_words",
                "Moderation list",
                "One word, name, email, URL or IP per line. A comment containing any of them is held for moderation.",
                Input::Textarea,
            ),
            spec(
                "comment_block_words",
                "Block list",
                "One entry per line, matched like the moderation list. A match sends the comment straight to spam.",
                Input::Textarea,
            ),
            spec(
                "comment_flood_seconds",
                "Seconds between comments from one client",
                "A client that comments again sooner is asked to slow down. 0 turns this off.",
                Input::Number,
            ),
            spec(
                "comment_close_after_days",
                "Close comments on posts older than (days)",
                "0 keeps comments open for ever (each post can still close its own).",
                Input::Number,
            ),
            spec(
                "comment_thread_depth",
                "Nest replies this many levels deep",
                "1 turns threading off; deeper replies show at the deepest level (1–10).",
                Input::Number,
            ),
            spec(
                "comment_edit_minutes",
                "Let authors edit or delete their comment for (minutes)",
                "From the browser they posted from; an edit is moderated again. 0 turns this off.",
                Input::Number,
            ),
            spec(
                "comment_ip_retention_days",
                "Delete commenters' IP addresses and browsers after (days)",
                "Kept for spotting abuse, then erased from every comment. Block-list entries stay. 0 keeps them.",
                Input::Number,
            ),
            spec(
                "comment_truncate_ips",
                "Store only the network of a commenter's IP address",
                "IPv4 addresses lose their last number (/24), IPv6 addresses keep their first 48 bits.",
                Input::Checkbox,
            ),
            spec(
                "comment_avatars",
                "Show avatars",
                "A pattern drawn by this site from a keyed hash of the commenter's address; nothing is sent elsewhere.",
                Input::Checkbox,
            ),
            spec(
                "comment_duplicate_check",
                "Refuse duplicate comments",
                "A comment whose text the post already has from the same email or name is refused.",
                Input::Checkbox,
            ),
            spec(
                "comment_honeypot",
                "Use a hidden honeypot field against bots",
                "Comments that fill in a field people cannot see go to spam.",
                Input::Checkbox,
            ),
            spec(
                "comment_min_seconds",
                "Hold comments sent this many seconds after the page loaded, or sooner",
                "People take longer than bots to write. 0 turns this off.",
                Input::Number,
            ),
        ],
    ),
    (
        "Spam filter",
        &[
            spec(
                "comment_spam_filter",
                "Score comments with the spam filter",
                "It learns from your decisions (approve, spam, not spam) on this site alone; nothing is sent anywhere.",
                Input::Checkbox,
            ),
            spec(
                "comment_spam_threshold",
                "Mark as spam at this score or above (%)",
                "Only once the filter has learnt 20 spam and 20 legitimate comments, and never for an author you approved before (1–100).",
                Input::Number,
            ),
            spec(
                "comment_hold_threshold",
                "Hold for moderation at this score or above (%)",
                "Below it, the other rules decide as usual (1–100).",
                Input::Number,
            ),
            spec(
                "comment_spam_hold_only",
                "Hold instead of marking spam",
                "For the cautious: the filter never sends a comment to spam, it only holds it.",
                Input::Checkbox,
            ),
        ],
    ),
];

const fn spec(name: &'static str, label: &'static str, help: &'static str, input: Input) -> FieldSpec {
    FieldSpec { name, label, help, input }
}

/// A field ready to render: the spec, the value to show, its error and example.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub input: Input,
    pub value: String,
    pub error: String,
    /// For date formats: the format applied to now.
    pub example: String,
    /// For the time zone: every zone name.
    pub options: Vec<String>,
}

impl FieldView {
    pub fn is(&self, input: &str) -> bool {
        let kind = match self.input {
            Input::Text => "text",
            Input::Textarea => "textarea",
            Input::Number => "number",
            Input::Checkbox => "checkbox",
            Input::TimeZone => "timezone",
            Input::DateFormat => "dateformat",
            Input::Css => "css",
        };
        kind == input
    }

    /// True when `option` is the field's value (for selects).
    pub fn is_value(&self, option: &str) -> bool {
        self.value == option
    }

    pub fn checked(&self) -> bool {
        matches!(self.value.as_str(), "1" | "true" | "on" | "yes")
    }
}

/// The stored form of a setting's current value.
pub fn current_value(settings: &Settings, name: &str) -> String {
    let d = &settings.discussion;
    let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
    match name {
        "site_title" => settings.site_title.clone(),
        "tagline" => settings.tagline.clone(),
        "language" => settings.language.clone(),
        "timezone" => settings.timezone.clone(),
        "date_format" => settings.date_format.clone(),
        "time_format" => settings.time_format.clone(),
        "posts_per_page" => settings.posts_per_page.to_string(),
        "feed_items" => settings.feed_items.to_string(),
        "custom_css" => settings.custom_css.clone(),
        "featured_on_post" => flag(settings.featured.on_post),
        "featured_in_lists" => flag(settings.featured.in_lists),
        "mail_on_comment" => flag(settings.mail.on_comment),
        "mail_on_held" => flag(settings.mail.on_held),
        "mail_extra_address" => settings.mail.extra_address.clone(),
        "comment_manual_approval" => flag(d.manual_approval),
        "comment_require_prior_approval" => flag(d.require_prior_approval),
        "comment_max_links" => d.max_links.to_string(),
        "comment_moderation_words" => d.moderation_words.clone(),
        "comment_block_words" => d.block_words.clone(),
        "comment_flood_seconds" => d.flood_seconds.to_string(),
        "comment_close_after_days" => d.close_after_days.to_string(),
        "comment_thread_depth" => d.thread_depth.to_string(),
        "comment_edit_minutes" => d.edit_minutes.to_string(),
        "comment_ip_retention_days" => d.ip_retention_days.to_string(),
        "comment_truncate_ips" => flag(d.truncate_ips),
        "comment_avatars" => flag(d.avatars),
        "comment_honeypot" => flag(d.honeypot),
        "comment_duplicate_check" => flag(d.duplicate_check),
        "comment_spam_filter" => flag(d.spam_filter),
        "comment_spam_threshold" => d.spam_threshold.to_string(),
        "comment_hold_threshold" => d.hold_threshold.to_string(),
        "comment_spam_hold_only" => flag(d.spam_hold_only),
        "comment_min_seconds" => d.min_seconds.to_string(),
        _ => String::new(),
    }
}

/// Builds the page's sections from values (stored or as submitted) and errors.
pub fn sections(
    value: impl Fn(&str) -> String,
    error: impl Fn(&str) -> String,
    zone: &jiff::tz::TimeZone,
    now: i64,
) -> Vec<Section> {
    SECTIONS
        .iter()
        .map(|(title, specs)| Section {
            title,
            fields: specs
                .iter()
                .map(|s| {
                    let value = value(s.name);
                    FieldView {
                        name: s.name,
                        label: s.label,
                        help: s.help,
                        input: s.input,
                        example: if s.input == Input::DateFormat {
                            datefmt::format(now, zone, &value)
                        } else {
                            String::new()
                        },
                        options: if s.input == Input::TimeZone { zone_names() } else { Vec::new() },
                        error: error(s.name),
                        value,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Every IANA time zone name hewn knows, sorted, UTC first.
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    names.retain(|n| n != "UTC");
    names.insert(0, "UTC".to_owned());
    names
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    #[test]
    fn every_field_on_the_page_is_a_setting_that_accepts_its_current_value() {
        let defaults = Settings::default();
        for (_, specs) in SECTIONS {
            for s in *specs {
                let mut settings = Settings::default();
                let value = current_value(&defaults, s.name);
                assert!(settings.set(s.name, &value).is_ok(), "{}", s.name);
                assert_eq!(settings, defaults, "{} did not round-trip", s.name);
            }
        }
    }

    #[test]
    fn every_discussion_rule_is_on_the_page() {
        let names: Vec<&str> = SECTIONS.iter().flat_map(|(_, s)| s.iter().map(|f| f.name)).collect();
        for rule in [
            "comment_manual_approval",
            "comment_require_prior_approval",
            "comment_max_links",
            "comment_moderation_words",
            "comment_block_words",
            "comment_flood_seconds",
            "comment_close_after_days",
            "comment_thread_depth",
            "comment_honeypot",
            "comment_duplicate_check",
        ] {
            assert!(names.contains(&rule), "{rule}");
        }
    }

    #[test]
    fn every_setting_the_site_knows_is_on_the_page() {
        // The names `Settings::set` accepts, read from its source, so that a setting
        // added there without a field here fails this test.
        let source = include_str!("../../domain/settings.rs");
        let set_fn = source.split("pub fn set(").nth(1).and_then(|s| s.split("\n    }\n").next()).unwrap_or("");
        let known: Vec<&str> = set_fn
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split_once("\" =>").map(|(name, _)| name))
            .collect();
        let on_page: Vec<&str> = SECTIONS.iter().flat_map(|(_, s)| s.iter().map(|f| f.name)).collect();
        assert!(known.len() >= 18, "{known:?}");
        // The upload limits have their own form on the Media page.
        let on_media_page: Vec<&str> = crate::routes::admin::media::LIMIT_SETTINGS.to_vec();
        for name in known {
            assert!(
                on_page.contains(&name) || on_media_page.contains(&name),
                "{name} has no field on the settings page"
            );
        }
    }

    #[test]
    fn zone_names_include_common_zones() {
        let zones = zone_names();
        assert_eq!(zones[0], "UTC");
        assert!(zones.iter().any(|z| z == "Europe/London"));
        assert!(zones.len() > 300);
    }
}

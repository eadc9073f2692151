//! Site settings: typed values with defaults, stored as name/value rows.

use super::datefmt;

/// Every setting the site has. Missing or unreadable rows fall back to the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub site_title: String,
    pub tagline: String,
    /// BCP 47 language tag for `<html lang>`.
    pub language: String,
    /// IANA time zone name the site's dates are shown in.
    pub timezone: String,
    /// WordPress date format, e.g. `j F, Y`.
    pub date_format: String,
    /// WordPress time format, e.g. `g:i a`.
    pub time_format: String,
    pub posts_per_page: u32,
    /// How many entries a feed carries.
    pub feed_items: u32,
    pub discussion: Discussion,
    pub mail: MailSettings,
    /// CSS served at `/custom.css` and linked after the site's stylesheet.
    pub custom_css: String,
    /// The navigation's page links. Not a stored setting: the store fills it in
    /// from the published pages when it loads the settings.
    pub nav: Vec<NavLink>,
    /// Where a post's featured image shows besides link previews and feeds.
    pub featured: FeaturedDisplay,
    /// Upload limits the admin set (under the server's flags).
    pub upload_limits: UploadLimits,
}

/// Where featured images are shown on the site's pages (link previews and feeds
/// always carry them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeaturedDisplay {
    /// At the top of the post (or page) itself.
    pub on_post: bool,
    /// In the lists of posts: the home page, archives and tag pages.
    pub in_lists: bool,
}

impl Default for FeaturedDisplay {
    /// Both on: an author who chose an image for a post expects to see it, and a
    /// list with pictures is what readers coming from WordPress themes know. The
    /// images are sized for the reader's screen and, below the first, load lazily.
    fn default() -> Self {
        Self { on_post: true, in_lists: true }
    }
}

/// Upload limits set on the Media page. Each may only lower the server's own limit
/// (its `--media-max-…` flag, the ceiling); unset, the flag's value applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file, in MiB.
    pub max_file_mib: Option<u32>,
    /// Most pixels of an image, in megapixels.
    pub max_megapixels: Option<u32>,
    /// Most files in one upload.
    pub max_files: Option<u32>,
}

impl UploadLimits {
    /// The limits that apply: each setting, where set, under the server's `ceiling`.
    pub fn under(&self, ceiling: crate::media::Limits) -> crate::media::Limits {
        let mib = |n: u32| u64::from(n).saturating_mul(1024 * 1024);
        crate::media::Limits {
            max_file_bytes: self.max_file_mib.map_or(ceiling.max_file_bytes, |n| mib(n).min(ceiling.max_file_bytes)),
            max_pixels: self
                .max_megapixels
                .map_or(ceiling.max_pixels, |n| (u64::from(n) * 1_000_000).min(ceiling.max_pixels)),
            max_files: self.max_files.map_or(ceiling.max_files, |n| (n as usize).min(ceiling.max_files)),
        }
    }
}

/// A link in the site navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub title: String,
    /// A path on this site, e.g. `/about`.
    pub path: String,
}

/// Who hears about comments by mail (when mail is on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Mail the admins whenever anyone posts a comment.
    pub on_comment: bool,
    /// Mail the admins when a comment is held for moderation.
    pub on_held: bool,
    /// Another address that gets the admins' mails (empty: none).
    pub extra_address: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self { on_comment: false, on_held: true, extra_address: String::new() }
    }
}

/// The comment rules (see the comments module for the order they apply in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discussion {
    /// Reject honeypot-filled submissions as spam.
    pub honeypot: bool,
    /// Refuse a comment the post already has from the same email or name.
    pub duplicate_check: bool,
    /// Words that send a comment to spam (one per line; matched in name, email, url, text, IP, user agent).
    pub block_words: String,
    /// Seconds a client must wait between comments; 0 turns flood control off.
    pub flood_seconds: u32,
    /// Close comments on posts older than this many days; 0 keeps them open.
    pub close_after_days: u32,
    /// Hold a comment with this many links or more; 0 turns the rule off.
    pub max_links: u32,
    /// Words that hold a comment for moderation.
    pub moderation_words: String,
    /// Every comment must be approved manually.
    pub manual_approval: bool,
    /// A comment's author must have a previously approved comment.
    pub require_prior_approval: bool,
    /// How deep replies nest (1 turns threading off).
    pub thread_depth: u32,
    /// Minutes after posting in which an author may edit or delete their comment; 0 turns it off.
    pub edit_minutes: u32,
    /// Days a comment's IP address and user agent are kept; 0 keeps them.
    pub ip_retention_days: u32,
    /// Store only the network of a commenter's address (IPv4 /24, IPv6 /48).
    pub truncate_ips: bool,
    /// Show an avatar drawn here from a keyed hash of the commenter's address.
    pub avatars: bool,
    /// The learned spam filter (`spam-filter` rule) is on.
    pub spam_filter: bool,
    /// A score at or above this (percent) marks a comment spam.
    pub spam_threshold: u32,
    /// A score at or above this (percent) holds a comment for moderation.
    pub hold_threshold: u32,
    /// The filter only ever holds, never marks spam.
    pub spam_hold_only: bool,
    /// A comment sent sooner than this many seconds after its form was rendered is
    /// held (`too-fast`); 0 turns the rule off.
    pub min_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            site_title: "hewn".to_owned(),
            tagline: "A blog with real discussion".to_owned(),
            language: "en".to_owned(),
            timezone: "UTC".to_owned(),
            date_format: "j F, Y".to_owned(),
            time_format: "g:i a".to_owned(),
            posts_per_page: 10,
            feed_items: 10,
            discussion: Discussion::default(),
            mail: MailSettings::default(),
            custom_css: String::new(),
            nav: Vec::new(),
            featured: FeaturedDisplay::default(),
            upload_limits: UploadLimits::default(),
        }
    }
}

impl Default for Discussion {
    fn default() -> Self {
        Self {
            honeypot: true,
            duplicate_check: true,
            block_words: String::new(),
            flood_seconds: 15,
            close_after_days: 0,
            max_links: 2,
            moderation_words: String::new(),
            manual_approval: false,
            require_prior_approval: true,
            thread_depth: 5,
            edit_minutes: 10,
            ip_retention_days: 30,
            truncate_ips: false,
            avatars: false,
            spam_filter: true,
            spam_threshold: DEFAULT_SPAM_THRESHOLD,
            hold_threshold: DEFAULT_HOLD_THRESHOLD,
            spam_hold_only: false,
            min_seconds: 3,
        }
    }
}

/// The spam filter's default thresholds, in percent (chosen on the SpamAssassin
/// corpus: see the README's spam filter section).
pub const DEFAULT_SPAM_THRESHOLD: u32 = 99;
pub const DEFAULT_HOLD_THRESHOLD: u32 = 70;

/// Longest custom stylesheet accepted.
pub const MAX_CUSTOM_CSS_CHARS: usize = 100_000;

/// Upper bounds that keep a bad value from making pages huge or loops long.
const MAX_PER_PAGE: u32 = 100;
const MAX_THREAD_DEPTH: u32 = 10;

/// A rejected setting value, with a message for the admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSetting(pub String);

impl Settings {
    /// Builds settings from stored name/value pairs, ignoring unknown names and
    /// keeping the default for any value that does not parse.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut s = Self::default();
        for (name, value) in pairs {
            if let Err(e) = s.set(name, value) {
                tracing::warn!(setting = name, "ignoring stored setting: {e}");
            }
        }
        s
    }

    /// Sets one value by its stored name, validating it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), InvalidSetting> {
        let d = &mut self.discussion;
        match name {
            "site_title" => self.site_title = text(value, 200)?,
            "tagline" => self.tagline = text(value, 300)?,
            "language" => self.language = language(value)?,
            "timezone" => self.timezone = timezone(value)?,
            "date_format" => self.date_format = format(value)?,
            "time_format" => self.time_format = format(value)?,
            "posts_per_page" => self.posts_per_page = number(value, 1, MAX_PER_PAGE)?,
            "feed_items" => self.feed_items = number(value, 1, MAX_PER_PAGE)?,
            "comment_honeypot" => d.honeypot = boolean(value)?,
            "comment_duplicate_check" => d.duplicate_check = boolean(value)?,
            "comment_block_words" => d.block_words = value.to_owned(),
            "comment_flood_seconds" => d.flood_seconds = number(value, 0, 86_400)?,
            "comment_close_after_days" => d.close_after_days = number(value, 0, 100_000)?,
            "comment_max_links" => d.max_links = number(value, 0, 1_000)?,
            "comment_moderation_words" => d.moderation_words = value.to_owned(),
            "comment_manual_approval" => d.manual_approval = boolean(value)?,
            "comment_require_prior_approval" => d.require_prior_approval = boolean(value)?,
            "comment_thread_depth" => d.thread_depth = number(value, 1, MAX_THREAD_DEPTH)?,
            "comment_edit_minutes" => d.edit_minutes = number(value, 0, 1_440)?,
            "comment_ip_retention_days" => d.ip_retention_days = number(value, 0, 36_500)?,
            "comment_truncate_ips" => d.truncate_ips = boolean(value)?,
            "comment_avatars" => d.avatars = boolean(value)?,
            "comment_spam_filter" => d.spam_filter = boolean(value)?,
            "comment_spam_threshold" => d.spam_threshold = number(value, 1, 100)?,
            "comment_hold_threshold" => d.hold_threshold = number(value, 1, 100)?,
            "comment_spam_hold_only" => d.spam_hold_only = boolean(value)?,
            "comment_min_seconds" => d.min_seconds = number(value, 0, 3_600)?,
            "mail_on_comment" => self.mail.on_comment = boolean(value)?,
            "mail_on_held" => self.mail.on_held = boolean(value)?,
            "mail_extra_address" => self.mail.extra_address = address(value)?,
            "custom_css" => self.custom_css = css(value)?,
            "featured_on_post" => self.featured.on_post = boolean(value)?,
            "featured_in_lists" => self.featured.in_lists = boolean(value)?,
            "media_max_file_mib" => self.upload_limits.max_file_mib = limit(value)?,
            "media_max_megapixels" => self.upload_limits.max_megapixels = limit(value)?,
            "media_max_files" => self.upload_limits.max_files = limit(value)?,
            _ => {}
        }
        Ok(())
    }

    /// The time zone dates are shown in.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        datefmt::zone(&self.timezone)
    }
}

fn text(value: &str, max: usize) -> Result<String, InvalidSetting> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(InvalidSetting(format!("must be at most {max} characters")));
    }
    Ok(v.to_owned())
}

fn address(value: &str) -> Result<String, InvalidSetting> {
    let v = value.trim();
    if v.is_empty() || super::comment_form::is_valid_email(v) && v.chars().count() <= 100 {
        Ok(v.to_owned())
    } else {
        Err(InvalidSetting(format!("{v:?} is not an email address such as name@example.com")))
    }
}

fn css(value: &str) -> Result<String, InvalidSetting> {
    if value.chars().count() > MAX_CUSTOM_CSS_CHARS {
        return Err(InvalidSetting(format!("must be at most {MAX_CUSTOM_CSS_CHARS} characters")));
    }
    Ok(value.replace("\r\n", "\n").trim().to_owned())
}

fn format(value: &str) -> Result<String, InvalidSetting> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InvalidSetting("a format cannot be empty".to_owned()));
    }
    text(v, 64)
}

fn language(value: &str) -> Result<String, InvalidSetting> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 35
        && v.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok { Ok(v.to_owned()) } else { Err(InvalidSetting(format!("{v:?} is not a language tag such as en or en-GB"))) }
}

fn timezone(value: &str) -> Result<String, InvalidSetting> {
    let v = value.trim();
    if datefmt::is_known_zone(v) {
        Ok(v.to_owned())
    } else {
        Err(InvalidSetting(format!("{v:?} is not a known time zone (use a name such as Europe/London)")))
    }
}

fn number(value: &str, min: u32, max: u32) -> Result<u32, InvalidSetting> {
    match value.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(InvalidSetting(format!("must be a whole number from {min} to {max}"))),
    }
}

/// An upload limit: empty for the server's own, else a whole number from 1 (the
/// Media page checks it against the server's ceiling).
fn limit(value: &str) -> Result<Option<u32>, InvalidSetting> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    number(value, 1, u32::MAX).map(Some)
}

fn boolean(value: &str) -> Result<bool, InvalidSetting> {
    match value.trim() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" | "" => Ok(false),
        other => Err(InvalidSetting(format!("{other:?} is not on or off"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_pairs_override_defaults_and_bad_values_are_ignored() {
        let s = Settings::from_pairs([
            ("site_title", "My blog"),
            ("posts_per_page", "0"),
            ("timezone", "Europe/Paris"),
            ("comment_thread_depth", "3"),
            ("unknown", "x"),
        ]);
        assert_eq!(s.site_title, "My blog");
        assert_eq!(s.posts_per_page, 10);
        assert_eq!(s.timezone, "Europe/Paris");
        assert_eq!(s.discussion.thread_depth, 3);
    }

    #[test]
    fn invalid_values_explain_themselves() {
        let mut s = Settings::default();
        assert!(s.set("timezone", "Nowhere/Special").is_err());
        assert!(s.set("language", "en GB").is_err());
        assert!(s.set("comment_manual_approval", "maybe").is_err());
        assert!(s.set("comment_manual_approval", "on").is_ok());
        assert!(s.discussion.manual_approval);
    }
}

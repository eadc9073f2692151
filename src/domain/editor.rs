//! The post and page editor's rules: what a valid post is, how its slug, status and
//! publish time are decided, and which slugs pages may not take.

use super::FieldErrors;
use std::time::Instant;

use jiff::tz::TimeZone;

use super::render_limits::TooComplex;
pub use super::slug::RESERVED_PAGE_SLUGS;
use super::slug::{self, MAX_SLUG_LEN, slugify};
pub use super::status::PostKind;
use super::status::PostStatus;
use super::{datefmt, markdown};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_EXCERPT_CHARS: usize = 2_000;
/// The body's Markdown source. The request body limit (256 KiB) caps it further
/// when the text needs much percent-encoding.
pub const MAX_SOURCE_BYTES: usize = 200 * 1024;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 100;

/// The editor's fields as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PostForm {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub excerpt: String,
    pub tags: String,
    /// A checkbox: present (any value) when ticked.
    pub comments_open: Option<String>,
    pub status: String,
    /// `YYYY-MM-DDTHH:MM` in the site's time zone, from `<input type=datetime-local>`.
    pub publish_at: String,
    pub menu_order: String,
    /// Which button sent the form: `preview` shows the rendered body without saving.
    pub intent: String,
    /// The featured image: a library item's id, or empty for none.
    pub featured: String,
}

/// A post that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPost {
    pub title: String,
    pub slug: String,
    /// The admin typed the slug (a clash is then an error, not a silent `-2`).
    pub slug_typed: bool,
    pub source: String,
    /// The excerpt the admin wrote; empty means "derive it from the body".
    pub excerpt: String,
    pub tags: Vec<String>,
    pub comments_open: bool,
    pub status: PostStatus,
    pub published_at: Option<i64>,
    pub menu_order: i64,
}

/// Validates the editor's fields. `previous_published_at` is the stored publish
/// time of the post being edited (kept when a published post is saved again).
pub fn validate(
    form: &PostForm,
    kind: PostKind,
    zone: &TimeZone,
    now: i64,
    previous_published_at: Option<i64>,
) -> Result<ValidPost, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = form.title.trim().to_owned();
    if title.is_empty() {
        errors.add("title", "Enter a title.");
    } else if title.chars().count() > MAX_TITLE_CHARS {
        errors.add("title", format!("A title has at most {MAX_TITLE_CHARS} characters."));
    }

    let slug_typed = !form.slug.trim().is_empty();
    let slug = if slug_typed { slugify(form.slug.trim()) } else { slugify(&title) };
    if slug.is_empty() && !title.is_empty() {
        errors.add("slug", "Enter a slug: the title has no letters or digits to make one from.");
    } else if slug_typed && slug.is_empty() {
        errors.add("slug", "A slug needs letters or digits.");
    } else if kind == PostKind::Page && is_reserved(&slug) {
        errors.add("slug", format!("“{slug}” is an address hewn itself uses. Choose another slug for this page."));
    }

    if form.body.len() > MAX_SOURCE_BYTES {
        errors.add("body", format!("The text is too long (at most {} KB).", MAX_SOURCE_BYTES / 1024));
    }
    let excerpt = form.excerpt.trim().to_owned();
    if excerpt.chars().count() > MAX_EXCERPT_CHARS {
        errors.add("excerpt", format!("An excerpt has at most {MAX_EXCERPT_CHARS} characters."));
    }
    let tags = match parse_tags(&form.tags) {
        Ok(t) => t,
        Err(e) => {
            errors.add("tags", e);
            Vec::new()
        }
    };
    let menu_order = match form.menu_order.trim() {
        "" => 0,
        raw => raw.parse::<i64>().ok().filter(|n| n.abs() <= 1_000_000).unwrap_or_else(|| {
            errors.add("menu_order", "Enter a whole number, such as 0 or 10.");
            0
        }),
    };
    let time = match parse_local_time(&form.publish_at, zone) {
        Ok(t) => t,
        Err(e) => {
            errors.add("publish_at", e);
            None
        }
    };
    let (status, published_at) = match decide_status(&form.status, time, now, previous_published_at) {
        Ok(decided) => decided,
        Err((field, e)) => {
            errors.add(field, e);
            (PostStatus::Draft, None)
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidPost {
        title,
        slug,
        slug_typed,
        source: form.body.replace("\r\n", "\n"),
        excerpt,
        tags,
        comments_open: form.comments_open.is_some(),
        status,
        published_at,
        menu_order,
    })
}

/// True when a page may not use `slug` (see [`slug::RESERVED_PAGE_SLUGS`]).
pub fn is_reserved(slug: &str) -> bool {
    slug::is_reserved_page_slug(slug)
}

/// Decides the stored status and publish time from the requested status and time:
/// a post published with a future time is scheduled; a post scheduled for a time
/// already past is published. Errors name the field they belong to.
pub fn decide_status(
    requested: &str,
    time: Option<i64>,
    now: i64,
    previous_published_at: Option<i64>,
) -> Result<(PostStatus, Option<i64>), (&'static str, String)> {
    use PostStatus::{Draft, Published, Scheduled};
    match requested.parse::<PostStatus>() {
        Ok(Draft) => Ok((Draft, time)),
        Ok(Published) => {
            let at = time.or(previous_published_at).unwrap_or(now);
            Ok(if at > now { (Scheduled, Some(at)) } else { (Published, Some(at)) })
        }
        Ok(Scheduled) => match time {
            None => Err(("publish_at", "Choose the date and time to publish at.".to_owned())),
            Some(at) if at <= now => Ok((Published, Some(at))),
            Some(at) => Ok((Scheduled, Some(at))),
        },
        Ok(PostStatus::Private | PostStatus::Trash | PostStatus::Importing) | Err(_) => {
            Err(("status", "Choose draft, published or scheduled.".to_owned()))
        }
    }
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` (or with a space) as a wall-clock time in `zone`.
/// Empty means no time. In a daylight-saving gap the later offset is used.
pub fn parse_local_time(raw: &str, zone: &TimeZone) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || "Enter a date and time such as 2026-05-01 09:30.".to_owned();
    let dt: jiff::civil::DateTime = raw.replacen(' ', "T", 1).parse().map_err(|_| bad())?;
    let zoned = dt.to_zoned_datetime(zone.clone()).map_err(|_| bad())?;
    Ok(Some(zoned.timestamp().as_second()))
}

/// The value for a `datetime-local` field: `unix` as wall-clock time in `zone`.
pub fn local_time_value(unix: i64, zone: &TimeZone) -> String {
    datefmt::format(unix, zone, "Y-m-d\\TH:i")
}

/// Splits a comma-separated tag list, dropping empties and repeats (ignoring case).
pub fn parse_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(format!("A tag has at most {MAX_TAG_CHARS} characters."));
        }
        if slugify(tag).is_empty() {
            return Err(format!("“{tag}” has no letters or digits to make a tag from."));
        }
        if !tags.iter().any(|t| slugify(t) == slugify(tag)) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(format!("A post has at most {MAX_TAGS} tags."));
    }
    Ok(tags)
}

/// Renders a body in its stored format: Markdown, or HTML for imported posts.
pub fn render_body(source: &str, source_format: &str) -> markdown::SafeHtml {
    if source_format == "html" { markdown::sanitize_post_html(source) } else { markdown::render_markdown(source) }
}

/// [`render_body`] within the render limits (see [`super::render_limits`]): Markdown
/// that cannot be rendered by `deadline`, or would render too large, is refused.
pub fn render_body_within(
    source: &str,
    source_format: &str,
    deadline: Option<Instant>,
) -> Result<markdown::SafeHtml, TooComplex> {
    if source_format == "html" {
        Ok(markdown::sanitize_post_html(source))
    } else {
        markdown::render_markdown_within(source, deadline)
    }
}

/// `slug`, or `slug-2`, `slug-3`, ... : the first candidate `taken` says is free.
pub fn dedupe_slug(slug: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    if !taken(slug) {
        return slug.to_owned();
    }
    for n in 2..10_000u32 {
        let suffix = format!("-{n}");
        let mut base = slug.to_owned();
        base.truncate(MAX_SLUG_LEN - suffix.len());
        let candidate = format!("{}{suffix}", base.trim_end_matches('-'));
        if !taken(&candidate) {
            return candidate;
        }
    }
    format!("{slug}-{}", super::random_token(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn form(title: &str, status: &str) -> PostForm {
        PostForm {
            title: title.to_owned(),
            body: "Hello *world*".to_owned(),
            status: status.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn slugs_come_from_titles_in_any_script() {
        let v = validate(&form("Привет, мир", "draft"), PostKind::Post, &TimeZone::UTC, NOW, None);
        assert_eq!(v.map(|v| v.slug), Ok("privet-mir".to_owned()));
        let v = validate(
            &PostForm { slug: "My Own Slug".into(), ..form("T", "draft") },
            PostKind::Post,
            &TimeZone::UTC,
            NOW,
            None,
        );
        assert_eq!(v.map(|v| (v.slug, v.slug_typed)), Ok(("my-own-slug".to_owned(), true)));
    }

    #[test]
    fn pages_cannot_take_reserved_slugs_but_posts_can() {
        let err =
            validate(&form("Admin", "published"), PostKind::Page, &TimeZone::UTC, NOW, None).err().unwrap_or_default();
        assert!(err.get("slug").contains("hewn itself uses"), "{err:?}");
        assert!(validate(&form("Admin", "published"), PostKind::Post, &TimeZone::UTC, NOW, None).is_ok());
        assert!(is_reserved("feed.xml") && is_reserved("tags") && !is_reserved("about"));
    }

    #[test]
    fn empty_titles_and_bad_times_are_reported_per_field() {
        let bad = PostForm { publish_at: "next tuesday".into(), ..form("", "scheduled") };
        let err = validate(&bad, PostKind::Post, &TimeZone::UTC, NOW, None).err().unwrap_or_default();
        assert_eq!(err.get("title"), "Enter a title.");
        assert!(err.get("publish_at").starts_with("Enter a date and time"), "{err:?}");
    }

    #[test]
    fn status_follows_the_publish_time() {
        assert_eq!(decide_status("published", None, NOW, None), Ok((PostStatus::Published, Some(NOW))));
        assert_eq!(decide_status("published", None, NOW, Some(5)), Ok((PostStatus::Published, Some(5))));
        assert_eq!(decide_status("published", Some(NOW + 60), NOW, None), Ok((PostStatus::Scheduled, Some(NOW + 60))));
        assert_eq!(decide_status("scheduled", Some(NOW - 60), NOW, None), Ok((PostStatus::Published, Some(NOW - 60))));
        assert_eq!(decide_status("scheduled", Some(NOW + 60), NOW, None), Ok((PostStatus::Scheduled, Some(NOW + 60))));
        assert!(decide_status("scheduled", None, NOW, None).is_err());
        assert!(decide_status("private", None, NOW, None).is_err());
        assert_eq!(decide_status("draft", None, NOW, None), Ok((PostStatus::Draft, None)));
    }

    #[test]
    fn publish_times_are_wall_clock_in_the_site_zone() -> Result<(), String> {
        let paris = datefmt::zone("Europe/Paris");
        // 1 July 2026 10:00 in Paris is 08:00 UTC (summer time).
        let t = parse_local_time("2026-07-01T10:00", &paris)?;
        assert_eq!(t, Some(1_782_892_800));
        assert_eq!(local_time_value(1_782_892_800, &paris), "2026-07-01T10:00");
        assert_eq!(parse_local_time("2026-07-01 10:00", &TimeZone::UTC)?, Some(1_782_900_000));
        assert_eq!(parse_local_time("  ", &paris)?, None);
        Ok(())
    }

    #[test]
    fn tags_split_on_commas_and_collapse_repeats() {
        assert_eq!(parse_tags(" rust, Web ,rust,, web"), Ok(vec!["rust".to_owned(), "Web".to_owned()]));
        assert!(parse_tags("!!!").is_err());
    }

    #[test]
    fn taken_slugs_get_a_number() {
        let taken = ["hello", "hello-2"];
        assert_eq!(dedupe_slug("hello", |s| taken.contains(&s)), "hello-3");
        assert_eq!(dedupe_slug("fresh", |s| taken.contains(&s)), "fresh");
    }
}

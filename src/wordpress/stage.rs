//! From WXR records to staged rows: WordPress statuses, dates, slugs, content and
//! comments converted to what hewn stores, and every item left out noted with its
//! line and the reason. Runs on the reading thread; rows go to the staging database
//! in batches over a channel.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::mpsc::SyncSender;

use sha2::{Digest, Sha256};

use super::content::{self, Uploads, percent_decode};
use super::html::{decode_entities, text_of};
use super::links::{base_path, key_of_path, key_of_url};
use super::wxr::{Author, Comment, Item, Sink, Site, Term};
use crate::domain::settings::Settings;
use crate::domain::slug::{is_valid as is_valid_slug, slugify};
use crate::domain::{comment_text, markdown};
use crate::store::staging::{LinkTarget, Staged, StagedComment, StagedMedia, StagedPost};

/// Rows per message to the staging database.
const BATCH: usize = 512;
/// Largest file copied into the database.
pub const MAX_MEDIA_BYTES: u64 = 256 * 1024 * 1024;
/// How many example lines a summary keeps per reason.
const EXAMPLE_LINES: usize = 8;

/// Post types that are WordPress's own machinery, not content.
const INTERNAL_TYPES: [&str; 14] = [
    "nav_menu_item",
    "revision",
    "customize_changeset",
    "custom_css",
    "oembed_cache",
    "wp_block",
    "wp_template",
    "wp_template_part",
    "wp_global_styles",
    "wp_navigation",
    "user_request",
    "wp_font_family",
    "wp_font_face",
    "scheduled-action",
];

/// How often something happened, with the first few lines where it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub lines: Vec<u64>,
}

/// What reading the file found, beyond the rows themselves.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub site: Site,
    pub items: u64,
    pub comments: u64,
    pub attachments: u64,
    /// Items and comments left out, by reason.
    pub skipped: BTreeMap<String, Tally>,
    /// Things imported differently from the file, by what happened.
    pub notes: BTreeMap<String, Tally>,
}

impl Report {
    fn skip(&mut self, line: u64, reason: impl Into<String>) {
        bump(self.skipped.entry(reason.into()).or_default(), line);
    }

    fn note(&mut self, line: u64, what: impl Into<String>) {
        bump(self.notes.entry(what.into()).or_default(), line);
    }
}

fn bump(t: &mut Tally, line: u64) {
    t.count += 1;
    if t.lines.len() < EXAMPLE_LINES && line > 0 {
        t.lines.push(line);
    }
}

/// A staged row, or a comment whose HTML is still to be made (on a render thread:
/// rendering is most of an import's work, and it spreads over the CPUs).
#[derive(Debug)]
pub enum Row {
    Ready(Staged),
    Comment(Box<StagedComment>, Render),
}

/// How a comment's HTML is made from its text.
#[derive(Debug)]
pub enum Render {
    /// WordPress's comment filters (the comments of a WordPress export).
    WordPress,
    /// hewn's own comment format (from a hewn export).
    Markdown,
    /// HTML recorded in a hewn export, sanitised.
    Html(String),
}

/// Makes the HTML of the comments in `rows`.
pub fn render(rows: Vec<Row>) -> Vec<Staged> {
    rows.into_iter()
        .map(|row| match row {
            Row::Ready(staged) => staged,
            Row::Comment(mut c, how) => {
                c.body_html = match how {
                    Render::WordPress => content::comment_html(&c.body),
                    Render::Markdown => comment_text::render(&c.body),
                    Render::Html(html) => content::sanitize_comment_html(&html),
                }
                .into_string();
                Staged::Comment(c)
            }
        })
        .collect()
}

/// Counters the progress bar reads from another thread.
#[derive(Debug, Default)]
pub struct Counters {
    pub comments: AtomicU64,
}

/// The [`Sink`] of an import.
pub struct Stager {
    out: SyncSender<(u64, Vec<Row>)>,
    batch: Vec<Row>,
    batches: u64,
    uploads: Option<Uploads>,
    base_path: String,
    authors: HashMap<String, String>,
    category_parents: HashMap<String, String>,
    seen_posts: HashSet<i64>,
    seen_guids: HashSet<String>,
    seen_comments: HashSet<i64>,
    staged_tags: HashSet<String>,
    staged_links: HashSet<String>,
    staged_media: HashSet<String>,
    comment_seq: i64,
    /// The old site's offset from UTC in seconds, learnt from items with both dates.
    offset: Option<i64>,
    now: i64,
    counters: Arc<Counters>,
    pub report: Report,
}

impl Stager {
    /// A stager sending numbered batches of rows to `out`.
    pub fn new(out: SyncSender<(u64, Vec<Row>)>, uploads: Option<Uploads>, counters: Arc<Counters>) -> Self {
        Self {
            out,
            batch: Vec::with_capacity(BATCH),
            batches: 0,
            uploads,
            base_path: String::new(),
            authors: HashMap::new(),
            category_parents: HashMap::new(),
            seen_posts: HashSet::new(),
            seen_guids: HashSet::new(),
            seen_comments: HashSet::new(),
            staged_tags: HashSet::new(),
            staged_links: HashSet::new(),
            staged_media: HashSet::new(),
            comment_seq: 0,
            offset: None,
            now: crate::domain::now(),
            counters,
            report: Report::default(),
        }
    }

    fn push(&mut self, row: Staged) -> anyhow::Result<()> {
        self.push_row(Row::Ready(row))
    }

    fn push_row(&mut self, row: Row) -> anyhow::Result<()> {
        self.batch.push(row);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the rows still held.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.out
            .send((self.batches, batch))
            .map_err(|_| anyhow::anyhow!("the staging database stopped taking rows"))?;
        self.batches += 1;
        Ok(())
    }

    fn link(&mut self, key: Option<String>, target: LinkTarget) -> anyhow::Result<()> {
        if let Some(key) = key
            && self.staged_links.insert(key.clone())
        {
            self.push(Staged::Link { key, target })?;
        }
        Ok(())
    }

    fn learn_offset(&mut self, local: &str, gmt: &str) {
        if self.offset.is_none()
            && let (Some(l), Some(g)) = (parse_date(local), parse_date(gmt))
        {
            self.offset = Some(l - g);
        }
    }

    /// A date in the old site's local time, as UTC.
    fn local(&self, local: &str) -> Option<i64> {
        parse_date(local).map(|l| l - self.offset.unwrap_or(0))
    }

    /// Stages a tag (category or tag) and its old addresses, returning its hewn slug.
    fn tag(&mut self, taxonomy: &str, wp_slug: &str, name: &str, term_id: &str) -> anyhow::Result<Option<String>> {
        let name = text_of(name);
        let wp_slug = percent_decode(wp_slug.trim()).to_lowercase();
        let name = if name.is_empty() { wp_slug.clone() } else { name };
        let mut slug = slugify(&name);
        if slug.is_empty() {
            slug = slugify(&wp_slug);
        }
        if slug.is_empty() {
            return Ok(None);
        }
        if self.staged_tags.insert(slug.clone()) {
            self.push(Staged::Tag { slug: slug.clone(), name })?;
        }
        // Old exports name some terms without a slug; WordPress made it from the name.
        let wp_slug = if wp_slug.is_empty() { slug.clone() } else { wp_slug };
        let target = || LinkTarget::Tag(slug.clone());
        if taxonomy == "category" {
            self.link(key_of_path(&format!("/category/{}", self.category_path(&wp_slug))), target())?;
            self.link(key_of_path(&format!("/category/{wp_slug}")), target())?;
            if let Ok(id) = term_id.trim().parse::<i64>() {
                self.link(Some(format!("?cat={id}")), target())?;
            }
        } else {
            self.link(key_of_path(&format!("/tag/{wp_slug}")), target())?;
        }
        Ok(Some(slug))
    }

    /// `parent/child` for a category, following the parents the channel declared.
    fn category_path(&self, slug: &str) -> String {
        let mut parts = vec![slug.to_owned()];
        let mut current = slug;
        while let Some(parent) = self.category_parents.get(current).filter(|p| !p.is_empty()) {
            if parts.len() > 16 || parts.contains(parent) {
                break;
            }
            parts.push(parent.clone());
            current = parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Stages a file of the uploads folder (once), or updates what an attachment says about it.
    fn media(&mut self, path: &str, line: u64, wp_id: Option<i64>, title: &str, alt: &str) -> anyhow::Result<bool> {
        let Some(uploads) = &self.uploads else { return Ok(false) };
        if self.staged_media.contains(path) {
            if wp_id.is_some() || !title.is_empty() {
                // Known from a post's content; the attachment adds its id and texts.
                self.push(Staged::MediaInfo {
                    path: path.to_owned(),
                    wp_id,
                    title: title.to_owned(),
                    alt: alt.to_owned(),
                })?;
            }
            return Ok(true);
        }
        let file = uploads.file(path);
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if size > MAX_MEDIA_BYTES {
            self.report.skip(line, format!("files over {} MB, left out of the database", MAX_MEDIA_BYTES >> 20));
            return Ok(false);
        }
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                self.report.skip(line, format!("files that could not be read ({})", e.kind()));
                return Ok(false);
            }
        };
        self.staged_media.insert(path.to_owned());
        let sha256 = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let created_at = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .unwrap_or(self.now);
        self.push(Staged::Media(Box::new(StagedMedia {
            path: path.to_owned(),
            content_type: content_type(path).to_owned(),
            sha256,
            title: title.to_owned(),
            alt: alt.to_owned(),
            wp_id,
            created_at,
            bytes,
        })))?;
        Ok(true)
    }

    fn post(&mut self, seq: u64, item: Item) -> anyhow::Result<()> {
        let line = item.line;
        let kind = if item.post_type == "page" { "page" } else { "post" };
        let mut status = match item.status.trim() {
            "publish" => "published",
            "future" => "scheduled",
            "draft" => "draft",
            "pending" => {
                self.report.note(line, "posts pending review imported as drafts");
                "draft"
            }
            "private" => "private",
            "trash" => "trash",
            other => {
                let why = if other.is_empty() {
                    "items with no status".to_owned()
                } else {
                    format!("items with status {other:?}")
                };
                self.report.skip(line, why);
                return Ok(());
            }
        };
        if !item.post_password.is_empty() && matches!(status, "published" | "scheduled") {
            self.report.note(line, "password-protected posts imported as private (hewn has no post passwords)");
            status = "private";
        }
        let wp_id = item.post_id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let guid = item.guid.trim().to_owned();
        let duplicate = wp_id.is_some_and(|id| !self.seen_posts.insert(id))
            || (!guid.is_empty() && !self.seen_guids.insert(guid.clone()));
        if duplicate {
            self.report.skip(line, "items repeated in the file (same WordPress id or guid)");
            return Ok(());
        }

        let title = item.hewn("title").map_or_else(|| text_of(&item.title), str::to_owned);
        // WordPress renames a trashed post's slug `slug__trashed` to free it.
        let wp_slug = percent_decode(item.post_name.trim()).to_lowercase();
        let wp_slug = wp_slug.strip_suffix("__trashed").unwrap_or(&wp_slug).to_owned();
        let mut slug = if is_valid_slug(&wp_slug) { wp_slug.clone() } else { slugify(&wp_slug) };
        if slug.is_empty() {
            slug = slugify(&title);
        }
        if slug.is_empty() {
            slug = format!("{kind}-{}", wp_id.map_or(seq, |id| u64::try_from(id).unwrap_or(seq)));
        }

        self.learn_offset(&item.post_date, &item.post_date_gmt);
        let local = self.local(&item.post_date);
        let gmt = parse_date(&item.post_date_gmt);
        let published_at = if status == "draft" { gmt } else { gmt.or(local) };
        let updated_at = parse_date(&item.post_modified_gmt)
            .or_else(|| self.local(&item.post_modified))
            .or(published_at)
            .or(local)
            .unwrap_or(self.now);
        let created_at = item
            .hewn("created_at")
            .and_then(|v| v.trim().parse().ok())
            .or(published_at)
            .or(local)
            .unwrap_or(updated_at);

        let (source, source_format, body_html) = match item.hewn("source_format") {
            Some(format @ ("markdown" | "html")) => {
                let source = item.hewn("source").unwrap_or(&item.content).to_owned();
                let body = match (item.hewn("body_html"), format) {
                    (Some(html), _) => markdown::sanitize_post_html(html),
                    (None, "markdown") => markdown::render_markdown(&source),
                    (None, _) => markdown::sanitize_post_html(&source),
                };
                (source, format.to_owned(), body.into_string())
            }
            _ => {
                let mut used = Vec::new();
                let source = content::post_source(&item.content, self.uploads.as_ref(), &mut used);
                for path in used {
                    self.media(&path, line, None, "", "")?;
                }
                let body = markdown::sanitize_post_html(&source).into_string();
                (source, "html".to_owned(), body)
            }
        };
        let excerpt = match item.hewn("excerpt") {
            Some(e) => e.to_owned(),
            None if !item.excerpt.trim().is_empty() => text_of(&item.excerpt),
            None if item.hewn("source_format").is_some() => markdown::excerpt(&body_html),
            None => markdown::excerpt(&content::excerpt_source(&item.content)),
        };
        let author_login = item.creator.trim().to_owned();
        let author_name = match item.hewn("author_name") {
            Some(name) => name.to_owned(),
            None => self.authors.get(&author_login).cloned().unwrap_or_else(|| text_of(&item.creator)),
        };
        let permalink = item.hewn("legacy_permalink").unwrap_or(&item.link).trim().to_owned();

        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let base = self.base_path.clone();
        self.link(key_of_url(&permalink, &base), LinkTarget::Post(seq))?;
        if !wp_slug.is_empty() {
            self.link(key_of_path(&format!("/{wp_slug}")), LinkTarget::Post(seq))?;
        }
        let old_slugs: Vec<String> =
            item.meta_all("_wp_old_slug").map(|s| percent_decode(s.trim()).to_lowercase()).collect();
        for old in old_slugs.into_iter().filter(|s| !s.is_empty()) {
            self.link(key_of_path(&format!("/{old}")), LinkTarget::Post(seq))?;
        }
        for term in &item.terms {
            if matches!(term.domain.as_str(), "category" | "post_tag")
                && let Some(tag_slug) = self.tag(&term.domain, &term.slug, &term.name, "")?
            {
                self.push(Staged::PostTag { post_seq: seq, tag_slug })?;
            }
        }
        let post = StagedPost {
            seq,
            line: i64::try_from(line).unwrap_or(0),
            kind: kind.to_owned(),
            slug,
            title,
            source,
            source_format,
            body_html,
            excerpt,
            status: status.to_owned(),
            sticky: item.is_sticky.trim() == "1",
            author_login,
            author_name,
            comments_open: item.comment_status.trim() != "closed",
            published_at,
            updated_at,
            created_at,
            wp_id,
            wp_guid: guid,
            wp_permalink: permalink,
        };
        self.push(Staged::Post(Box::new(post)))
    }

    fn attachment(&mut self, item: &Item) -> anyhow::Result<()> {
        self.report.attachments += 1;
        let Some(uploads) = &self.uploads else {
            self.report.note(item.line, "attachments left at their old address (no --uploads folder given)");
            return Ok(());
        };
        let path = item
            .meta("_wp_attached_file")
            .and_then(|f| uploads.existing(f))
            .or_else(|| uploads.path_of_url(&item.attachment_url));
        let Some(path) = path else {
            self.report.skip(item.line, "attachments whose file is not in the uploads folder");
            return Ok(());
        };
        let wp_id = item.post_id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let alt = item.meta("_wp_attachment_image_alt").map(text_of).unwrap_or_default();
        if self.media(&path, item.line, wp_id, &text_of(&item.title), &alt)? {
            let base = self.base_path.clone();
            self.link(key_of_url(&item.link, &base), LinkTarget::Media(path.clone()))?;
            if let Some(id) = wp_id {
                self.link(Some(format!("?attachment_id={id}")), LinkTarget::Media(path))?;
            }
        }
        Ok(())
    }
}

impl Sink for Stager {
    fn site(&mut self, site: &Site) -> anyhow::Result<()> {
        self.report.site = site.clone();
        let blog_url =
            [&site.base_blog_url, &site.link, &site.base_site_url].into_iter().find(|u| !u.trim().is_empty());
        self.base_path = blog_url.map(|u| base_path(u)).unwrap_or_default();
        let mut check = Settings::default();
        let wanted = [
            ("site_title", text_of(&site.title)),
            ("tagline", text_of(&site.description)),
            ("language", site.language.trim().to_owned()),
        ];
        for (name, value) in wanted {
            if !value.is_empty() && check.set(name, &value).is_ok() {
                self.push(Staged::Setting { name: name.to_owned(), value })?;
            }
        }
        if !self.base_path.is_empty() {
            self.push(Staged::Setting { name: "wp_base_path".to_owned(), value: self.base_path.clone() })?;
        }
        Ok(())
    }

    fn author(&mut self, author: Author) -> anyhow::Result<()> {
        let login = author.login.trim().to_owned();
        let display = text_of(&author.display_name);
        self.authors.insert(login.clone(), if display.is_empty() { login.clone() } else { display });
        if let Ok(id) = author.id.trim().parse::<i64>() {
            self.push(Staged::Author { login, wp_id: id })?;
        }
        Ok(())
    }

    fn term(&mut self, term: Term) -> anyhow::Result<()> {
        match term.taxonomy.as_str() {
            "category" => {
                let slug = percent_decode(term.slug.trim()).to_lowercase();
                self.category_parents.insert(slug, percent_decode(term.parent.trim()).to_lowercase());
                self.tag("category", &term.slug, &term.name, &term.id)?;
            }
            "post_tag" => {
                if let Some(slug) = self.tag("post_tag", &term.slug, &term.name, &term.id)? {
                    let wp_slug = percent_decode(term.slug.trim()).to_lowercase();
                    self.link(Some(format!("?tag={wp_slug}")), LinkTarget::Tag(slug))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn comment(&mut self, item_seq: u64, c: Comment) -> anyhow::Result<()> {
        self.report.comments += 1;
        self.counters.comments.fetch_add(1, Ordering::Relaxed);
        let kind = match c.kind.trim() {
            "" | "comment" => "comment",
            "pingback" => "pingback",
            "trackback" => "trackback",
            "note" => {
                self.report.skip(c.line, "block editor notes (editorial, not public comments)");
                return Ok(());
            }
            _ => {
                self.report.note(c.line, "comments of other types imported as comments");
                "comment"
            }
        };
        let status = match c.approved.trim() {
            "1" | "approve" | "approved" => "approved",
            "0" | "hold" | "" => "pending",
            "spam" => "spam",
            "trash" | "post-trashed" => "trash",
            _ => {
                self.report.note(c.line, "comments with an unknown status imported as pending");
                "pending"
            }
        };
        let status_before_trash = (status == "trash")
            .then(|| c.meta("_wp_trash_meta_status"))
            .flatten()
            .and_then(|s| match s.trim() {
                "1" => Some("approved"),
                "0" => Some("pending"),
                "spam" => Some("spam"),
                _ => None,
            })
            .map(str::to_owned);
        self.learn_offset(&c.date, &c.date_gmt);
        let created_at = parse_date(&c.date_gmt).or_else(|| self.local(&c.date)).unwrap_or(self.now);
        let wp_id = c.id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let wp_id_unique = wp_id.is_none_or(|id| self.seen_comments.insert(id));
        let render = match (c.hewn("body_html"), c.hewn("body_format")) {
            (Some(html), _) => Render::Html(html.to_owned()),
            (None, Some("markdown")) => Render::Markdown,
            _ => Render::WordPress,
        };
        let author_url = web_url(&decode_entities(c.author_url.trim()));
        if author_url.is_empty() && !c.author_url.trim().is_empty() {
            self.report.note(c.line, "commenter websites dropped (not an http or https address)");
        }
        self.comment_seq += 1;
        let rule = c.hewn("rule").unwrap_or("import").to_owned();
        let user_agent = c.hewn("user_agent").unwrap_or_default().to_owned();
        let comment = StagedComment {
            seq: self.comment_seq,
            post_seq: i64::try_from(item_seq).unwrap_or(i64::MAX),
            line: i64::try_from(c.line).unwrap_or(0),
            wp_id,
            wp_id_unique,
            wp_parent: c.parent.trim().parse::<i64>().ok().filter(|p| *p > 0),
            kind: kind.to_owned(),
            author_name: c.hewn("author").map_or_else(|| text_of(&c.author), str::to_owned),
            author_email: c.author_email.trim().to_owned(),
            author_url,
            user_wp_id: c.user_id.trim().parse::<i64>().ok().filter(|id| *id > 0),
            body_html: String::new(),
            body: c.content,
            status: status.to_owned(),
            status_before_trash,
            rule,
            author_ip: c.author_ip.trim().chars().take(64).collect(),
            user_agent,
            created_at,
        };
        self.push_row(Row::Comment(Box::new(comment), render))
    }

    fn item(&mut self, item_seq: u64, item: Item) -> anyhow::Result<()> {
        self.report.items += 1;
        match item.post_type.trim() {
            "post" | "page" | "" => self.post(item_seq, item),
            "attachment" => self.attachment(&item),
            t if INTERNAL_TYPES.contains(&t) => {
                self.report.skip(item.line, format!("{t} items (WordPress internals, not content)"));
                Ok(())
            }
            t => {
                self.report.skip(item.line, format!("{t} items (hewn has posts and pages only)"));
                Ok(())
            }
        }
    }
}

/// An http(s) URL, or empty: a commenter's website becomes a link, so nothing else
/// (`javascript:` above all) may pass.
fn web_url(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok { url.to_owned() } else { String::new() }
}

/// A WordPress date (`2013-10-12 20:01:00`) as unix seconds; `None` for the zero
/// date WordPress writes for unset times, and for anything unreadable.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0i64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y == 0 || !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The content type of a file, from its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mov" => "video/quicktime",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "epub" => "application/epub+zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_dates_read_as_utc_seconds() {
        assert_eq!(parse_date("2013-10-13 20:01:00"), Some(1_381_694_460));
        assert_eq!(parse_date("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_date("2000-02-29 12:00:00"), Some(951_825_600));
        assert_eq!(parse_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_date("2013-13-01 00:00:00"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn only_web_addresses_pass_as_websites() {
        assert_eq!(web_url("https://example.com/a"), "https://example.com/a");
        for bad in ["javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "example.com", "http://", "http://a b"] {
            assert_eq!(web_url(bad), "", "{bad}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("2013/10/Photo.JPG"), "image/jpeg");
        assert_eq!(content_type("x.js"), "application/octet-stream");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}

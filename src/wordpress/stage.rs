//! From WXR records to staged rows: WordPress statuses, dates, slugs, content and
//! comments converted to what hewn stores, and every item left out noted with its
//! line and the reason. Runs on the reading thread; rows go to the staging database
//! in batches over a channel.

mod comments;
mod disqus;
mod posts;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use super::content;
use super::convert::{content_type, parse_date};
use super::html::text_of;
use super::links::{base_path, key_of_path};
use super::report::Report;
use super::uploads::{Refusal, Uploads};
use super::wxr::{Author, Comment, Item, Sink, Site, Term};
use crate::domain::comment_text;
use crate::domain::percent;
use crate::domain::settings::Settings;
use crate::domain::slug::slugify;
use crate::store::staging::{LinkTarget, Staged, StagedAttachment, StagedComment, StagedMedia, StagedPost};

/// Rows per message to the staging database.
const BATCH: usize = 512;
/// Largest file copied into the database.
pub const MAX_MEDIA_BYTES: u64 = 256 * 1024 * 1024;

/// How a refused uploads file is named in the report.
const REFUSED_FILE: &str = "uploads file";
/// Refused uploads files named one by one; further ones are counted by reason.
const MAX_NAMED_REFUSALS: usize = 100;

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

/// Counters the progress bar reads from another thread, and the post text on its way
/// to the staging database.
#[derive(Debug, Default)]
pub struct Counters {
    pub comments: AtomicU64,
    /// Bytes of post text sent on and not yet written to the staging database.
    pub text_in_flight: AtomicU64,
    /// Set once the staging database takes no more rows: nothing waits for it then.
    pub closed: AtomicBool,
}

/// Post text (bytes) after which a batch is sent on, however few its rows.
const BATCH_TEXT_BYTES: u64 = 8 * 1024 * 1024;
/// Post text (bytes) sent on and not yet staged past which the reading thread waits,
/// so that a file of many large posts is read no faster than it is staged and only
/// a few of them are held at once (a very large one alone).
const MAX_TEXT_IN_FLIGHT: u64 = 64 * 1024 * 1024;
/// How often the waiting reading thread looks again.
const IN_FLIGHT_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// The bytes of post text (source and HTML) in a staged row.
pub fn text_bytes(row: &Staged) -> u64 {
    match row {
        Staged::Post(p) => u64::try_from(p.source.len() + p.body_html.len()).unwrap_or(u64::MAX),
        _ => 0,
    }
}

/// The [`Sink`] of an import.
pub struct Stager {
    out: SyncSender<(u64, Vec<Row>)>,
    batch: Vec<Row>,
    /// Bytes of post text in `batch`.
    batch_text: u64,
    batches: u64,
    uploads: Option<Uploads>,
    base_path: String,
    authors: HashMap<String, String>,
    category_parents: HashMap<String, String>,
    seen_posts: HashSet<i64>,
    seen_guids: HashSet<String>,
    seen_comments: HashSet<i64>,
    /// Disqus ids staged (a Disqus export's posts, or WordPress comments that Disqus's
    /// plugin synced, which carry theirs in `dsq_post_id`).
    seen_disqus: HashSet<i64>,
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
            batch_text: 0,
            batches: 0,
            uploads,
            base_path: String::new(),
            authors: HashMap::new(),
            category_parents: HashMap::new(),
            seen_posts: HashSet::new(),
            seen_guids: HashSet::new(),
            seen_comments: HashSet::new(),
            seen_disqus: HashSet::new(),
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
        if let Row::Ready(staged) = &row {
            self.batch_text = self.batch_text.saturating_add(text_bytes(staged));
        }
        self.batch.push(row);
        if self.batch.len() >= BATCH || self.batch_text >= BATCH_TEXT_BYTES {
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
        let text = std::mem::take(&mut self.batch_text);
        self.counters.text_in_flight.fetch_add(text, Ordering::SeqCst);
        self.out
            .send((self.batches, batch))
            .map_err(|_| anyhow::anyhow!("the staging database stopped taking rows"))?;
        self.batches += 1;
        while self.counters.text_in_flight.load(Ordering::SeqCst) > MAX_TEXT_IN_FLIGHT
            && !self.counters.closed.load(Ordering::SeqCst)
        {
            std::thread::sleep(IN_FLIGHT_POLL);
        }
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
        let wp_slug = percent::decode(wp_slug.trim()).to_lowercase();
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

    /// Names in the report the uploads files refused while staging the item at `line`.
    fn report_refused_files(&mut self, line: u64) {
        let Some(uploads) = &self.uploads else { return };
        for (path, why) in uploads.take_refused() {
            let named = self.report.skipped.keys().filter(|k| k.starts_with(REFUSED_FILE)).count();
            let what = if named < MAX_NAMED_REFUSALS {
                format!("{REFUSED_FILE} {path}: {why}")
            } else {
                format!("{REFUSED_FILE}s not named here: {why}")
            };
            self.report.skip(line, what);
        }
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
        let (bytes, modified) = match uploads.read(path, MAX_MEDIA_BYTES) {
            Ok(file) => file,
            Err(Refusal::TooLarge(_)) => {
                self.report.skip(line, format!("files over {} MB, left out of the database", MAX_MEDIA_BYTES >> 20));
                return Ok(false);
            }
            Err(why) => {
                uploads.refuse(path, why);
                return Ok(false);
            }
        };
        self.staged_media.insert(path.to_owned());
        let sha256 = crate::domain::sha256_hex(&bytes);
        let created_at = modified
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
                let slug = percent::decode(term.slug.trim()).to_lowercase();
                self.category_parents.insert(slug, percent::decode(term.parent.trim()).to_lowercase());
                self.tag("category", &term.slug, &term.name, &term.id)?;
            }
            "post_tag" => {
                if let Some(slug) = self.tag("post_tag", &term.slug, &term.name, &term.id)? {
                    let wp_slug = percent::decode(term.slug.trim()).to_lowercase();
                    self.link(Some(format!("?tag={wp_slug}")), LinkTarget::Tag(slug))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn comment(&mut self, item_seq: u64, c: Comment) -> anyhow::Result<()> {
        self.stage_comment(item_seq, c)
    }

    fn item(&mut self, item_seq: u64, item: Item) -> anyhow::Result<()> {
        self.report.items += 1;
        let line = item.line;
        let (title, wp_id) = (text_of(&item.title), item.post_id.trim().to_owned());
        // A defect in a content pass must not take the import down half-read: it stops
        // here, before anything is written, naming the item.
        let staged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.stage_item(item_seq, item)))
            .unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(anyhow::anyhow!(
                    "the item “{title}” (WordPress id {wp_id}, line {line}) could not be converted ({why}); \
                     nothing was imported"
                ))
            });
        self.report_refused_files(line);
        staged
    }
}

impl Stager {
    fn stage_item(&mut self, item_seq: u64, item: Item) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::SeqCst;

    use super::*;

    fn post_of(bytes: usize) -> Staged {
        Staged::Post(Box::new(StagedPost { source: "x".repeat(bytes), ..StagedPost::default() }))
    }

    #[test]
    fn a_batch_is_sent_on_once_it_holds_8_mb_of_post_text() -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        let counters = Arc::new(Counters::default());
        let mut stager = Stager::new(tx, None, Arc::clone(&counters));

        stager.push(post_of(5 << 20))?;
        let held = rx.try_recv().is_err();
        stager.push(post_of(5 << 20))?;

        assert!(held, "5 MB of text waits for more rows");
        let (_, rows) = rx.try_recv()?;
        assert_eq!(rows.len(), 2);
        assert_eq!(counters.text_in_flight.load(SeqCst), 10 << 20);
        Ok(())
    }

    #[test]
    fn the_reader_waits_while_over_64_mb_of_post_text_is_on_its_way() -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        let counters = Arc::new(Counters::default());
        let mut stager = Stager::new(tx, None, Arc::clone(&counters));
        let staging = Arc::clone(&counters);
        let staged = std::thread::spawn(move || {
            let mut most = 0;
            for (_, rows) in rx {
                most = most.max(staging.text_in_flight.load(SeqCst));
                let text: u64 = rows.iter().map(|r| if let Row::Ready(s) = r { text_bytes(s) } else { 0 }).sum();
                // The staging database takes its time.
                std::thread::sleep(std::time::Duration::from_millis(20));
                staging.text_in_flight.fetch_sub(text, SeqCst);
            }
            most
        });

        for _ in 0..12 {
            stager.push(post_of(10 << 20))?;
        }
        drop(stager);

        let most = staged.join().map_err(|_| anyhow::anyhow!("the staging thread panicked"))?;
        assert!(most <= MAX_TEXT_IN_FLIGHT + (10 << 20), "{} MB on its way", most >> 20);
        Ok(())
    }

    #[test]
    fn the_reader_stops_waiting_once_the_staging_database_takes_no_more() -> anyhow::Result<()> {
        let (tx, _rx) = std::sync::mpsc::sync_channel(16);
        let counters = Arc::new(Counters::default());
        let mut stager = Stager::new(tx, None, Arc::clone(&counters));
        counters.closed.store(true, SeqCst);

        stager.push(post_of(usize::try_from(MAX_TEXT_IN_FLIGHT)? + 1))?;

        assert_eq!(counters.text_in_flight.load(SeqCst), MAX_TEXT_IN_FLIGHT + 1);
        Ok(())
    }
}

//! Staging posts, pages and attachments: statuses, slugs, dates, content, excerpts,
//! tags and old addresses.

use super::{LinkTarget, Staged, StagedAttachment, StagedPost, Stager};
use crate::domain::markdown;
use crate::domain::percent;
use crate::domain::slug::{is_valid as is_valid_slug, slugify};
use crate::domain::status::{PostKind, PostStatus};
use crate::wordpress::bounds::{MAX_ATTRIBUTES, MAX_DEPTH};
use crate::wordpress::content;
use crate::wordpress::convert::{content_type, parse_date};
use crate::wordpress::html::text_of;
use crate::wordpress::links::{key_of_path, key_of_url};
use crate::wordpress::uploads::media_url;
use crate::wordpress::wxr::Item;

impl Stager {
    pub(super) fn post(&mut self, seq: u64, mut item: Item) -> anyhow::Result<()> {
        let line = item.line;
        let kind = if item.post_type == "page" { PostKind::Page } else { PostKind::Post };
        let mut status = match item.status.trim() {
            "publish" => PostStatus::Published,
            "future" => PostStatus::Scheduled,
            "draft" => PostStatus::Draft,
            "pending" => {
                self.report.note(line, "posts pending review imported as drafts");
                PostStatus::Draft
            }
            "private" => PostStatus::Private,
            "trash" => PostStatus::Trash,
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
        if !item.post_password.is_empty() && matches!(status, PostStatus::Published | PostStatus::Scheduled) {
            self.report.note(line, "password-protected posts imported as private (hewn has no post passwords)");
            status = PostStatus::Private;
        }
        let wp_id = item.post_id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let mut guid = item.guid.trim().to_owned();
        let repeated_guid = !guid.is_empty() && !self.seen_guids.insert(guid.clone());
        let duplicate = match wp_id {
            Some(id) => !self.seen_posts.insert(id),
            None => repeated_guid,
        };
        if duplicate {
            self.report.skip(line, "items repeated in the file (same WordPress id or guid)");
            return Ok(());
        }
        if repeated_guid {
            // Another post with its own id (WordPress's theme test data has such
            // copies): imported, as WordPress does, and matched by its id on a re-import.
            self.report.note(line, "posts sharing another post's guid, imported (matched by WordPress id)");
            guid.clear();
        }

        let title = item.hewn("title").map_or_else(|| text_of(&item.title), str::to_owned);
        // WordPress renames a trashed post's slug `slug__trashed` to free it.
        let wp_slug = percent::decode(item.post_name.trim()).to_lowercase();
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
        let published_at = if status == PostStatus::Draft { gmt } else { gmt.or(local) };
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

        // Made before the content is converted, which takes it (and lets go of it);
        // a hewn export's excerpt, if it has none, is made from its HTML below.
        let excerpt = match item.hewn("excerpt") {
            Some(e) => Some(e.to_owned()),
            None if !item.excerpt.trim().is_empty() => Some(text_of(&item.excerpt)),
            None if item.hewn("source_format").is_some() => None,
            None => Some(content::excerpt(&item.content)),
        };
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
                let raw = std::mem::take(&mut item.content);
                let (source, cut) = content::post_source_bounded(raw, self.uploads.as_ref(), &mut used);
                if cut.flattened > 0 {
                    self.report.note(
                        line,
                        format!(
                            "“{title}”: {} elements nested deeper than {MAX_DEPTH} levels, flattened (their text kept)",
                            cut.flattened
                        ),
                    );
                }
                if cut.attributes > 0 {
                    self.report.note(
                        line,
                        format!("“{title}”: {} attributes past {MAX_ATTRIBUTES} on one tag, dropped", cut.attributes),
                    );
                }
                if source.contains("[gallery") {
                    // Shown once every attachment of the file is known (see `import::show_galleries`).
                    self.push(Staged::Gallery { post_seq: i64::try_from(seq).unwrap_or(i64::MAX) })?;
                }
                for path in used {
                    self.media(&path, line, None, "", "")?;
                }
                let body = content::sanitize_post(&source).into_string();
                (source, "html".to_owned(), body)
            }
        };
        let excerpt = excerpt.unwrap_or_else(|| markdown::excerpt(&body_html));
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
            item.meta_all("_wp_old_slug").map(|s| percent::decode(s.trim()).to_lowercase()).collect();
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
            thumbnail_wp_id: item.meta("_thumbnail_id").and_then(|id| id.trim().parse().ok()).filter(|id| *id > 0),
        };
        self.push(Staged::Post(Box::new(post)))
    }

    pub(super) fn attachment(&mut self, item: &Item) -> anyhow::Result<()> {
        self.report.attachments += 1;
        let wp_id = item.post_id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let alt = item.meta("_wp_attachment_image_alt").map(text_of).unwrap_or_default();
        let served = self.attachment_file(item, wp_id, &alt)?;
        // Galleries show it from hewn when its file was copied, else from its old address.
        let old = item.attachment_url.trim();
        let url =
            served.or_else(|| (old.starts_with("https://") || old.starts_with("http://")).then(|| old.to_owned()));
        if let (Some(wp_id), Some(url)) = (wp_id, url) {
            let file = item.meta("_wp_attached_file").unwrap_or(old);
            let attachment = StagedAttachment {
                wp_id,
                parent: item.post_parent.trim().parse::<i64>().ok().filter(|id| *id > 0),
                menu_order: item.menu_order.trim().parse().unwrap_or(0),
                url,
                alt,
                caption: text_of(&item.excerpt),
                image: content_type(file.split(['?', '#']).next().unwrap_or(file)).starts_with("image/"),
            };
            self.push(Staged::Attachment(Box::new(attachment)))?;
        }
        Ok(())
    }

    /// Copies an attachment's file from the uploads folder, returning the address
    /// hewn serves it at.
    fn attachment_file(&mut self, item: &Item, wp_id: Option<i64>, alt: &str) -> anyhow::Result<Option<String>> {
        let Some(uploads) = &self.uploads else {
            self.report.note(item.line, "attachments left at their old address (no --uploads folder given)");
            return Ok(None);
        };
        let path = item
            .meta("_wp_attached_file")
            .and_then(|f| uploads.existing(f))
            .or_else(|| uploads.path_of_url(&item.attachment_url));
        let Some(path) = path else {
            self.report.skip(item.line, "attachments whose file is not in the uploads folder");
            return Ok(None);
        };
        if !self.media(&path, item.line, wp_id, &text_of(&item.title), alt)? {
            return Ok(None);
        }
        let base = self.base_path.clone();
        self.link(key_of_url(&item.link, &base), LinkTarget::Media(path.clone()))?;
        if let Some(id) = wp_id {
            self.link(Some(format!("?attachment_id={id}")), LinkTarget::Media(path.clone()))?;
        }
        Ok(Some(media_url(&path)))
    }
}

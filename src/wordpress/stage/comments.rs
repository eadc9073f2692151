//! Staging comments: kinds, statuses, dates, threads and commenters' websites.

use crate::domain::status::{CommentKind, CommentStatus};
use std::sync::atomic::Ordering;

use super::{Render, Row, Stager};
use crate::store::staging::StagedComment;
use crate::wordpress::convert::{parse_date, web_url};
use crate::wordpress::html::{decode_entities, text_of};
use crate::wordpress::wxr::Comment;

impl Stager {
    /// Stages a comment of item `item_seq`.
    pub(super) fn stage_comment(&mut self, item_seq: u64, c: Comment) -> anyhow::Result<()> {
        self.report.comments += 1;
        self.counters.comments.fetch_add(1, Ordering::Relaxed);
        let kind = match c.kind.trim() {
            "" | "comment" => CommentKind::Comment,
            "pingback" => CommentKind::Pingback,
            "trackback" => CommentKind::Trackback,
            "note" => {
                self.report.skip(c.line, "block editor notes (editorial, not public comments)");
                return Ok(());
            }
            _ => {
                self.report.note(c.line, "comments of other types imported as comments");
                CommentKind::Comment
            }
        };
        let status = match c.approved.trim() {
            "1" | "approve" | "approved" => CommentStatus::Approved,
            "0" | "hold" | "" => CommentStatus::Pending,
            "spam" => CommentStatus::Spam,
            "trash" | "post-trashed" => CommentStatus::Trash,
            _ => {
                self.report.note(c.line, "comments with an unknown status imported as pending");
                CommentStatus::Pending
            }
        };
        let status_before_trash = (status == CommentStatus::Trash)
            .then(|| c.meta("_wp_trash_meta_status"))
            .flatten()
            .and_then(|s| match s.trim() {
                "1" => Some(CommentStatus::Approved),
                "0" => Some(CommentStatus::Pending),
                "spam" => Some(CommentStatus::Spam),
                _ => None,
            });
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
        // hewn's own export: the comment's text, when the content is the HTML shown.
        let text = c.hewn("body").map(str::to_owned);
        let user_agent = c.hewn("user_agent").unwrap_or_default().to_owned();
        // Disqus's plugin records the comment's Disqus id; the first comment with an id keeps it.
        let disqus_id = c
            .meta("dsq_post_id")
            .and_then(|id| id.trim().parse::<i64>().ok())
            .filter(|id| *id > 0 && self.seen_disqus.insert(*id));
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
            body: text.unwrap_or(c.content),
            status: status.to_owned(),
            status_before_trash,
            rule,
            author_ip: c.author_ip.trim().chars().take(64).collect(),
            user_agent,
            created_at,
            disqus_id,
            ..StagedComment::default()
        };
        self.push_row(Row::Comment(Box::new(comment), render))
    }
}

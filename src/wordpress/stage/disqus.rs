//! Staging a Disqus export: its threads (matched to the site's posts when the import
//! plans) and its comments, which become comments as a WordPress export's do, on the
//! path WordPress comments take (same rendering, same sanitising).

use crate::domain::status::{CommentKind, CommentStatus};
use std::sync::atomic::Ordering;

use super::{Render, Row, Stager};
use crate::domain::percent;
use crate::store::staging::{Staged, StagedComment, StagedThread};
use crate::wordpress::convert::parse_date;
use crate::wordpress::disqus::{DisqusSink, Post, Thread};
use crate::wordpress::html::text_of;
use crate::wordpress::links::{key_of_path, path_of_url};

impl DisqusSink for Stager {
    fn thread(&mut self, thread: Thread) -> anyhow::Result<()> {
        self.report.items += 1;
        let Some(dsq_id) = disqus_id(&thread.dsq_id) else {
            self.report.skip(thread.line, "threads without a Disqus id (dsq:id)");
            return Ok(());
        };
        let link = thread.link.trim();
        let path = path_of_url(link);
        let link_key = key_of_path(path).unwrap_or_default();
        let slug = link_key.rsplit('/').next().unwrap_or_default().to_owned();
        // WordPress's Disqus plugin names a thread `123 https://…/?p=123`; a link may
        // be WordPress's own `?p=123` or `?page_id=123`.
        let from_identifier = thread.identifier.split_whitespace().next().and_then(|id| id.parse::<i64>().ok());
        let from_link = link.split_once('?').and_then(|(_, query)| {
            query.split('&').find_map(|pair| match pair.split_once('=') {
                Some(("p" | "page_id", id)) => id.trim().parse::<i64>().ok(),
                _ => None,
            })
        });
        self.push(Staged::Thread(Box::new(StagedThread {
            dsq_id,
            line: i64::try_from(thread.line).unwrap_or(0),
            link: link.to_owned(),
            link_key,
            slug: percent::decode(&slug),
            wp_id: from_identifier.or(from_link).filter(|id| *id > 0),
        })))
    }

    fn post(&mut self, post: Post) -> anyhow::Result<()> {
        self.report.comments += 1;
        self.counters.comments.fetch_add(1, Ordering::Relaxed);
        let Some(id) = disqus_id(&post.dsq_id) else {
            self.report.skip(post.line, "comments without a Disqus id (dsq:id)");
            return Ok(());
        };
        let Some(thread) = disqus_id(&post.thread) else {
            self.report.skip(post.line, "comments that name no thread");
            return Ok(());
        };
        if !self.seen_disqus.insert(id) {
            self.report.skip(post.line, "comments that appear twice in the file (the first is kept)");
            return Ok(());
        }
        let status = if post.is_spam {
            CommentStatus::Spam
        } else if post.is_deleted {
            CommentStatus::Trash
        } else {
            CommentStatus::Approved
        };
        let created_at = post
            .created_at
            .trim()
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_second())
            .ok()
            .or_else(|| parse_date(&post.created_at))
            .unwrap_or_else(|| {
                self.report.note(post.line, "comments without a readable time, dated now");
                self.now
            });
        let name = text_of(&post.author_name);
        let author_name = if name.is_empty() { text_of(&post.author_username) } else { name };
        self.comment_seq += 1;
        let comment = StagedComment {
            seq: self.comment_seq,
            line: i64::try_from(post.line).unwrap_or(0),
            wp_id_unique: true,
            kind: CommentKind::Comment,
            author_name,
            author_email: post.author_email.trim().to_owned(),
            body: post.message,
            status,
            rule: "import".to_owned(),
            author_ip: post.ip_address.trim().chars().take(64).collect(),
            created_at,
            disqus_id: Some(id),
            disqus_parent: disqus_id(&post.parent),
            disqus_thread: Some(thread),
            ..StagedComment::default()
        };
        self.push_row(Row::Comment(Box::new(comment), Render::WordPress))
    }
}

/// A Disqus id (a positive number).
fn disqus_id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

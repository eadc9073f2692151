//! The index and post pages.

use std::collections::HashMap;

use askama::Template;

use super::Layout;
use super::comments::RespondView;
use super::pager::Pager;
use crate::domain::settings::Settings;
use crate::domain::status::CommentKind;
use crate::domain::thread;
use crate::domain::{SafeHtml, datefmt, responsive};
use crate::store::comments::PublicComment;
use crate::store::featured::Featured;
use crate::store::posts::{PostSummary, PublicPost};

/// `templates/posts/index.html`: a page of post summaries.
#[derive(Template)]
#[template(path = "posts/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub posts: Vec<SummaryView>,
    pub pager: Pager,
}

/// One post in a listing.
pub struct SummaryView {
    pub url: String,
    pub title: String,
    pub date: String,
    pub datetime: String,
    pub excerpt: String,
    pub comments_label: String,
    /// The featured image's markup, when lists show it.
    pub featured: Option<SafeHtml>,
}

impl SummaryView {
    pub fn new(p: &PostSummary, settings: &Settings) -> Self {
        let zone = settings.zone();
        Self {
            url: post_url(&p.slug),
            title: p.title.clone(),
            date: datefmt::format(p.published_at, &zone, &settings.date_format),
            datetime: datefmt::rfc3339(p.published_at),
            excerpt: p.excerpt.clone(),
            comments_label: count_label(p.comment_count),
            featured: None,
        }
    }

    /// A list of posts with their featured images (`featured`, by post id): the
    /// first image of the list loads at once, the ones below it lazily.
    pub fn list(posts: &[PostSummary], settings: &Settings, featured: &HashMap<i64, Featured>) -> Vec<Self> {
        let mut seen_image = false;
        posts
            .iter()
            .map(|p| {
                let mut view = Self::new(p, settings);
                if let Some(image) = featured.get(&p.id) {
                    view.featured = Some(featured_html(image, seen_image));
                    seen_image = true;
                }
                view
            })
            .collect()
    }
}

/// The responsive markup of a featured image; `lazy` below the page's first image.
pub fn featured_html(image: &Featured, lazy: bool) -> SafeHtml {
    responsive::image_html(&image.path, &image.alt, &image.responsive(), lazy)
}

/// `templates/posts/show.html`: a post with its comment thread.
#[derive(Template)]
#[template(path = "posts/show.html")]
pub struct PostPage {
    pub layout: Layout,
    pub post: PostView,
    pub comments_heading: String,
    pub thread: Vec<ThreadEntry>,
    /// Tags and previous/next links (see `views::archive`).
    pub footer: super::archive::PostFooter,
    /// The "Leave a Reply" section.
    pub respond: RespondView,
    /// The featured image's markup, when the post has one and the site shows it.
    pub featured: Option<SafeHtml>,
}

/// A post's own content, ready to print.
pub struct PostView {
    pub id: i64,
    pub title: String,
    pub date: String,
    pub datetime: String,
    /// Sanitised when stored.
    pub body_html: String,
}

/// A comment in display order, with how to open and close its nesting.
pub struct ThreadEntry {
    pub comment: CommentView,
    pub depth: usize,
    pub has_children: bool,
    pub closes: usize,
}

/// A comment, ready to print. Built from [`PublicComment`], so it has no email.
pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub author_url: Option<String>,
    pub by_author: bool,
    pub kind_label: Option<&'static str>,
    pub date: String,
    pub datetime: String,
    /// Sanitised when stored.
    pub body_html: String,
    /// Held for moderation: shown only to its author, marked as awaiting moderation.
    pub awaiting: bool,
    /// `?replytocom=ID#respond` on the post, when replies are open.
    pub reply_url: Option<String>,
    /// The number it had on WordPress, when the import had to renumber it (another
    /// comment here had it): old `#comment-N` links still land on it.
    pub old_anchor: Option<i64>,
    /// Edited by its author after posting.
    pub edited: bool,
    /// Deleted by its author, kept as a placeholder for its replies.
    pub deleted: bool,
    /// Its author's Edit and Delete links, within the edit window, on their own page.
    pub edit_url: Option<String>,
    pub delete_url: Option<String>,
    /// The avatar's address, when the site shows avatars.
    pub avatar: Option<String>,
}

impl CommentView {
    pub fn new(c: &PublicComment, settings: &Settings, zone: &jiff::tz::TimeZone) -> Self {
        let author = super::comments::author_name(&c.author_name);
        let date = format!(
            "{} at {}",
            datefmt::format(c.created_at, zone, &settings.date_format),
            datefmt::format(c.created_at, zone, &settings.time_format)
        );
        Self {
            id: c.id,
            author,
            author_url: (!c.author_url.is_empty()).then(|| c.author_url.clone()),
            by_author: c.by_author,
            kind_label: match c.kind {
                CommentKind::Pingback => Some("Pingback"),
                CommentKind::Trackback => Some("Trackback"),
                CommentKind::Comment => None,
            },
            date,
            datetime: datefmt::rfc3339(c.created_at),
            body_html: c.body_html.clone(),
            awaiting: false,
            reply_url: None,
            old_anchor: None,
            edited: c.edited_at.is_some(),
            deleted: c.deleted,
            edit_url: None,
            delete_url: None,
            avatar: settings.discussion.avatars.then(|| crate::domain::privacy::avatar_path(&c.avatar_key)),
        }
    }
}

impl PostPage {
    pub fn new(layout: Layout, post: &PublicPost, comments: &[PublicComment], settings: &Settings) -> Self {
        Self::with_discussion(layout, post, comments, &[], settings, RespondView::none())
    }

    /// The page with its reply form, and with the reader's own held comments (`own`)
    /// in the thread, marked as awaiting moderation.
    pub fn with_discussion(
        layout: Layout,
        post: &PublicPost,
        comments: &[PublicComment],
        own: &[PublicComment],
        settings: &Settings,
        respond: RespondView,
    ) -> Self {
        let zone = settings.zone();
        let depth = usize::try_from(settings.discussion.thread_depth).unwrap_or(1);
        let mut shown: Vec<PublicComment> = comments.iter().chain(own).cloned().collect();
        shown.sort_by_key(|c| (c.created_at, c.id));
        let held: Vec<i64> = own.iter().map(|c| c.id).collect();
        let ids: std::collections::HashSet<i64> = shown.iter().map(|c| c.id).collect();
        // A depth of 1 turns threading off, and with it the Reply links.
        let replies_open = respond.shown && respond.open && depth > 1;
        let thread = thread::build(&shown, depth)
            .into_iter()
            .map(|item| {
                let mut comment = CommentView::new(item.comment, settings, &zone);
                comment.awaiting = held.contains(&comment.id);
                // An anchor no comment of the page has as its own.
                comment.old_anchor = item.comment.wp_id.filter(|old| *old != comment.id && !ids.contains(old));
                if replies_open && !comment.awaiting && !comment.deleted && item.comment.kind == CommentKind::Comment {
                    comment.reply_url = Some(format!("{}?replytocom={}#respond", post_url(&post.slug), comment.id));
                }
                ThreadEntry { comment, depth: item.depth, has_children: item.has_children, closes: item.closes }
            })
            .collect();
        Self {
            layout,
            post: PostView {
                id: post.id,
                title: post.title.clone(),
                date: datefmt::format(post.published_at, &zone, &settings.date_format),
                datetime: datefmt::rfc3339(post.published_at),
                body_html: post.body_html.clone(),
            },
            comments_heading: comments_heading(comments.len(), &post.title),
            thread,
            footer: super::archive::PostFooter::default(),
            respond,
            featured: None,
        }
    }
}

impl PostPage {
    /// Shows `image` at the top of the post: the page's first image, so it loads at
    /// once and the body's images load lazily.
    pub fn show_featured(&mut self, image: &Featured) {
        self.featured = Some(featured_html(image, false));
        self.post.body_html = responsive::lazy_images(&self.post.body_html);
    }

    /// Offers Edit and Delete on the comments `ids` (the reader's own, within the
    /// edit window): only on a page sent to that reader alone.
    pub fn allow_edits(&mut self, slug: &str, ids: &[i64]) {
        for entry in &mut self.thread {
            let c = &mut entry.comment;
            if ids.contains(&c.id) && !c.deleted {
                c.edit_url = Some(format!("{}/comments/{}/edit", post_url(slug), c.id));
                c.delete_url = Some(format!("{}/comments/{}/delete", post_url(slug), c.id));
            }
        }
    }
}

/// The public URL path of a post.
pub fn post_url(slug: &str) -> String {
    format!("/posts/{slug}")
}

/// `N comments for “Title”`, as on the reference page.
pub fn comments_heading(count: usize, title: &str) -> String {
    match count {
        0 => format!("No comments yet on “{title}”"),
        1 => format!("1 comment for “{title}”"),
        n => format!("{n} comments for “{title}”"),
    }
}

/// `No comments`, `1 comment`, `N comments`.
pub fn count_label(count: i64) -> String {
    match count {
        0 => "No comments".to_owned(),
        1 => "1 comment".to_owned(),
        n => format!("{n} comments"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_use_curly_quotes_and_plural_rules() {
        assert_eq!(comments_heading(2, "Year"), "2 comments for “Year”");
        assert_eq!(comments_heading(1, "Year"), "1 comment for “Year”");
        assert_eq!(comments_heading(0, "Year"), "No comments yet on “Year”");
    }
}

//! Fixture builders: `app.post().title("Coal").tag("Mining").published().create()` and
//! `app.comment(post).author("Ann").body("Hi").approved().create()`, stored the way the
//! editor and the comment form store them (through the store, with rendered HTML).

use hewn::domain::comment_text;
use hewn::domain::moderation::Rule;
use hewn::store::comments;

use crate::corpus::{self, Post};
use crate::helpers::TestApp;

impl TestApp {
    /// A post to create: published, dated 2017-07-14, titled "A post", with a slug made
    /// from its title, until told otherwise.
    pub fn post(&self) -> PostBuilder<'_> {
        PostBuilder {
            app: self,
            kind: "post",
            slug: None,
            title: "A post".to_owned(),
            body: "Some words.".to_owned(),
            status: "published",
            published_at: Post::default().published_at,
            tags: Vec::new(),
        }
    }

    /// A comment on `post` to create: held for moderation, by "Reader"
    /// <reader@example.org> from 198.51.100.7, a minute old, until told otherwise.
    pub fn comment(&self, post: i64) -> CommentBuilder<'_> {
        CommentBuilder {
            app: self,
            post,
            parent: None,
            author: "Reader".to_owned(),
            email: "reader@example.org".to_owned(),
            url: String::new(),
            ip: "198.51.100.7".to_owned(),
            body: "A comment.".to_owned(),
            html: None,
            status: "pending",
            rule: Rule::FirstComment.as_str(),
            created_at: None,
        }
    }
}

/// See [`TestApp::post`].
pub struct PostBuilder<'a> {
    app: &'a TestApp,
    kind: &'static str,
    slug: Option<String>,
    title: String,
    body: String,
    status: &'static str,
    published_at: i64,
    tags: Vec<String>,
}

impl PostBuilder<'_> {
    /// The title; the slug follows it unless set with [`PostBuilder::slug`].
    pub fn title(mut self, title: &str) -> Self {
        title.clone_into(&mut self.title);
        self
    }

    pub fn slug(mut self, slug: &str) -> Self {
        self.slug = Some(slug.to_owned());
        self
    }

    /// The Markdown source.
    pub fn body(mut self, markdown: &str) -> Self {
        markdown.clone_into(&mut self.body);
        self
    }

    /// A page rather than a post.
    pub fn page(mut self) -> Self {
        self.kind = "page";
        self
    }

    /// Published (the default) at its date.
    pub fn published(mut self) -> Self {
        self.status = "published";
        self
    }

    pub fn draft(mut self) -> Self {
        self.status = "draft";
        self
    }

    /// Private: stored, never shown to readers.
    pub fn private(mut self) -> Self {
        self.status = "private";
        self
    }

    /// In the trash.
    pub fn trashed(mut self) -> Self {
        self.status = "trash";
        self
    }

    /// Scheduled to appear at `at` (unix seconds).
    pub fn scheduled(mut self, at: i64) -> Self {
        self.status = "scheduled";
        self.published_at = at;
        self
    }

    /// Dated `at` (unix seconds).
    pub fn at(mut self, at: i64) -> Self {
        self.published_at = at;
        self
    }

    pub fn tag(mut self, name: &str) -> Self {
        self.tags.push(name.to_owned());
        self
    }

    /// Stores the post (its Markdown rendered, its tags set); returns its id.
    pub async fn create(self) -> i64 {
        let slug = self.slug.unwrap_or_else(|| hewn::domain::slug::slugify(&self.title));
        let tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        corpus::add_post(
            &self.app.store,
            Post {
                kind: self.kind.parse().unwrap(),
                slug: &slug,
                title: &self.title,
                markdown: &self.body,
                status: self.status,
                published_at: self.published_at,
                tags: &tags,
            },
        )
        .await
    }
}

/// See [`TestApp::comment`].
pub struct CommentBuilder<'a> {
    app: &'a TestApp,
    post: i64,
    parent: Option<i64>,
    author: String,
    email: String,
    url: String,
    ip: String,
    body: String,
    html: Option<String>,
    status: &'static str,
    rule: &'static str,
    created_at: Option<i64>,
}

impl CommentBuilder<'_> {
    pub fn author(mut self, name: &str) -> Self {
        name.clone_into(&mut self.author);
        self
    }

    pub fn email(mut self, email: &str) -> Self {
        email.clone_into(&mut self.email);
        self
    }

    /// The commenter's website.
    pub fn url(mut self, url: &str) -> Self {
        url.clone_into(&mut self.url);
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        ip.clone_into(&mut self.ip);
        self
    }

    /// The text as the commenter typed it (rendered as the comment form renders it).
    pub fn body(mut self, text: &str) -> Self {
        text.clone_into(&mut self.body);
        self
    }

    /// The stored HTML, as an import or older version stored it, instead of the
    /// rendering of the text.
    pub fn html(mut self, html: &str) -> Self {
        self.html = Some(html.to_owned());
        self
    }

    /// A reply to the comment `parent`.
    pub fn reply_to(mut self, parent: i64) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Written at `at` (unix seconds; default: a minute before the app's clock).
    pub fn at(mut self, at: i64) -> Self {
        self.created_at = Some(at);
        self
    }

    /// Shown on the post.
    pub fn approved(mut self) -> Self {
        self.status = "approved";
        self.rule = Rule::KnownAuthor.as_str();
        self
    }

    /// Held for moderation (the default).
    pub fn held(mut self) -> Self {
        self.status = "pending";
        self.rule = Rule::FirstComment.as_str();
        self
    }

    pub fn spam(mut self) -> Self {
        self.status = "spam";
        self.rule = Rule::Blocklist.as_str();
        self
    }

    /// In the trash.
    pub fn trashed(mut self) -> Self {
        self.status = "trash";
        self
    }

    /// The moderation rule recorded as having decided the status.
    pub fn rule(mut self, rule: &'static str) -> Self {
        self.rule = rule;
        self
    }

    /// Stores the comment; returns its id.
    pub async fn create(self) -> i64 {
        let body_html = self.html.unwrap_or_else(|| comment_text::render(&self.body).as_str().to_owned());
        let created_at = self.created_at.unwrap_or_else(|| self.app.store.now() - 60);
        comments::insert(
            &self.app.store,
            &comments::NewComment {
                post_id: self.post,
                parent_id: self.parent,
                kind: hewn::domain::status::CommentKind::Comment,
                author_name: &self.author,
                author_email: &self.email,
                author_url: &self.url,
                user_id: None,
                body: &self.body,
                body_html: &body_html,
                status: self.status.parse().unwrap(),
                rule: self.rule,
                author_ip: &self.ip,
                user_agent: "TestBrowser/1.0",
                created_at,
                avatar_key: "",
            },
        )
        .await
        .unwrap()
    }
}

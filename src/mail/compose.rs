//! What each kind of mail says, and the message that carries it: one recipient,
//! a plain-text and an HTML part, `Date`, a stable `Message-ID`, `Auto-Submitted`,
//! and `In-Reply-To`/`References` that thread one post's mails together. Every
//! header value made from people's words is reduced to one line first, so nothing
//! anyone types can add a header.

use std::time::{Duration, SystemTime};

use askama::Template;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::domain::queue::{Action, rule_label};
use crate::domain::signing::{LinkPurpose, LinkSignature, Secret};
use crate::domain::status::CommentStatus;
use crate::views::mail::{Block, LetterHtml, LetterText, LetterView};

/// How long the one-click moderation links and the confirmation link work.
pub const LINK_SECONDS: i64 = 7 * 24 * 60 * 60;
/// How long the unsubscribe links work.
pub const UNSUBSCRIBE_SECONDS: i64 = 365 * 24 * 60 * 60;

/// A mail ready to become a message.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub view: LetterView,
    /// The post the mail is about: its mails share a thread.
    pub post_id: Option<i64>,
    /// RFC 8058 one-click unsubscribe URL.
    pub unsubscribe: Option<String>,
}

/// What signing and linking need.
pub struct Context<'a> {
    pub base_url: &'a str,
    pub site_title: &'a str,
    pub secret: &'a Secret,
    pub now: i64,
}

impl Context<'_> {
    fn subject(&self, text: &str) -> String {
        one_line(&format!("[{}] {text}", self.site_title))
    }

    fn letter(&self, heading: String, blocks: Vec<Block>, footer: Vec<Block>) -> LetterView {
        LetterView { site_title: self.site_title.to_owned(), heading, blocks, footer }
    }

    /// A signed link: `path` with `expires` and `sig` for `fields`.
    fn signed(&self, path: &str, purpose: LinkPurpose, fields: &[&str], seconds: i64) -> String {
        let signature = LinkSignature::sign(self.secret, purpose, fields, self.now + seconds);
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}{}", self.base_url, signature.query())
    }

    /// The one-click link for `action` on a comment that is now `status`.
    pub fn moderate_link(&self, comment_id: i64, action: Action, status: CommentStatus) -> String {
        let id = comment_id.to_string();
        self.signed(
            &format!("/mail/moderate/{id}/{}?status={}", action.as_str(), status.as_str()),
            LinkPurpose::Moderate,
            &[&id, action.as_str(), status.as_str()],
            LINK_SECONDS,
        )
    }

    pub fn confirm_link(&self, address_id: i64) -> String {
        let id = address_id.to_string();
        self.signed(&format!("/mail/confirm/{id}"), LinkPurpose::Confirm, &[&id], LINK_SECONDS)
    }

    /// Unsubscribes from one post, or with `None` from everything.
    pub fn unsubscribe_link(&self, address_id: i64, post_id: Option<i64>) -> String {
        let id = address_id.to_string();
        let post = post_id.map_or_else(|| "all".to_owned(), |p| p.to_string());
        self.signed(
            &format!("/mail/unsubscribe/{id}/{post}"),
            LinkPurpose::Unsubscribe,
            &[&id, &post],
            UNSUBSCRIBE_SECONDS,
        )
    }

    pub fn subscriptions_link(&self, address_id: i64) -> String {
        let id = address_id.to_string();
        self.signed(&format!("/mail/subscriptions/{id}"), LinkPurpose::Subscriptions, &[&id], UNSUBSCRIBE_SECONDS)
    }

    /// The link to a commenter's own page, working until the link row expires.
    pub fn manage_link(&self, link_id: i64, expires: i64) -> String {
        let id = link_id.to_string();
        let signature = LinkSignature::sign(self.secret, LinkPurpose::Manage, &[&id], expires);
        format!("{}/comments/manage/{id}?{}", self.base_url, signature.query())
    }

    fn post_link(&self, slug: &str, comment_id: Option<i64>) -> String {
        let path = crate::domain::percent::url(&crate::views::posts::post_url(slug));
        match comment_id {
            Some(id) => format!("{}{path}#comment-{id}", self.base_url),
            None => format!("{}{path}", self.base_url),
        }
    }
}

/// A comment as the admin's mails show it.
#[derive(Debug, Clone)]
pub struct AdminView<'a> {
    pub id: i64,
    pub post_title: &'a str,
    pub post_slug: &'a str,
    pub post_id: i64,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub author_ip: &'a str,
    pub rule: &'a str,
    pub body: &'a str,
    pub status: CommentStatus,
}

fn admin_facts(c: &AdminView<'_>) -> Block {
    let or_none = |s: &str| if s.is_empty() { "(none)".to_owned() } else { s.to_owned() };
    Block::Facts(vec![
        ("Author".into(), crate::views::comments::author_name(c.author_name)),
        ("Email".into(), or_none(c.author_email)),
        ("Website".into(), or_none(c.author_url)),
        ("IP address".into(), or_none(c.author_ip)),
    ])
}

/// To an admin: a comment waits for moderation, with one-click actions.
pub fn held(ctx: &Context<'_>, to: &str, c: &AdminView<'_>, others_waiting: i64) -> Letter {
    let mut facts = admin_facts(c);
    if let Block::Facts(rows) = &mut facts {
        rows.push(("Held because".into(), rule_label(c.rule)));
    }
    let waiting = match others_waiting {
        0 => "No other comment is waiting for approval.".to_owned(),
        1 => "1 other comment is waiting for approval.".to_owned(),
        n => format!("{n} other comments are waiting for approval."),
    };
    let blocks = vec![
        Block::Para(format!("A new comment on the post “{}” is waiting for your approval.", c.post_title)),
        facts,
        Block::Quote { who: crate::views::comments::author_name(c.author_name), text: c.body.to_owned() },
        Block::Links(vec![
            ("Approve".into(), ctx.moderate_link(c.id, Action::Approve, c.status)),
            ("Spam".into(), ctx.moderate_link(c.id, Action::Spam, c.status)),
            ("Trash".into(), ctx.moderate_link(c.id, Action::Trash, c.status)),
            ("Edit".into(), format!("{}/admin/comments/{}/edit", ctx.base_url, c.id)),
        ]),
        Block::Para(waiting),
        Block::Links(vec![("Moderation queue".into(), format!("{}/admin/comments?status=pending", ctx.base_url))]),
    ];
    let footer = vec![Block::Para(
        "Approve, Spam and Trash work without logging in for 7 days, and only while the comment is still held: \
         each opens a page with one button that does it. You get this mail because “Email me whenever a comment \
         is held for moderation” is on in Settings."
            .into(),
    )];
    Letter {
        to: to.to_owned(),
        subject: ctx.subject(&format!("Please moderate: “{}”", c.post_title)),
        view: ctx.letter(format!("A comment on “{}” is waiting for approval", c.post_title), blocks, footer),
        post_id: Some(c.post_id),
        unsubscribe: None,
    }
}

/// To an admin: a comment appeared.
pub fn posted(ctx: &Context<'_>, to: &str, c: &AdminView<'_>) -> Letter {
    let blocks = vec![
        Block::Para(format!("A new comment on the post “{}”.", c.post_title)),
        admin_facts(c),
        Block::Quote { who: crate::views::comments::author_name(c.author_name), text: c.body.to_owned() },
        Block::Links(vec![
            ("View it".into(), ctx.post_link(c.post_slug, Some(c.id))),
            ("Spam".into(), ctx.moderate_link(c.id, Action::Spam, c.status)),
            ("Trash".into(), ctx.moderate_link(c.id, Action::Trash, c.status)),
            ("Edit".into(), format!("{}/admin/comments/{}/edit", ctx.base_url, c.id)),
        ]),
    ];
    let footer = vec![Block::Para(
        "You get this mail because “Email me whenever anyone posts a comment” is on in Settings.".into(),
    )];
    Letter {
        to: to.to_owned(),
        subject: ctx.subject(&format!("Comment: “{}”", c.post_title)),
        view: ctx.letter(format!("New comment on “{}”", c.post_title), blocks, footer),
        post_id: Some(c.post_id),
        unsubscribe: None,
    }
}

/// A comment a subscriber hears about.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub id: i64,
    pub author_name: &'a str,
    pub body: &'a str,
}

/// To a subscriber: new approved comments on a post they follow.
pub fn notify(
    ctx: &Context<'_>,
    to: &str,
    address_id: i64,
    post: (i64, &str, &str),
    comments: &[NewComment<'_>],
) -> Letter {
    let (post_id, title, slug) = post;
    let mut blocks = vec![Block::Para(match comments.len() {
        1 => format!("There is a new comment on “{title}”."),
        n => format!("There are {n} new comments on “{title}”."),
    })];
    for c in comments {
        blocks.push(Block::Quote { who: crate::views::comments::author_name(c.author_name), text: c.body.to_owned() });
        blocks.push(Block::Links(vec![("Read it on the site".into(), ctx.post_link(slug, Some(c.id)))]));
    }
    let unsubscribe = ctx.unsubscribe_link(address_id, Some(post_id));
    let footer = vec![
        Block::Para(format!("You get this mail because you asked to hear about new comments on “{title}”.")),
        Block::Links(vec![
            ("Stop these mails".into(), unsubscribe.clone()),
            ("All your subscriptions".into(), ctx.subscriptions_link(address_id)),
        ]),
    ];
    let subject = match comments.len() {
        1 => format!("New comment on “{title}”"),
        n => format!("{n} new comments on “{title}”"),
    };
    Letter {
        to: to.to_owned(),
        subject: ctx.subject(&subject),
        view: ctx.letter(subject.clone(), blocks, footer),
        post_id: Some(post_id),
        unsubscribe: Some(unsubscribe),
    }
}

/// To a new subscriber: confirm the address (the only mail an unconfirmed address gets).
pub fn confirm(ctx: &Context<'_>, to: &str, address_id: i64, post_title: &str) -> Letter {
    let blocks = vec![
        Block::Para(format!(
            "Someone, probably you, asked to be told by email about new comments on “{post_title}” at {}.",
            ctx.site_title
        )),
        Block::Para("To start getting these mails, confirm your address:".into()),
        Block::Links(vec![("Confirm my address".into(), ctx.confirm_link(address_id))]),
        Block::Para(
            "If it was not you, ignore this mail: without a confirmation this address gets nothing more.".into(),
        ),
    ];
    Letter {
        to: to.to_owned(),
        subject: ctx.subject("Please confirm your subscription"),
        view: ctx.letter("Please confirm your subscription".into(), blocks, vec![]),
        post_id: None,
        unsubscribe: None,
    }
}

/// To a commenter who asked: the link to every comment written with their address.
pub fn manage(ctx: &Context<'_>, to: &str, link_id: i64, expires: i64) -> Letter {
    let blocks = vec![
        Block::Para(format!(
            "Someone, probably you, asked for a link to the comments written with this address at {}.",
            ctx.site_title
        )),
        Block::Links(vec![("Your comments".into(), ctx.manage_link(link_id, expires))]),
        Block::Para(
            "The link works for one hour. On its page you can see your comments, download what the blog holds \
             about you, erase your name and address from them, or delete them. If it was not you, ignore this mail."
                .into(),
        ),
    ];
    Letter {
        to: to.to_owned(),
        subject: ctx.subject("Your comments"),
        view: ctx.letter("Your comments".into(), blocks, vec![]),
        post_id: None,
        unsubscribe: None,
    }
}

/// The admin's test message.
pub fn test(ctx: &Context<'_>, to: &str) -> Letter {
    let blocks = vec![Block::Para(format!(
        "This is a test message from hewn at {}. If you can read it, mail works.",
        ctx.base_url
    ))];
    Letter {
        to: to.to_owned(),
        subject: ctx.subject("Test message"),
        view: ctx.letter("Test message".into(), blocks, vec![]),
        post_id: None,
        unsubscribe: None,
    }
}

/// A header value on one line: control characters (CR, LF, tabs…) and the line and
/// paragraph separators become spaces, runs of spaces one space.
pub fn one_line(text: &str) -> String {
    let spaced: String =
        text.chars().map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The stable `Message-ID` of an outbox row (the same on every retry).
pub fn message_id(outbox_id: i64, created_at: i64, host: &str) -> String {
    format!("<hewn.{outbox_id}.{created_at}@{host}>")
}

/// The `Message-ID` every mail about one post refers to, so that mail clients put
/// them in one thread.
pub fn thread_id(post_id: i64, host: &str) -> String {
    format!("<hewn.post.{post_id}@{host}>")
}

fn raw(name: &str, value: &str) -> Result<HeaderValue, String> {
    let name = HeaderName::new_from_ascii(name.to_owned()).map_err(|e| format!("header {name}: {e}"))?;
    Ok(HeaderValue::new(name, one_line(value)))
}

/// The message for `letter` from `from`, written at `now`.
pub fn message(letter: &Letter, from: &Mailbox, id: &str, now: i64) -> Result<Message, String> {
    let to: Mailbox = one_line(&letter.to).parse().map_err(|e| format!("the address cannot be mailed: {e}"))?;
    let host = from.email.domain().to_owned();
    let text = LetterText { letter: &letter.view }.render().map_err(|e| e.to_string())?;
    let html = LetterHtml { letter: &letter.view }.render().map_err(|e| e.to_string())?;
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(now).unwrap_or(0));
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&letter.subject))
        .date(date)
        .message_id(Some(id.to_owned()))
        .raw_header(raw("Auto-Submitted", "auto-generated")?);
    if let Some(post) = letter.post_id {
        let thread = thread_id(post, &host);
        builder = builder.in_reply_to(thread.clone()).references(thread);
    }
    if let Some(url) = &letter.unsubscribe {
        builder = builder
            .raw_header(raw("List-Unsubscribe", &format!("<{url}>"))?)
            .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")?);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(secret: &Secret) -> Context<'_> {
        Context { base_url: "https://blog.example", site_title: "Blog", secret, now: 1_000 }
    }

    #[test]
    fn nothing_anyone_types_adds_a_header() -> Result<(), String> {
        let secret = Secret::new(b"k".repeat(32));
        let ctx = ctx(&secret);
        let title = "Hello\r\nBcc: victim@example.org\r\n\r\nbody";
        let c = AdminView {
            id: 7,
            post_title: title,
            post_slug: "hello",
            post_id: 3,
            author_name: "Eve\r\nX-Evil: 1",
            author_email: "eve@example.org",
            author_url: "",
            author_ip: "1.2.3.4",
            rule: "first-comment",
            body: "text",
            status: CommentStatus::Pending,
        };
        let letter = held(&ctx, "admin@example.org", &c, 0);
        let from: Mailbox = "Blog <blog@blog.example>".parse().map_err(|e| format!("{e:?}"))?;
        let bytes = message(&letter, &from, &message_id(1, 2, "blog.example"), 1_000)?.formatted();
        let text = String::from_utf8_lossy(&bytes);
        let (headers, _) = text.split_once("\r\n\r\n").ok_or("no header block")?;
        for line in headers.lines() {
            assert!(!line.starts_with("Bcc") && !line.starts_with("X-Evil"), "{headers}");
        }
        assert!(headers.contains("Auto-Submitted: auto-generated"), "{headers}");
        assert!(headers.contains("In-Reply-To: <hewn.post.3@blog.example>"), "{headers}");
        assert!(
            message(&Letter { to: "a@b.example\r\nBcc: c@d.example".into(), ..letter }, &from, "<x@y>", 0).is_err()
                || !String::from_utf8_lossy(
                    &message(&test(&ctx, "a@b.example\r\nBcc: c@d.example"), &from, "<x@y>", 0)?.formatted()
                )
                .contains("\r\nBcc:")
        );
        Ok(())
    }

    #[test]
    fn links_are_signed_for_their_purpose_and_fields() {
        let secret = Secret::new(b"k".repeat(32));
        let ctx = ctx(&secret);
        let link = ctx.moderate_link(7, Action::Approve, CommentStatus::Pending);
        assert!(link.starts_with("https://blog.example/mail/moderate/7/approve?status=pending&expires=605800&sig="));
        let sig = link.rsplit_once("sig=").map(|(_, s)| s.to_owned()).unwrap_or_default();
        let signature = LinkSignature { expires: 1_000 + LINK_SECONDS, sig };
        assert!(signature.verify(&secret, LinkPurpose::Moderate, &["7", "approve", "pending"], 1_001));
        assert!(!signature.verify(&secret, LinkPurpose::Moderate, &["7", "approve", "approved"], 1_001));
        assert!(!signature.verify(&secret, LinkPurpose::Moderate, &["7", "spam", "pending"], 1_001));
        assert!(!signature.verify(&secret, LinkPurpose::Confirm, &["7"], 1_001));
        assert!(!signature.verify(&secret, LinkPurpose::Moderate, &["7", "approve", "pending"], 1_000 + LINK_SECONDS));
    }
}

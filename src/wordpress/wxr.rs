//! The streaming WXR reader: turns a WordPress export (WXR 1.0 to 1.2) into records,
//! one at a time, holding no more than one item (without its comments) in memory.
//!
//! Elements are matched by namespace URI, not prefix, so any prefix works; a prefix
//! that was never declared (a common defect of hand-edited files) is matched by its
//! usual name. Entities, CDATA sections (including `]]>` split across sections) and
//! line ends are decoded by quick-xml; undeclared entities such as `&nbsp;` are kept
//! as they are, which is what HTML content wants.

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The namespace of hewn's own additions to WXR (lossless round trips). WordPress's
/// importer ignores elements in namespaces it does not know.
pub const HEWN_NS: &str = "urn:hewn:wxr:1";
/// The WXR versions hewn reads.
pub const VERSIONS: [&str; 3] = ["1.0", "1.1", "1.2"];

/// WordPress's export namespace without its scheme, version and slashes:
/// `http://wordpress.org/export/1.2/` and `https://wordpress.org/export/1.2` are both
/// WXR 1.2 (WordPress has written both, and hand-edited files drop the slash).
const WP_NS: &str = "wordpress.org/export/";
const CONTENT_NS: &str = "purl.org/rss/1.0/modules/content";
const DC_NS: &str = "purl.org/dc/elements/1.1";

pub use super::records::{Author, Comment, Item, ItemTerm, KEPT_COMMENT_META, KEPT_POST_META, Sink, Site, Term};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not well-formed XML, at a byte offset of the decoded text.
    #[error("{message}")]
    Xml { offset: u64, message: String },
    /// Well-formed, but not a WXR file hewn can read.
    #[error("{message}")]
    Invalid { line: u64, message: String },
    /// The sink failed (e.g. the staging database).
    #[error(transparent)]
    Sink(#[from] anyhow::Error),
}

/// Namespaces WXR uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Wp,
    Content,
    Excerpt,
    Dc,
    Hewn,
    Other,
}

/// Something that can tell the current line (the decoding reader).
pub trait Lines {
    fn line(&self) -> u64;
}

impl<R: std::io::Read> Lines for super::input::Decoded<R> {
    fn line(&self) -> u64 {
        super::input::Decoded::line(self)
    }
}

impl<T: Lines> Lines for &mut T {
    fn line(&self) -> u64 {
        T::line(self)
    }
}

impl Lines for &[u8] {
    fn line(&self) -> u64 {
        0
    }
}

/// The reader's buffer, which grows for an element larger than this.
const BUF_CAPACITY: usize = 64 * 1024;

/// Reads a whole WXR document from `input`, feeding `sink`. Returns the site header.
pub fn read<R: BufRead + Lines>(input: R, sink: &mut impl Sink) -> Result<Site, ReadError> {
    let mut xml = NsReader::from_reader(input);
    xml.config_mut().check_end_names = true;
    let mut state = State::default();
    let mut buf = Vec::with_capacity(BUF_CAPACITY);
    loop {
        let line_before = xml.get_ref().line();
        let (ns, event) = match xml.read_resolved_event_into(&mut buf) {
            Ok((resolved, event)) => {
                let ns = match &event {
                    Event::Start(e) | Event::Empty(e) => {
                        let ns = namespace(&resolved, e);
                        if let (Ok(Ns::Other), ResolveResult::Bound(uri)) = (&ns, &resolved) {
                            state.note_foreign(e, uri.0);
                        }
                        Some(ns)
                    }
                    _ => None,
                };
                (ns, event)
            }
            Err(e) => return Err(ReadError::Xml { offset: xml.error_position(), message: e.to_string() }),
        };
        let line = xml.get_ref().line();
        // The root element is named by the line it starts on (its namespace
        // declarations often span several).
        let line =
            if state.depth == 0 && matches!(event, Event::Start(_) | Event::Empty(_)) { line_before } else { line };
        let ns = match ns {
            Some(Ok(ns)) => ns,
            Some(Err(message)) => return Err(ReadError::Invalid { line, message }),
            None => Ns::None,
        };
        match event {
            Event::Start(e) => state.start(ns, &e, line, sink)?,
            Event::Empty(e) => {
                state.start(ns, &e, line, sink)?;
                state.end(line, sink)?;
            }
            Event::End(_) => state.end(line, sink)?,
            Event::Text(t) => {
                if state.depth == 0 && !t.trim().is_empty() {
                    let text = t.xml10_content();
                    let line = line_before + leading_lines(&text);
                    return Err(ReadError::Invalid { line, message: not_wxr(&not_xml(&text)) });
                }
                state.text.push_str(&t.xml10_content());
            }
            Event::CData(c) => state.text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => state.text.push(c),
                _ => match &*r {
                    "lt" => state.text.push('<'),
                    "gt" => state.text.push('>'),
                    "amp" => state.text.push('&'),
                    "apos" => state.text.push('\''),
                    "quot" => state.text.push('"'),
                    other => {
                        // An HTML entity XML does not define: kept for the HTML it sits in.
                        state.text.push('&');
                        state.text.push_str(other);
                        state.text.push(';');
                    }
                },
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        // A large element (a post's content) is not kept room for until the end.
        buf.shrink_to(BUF_CAPACITY);
    }
    let line = xml.get_ref().line();
    if let Some(open) = state.depth.checked_sub(1).and_then(|i| state.stack.get(i)) {
        return Err(ReadError::Invalid {
            line,
            message: format!(
                "the file ends inside <{}> where the rest of it was expected: it is truncated or incomplete",
                open.name
            ),
        });
    }
    if !state.seen_root {
        return Err(ReadError::Invalid { line, message: not_wxr("it is empty") });
    }
    if !state.site_sent {
        return Err(ReadError::Invalid { line, message: not_wxr("it has no <channel>") });
    }
    Ok(state.site)
}

/// The newlines before the first character that is not white space.
pub(super) fn leading_lines(text: &str) -> u64 {
    text.chars().take_while(|c| c.is_whitespace()).filter(|c| *c == '\n').count() as u64
}

/// Why text outside any element means the file is not XML, quoting how it starts.
pub(super) fn not_xml(text: &str) -> String {
    let start: String = text.trim_start().chars().take(24).map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("it is not XML: it starts with the text \"{}\" where an XML document was expected", start.trim_end())
}

fn not_wxr(why: &str) -> String {
    format!("this is not a WordPress export (WXR) file: {why}")
}

/// A namespace URI as compared: no `http://` or `https://`, no `www.`, no trailing slash.
fn bare_uri(uri: &str) -> &str {
    let uri = uri.trim();
    let uri = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://")).unwrap_or(uri);
    let uri = uri.strip_prefix("www.").unwrap_or(uri);
    uri.trim_end_matches('/')
}

/// The namespace of an element, or an error for a WXR version hewn does not know.
fn namespace(resolved: &ResolveResult<'_>, e: &BytesStart<'_>) -> Result<Ns, String> {
    Ok(match resolved {
        ResolveResult::Unbound => Ns::None,
        ResolveResult::Bound(ns) => {
            let uri = ns.0;
            match bare_uri(uri) {
                CONTENT_NS => Ns::Content,
                DC_NS => Ns::Dc,
                _ if uri == HEWN_NS => Ns::Hewn,
                bare => match bare.strip_prefix(WP_NS) {
                    Some(rest) => {
                        let (version, excerpt) = match rest.split_once('/') {
                            Some((v, "excerpt")) => (v, true),
                            Some((v, _)) => (v, false),
                            None => (rest, false),
                        };
                        if !VERSIONS.contains(&version) {
                            return Err(unsupported_version(version));
                        }
                        if excerpt { Ns::Excerpt } else { Ns::Wp }
                    }
                    None => Ns::Other,
                },
            }
        }
        ResolveResult::Unknown(prefix) => match prefix.as_str() {
            "wp" => Ns::Wp,
            "content" => Ns::Content,
            "excerpt" => Ns::Excerpt,
            "dc" => Ns::Dc,
            "hewn" => Ns::Hewn,
            prefix => {
                let name = e.name();
                return Err(format!("the element <{}> uses the undeclared namespace prefix {prefix:?}", name.0));
            }
        },
    })
}

fn unsupported_version(version: &str) -> String {
    format!(
        "unsupported WXR version {version:?}: hewn reads WordPress exports of WXR {} (WordPress 3.0 and later)",
        VERSIONS.join(", ")
    )
}

struct Frame {
    ns: Ns,
    name: String,
}

/// What is being read: the record in progress and the element path.
#[derive(Default)]
struct State {
    stack: Vec<Frame>,
    /// How many frames of `stack` are live (frames above are kept for their allocation).
    depth: usize,
    text: String,
    seen_root: bool,
    seen_wp: bool,
    /// The first `wp:` or `excerpt:` element in a namespace that is not WordPress's:
    /// its prefix and namespace, for the message refusing the file.
    foreign_wp: Option<(String, String)>,
    site: Site,
    site_sent: bool,
    author: Author,
    term: Term,
    item: Option<Item>,
    item_seq: u64,
    item_term: ItemTerm,
    comment: Option<Comment>,
    meta_key: String,
    meta_value: String,
}

impl State {
    fn note_foreign(&mut self, e: &BytesStart<'_>, uri: &str) {
        let name = e.name();
        let prefix = name.prefix().map(|p| p.as_ref().to_owned());
        if self.foreign_wp.is_none()
            && let Some(prefix) = prefix.filter(|p| matches!(p.as_str(), "wp" | "excerpt"))
        {
            self.foreign_wp = Some((prefix, uri.to_owned()));
        }
    }

    fn start(&mut self, ns: Ns, e: &BytesStart<'_>, line: u64, sink: &mut impl Sink) -> Result<(), ReadError> {
        let local = e.local_name();
        let local = local.as_ref();
        if self.depth < self.stack.len() {
            if let Some(frame) = self.stack.get_mut(self.depth) {
                frame.ns = ns;
                frame.name.clear();
                frame.name.push_str(local);
            }
        } else {
            self.stack.push(Frame { ns, name: local.to_owned() });
        }
        self.depth += 1;
        self.text.clear();
        if ns == Ns::Wp {
            self.seen_wp = true;
        }
        match (self.depth, ns, local) {
            (1, Ns::None, "rss") => self.seen_root = true,
            (1, _, other) => {
                let what = match other {
                    "disqus" => "; it is a Disqus comments export: import it with `hewn import disqus FILE`",
                    "html" => ": it is a web page, not an export",
                    "feed" => ": it is an Atom feed, not an export",
                    _ => "",
                };
                return Err(ReadError::Invalid {
                    line,
                    message: not_wxr(&format!("its root element is <{other}> where <rss> was expected{what}")),
                });
            }
            (3, Ns::None, "item") => {
                self.send_site(line, sink)?;
                self.item_seq += 1;
                self.item = Some(Item { line, ..Item::default() });
            }
            (3, Ns::Wp, "author") => self.author = Author::default(),
            (3, Ns::Wp, "category") => self.term = Term { taxonomy: "category".to_owned(), ..Term::default() },
            (3, Ns::Wp, "tag") => self.term = Term { taxonomy: "post_tag".to_owned(), ..Term::default() },
            (3, Ns::Wp, "term") => self.term = Term::default(),
            (4, Ns::None, "category") if self.item.is_some() => {
                let mut term = ItemTerm { domain: "category".to_owned(), ..ItemTerm::default() };
                for attr in e.attributes().flatten() {
                    #[allow(deprecated)]
                    let value =
                        attr.unescape_value().map(|v| v.into_owned()).unwrap_or_else(|_| attr.value.to_string());
                    match attr.key.local_name().as_ref() {
                        "domain" if value == "tag" => term.domain = "post_tag".to_owned(),
                        "domain" => term.domain = value,
                        "nicename" => term.slug = value,
                        _ => {}
                    }
                }
                self.item_term = term;
            }
            (4, Ns::Wp, "comment") if self.item.is_some() => {
                self.comment = Some(Comment { line, ..Comment::default() })
            }
            (4 | 5, Ns::Wp, "postmeta" | "commentmeta") => {
                self.meta_key.clear();
                self.meta_value.clear();
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, line: u64, sink: &mut impl Sink) -> Result<(), ReadError> {
        let text = std::mem::take(&mut self.text);
        let Some(top) = self.depth.checked_sub(1) else { return Ok(()) };
        // The names are taken out and put back, so that matching allocates nothing.
        let (ns, name) = match self.stack.get_mut(top) {
            Some(f) => (f.ns, std::mem::take(&mut f.name)),
            None => return Ok(()),
        };
        let parent = top.checked_sub(1).and_then(|i| self.stack.get_mut(i)).map(|f| std::mem::take(&mut f.name));
        let result = self.assign(ns, &name, parent.as_deref().unwrap_or_default(), text, line, sink);
        if let Some(f) = self.stack.get_mut(top) {
            f.name = name;
        }
        if let (Some(p), Some(f)) = (parent, top.checked_sub(1).and_then(|i| self.stack.get_mut(i))) {
            f.name = p;
        }
        self.depth = top;
        result
    }

    fn assign(
        &mut self,
        ns: Ns,
        name: &str,
        parent: &str,
        text: String,
        line: u64,
        sink: &mut impl Sink,
    ) -> Result<(), ReadError> {
        match self.depth {
            2 if name == "channel" => self.send_site(line, sink)?,
            3 => self.channel_child(ns, name, text, line, sink)?,
            4 if parent == "item" => self.item_child(ns, name, text, sink)?,
            4 if parent == "author" => {
                let a = &mut self.author;
                match name {
                    "author_id" => a.id = text,
                    "author_login" => a.login = text,
                    "author_email" => a.email = text,
                    "author_display_name" => a.display_name = text,
                    _ => {}
                }
            }
            4 if matches!(parent, "category" | "tag" | "term") => {
                let t = &mut self.term;
                match name {
                    "term_id" => t.id = text,
                    "category_nicename" | "tag_slug" | "term_slug" => t.slug = text,
                    "category_parent" | "term_parent" => t.parent = text,
                    "cat_name" | "tag_name" | "term_name" => t.name = text,
                    "term_taxonomy" => t.taxonomy = text,
                    _ => {}
                }
            }
            5 if parent == "comment" => self.comment_child(ns, name, text),
            5 | 6 if matches!(parent, "postmeta" | "commentmeta") => match name {
                "meta_key" => self.meta_key = text,
                "meta_value" => self.meta_value = text,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }

    fn send_site(&mut self, line: u64, sink: &mut impl Sink) -> Result<(), ReadError> {
        if self.site_sent {
            return Ok(());
        }
        if self.site.wxr_version.is_empty() {
            if !self.seen_wp {
                let why = match &self.foreign_wp {
                    Some((prefix, uri)) => format!(
                        "its {prefix}: elements are in the namespace \"{uri}\", where WordPress's export \
                         namespace (http://wordpress.org/export/1.2/ or an https:// form) was expected"
                    ),
                    None => "it is an RSS feed without WordPress's export namespace (expected \
                             <wp:wxr_version> in http://wordpress.org/export/1.2/ or an https:// form)"
                        .to_owned(),
                };
                return Err(ReadError::Invalid { line, message: not_wxr(&why) });
            }
            "1.0".clone_into(&mut self.site.wxr_version);
        }
        self.site_sent = true;
        sink.site(&self.site)?;
        Ok(())
    }

    fn channel_child(
        &mut self,
        ns: Ns,
        name: &str,
        text: String,
        line: u64,
        sink: &mut impl Sink,
    ) -> Result<(), ReadError> {
        match (ns, name) {
            (Ns::None, "title") => self.site.title = text,
            (Ns::None, "link") => self.site.link = text,
            (Ns::None, "description") => self.site.description = text,
            (Ns::None, "language") => self.site.language = text,
            (Ns::None, "generator") => self.site.generator = text,
            (Ns::Wp, "wxr_version") => {
                let v = text.trim();
                if !VERSIONS.contains(&v) {
                    return Err(ReadError::Invalid { line, message: unsupported_version(v) });
                }
                self.site.wxr_version = v.to_owned();
            }
            (Ns::Wp, "base_site_url") => self.site.base_site_url = text,
            (Ns::Wp, "base_blog_url") => self.site.base_blog_url = text,
            (Ns::Wp, "author") => {
                self.send_site(line, sink)?;
                sink.author(std::mem::take(&mut self.author))?;
            }
            (Ns::Wp, "category" | "tag" | "term") => {
                self.send_site(line, sink)?;
                sink.term(std::mem::take(&mut self.term))?;
            }
            (Ns::None, "item") => {
                if let Some(item) = self.item.take() {
                    sink.item(self.item_seq, item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn item_child(&mut self, ns: Ns, name: &str, text: String, sink: &mut impl Sink) -> Result<(), ReadError> {
        if (ns, name) == (Ns::Wp, "comment") {
            if let Some(comment) = self.comment.take() {
                sink.comment(self.item_seq, comment)?;
            }
            return Ok(());
        }
        let Some(item) = self.item.as_mut() else { return Ok(()) };
        match (ns, name) {
            (Ns::None, "title") => item.title = text,
            (Ns::None, "link") => item.link = text,
            (Ns::None, "guid") => item.guid = text,
            (Ns::None, "category") => {
                let mut term = std::mem::take(&mut self.item_term);
                term.name = text;
                item.terms.push(term);
            }
            (Ns::Dc, "creator") => item.creator = text,
            (Ns::Content, "encoded") => item.content = text,
            (Ns::Excerpt, "encoded") => item.excerpt = text,
            (Ns::Wp, "postmeta") if KEPT_POST_META.contains(&self.meta_key.as_str()) => {
                item.meta.push((std::mem::take(&mut self.meta_key), std::mem::take(&mut self.meta_value)));
            }
            (Ns::Hewn, _) => item.hewn.push((name.to_owned(), text)),
            (Ns::Wp, field) => {
                let slot = match field {
                    "post_id" => &mut item.post_id,
                    "post_date" => &mut item.post_date,
                    "post_date_gmt" => &mut item.post_date_gmt,
                    "post_modified" => &mut item.post_modified,
                    "post_modified_gmt" => &mut item.post_modified_gmt,
                    "comment_status" => &mut item.comment_status,
                    "post_name" => &mut item.post_name,
                    "status" => &mut item.status,
                    "post_parent" => &mut item.post_parent,
                    "menu_order" => &mut item.menu_order,
                    "post_type" => &mut item.post_type,
                    "post_password" => &mut item.post_password,
                    "is_sticky" => &mut item.is_sticky,
                    "attachment_url" => &mut item.attachment_url,
                    _ => return Ok(()),
                };
                *slot = text;
            }
            _ => {}
        }
        Ok(())
    }

    fn comment_child(&mut self, ns: Ns, name: &str, text: String) {
        let Some(c) = self.comment.as_mut() else { return };
        match (ns, name) {
            (Ns::Wp, "commentmeta") if KEPT_COMMENT_META.contains(&self.meta_key.as_str()) => {
                c.meta.push((std::mem::take(&mut self.meta_key), std::mem::take(&mut self.meta_value)));
            }
            (Ns::Hewn, _) => c.hewn.push((name.to_owned(), text)),
            (Ns::Wp, field) => {
                let slot = match field {
                    "comment_id" => &mut c.id,
                    "comment_author" => &mut c.author,
                    "comment_author_email" => &mut c.author_email,
                    "comment_author_url" => &mut c.author_url,
                    "comment_author_IP" => &mut c.author_ip,
                    "comment_date" => &mut c.date,
                    "comment_date_gmt" => &mut c.date_gmt,
                    "comment_content" => &mut c.content,
                    "comment_approved" => &mut c.approved,
                    "comment_type" => &mut c.kind,
                    "comment_parent" => &mut c.parent,
                    "comment_user_id" => &mut c.user_id,
                    _ => return,
                };
                *slot = text;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        site: Option<Site>,
        authors: Vec<Author>,
        terms: Vec<Term>,
        items: Vec<(u64, Item)>,
        comments: Vec<(u64, Comment)>,
    }

    impl Sink for Collect {
        fn site(&mut self, site: &Site) -> anyhow::Result<()> {
            self.site = Some(site.clone());
            Ok(())
        }
        fn author(&mut self, author: Author) -> anyhow::Result<()> {
            self.authors.push(author);
            Ok(())
        }
        fn term(&mut self, term: Term) -> anyhow::Result<()> {
            self.terms.push(term);
            Ok(())
        }
        fn comment(&mut self, item_seq: u64, comment: Comment) -> anyhow::Result<()> {
            self.comments.push((item_seq, comment));
            Ok(())
        }
        fn item(&mut self, item_seq: u64, item: Item) -> anyhow::Result<()> {
            self.items.push((item_seq, item));
            Ok(())
        }
    }

    fn parse(xml: &str) -> Result<Collect, ReadError> {
        let mut sink = Collect::default();
        read(xml.as_bytes(), &mut sink)?;
        Ok(sink)
    }

    fn error_of(xml: &str) -> String {
        parse(xml).err().map(|e| e.to_string()).unwrap_or_default()
    }

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>A &amp; B</title><wp:wxr_version>1.2</wp:wxr_version>"#;

    #[test]
    fn items_comments_and_terms_are_read_in_order() -> Result<(), ReadError> {
        let xml = format!(
            "{HEAD}<wp:author><wp:author_login><![CDATA[jo]]></wp:author_login><wp:author_display_name>Jo &#8217;s</wp:author_display_name></wp:author>\
             <wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>news</wp:category_nicename><wp:cat_name><![CDATA[News & more]]></wp:cat_name></wp:category>\
             <item><title>T&#8217;s</title><content:encoded><![CDATA[a]]]]><![CDATA[>b &nbsp;]]></content:encoded>\
             <wp:post_id>7</wp:post_id><category domain=\"post_tag\" nicename=\"x-y\"><![CDATA[X Y]]></category>\
             <wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value>old</wp:meta_value></wp:postmeta>\
             <wp:postmeta><wp:meta_key>_edit_lock</wp:meta_key><wp:meta_value>1</wp:meta_value></wp:postmeta>\
             <wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_content>hi &lt;b&gt; &amp;nbsp;</wp:comment_content></wp:comment>\
             </item></channel></rss>"
        );
        let got = parse(&xml)?;
        assert_eq!(got.site.map(|s| s.title).as_deref(), Some("A & B"));
        assert_eq!(got.authors[0].display_name, "Jo \u{2019}s");
        assert_eq!(got.terms[0].name, "News & more");
        assert_eq!(got.terms[0].taxonomy, "category");
        let (seq, item) = &got.items[0];
        assert_eq!(*seq, 1);
        assert_eq!(item.title, "T\u{2019}s");
        assert_eq!(item.content, "a]]>b &nbsp;");
        assert_eq!(item.terms, vec![ItemTerm { domain: "post_tag".into(), slug: "x-y".into(), name: "X Y".into() }]);
        assert_eq!(item.meta, vec![("_wp_old_slug".to_owned(), "old".to_owned())]);
        assert_eq!(got.comments[0].0, 1);
        assert_eq!(got.comments[0].1.content, "hi <b> &nbsp;");
        Ok(())
    }

    #[test]
    fn versions_outside_1_0_to_1_2_are_refused() {
        let xml = HEAD.replace("<wp:wxr_version>1.2", "<wp:wxr_version>2.0") + "</channel></rss>";
        let err = error_of(&xml);
        assert!(err.contains("unsupported WXR version \"2.0\""), "{err}");
        let xml = HEAD.replace("export/1.2/\"", "export/1.3/\"") + "<wp:base_site_url/></channel></rss>";
        let err = error_of(&xml);
        assert!(err.contains("1.3"), "{err}");
    }

    #[test]
    fn other_documents_are_not_wxr() {
        for (doc, why) in [
            ("<html><body/></html>", "root element is <html>"),
            ("<rss><channel><title>x</title><item/></channel></rss>", "RSS feed without"),
            ("<disqus xmlns=\"http://disqus.com\"/>", "hewn import disqus"),
            ("", "empty"),
            ("just text", "it is not XML: it starts with the text \"just text\""),
        ] {
            let err = error_of(doc);
            assert!(err.contains("not a WordPress export") && err.contains(why), "{doc}: {err}");
        }
    }

    #[test]
    fn every_namespace_form_wordpress_wrote_is_read() -> Result<(), ReadError> {
        for (wp, excerpt, content, dc) in [
            (
                "http://wordpress.org/export/1.2/",
                "http://wordpress.org/export/1.2/excerpt/",
                "http://purl.org/rss/1.0/modules/content/",
                "http://purl.org/dc/elements/1.1/",
            ),
            (
                "https://wordpress.org/export/1.2/",
                "https://wordpress.org/export/1.2/excerpt/",
                "https://purl.org/rss/1.0/modules/content/",
                "https://purl.org/dc/elements/1.1/",
            ),
            (
                "https://wordpress.org/export/1.1",
                "http://wordpress.org/export/1.1/excerpt",
                "http://purl.org/rss/1.0/modules/content",
                "https://purl.org/dc/elements/1.1",
            ),
            (
                "http://wordpress.org/export/1.0/",
                "http://wordpress.org/export/1.0/excerpt/",
                "http://purl.org/rss/1.0/modules/content/",
                "http://purl.org/dc/elements/1.1/",
            ),
        ] {
            let version = wp.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            let xml = format!(
                "<rss xmlns:wp=\"{wp}\" xmlns:excerpt=\"{excerpt}\" xmlns:content=\"{content}\" xmlns:dc=\"{dc}\" \
                 xmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"><channel><wp:wxr_version>{version}</wp:wxr_version>\
                 <item><dc:creator>jo</dc:creator><content:encoded>body</content:encoded>\
                 <excerpt:encoded>short</excerpt:encoded><wp:post_id>9</wp:post_id></item></channel></rss>"
            );
            let got = parse(&xml)?;
            let (_, item) = &got.items[0];
            assert_eq!(
                (item.creator.as_str(), item.content.as_str(), item.excerpt.as_str(), item.post_id.as_str()),
                ("jo", "body", "short", "9"),
                "{wp}"
            );
            assert_eq!(got.site.map(|s| s.wxr_version), Some(version.to_owned()));
        }
        Ok(())
    }

    #[test]
    fn a_refused_file_names_the_namespace_it_uses() {
        let xml = "<rss xmlns:wp=\"http://example.com/export/\"><channel><wp:wxr_version>1.2</wp:wxr_version>\
                   </channel></rss>";
        let err = error_of(xml);
        assert!(err.contains("\"http://example.com/export/\"") && err.contains("wordpress.org/export/1.2/"), "{err}");
    }

    #[test]
    fn a_truncated_file_is_an_error() {
        let xml = format!("{HEAD}<item><title>x</title>");
        let err = error_of(&xml);
        assert!(err.contains("truncated"), "{err}");
        let xml = format!("{HEAD}<item><content:encoded><![CDATA[never closed");
        assert!(matches!(parse(&xml), Err(ReadError::Xml { .. })));
    }
}

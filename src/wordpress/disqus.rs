//! The streaming reader of a Disqus comments export (`<disqus xmlns="http://disqus.com">`):
//! its threads (the pages the comments were on) and its posts (the comments), one at
//! a time, as Disqus documents the format. Like the WXR reader, it holds no more than
//! one record in memory and names the line of anything it cannot read.

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::wxr::{self, Lines, ReadError};

/// The namespace of a Disqus export's elements.
const DISQUS_NS: &str = "disqus.com";
/// The namespace of its `dsq:id` attributes.
const INTERNALS_NS: &str = "disqus.com/disqus-internals";

/// A `<thread>`: a page of the old site that had comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thread {
    pub line: u64,
    /// Its `dsq:id`, which posts refer to.
    pub dsq_id: String,
    /// The page's address on the old site.
    pub link: String,
    pub title: String,
    /// The identifier the site gave Disqus (WordPress's plugin writes `123 https://…/?p=123`).
    pub identifier: String,
}

/// A `<post>`: a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Post {
    pub line: u64,
    pub dsq_id: String,
    /// HTML.
    pub message: String,
    /// RFC 3339 (`2013-10-13T20:01:00Z`).
    pub created_at: String,
    pub is_deleted: bool,
    pub is_spam: bool,
    pub author_name: String,
    pub author_email: String,
    pub author_username: String,
    pub ip_address: String,
    /// The `dsq:id` of its thread.
    pub thread: String,
    /// The `dsq:id` of the post it replies to, if any.
    pub parent: String,
}

/// Where the records go, in file order.
pub trait DisqusSink {
    fn thread(&mut self, thread: Thread) -> anyhow::Result<()>;
    fn post(&mut self, post: Post) -> anyhow::Result<()>;
}

/// What is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    None,
    Thread,
    Post,
}

/// Reads a whole Disqus export from `input`, feeding `sink`.
pub fn read<R: BufRead + Lines>(input: R, sink: &mut impl DisqusSink) -> Result<(), ReadError> {
    let mut xml = NsReader::from_reader(input);
    xml.config_mut().check_end_names = true;
    let mut buf = Vec::with_capacity(64 * 1024);
    // Local names of the open elements.
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut record = Record::None;
    let mut thread = Thread::default();
    let mut post = Post::default();
    let mut seen_root = false;
    loop {
        let line_before = xml.get_ref().line();
        let (event, refused) = match xml.read_resolved_event_into(&mut buf) {
            Ok((resolved, event)) => {
                let refused = match &event {
                    Event::Start(e) | Event::Empty(e) if path.is_empty() => check_root(&resolved, e).err(),
                    _ => None,
                };
                (event, refused)
            }
            Err(e) => return Err(ReadError::Xml { offset: xml.error_position(), message: e.to_string() }),
        };
        let line = xml.get_ref().line();
        if let Some(message) = refused {
            return Err(ReadError::Invalid { line: line_before, message });
        }
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            seen_root = true;
        }
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                let name = local.as_ref().to_owned();
                text.clear();
                match (path.len(), record, name.as_str()) {
                    (1, _, "thread") => {
                        record = Record::Thread;
                        thread = Thread { line, dsq_id: dsq_id(&xml, &e), ..Thread::default() };
                    }
                    (1, _, "post") => {
                        record = Record::Post;
                        post = Post { line, dsq_id: dsq_id(&xml, &e), ..Post::default() };
                    }
                    (2, Record::Post, "thread") => post.thread = dsq_id(&xml, &e),
                    (2, Record::Post, "parent") => post.parent = dsq_id(&xml, &e),
                    _ => {}
                }
                path.push(name);
                if empty {
                    end(&mut path, &mut record, &mut thread, &mut post, &mut text, sink)?;
                }
            }
            Event::End(_) => end(&mut path, &mut record, &mut thread, &mut post, &mut text, sink)?,
            Event::Text(t) => {
                if path.is_empty() && !t.trim().is_empty() {
                    let text = t.xml10_content();
                    let line = line_before + wxr::leading_lines(&text);
                    return Err(ReadError::Invalid { line, message: not_disqus(&wxr::not_xml(&text)) });
                }
                text.push_str(&t.xml10_content());
            }
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => match &*r {
                    "lt" => text.push('<'),
                    "gt" => text.push('>'),
                    "amp" => text.push('&'),
                    "apos" => text.push('\''),
                    "quot" => text.push('"'),
                    other => {
                        text.push('&');
                        text.push_str(other);
                        text.push(';');
                    }
                },
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let line = xml.get_ref().line();
    if let Some(open) = path.last() {
        return Err(ReadError::Invalid {
            line,
            message: format!(
                "the file ends inside <{open}> where the rest of it was expected: it is truncated or incomplete"
            ),
        });
    }
    if !seen_root {
        return Err(ReadError::Invalid { line, message: not_disqus("it is empty") });
    }
    Ok(())
}

/// Closes the innermost element, storing its text where it belongs.
fn end(
    path: &mut Vec<String>,
    record: &mut Record,
    thread: &mut Thread,
    post: &mut Post,
    text: &mut String,
    sink: &mut impl DisqusSink,
) -> Result<(), ReadError> {
    let value = std::mem::take(text);
    let Some(name) = path.pop() else { return Ok(()) };
    let parent = path.last().map(String::as_str).unwrap_or_default();
    match (path.len(), *record) {
        (1, Record::Thread) if name == "thread" => {
            *record = Record::None;
            sink.thread(std::mem::take(thread))?;
        }
        (1, Record::Post) if name == "post" => {
            *record = Record::None;
            sink.post(std::mem::take(post))?;
        }
        (2, Record::Thread) => match name.as_str() {
            "link" => thread.link = value,
            "title" => thread.title = value,
            "id" => thread.identifier = value,
            _ => {}
        },
        (2, Record::Post) => match name.as_str() {
            "message" => post.message = value,
            "createdAt" => post.created_at = value,
            "isDeleted" => post.is_deleted = value.trim() == "true",
            "isSpam" => post.is_spam = value.trim() == "true",
            "ipAddress" => post.ip_address = value,
            _ => {}
        },
        (3, Record::Post) if parent == "author" => match name.as_str() {
            "name" => post.author_name = value,
            "email" => post.author_email = value,
            "username" => post.author_username = value,
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

/// The `dsq:id` attribute of an element (empty when it has none).
fn dsq_id<R>(xml: &NsReader<R>, e: &BytesStart<'_>) -> String {
    for attr in e.attributes().flatten() {
        let (ns, local) = xml.resolver().resolve_attribute(attr.key);
        let internal = match ns {
            ResolveResult::Bound(ns) => bare(ns.0) == INTERNALS_NS,
            // An undeclared `dsq:` prefix is taken for what it always means.
            ResolveResult::Unknown(prefix) => prefix == "dsq",
            ResolveResult::Unbound => false,
        };
        if internal && local.as_ref() == "id" {
            #[allow(deprecated)]
            return attr.unescape_value().map(|v| v.trim().to_owned()).unwrap_or_default();
        }
    }
    String::new()
}

/// A namespace without its scheme and trailing slash.
fn bare(uri: &str) -> &str {
    let uri = uri.trim();
    uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://")).unwrap_or(uri).trim_end_matches('/')
}

/// Refuses a document whose root is not `<disqus>` in Disqus's namespace.
fn check_root(resolved: &ResolveResult<'_>, e: &BytesStart<'_>) -> Result<(), String> {
    let local = e.local_name();
    let local = local.as_ref();
    let ns = match resolved {
        ResolveResult::Bound(ns) => Some(ns.0),
        _ => None,
    };
    if local == "disqus" && ns.is_some_and(|ns| bare(ns) == DISQUS_NS) {
        return Ok(());
    }
    let message = match (local, ns) {
        ("disqus", Some(ns)) => not_disqus(&format!(
            "its <disqus> element is in the namespace \"{ns}\" where http://disqus.com was expected"
        )),
        ("disqus", None) => {
            not_disqus("its <disqus> element has no namespace where xmlns=\"http://disqus.com\" was expected")
        }
        ("rss", _) => not_disqus(
            "its root element is <rss> where <disqus> was expected; if it is a WordPress export, \
             import it with `hewn import wordpress FILE`",
        ),
        ("html", _) => not_disqus("its root element is <html> where <disqus> was expected: it is a web page"),
        (other, _) => not_disqus(&format!("its root element is <{other}> where <disqus> was expected")),
    };
    Err(message)
}

fn not_disqus(why: &str) -> String {
    format!("this is not a Disqus comments export: {why}")
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        threads: Vec<Thread>,
        posts: Vec<Post>,
    }

    impl DisqusSink for Collect {
        fn thread(&mut self, thread: Thread) -> anyhow::Result<()> {
            self.threads.push(thread);
            Ok(())
        }
        fn post(&mut self, post: Post) -> anyhow::Result<()> {
            self.posts.push(post);
            Ok(())
        }
    }

    fn parse(xml: &str) -> Result<Collect, ReadError> {
        let mut sink = Collect::default();
        read(xml.as_bytes(), &mut sink)?;
        Ok(sink)
    }

    const EXPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="7"><forum>blog</forum><title>General</title><isDefault>true</isDefault></category>
  <thread dsq:id="100">
    <id>10 https://old.example/?p=10</id><forum>blog</forum><category dsq:id="7"/>
    <link>https://old.example/2013/10/12/year/</link><title>Year &amp; more</title>
    <message/><createdAt>2013-10-12T20:01:00Z</createdAt>
    <author><email>owner@example.com</email><name>Owner</name><isAnonymous>false</isAnonymous></author>
    <isClosed>false</isClosed><isDeleted>false</isDeleted>
  </thread>
  <post dsq:id="2001">
    <id>wp_id=5</id><message><![CDATA[<p>Hi &amp; bye</p>]]></message>
    <createdAt>2013-10-13T20:01:00Z</createdAt><isDeleted>false</isDeleted><isSpam>true</isSpam>
    <author><email>a@example.org</email><name>Anna</name><isAnonymous>false</isAnonymous><username>anna</username></author>
    <ipAddress>192.0.2.1</ipAddress><thread dsq:id="100"/><parent dsq:id="2000"/>
  </post>
</disqus>"#;

    #[test]
    fn threads_and_posts_are_read_with_their_references() -> Result<(), ReadError> {
        let got = parse(EXPORT)?;
        assert_eq!(got.threads.len(), 1);
        let t = &got.threads[0];
        assert_eq!(
            (t.dsq_id.as_str(), t.link.as_str(), t.title.as_str(), t.identifier.as_str()),
            ("100", "https://old.example/2013/10/12/year/", "Year & more", "10 https://old.example/?p=10")
        );
        let p = &got.posts[0];
        assert_eq!((p.dsq_id.as_str(), p.thread.as_str(), p.parent.as_str()), ("2001", "100", "2000"));
        assert_eq!(p.message, "<p>Hi &amp; bye</p>");
        assert_eq!((p.author_name.as_str(), p.author_email.as_str()), ("Anna", "a@example.org"));
        assert_eq!((p.is_spam, p.is_deleted, p.ip_address.as_str()), (true, false, "192.0.2.1"));
        assert_eq!(p.created_at, "2013-10-13T20:01:00Z");
        Ok(())
    }

    #[test]
    fn other_documents_are_refused_saying_what_was_expected() {
        for (doc, why) in [
            ("<rss><channel/></rss>", "hewn import wordpress"),
            ("<disqus/>", "has no namespace"),
            ("<html><body/></html>", "web page"),
            ("", "empty"),
            ("<disqus xmlns=\"http://disqus.com\"><post dsq:id=\"1\"><message>", "truncated"),
        ] {
            let err = parse(doc).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(why), "{doc}: {err}");
        }
    }
}

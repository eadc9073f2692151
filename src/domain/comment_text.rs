//! Comment text as readers see it: plain text with paragraphs and line breaks, bare
//! URLs made links, and a small Markdown subset (emphasis, strong, code, blockquote,
//! links). Raw HTML is shown as text. The result passes through a strict sanitiser.

use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use super::SafeHtml;

/// `rel` on every link in a comment: the commenter vouches for nothing on our behalf.
pub const COMMENT_LINK_REL: &str = "nofollow ugc noopener";

static COMMENT_POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(["p", "br", "em", "strong", "del", "code", "pre", "blockquote", "a"])
        .add_tag_attributes("a", ["href"])
        .add_url_schemes(["http", "https", "mailto"])
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(COMMENT_LINK_REL));
    b
});

static LINK_FINDER: LazyLock<linkify::LinkFinder> = LazyLock::new(|| {
    let mut f = linkify::LinkFinder::new();
    f.kinds(&[linkify::LinkKind::Url]);
    // Also find `www.example.com`; other scheme-less matches are skipped in `linkify_into`.
    f.url_must_have_scheme(false);
    f
});

/// Renders a comment's text to sanitised HTML.
pub fn render(text: &str) -> SafeHtml {
    let source = neutralise_block_syntax(text);
    let mut events = Vec::new();
    let mut link_depth = 0usize;
    let mut in_code_block = false;
    for event in Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            // Raw HTML is the commenter's text, not markup.
            Event::Html(s) | Event::InlineHtml(s) => events.push(Event::Text(s)),
            Event::SoftBreak => events.push(Event::HardBreak),
            // Images from commenters are not loaded: link to them instead.
            Event::Start(Tag::Image { dest_url, title, .. }) => {
                link_depth += 1;
                events.push(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                }));
            }
            Event::End(TagEnd::Image) => {
                link_depth = link_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Link { .. }) => {
                link_depth += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                link_depth = link_depth.saturating_sub(1);
                events.push(event);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                events.push(event);
            }
            Event::Text(text) if link_depth == 0 && !in_code_block => linkify_into(&mut events, text),
            other => events.push(other),
        }
    }
    let mut raw = String::with_capacity(text.len() * 2);
    html::push_html(&mut raw, events.into_iter());
    SafeHtml::trusted(COMMENT_POLICY.clean(&raw).to_string())
}

/// Splits a text event around the URLs it contains, making each a link.
fn linkify_into<'a>(events: &mut Vec<Event<'a>>, text: CowStr<'a>) {
    let mut last = 0;
    let mut found = false;
    for link in LINK_FINDER.links(&text) {
        let url = link.as_str().to_owned();
        let href = if url.contains("://") {
            url.clone()
        } else if url.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www.")) {
            format!("http://{url}")
        } else {
            // `hewn.db`, `e.g.`: names that merely look like domains stay text.
            continue;
        };
        found = true;
        if link.start() > last {
            events.push(Event::Text(CowStr::from(text.get(last..link.start()).unwrap_or_default().to_owned())));
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(href),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(CowStr::from(url)));
        events.push(Event::End(TagEnd::Link));
        last = link.end();
    }
    if !found {
        events.push(Event::Text(text));
    } else if last < text.len() {
        events.push(Event::Text(CowStr::from(text.get(last..).unwrap_or_default().to_owned())));
    }
}

/// Escapes the Markdown block syntax a comment should not use (headings, lists,
/// rules, setext underlines), so that "1986. A good year" stays a sentence.
fn neutralise_block_syntax(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start_matches(' ');
        let indent = body.len() - trimmed.len();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        if in_fence || indent >= 4 {
            out.push_str(line);
            continue;
        }
        out.push_str(body.get(..indent).unwrap_or_default());
        if let Some((before, marker)) = block_marker_position(trimmed).and_then(|pos| trimmed.split_at_checked(pos)) {
            out.push_str(before);
            out.push('\\');
            out.push_str(marker);
        } else {
            out.push_str(trimmed);
        }
        out.push_str(line.get(body.len()..).unwrap_or_default());
    }
    out
}

/// Where to put a backslash in a line that would open a heading, list or rule.
fn block_marker_position(line: &str) -> Option<usize> {
    let first = line.chars().next()?;
    match first {
        '#' | '-' | '+' | '*' | '=' | '_' => {
            let rest = line.trim_start_matches(first);
            let is_rule = rest.chars().all(|c| c == first || c == ' ' || c == '\t');
            let is_marker = rest.is_empty() || rest.starts_with([' ', '\t']);
            // `*emphasis*` and `**strong**` keep working: only markers and rules are escaped.
            if is_rule || (is_marker && first != '=' && first != '_') { Some(0) } else { None }
        }
        '0'..='9' => {
            let after = line.trim_start_matches(|c: char| c.is_ascii_digit());
            let digits = line.len() - after.len();
            (after.starts_with(['.', ')'])
                && (after.len() == 1 || after.get(1..).is_some_and(|a| a.starts_with([' ', '\t']))))
            .then_some(digits)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(s: &str) -> String {
        render(s).into_string()
    }

    #[test]
    fn paragraphs_and_line_breaks_are_kept() {
        assert_eq!(html("one\ntwo\n\nthree"), "<p>one<br>\ntwo</p>\n<p>three</p>\n");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = html("<script>alert(1)</script> <b onmouseover=x>bold</b>");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
        assert!(!out.contains("<b"), "{out}");
        assert!(!out.contains("<script"), "{out}");
    }

    #[test]
    fn bare_urls_become_nofollow_links() {
        let out = html("see https://example.com/a?b=1&c=2. ok");
        assert!(out.contains(r#"<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">"#), "{out}");
        assert!(out.contains("</a>. ok"), "{out}");
    }

    #[test]
    fn www_addresses_become_links_and_other_bare_names_stay_text() {
        let out = html("see www.example.com/page or hewn.db, e.g. example.org");
        assert!(
            out.contains(
                r#"<a href="http://www.example.com/page" rel="nofollow ugc noopener">www.example.com/page</a>"#
            ),
            "{out}"
        );
        assert!(out.contains("or hewn.db, e.g. example.org</p>"), "{out}");
    }

    #[test]
    fn markdown_subset_renders() {
        let out = html("*em* **strong** `code` [x](https://example.org)\n\n> quoted\n\n```\nfn a() {}\n```");
        for needle in ["<em>em</em>", "<strong>strong</strong>", "<code>code</code>", "<blockquote>", "<pre><code>"] {
            assert!(out.contains(needle), "{needle} missing in {out}");
        }
        assert!(out.contains(r#"href="https://example.org" rel="nofollow ugc noopener""#), "{out}");
    }

    #[test]
    fn dangerous_urls_never_survive() {
        for s in
            ["[x](javascript:alert(1))", "[x](data:text/html,hi)", "![x](javascript:alert(1))", "<javascript:alert(1)>"]
        {
            let out = html(s);
            assert!(!out.contains("javascript:alert(1)\""), "{s} -> {out}");
            assert!(!out.contains("href=\"javascript"), "{s} -> {out}");
            assert!(!out.contains("href=\"data"), "{s} -> {out}");
        }
    }

    #[test]
    fn block_syntax_stays_literal() {
        assert_eq!(html("# not a heading"), "<p># not a heading</p>\n");
        assert_eq!(html("1986. A good year"), "<p>1986. A good year</p>\n");
        assert_eq!(html("- dash"), "<p>- dash</p>\n");
        assert_eq!(html("a\n---"), "<p>a<br>\n---</p>\n");
    }

    #[test]
    fn images_become_links() {
        let out = html("![cat](https://example.com/cat.png)");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains(r#"<a href="https://example.com/cat.png""#), "{out}");
    }
}

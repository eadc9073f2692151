//! Comment text as readers see it: plain text with paragraphs and line breaks, bare
//! URLs made links, and a small Markdown subset (emphasis, strong, code, blockquote,
//! links). Raw HTML is shown as text. The result passes through a strict sanitiser.

use std::sync::LazyLock;
use std::time::Instant;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use super::SafeHtml;
use super::markdown::plain_paragraphs;
use super::render_limits::{self, Containers, Limits, TooComplex};

use super::sanitize::COMMENT_POLICY;

static LINK_FINDER: LazyLock<linkify::LinkFinder> = LazyLock::new(|| {
    let mut f = linkify::LinkFinder::new();
    f.kinds(&[linkify::LinkKind::Url]);
    // Also find `www.example.com`; other scheme-less matches are skipped in `linkify_into`.
    f.url_must_have_scheme(false);
    f
});

/// Elements a comment may have open at once: eight quote levels and some inline
/// markup inside them. Deeper markup is left out and its text kept.
pub const MAX_COMMENT_DEPTH: usize = 16;
/// Most bytes of HTML a comment may render to. A maximal comment of plain text in any
/// script (65,525 four-byte characters, or as many `<` escaped) takes about half.
pub const MAX_COMMENT_HTML_BYTES: usize = 512 * 1024;

/// Renders a comment's text to sanitised HTML. A text too complex to render within the
/// limits is shown as plain paragraphs instead (admin edits and imports, which must
/// store something; the public form refuses such a text with [`render_within`]).
pub fn render(text: &str) -> SafeHtml {
    render_within(text, None).unwrap_or_else(|_| plain_paragraphs(text))
}

/// Renders a comment's text to sanitised HTML in time and memory linear in its
/// length, or says why it cannot: its HTML would pass [`MAX_COMMENT_HTML_BYTES`], or
/// `deadline` passed.
pub fn render_within(text: &str, deadline: Option<Instant>) -> Result<SafeHtml, TooComplex> {
    let source = neutralise_block_syntax(text);
    let mut events = Vec::new();
    let mut link_depth = 0usize;
    let mut in_code_block = false;
    let limits = Limits { max_depth: MAX_COMMENT_DEPTH, max_output: MAX_COMMENT_HTML_BYTES, deadline };
    for event in render_limits::bounded(Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH), &limits)? {
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
    if deadline.is_some_and(|d| Instant::now() > d) {
        return Err(TooComplex::TooSlow);
    }
    let mut raw = String::with_capacity(text.len() * 2);
    html::push_html(&mut raw, render_limits::light_escapes(events));
    if raw.len() > MAX_COMMENT_HTML_BYTES.saturating_mul(2) {
        return Err(TooComplex::TooLarge);
    }
    let clean = render_limits::clean(&COMMENT_POLICY, &raw);
    if clean.len() > MAX_COMMENT_HTML_BYTES {
        return Err(TooComplex::TooLarge);
    }
    Ok(SafeHtml::trusted(clean))
}

/// Longest run of text without white space that the link finder reads. Finding
/// addresses without a scheme (`www.example.com`) it scans back over the run at each
/// dot or colon, in time in the square of the run's length (65,525 characters of
/// `1.:a` took seconds); no address a commenter types is longer.
const MAX_LINK_RUN: usize = 2048;

/// Where the link finder sees links in `text`, reading only runs without white space
/// of at most [`MAX_LINK_RUN`] bytes: a longer run stays text.
fn link_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut scan = |from: usize, to: usize| {
        if let Some(part) = text.get(from..to) {
            spans.extend(LINK_FINDER.links(part).map(|l| (from + l.start(), from + l.end())));
        }
    };
    let (mut from, mut at) = (0, 0);
    for word in text.split_inclusive(char::is_whitespace) {
        let end = at + word.len();
        if word.len() > MAX_LINK_RUN {
            scan(from, at);
            from = end;
        }
        at = end;
    }
    scan(from, at);
    spans
}

/// Splits a text event around the URLs it contains, making each a link.
fn linkify_into<'a>(events: &mut Vec<Event<'a>>, text: CowStr<'a>) {
    let mut last = 0;
    let mut found = false;
    for (start, end) in link_spans(&text) {
        let Some(url) = text.get(start..end).map(str::to_owned) else { continue };
        let href = if url.contains("://") {
            url.clone()
        } else if url.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www.")) {
            format!("http://{url}")
        } else {
            // `hewn.db`, `e.g.`: names that merely look like domains stay text.
            continue;
        };
        found = true;
        if let Some(before) = text.get(last..start).filter(|b| !b.is_empty()) {
            events.push(Event::Text(CowStr::from(before.to_owned())));
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(href),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(CowStr::from(url)));
        events.push(Event::End(TagEnd::Link));
        last = end;
    }
    if !found {
        events.push(Event::Text(text));
    } else if let Some(after) = text.get(last..).filter(|a| !a.is_empty()) {
        events.push(Event::Text(CowStr::from(after.to_owned())));
    }
}

/// Escapes the Markdown block syntax a comment should not use (headings, lists,
/// rules, setext underlines), so that "1986. A good year" stays a sentence, and
/// quotes nested past [`MAX_CONTAINER_DEPTH`](render_limits::MAX_CONTAINER_DEPTH).
fn neutralise_block_syntax(text: &str) -> String {
    render_limits::bound_containers(text, Containers::Quotes, |line, out| {
        let trimmed = line.trim_start_matches(' ');
        let (indent, _) = line.split_at_checked(line.len() - trimmed.len()).unwrap_or_default();
        out.push_str(indent);
        match block_marker_position(trimmed).and_then(|pos| trimmed.split_at_checked(pos)) {
            Some((before, marker)) => {
                out.push_str(before);
                out.push('\\');
                out.push_str(marker);
            }
            None => out.push_str(trimmed),
        }
    })
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
            let mut rest = after.chars();
            let is_marker = matches!(rest.next(), Some('.' | ')')) && matches!(rest.next(), None | Some(' ' | '\t'));
            is_marker.then_some(digits)
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
    fn links_beside_a_run_too_long_to_scan_are_still_found() {
        let long = "1.:a".repeat(1_000);
        let text = format!("see www.example.com {long} and https://a.example/x");
        let spans = link_spans(&text);
        let found: Vec<&str> = spans.iter().filter_map(|&(a, b)| text.get(a..b)).collect();
        assert_eq!(found, ["www.example.com", "https://a.example/x"]);
        let out = html(&format!("{long}www.example.com"));
        assert!(!out.contains("<a"), "a run longer than an address stays text: {}", out.len());
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

    #[test]
    fn quotes_nest_eight_deep_and_deeper_markers_are_text() {
        let out = html(&">".repeat(65_524));
        assert_eq!(out.matches("<blockquote>").count(), 8, "{}", out.len());
        assert!(out.contains(&format!("<p>{}</p>", "&gt;".repeat(65_516))), "{}", out.len());
    }

    #[test]
    fn quoted_block_syntax_stays_literal_too() {
        assert_eq!(html("> - not a list"), "<blockquote>\n<p>- not a list</p>\n</blockquote>\n");
    }

    #[test]
    fn markup_nested_past_the_limit_keeps_its_text() {
        let out = html(&format!("{}deep{}", "*".repeat(100), "*".repeat(100)));
        assert!(out.matches('<').count() <= 2 * MAX_COMMENT_DEPTH, "{out}");
        assert!(out.contains("deep"), "{out}");
    }

    #[test]
    fn a_comment_whose_html_would_be_too_large_is_refused_or_shown_plainly() {
        // Each eleven characters open eight quotes: some 230 bytes of HTML.
        let text = ">>>>>>>>a\n\n".repeat(5_000);
        assert_eq!(render_within(&text, None).err(), Some(TooComplex::TooLarge));
        let shown = html(&text);
        assert!(shown.starts_with("<p>&gt;&gt;&gt;&gt;&gt;&gt;&gt;&gt;a</p>"), "{:?}", shown.get(..40));
        assert!(!shown.contains("<blockquote"), "plain text has no markup");
    }

    #[test]
    fn plain_paragraphs_escape_everything() {
        assert_eq!(
            plain_paragraphs("a <b>\n\"c\" & d\n\n\ne").into_string(),
            "<p>a &lt;b&gt;<br>\n&quot;c&quot; &amp; d</p>\n<p>e</p>\n"
        );
    }

    mod property {
        use std::time::{Duration, Instant};

        use proptest::prelude::*;

        use super::super::render_within;
        use crate::domain::comment_form::MAX_COMMENT_CHARS;
        use crate::domain::render_limits::{RENDER_BUDGET, TooComplex};

        /// Characters that mean something to Markdown, HTML or the link finder, and
        /// some that take more than one byte.
        const ALPHABET: &[&str] = &[
            ">", "> ", "*", "_", "~", "`", "[", "]", "(", ")", "!", "<", "&", "\\", "#", "-", "1.", " ", "\n", "a",
            "é", "😀", "www.", ".co", "http://", ":", "/", "\"", "amp;",
        ];

        /// A pattern of a few pieces repeated up to the comment limit: the shape of
        /// every pathological input (one structure, many times).
        fn comment() -> impl Strategy<Value = String> {
            (proptest::collection::vec(proptest::sample::select(ALPHABET), 1..8), 1..=MAX_COMMENT_CHARS)
                .prop_map(|(pattern, chars)| pattern.concat().chars().cycle().take(chars).collect())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]

            /// No comment up to the size limit takes longer than the render budget:
            /// it renders, or is refused as too large, in time.
            #[test]
            fn no_comment_takes_longer_than_the_render_budget(text in comment()) {
                let start = Instant::now();
                let result = render_within(&text, Some(start + RENDER_BUDGET));
                let took = start.elapsed();
                prop_assert!(took < RENDER_BUDGET + Duration::from_millis(100), "{took:?}");
                prop_assert!(!matches!(result, Err(TooComplex::TooSlow)), "{took:?}");
            }
        }
    }
}

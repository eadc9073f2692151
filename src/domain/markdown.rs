//! Post bodies: Markdown (or imported HTML) rendered to sanitised HTML, and excerpts.

use std::sync::LazyLock;
use std::time::Instant;

use pulldown_cmark::{Options, Parser, html};

use super::render_limits::{self, Containers, Limits, TooComplex};
use super::sanitize::POST_POLICY;

/// HTML that has passed through a sanitiser (or was built by hewn itself from escaped
/// parts). Templates may print it with `|safe`; nothing else may be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Wraps HTML that the caller guarantees is safe: it came out of one of this
    /// crate's sanitisers or renderers, or from the database where only they write.
    pub fn trusted(html: String) -> Self {
        Self(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many words an excerpt keeps (WordPress's `excerpt_length`).
pub const EXCERPT_WORDS: usize = 55;

/// The Markdown features a blog wants, and none that rewrite ordinary prose
/// (no math, wikilinks or metadata blocks).
fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Elements a post's Markdown may have open at once; deeper ones are left out and
/// their text kept.
pub const MAX_POST_DEPTH: usize = 32;
/// Most bytes of HTML a post's Markdown may render to (its source is at most 4 MiB).
pub const MAX_POST_HTML_BYTES: usize = 32 * 1024 * 1024;

/// Renders a post written in Markdown to sanitised HTML. Markdown too complex to
/// render within the limits is shown as plain paragraphs instead.
pub fn render_markdown(source: &str) -> SafeHtml {
    render_markdown_within(source, None).unwrap_or_else(|_| plain_paragraphs(source))
}

/// Renders a post written in Markdown to sanitised HTML in time linear in its length
/// (see [`render_limits`]), or says why it cannot: its HTML would pass
/// [`MAX_POST_HTML_BYTES`], or `deadline` passed.
pub fn render_markdown_within(source: &str, deadline: Option<Instant>) -> Result<SafeHtml, TooComplex> {
    let source = render_limits::bound_containers(source, Containers::QuotesAndLists, |rest, out| out.push_str(rest));
    let limits = Limits { max_depth: MAX_POST_DEPTH, max_output: MAX_POST_HTML_BYTES, deadline };
    let events = render_limits::bounded(Parser::new_ext(&source, markdown_options()), &limits)?;
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, render_limits::light_escapes(events));
    if deadline.is_some_and(|d| Instant::now() > d) {
        return Err(TooComplex::TooSlow);
    }
    let html = SafeHtml(render_limits::clean(&POST_POLICY, &raw));
    if html.as_str().len() > MAX_POST_HTML_BYTES {
        return Err(TooComplex::TooLarge);
    }
    Ok(html)
}

/// Appends `text` escaped for HTML content or a double-quoted attribute.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Text as escaped paragraphs and line breaks, with no markup at all: for texts too
/// complex to render, and for spam comments, which nobody reads on the site.
pub fn plain_paragraphs(text: &str) -> SafeHtml {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 16);
    for paragraph in text.split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.trim().is_empty()) {
        out.push_str("<p>");
        for (i, line) in paragraph.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            push_escaped(&mut out, line);
        }
        out.push_str("</p>\n");
    }
    SafeHtml::trusted(out)
}

/// Sanitises a post body that is already HTML (imported content).
pub fn sanitize_post_html(raw: &str) -> SafeHtml {
    SafeHtml(super::render_limits::clean_settled(&POST_POLICY, raw))
}

/// The text of an HTML fragment: tags dropped, entities decoded, white space folded.
pub fn plain_text(html: &str) -> String {
    static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::empty();
        b.clean_content_tags(["script", "style", "sup"].into_iter().collect());
        b
    });
    // Block boundaries become spaces so that paragraphs do not run together.
    let mut spaced = String::with_capacity(html.len() + 64);
    for (i, piece) in html.split('<').enumerate() {
        if i > 0 {
            if is_block_boundary(piece) {
                spaced.push(' ');
            }
            spaced.push('<');
        }
        spaced.push_str(piece);
    }
    let text = TEXT_ONLY.clean(&spaced).to_string();
    let text = decode_basic_entities(&text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `tag` (what follows a `<`) starts or ends a block.
fn is_block_boundary(tag: &str) -> bool {
    const BLOCKS: [&str; 12] = ["p", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "div"];
    let name = tag.trim_start_matches('/').as_bytes();
    BLOCKS.iter().any(|b| {
        name.get(..b.len()).is_some_and(|n| n.eq_ignore_ascii_case(b.as_bytes()))
            && !name.get(b.len()).is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// Undoes the escaping html5ever applies to text nodes.
fn decode_basic_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The first [`EXCERPT_WORDS`] words of a rendered body, with an ellipsis when cut.
pub fn excerpt(body_html: &str) -> String {
    let text = plain_text(body_html);
    let mut words = text.split(' ');
    let kept: Vec<&str> = words.by_ref().take(EXCERPT_WORDS).collect();
    let mut out = kept.join(" ");
    if words.next().is_some() {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_blog_features() {
        let html = render_markdown(
            "# Hi\n\n*a* **b** ~~c~~ \"quoted\"\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: The note.\n",
        );
        let html = html.as_str();
        assert!(html.contains("<em>a</em>"), "{html}");
        assert!(html.contains("<del>c</del>"), "{html}");
        assert!(html.contains("“quoted”"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("footnote-definition"), "{html}");
    }

    #[test]
    fn script_and_javascript_urls_are_removed_from_posts() {
        let html = render_markdown(
            "<script>alert(1)</script>\n\n<a href=\"javascript:alert(1)\" onclick=\"x()\">l</a> [m](javascript:alert(2))",
        );
        let html = html.as_str();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn nesting_past_the_limits_stays_shallow_and_keeps_its_text() {
        for source in [">".repeat(20_000), "- ".repeat(10_000) + "x", "> 1. ".repeat(5_000) + "x"] {
            let html = render_markdown(&source).into_string();
            let opened = html.matches("<blockquote>").count() + html.matches("<li>").count();
            assert!(opened <= render_limits::MAX_CONTAINER_DEPTH, "{opened} for {:?}", source.get(..20));
        }
        let emphasis = format!("{}deep{}", "*".repeat(200), "*".repeat(200));
        let html = render_markdown(&emphasis).into_string();
        assert!(html.matches('<').count() <= 2 * MAX_POST_DEPTH + 2, "{}", html.len());
        assert!(html.contains("deep"));
    }

    #[test]
    fn ordinary_markdown_is_unchanged_by_the_limits() {
        let source = "> quote\n>\n> > nested\n\n- a\n  - b\n    1. c\n\n```\n>>>>>>>>>>>>\n```\n";
        let mut plain = String::new();
        html::push_html(&mut plain, Parser::new_ext(source, markdown_options()));
        assert_eq!(render_markdown(source), sanitize_post_html(&plain));
    }

    #[test]
    fn plain_text_separates_blocks_and_decodes_entities() {
        assert_eq!(plain_text("<p>One &amp; two</p><p>three <em>4</em></p>"), "One & two three 4");
        assert_eq!(plain_text("<script>x</script><p>a<br>b</p>"), "a b");
    }

    #[test]
    fn plain_text_of_emphasis_in_any_script_is_its_text() {
        assert_eq!(plain_text("<p><em>Привет</em> мир</p>"), "Привет мир");
        assert_eq!(excerpt(render_markdown("*Привет* мир").as_str()), "Привет мир");
        assert_eq!(plain_text("<p>a</p><p>日本語</p><blockquoteé>"), "a 日本語");
    }

    #[test]
    fn excerpt_cuts_at_the_word_limit() {
        let long = format!("<p>{}</p>", "word ".repeat(80));
        let ex = excerpt(&long);
        assert_eq!(ex.split(' ').filter(|w| *w == "word").count(), EXCERPT_WORDS);
        assert!(ex.ends_with('…'));
        assert_eq!(excerpt("<p>short one</p>"), "short one");
    }
}

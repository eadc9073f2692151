//! WordPress content made into hewn content: post bodies as WordPress would show them
//! (shortcodes, typography, paragraphs), comments through WordPress's comment filters
//! and a strict sanitiser, and links into the old uploads folder pointed at hewn.

use std::sync::LazyLock;

use super::bounds::{self, Cut};
use super::html::{Token, escape, tokens};
use super::uploads::Uploads;
use super::{autop, shortcodes, texturize};
use crate::domain::SafeHtml;
use crate::domain::render_limits::clean_settled;
use crate::domain::sanitize::{COMMENT_LINK_REL, IMPORTED_COMMENT_POLICY};

/// True for block-editor (Gutenberg) content, which is already HTML.
pub fn is_block_content(raw: &str) -> bool {
    raw.contains("<!-- wp:")
}

/// The HTML source of an imported post: what WordPress's content filters would show,
/// before sanitising. Links into the uploads folder are rewritten when `uploads` is
/// given, and the media paths they use are added to `used`.
pub fn post_source(raw: &str, uploads: Option<&Uploads>, used: &mut Vec<String>) -> String {
    post_source_bounded(raw.to_owned(), uploads, used).0
}

/// [`post_source`], and what [`bounds::bound`] cut from HTML nested too deep or with
/// too many attributes. Takes the content, so that each pass lets go of the text
/// before it: a post of many megabytes is held at most twice at once.
pub fn post_source_bounded(raw: String, uploads: Option<&Uploads>, used: &mut Vec<String>) -> (String, Cut) {
    let (raw, cut) = match bounds::bound(&raw) {
        Some((html, cut)) => {
            drop(raw);
            (html, cut)
        }
        None => (raw, Cut::default()),
    };
    let blocks = is_block_content(&raw);
    let mut html = remove_page_markers(&remove_scripts(raw));
    html = shortcodes::convert(&html);
    html = frames_to_links(&html);
    html = url_lines_to_links(&html);
    html = texturize::texturize(&html);
    if !blocks {
        html = autop::autop(&html);
    }
    let html = match uploads {
        Some(u) => u.rewrite(&html, used),
        None => html,
    };
    (html, cut)
}

/// The text an excerpt is made from: the part before `<!--more-->` (or all of it),
/// without scripts or the shortcodes that hold no prose (captions, galleries...).
pub fn excerpt_source(raw: &str) -> String {
    let teaser = teaser(raw).unwrap_or(raw);
    let html = post_source(&shortcodes::strip(teaser), None, &mut Vec::new());
    crate::domain::markdown::sanitize_post_html(&html).into_string()
}

/// How much of a post an excerpt is first made from (more is read only when that
/// held fewer words than an excerpt has).
const EXCERPT_PREFIX: usize = 16 * 1024;

/// The excerpt of an imported post, made from as little of its start as holds one:
/// a post of many megabytes is not converted whole a second time for its first words.
pub fn excerpt(raw: &str) -> String {
    let teaser = teaser(raw).unwrap_or(raw);
    let mut len = EXCERPT_PREFIX;
    loop {
        // Cut after a tag's `>` (or a newline), never inside a tag or a character.
        let part = teaser
            .get(..len)
            .and_then(|head| head.rfind(['>', '\n']).and_then(|end| teaser.get(..=end)))
            .filter(|_| len < teaser.len());
        let excerpt = crate::domain::markdown::excerpt(&excerpt_source(part.unwrap_or(teaser)));
        if part.is_none() || excerpt.ends_with('…') {
            return excerpt;
        }
        len = len.saturating_mul(4);
    }
}

/// Bodies longer than this are sanitised a piece at a time, so that the parser's tree
/// of a huge post never has to be held whole.
const SANITIZE_PIECE: usize = 1 << 20;

/// Sanitises an imported post's HTML source: as [`markdown::sanitize_post_html`], in
/// pieces cut where no element is open.
pub fn sanitize_post(html: &str) -> SafeHtml {
    if html.len() <= SANITIZE_PIECE {
        return crate::domain::markdown::sanitize_post_html(html);
    }
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let (mut start, mut end, mut depth) = (0, 0, 0usize);
    for token in tokens(html) {
        end += token.raw().len();
        if let Token::Tag { raw, name, closing } = token
            && !bounds::VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
        {
            if closing {
                depth = depth.saturating_sub(1);
            } else if !raw.ends_with("/>") {
                depth += 1;
            }
        }
        if depth == 0 && end - start >= SANITIZE_PIECE {
            out.push_str(
                crate::domain::markdown::sanitize_post_html(html.get(start..end).unwrap_or_default()).as_str(),
            );
            start = end;
        }
    }
    out.push_str(crate::domain::markdown::sanitize_post_html(html.get(start..).unwrap_or_default()).as_str());
    SafeHtml::trusted(out)
}

/// Scripts and style sheets: never shown, so not kept in the source either.
fn remove_scripts(html: String) -> String {
    let lower_has = |tag: &str| super::html::find_ascii_ci(&html, tag).is_some();
    if !lower_has("<script") && !lower_has("<style") {
        return html;
    }
    tokens(&html)
        .filter(|t| !matches!(t, Token::Raw { name, .. } if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style")))
        .map(|t| t.raw())
        .collect()
}

/// The part of a post before `<!--more-->`, when it has one.
pub fn teaser(raw: &str) -> Option<&str> {
    raw.split_once("<!--more").map(|(teaser, _)| teaser)
}

/// `<!--more-->` and `<!--nextpage-->` separate paragraphs; hewn shows whole posts.
fn remove_page_markers(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((before, at)) = rest
        .find("<!--")
        .and_then(|i| rest.split_at_checked(i))
        .filter(|(_, at)| at.starts_with("<!--more") || at.starts_with("<!--nextpage"))
    {
        out.push_str(before);
        out.push_str("\n\n");
        rest = at.split_once("-->").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

/// `<iframe src=...>` (video players and the like, which hewn does not load) become
/// links to what they showed.
fn frames_to_links(html: &str) -> String {
    if super::html::find_ascii_ci(html, "<iframe").is_none() {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut inside = false;
    for token in tokens(html) {
        match token {
            Token::Tag { raw, name, closing } if name.eq_ignore_ascii_case("iframe") => {
                inside = !closing;
                if !closing && let Some(src) = super::html::attr(raw, "src") {
                    let src = if src.starts_with("//") { format!("https:{src}") } else { src.to_owned() };
                    let src = escape(&super::html::decode_entities(&src));
                    out.push_str(&format!("<a href=\"{src}\">{src}</a>"));
                }
            }
            _ if inside => {}
            other => out.push_str(other.raw()),
        }
    }
    out
}

/// A URL alone on its line is an embed in WordPress; hewn shows it as a link.
fn url_lines_to_links(html: &str) -> String {
    if !html.contains("http") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 32);
    for (i, line) in html.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let url = line.trim();
        let bare = (url.starts_with("http://") || url.starts_with("https://"))
            && !url.contains(char::is_whitespace)
            && !url.contains(['<', '>', '"', '\'', '[']);
        if bare {
            let u = escape(&super::html::decode_entities(url));
            out.push_str(&format!("<a href=\"{u}\">{u}</a>"));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// An imported comment as WordPress shows it (typography, bare URLs made links,
/// paragraphs), through a sanitiser that keeps the markup WordPress allows in
/// comments and nothing else.
pub fn comment_html(raw: &str) -> SafeHtml {
    match plain_comment_html(raw) {
        Some(html) => SafeHtml::trusted(html),
        None => full_comment_html(raw),
    }
}

fn full_comment_html(raw: &str) -> SafeHtml {
    let raw = bounds::bound(raw).map_or_else(|| raw.to_owned(), |(html, _)| html);
    let html = texturize::texturize(&remove_scripts(raw));
    let html = make_clickable(&html);
    let html = autop::autop(&html);
    sanitize_comment_html(&html)
}

/// Most comments are plain text (no markup, no character references): they are
/// rendered here to exactly what [`full_comment_html`] gives, without parsing HTML,
/// which makes large imports several times faster. `None` when the text needs the
/// full path.
fn plain_comment_html(raw: &str) -> Option<String> {
    // The sanitiser's parser drops NUL, which this path would keep.
    if raw.contains(['<', '>', '&', '\0']) {
        return None;
    }
    let html = autop::autop(&texturize::texturize(raw));
    let mut out = String::with_capacity(html.len() + 32);
    for token in tokens(&html) {
        match token {
            Token::Text(text) => {
                let mut last = 0;
                if text.contains("://") {
                    for link in LINK_FINDER.links(text) {
                        let url = link.as_str();
                        // The sanitiser drops an address the URL parser refuses.
                        let plain = (url.starts_with("http://") || url.starts_with("https://"))
                            && !url.contains(['"', '\u{a0}'])
                            && url::Url::parse(url).is_ok();
                        if !plain {
                            return None;
                        }
                        push_text(&mut out, text.get(last..link.start()).unwrap_or_default());
                        out.push_str("<a href=\"");
                        out.push_str(url);
                        out.push_str("\" rel=\"");
                        out.push_str(COMMENT_LINK_REL);
                        out.push_str("\">");
                        out.push_str(url);
                        out.push_str("</a>");
                        last = link.end();
                    }
                }
                push_text(&mut out, text.get(last..).unwrap_or_default());
            }
            Token::Tag { raw: "<br />", .. } => out.push_str("<br>"),
            Token::Tag { raw: raw @ ("<p>" | "</p>"), .. } => out.push_str(raw),
            _ => return None,
        }
    }
    Some(out)
}

/// Text as the sanitiser's serialiser writes it (only `&`, `<`, `>` and no-break
/// spaces are escaped, and the first three cannot occur here).
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if c == '\u{a0}' {
            out.push_str("&nbsp;");
        } else {
            out.push(c);
        }
    }
}

/// Sanitises comment HTML recorded in a hewn export (with the policy of [`comment_html`]).
pub fn sanitize_comment_html(html: &str) -> SafeHtml {
    let clean = clean_settled(&IMPORTED_COMMENT_POLICY, html);
    // Markup the sanitiser removed (an image, say) can leave an empty paragraph.
    let clean = if clean.contains("<p></p>") { clean.replace("<p></p>", "").trim_end().to_owned() } else { clean };
    SafeHtml::trusted(clean)
}

static LINK_FINDER: LazyLock<linkify::LinkFinder> = LazyLock::new(|| {
    let mut f = linkify::LinkFinder::new();
    f.kinds(&[linkify::LinkKind::Url]);
    f
});

/// Makes bare URLs in text into links, as WordPress's `make_clickable` does for
/// comments (not inside links, code or preformatted text).
fn make_clickable(html: &str) -> String {
    if !html.contains("://") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_link = 0usize;
    let mut in_code = 0usize;
    for token in tokens(html) {
        match token {
            Token::Text(text) if in_link == 0 && in_code == 0 => {
                let mut last = 0;
                for link in LINK_FINDER.links(text) {
                    out.push_str(text.get(last..link.start()).unwrap_or_default());
                    let url = link.as_str().replace('"', "&quot;");
                    out.push_str(&format!("<a href=\"{url}\">{url}</a>"));
                    last = link.end();
                }
                out.push_str(text.get(last..).unwrap_or_default());
            }
            Token::Tag { raw, name, closing } => {
                let counter = if name.eq_ignore_ascii_case("a") {
                    Some(&mut in_link)
                } else if name.eq_ignore_ascii_case("code") {
                    Some(&mut in_code)
                } else {
                    None
                };
                if let Some(n) = counter {
                    *n = if closing { n.saturating_sub(1) } else { *n + 1 };
                }
                out.push_str(raw);
            }
            other => out.push_str(other.raw()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_of_a_long_post_is_the_excerpt_of_the_whole_post() {
        let long = "A <em>first</em> paragraph in “quotes”.\n\n".repeat(4_000);
        let whole = crate::domain::markdown::excerpt(&excerpt_source(&long));
        assert_eq!(excerpt(&long), whole);
        let late = format!("{}Words come late.", "<img src=\"a.png\">\n".repeat(4_000));
        assert_eq!(excerpt(&late), "Words come late.");
    }

    #[test]
    fn a_huge_body_sanitised_in_pieces_is_the_body_sanitised_whole() {
        let html = "<p>A <em>paragraph</em> with <a href=\"https://a.example\" onclick=\"x()\">a link</a>.</p>\n<div><p>x</p></div>\n"
            .repeat(SANITIZE_PIECE / 40);
        let whole = crate::domain::markdown::sanitize_post_html(&html);
        assert_eq!(sanitize_post(&html), whole);
    }

    #[test]
    fn classic_posts_get_paragraphs_figures_and_typography() {
        let raw = "It's \"here\".\nSecond line.\n\n[caption id=\"attachment_3\" align=\"alignnone\" width=\"300\"]<img src=\"http://old.example/wp-content/uploads/2013/10/a.jpg\" /> A caption[/caption]\n\n<!--more-->\nhttps://www.youtube.com/watch?v=x\n\n[gallery ids=\"1,2\"]";
        let html = post_source(raw, None, &mut Vec::new());
        assert!(html.starts_with("<p>It’s “here”.<br />\nSecond line.</p>"), "{html}");
        assert!(html.contains("<figure id=\"attachment_3\" class=\"wp-caption alignnone\"><img"), "{html}");
        assert!(html.contains("<figcaption class=\"wp-caption-text\">A caption</figcaption>\n</figure>"), "{html}");
        assert!(!html.contains("<p><figure"), "{html}");
        assert!(
            html.contains("<p><a href=\"https://www.youtube.com/watch?v=x\">https://www.youtube.com/watch?v=x</a></p>"),
            "{html}"
        );
        assert!(html.contains("<p>[gallery ids=\"1,2\"]</p>"), "{html}");
    }

    #[test]
    fn block_editor_content_gets_no_paragraphs() {
        let raw = "<!-- wp:paragraph -->\n<p>One</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:paragraph -->\n<p>Two</p>\n<!-- /wp:paragraph -->";
        let html = post_source(raw, None, &mut Vec::new());
        assert_eq!(html, raw);
    }

    #[test]
    fn frames_become_links() {
        let html =
            post_source("<iframe src=\"//player.example/v/1\" width=\"5\">fallback</iframe>", None, &mut Vec::new());
        assert_eq!(html, "<p><a href=\"https://player.example/v/1\">https://player.example/v/1</a></p>");
    }

    #[test]
    fn comments_render_like_wordpress_and_lose_scripts() {
        let html = comment_html(
            "I'd say <b>yes</b>.\nSee http://example.com/a?b=1&amp;c\n\n<script>alert(1)</script><img src=x onerror=y>",
        );
        let html = html.as_str();
        assert!(html.starts_with("<p>I’d say <b>yes</b>.<br>"), "{html}");
        assert!(html.contains("<a href=\"http://example.com/a?b=1&amp;c\" rel=\"nofollow ugc noopener\">"), "{html}");
        assert!(!html.contains("script") && !html.contains("<img") && !html.contains("onerror"), "{html}");
    }

    #[test]
    fn plain_comments_render_exactly_as_through_the_sanitiser() {
        for raw in [
            "plain",
            "It's \"quoted\" -- with dashes... and 1920x1080",
            "one\ntwo  \n  three\n\n\nfour\r\nfive",
            "link https://example.com/a?b=1#c, and http://x.org.",
            "  leading and trailing  \n\n",
            "no\u{a0}break and\ttab",
            "",
            "   ",
            "a [gallery ids=\"1\"] b",
            "javascript://x%0aalert(1) and ftp://files.example/x",
            "HTTP://UPPER.example/x",
        ] {
            let full = full_comment_html(raw).into_string();
            assert_eq!(comment_html(raw).into_string(), full, "for {raw:?}");
            if let Some(fast) = plain_comment_html(raw) {
                assert_eq!(fast, full, "fast path for {raw:?}");
            }
        }
        assert!(plain_comment_html("plain text").is_some());
    }
}

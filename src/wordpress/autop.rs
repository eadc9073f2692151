//! Paragraphs from bare newlines, as WordPress's `wpautop` makes them for classic
//! (pre-block-editor) content: text separated by a blank line (or `<br><br>`) becomes
//! `<p>` paragraphs, a single newline becomes `<br />`, block-level elements are left
//! as they are, and `<pre>`, `<script>` and `<style>` are never touched.
//!
//! WordPress does this with a chain of regular expressions whose output is sometimes
//! unbalanced (`<div>a</p>`); this works on tokens instead, gives the same paragraphs
//! and line breaks for real content, and always balances what it opens.

use super::html::{Token, tokens};

/// WordPress's block-level elements (`$allblocks` in `wpautop`).
const BLOCKS: [&str; 46] = [
    "table",
    "thead",
    "tfoot",
    "caption",
    "col",
    "colgroup",
    "tbody",
    "tr",
    "td",
    "th",
    "div",
    "dl",
    "dd",
    "dt",
    "ul",
    "ol",
    "li",
    "pre",
    "form",
    "map",
    "area",
    "blockquote",
    "address",
    "style",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "fieldset",
    "legend",
    "section",
    "article",
    "aside",
    "hgroup",
    "header",
    "footer",
    "nav",
    "figure",
    "figcaption",
    "details",
    "menu",
    "summary",
];
/// Blocks with no end tag.
const VOID_BLOCKS: [&str; 3] = ["hr", "col", "area"];
/// Blocks that hold only inline content.
const INLINE_ONLY: [&str; 14] =
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "legend", "summary", "dt", "pre", "address"];
/// Marks a newline of text while a paragraph is assembled (stripped from the input first).
const NEWLINE: char = '\u{E000}';

enum Piece<'a> {
    Text(&'a str),
    Inline(&'a str),
    Break,
}

fn is_block(name: &str) -> bool {
    BLOCKS.iter().any(|b| b.eq_ignore_ascii_case(name))
}

/// Adds paragraphs and line breaks to classic WordPress content.
pub fn autop(html: &str) -> String {
    if html.trim().is_empty() {
        return String::new();
    }
    let normalised = if html.contains(['\r', NEWLINE]) {
        std::borrow::Cow::Owned(html.replace("\r\n", "\n").replace(['\r', NEWLINE], "\n"))
    } else {
        std::borrow::Cow::Borrowed(html)
    };
    let mut out = String::with_capacity(normalised.len() + normalised.len() / 8 + 16);
    let mut run: Vec<Piece<'_>> = Vec::new();
    let mut open: Vec<String> = Vec::new();
    for token in tokens(&normalised) {
        match token {
            Token::Text(text) => {
                split_blank_lines(text, &mut run);
                // Where every paragraph is wrapped on its own, those complete so far are
                // written now: a huge post is never held as pieces whole.
                let parent = open.last().map(String::as_str);
                if matches!(parent, None | Some("blockquote"))
                    && let Some(last) = run.iter().rposition(|p| matches!(p, Piece::Break))
                {
                    let rest = run.split_off(last + 1);
                    flush(&mut out, &mut run, parent);
                    run = rest;
                }
            }
            Token::Tag { raw, name, closing } if is_block(name) => {
                flush(&mut out, &mut run, open.last().map(String::as_str));
                if !closing && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(raw);
                let lower = name.to_ascii_lowercase();
                if closing {
                    if let Some(pos) = open.iter().rposition(|o| *o == lower) {
                        open.truncate(pos);
                    }
                    out.push('\n');
                } else if VOID_BLOCKS.contains(&lower.as_str()) || raw.ends_with("/>") {
                    out.push('\n');
                } else {
                    open.push(lower);
                }
            }
            Token::Tag { raw, name, closing: false } if name.eq_ignore_ascii_case("br") => {
                // `<br><br>` (with only white space between) separates paragraphs.
                let previous_br = run
                    .iter()
                    .rev()
                    .find(|p| !matches!(p, Piece::Text(t) if t.trim().is_empty()))
                    .is_some_and(|p| matches!(p, Piece::Inline(r) if is_br(r)));
                if previous_br {
                    while matches!(run.last(), Some(Piece::Text(t)) if t.trim().is_empty()) {
                        run.pop();
                    }
                    run.pop();
                    run.push(Piece::Break);
                } else {
                    run.push(Piece::Inline(raw));
                }
            }
            Token::Raw { raw, name } if is_block(name) || name.eq_ignore_ascii_case("script") => {
                flush(&mut out, &mut run, open.last().map(String::as_str));
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(raw);
                out.push('\n');
            }
            other => run.push(Piece::Inline(other.raw())),
        }
    }
    flush(&mut out, &mut run, open.last().map(String::as_str));
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn is_br(raw: &str) -> bool {
    let name = raw.trim_start_matches('<').as_bytes();
    name.get(..2).is_some_and(|n| n.eq_ignore_ascii_case(b"br")) && !name.get(2).is_some_and(u8::is_ascii_alphanumeric)
}

/// Splits text at blank lines (a newline, optional white space, a newline).
fn split_blank_lines<'a>(text: &'a str, run: &mut Vec<Piece<'a>>) {
    let mut start = 0;
    let bytes = text.as_bytes();
    let at = |j: usize| bytes.get(j).copied();
    let mut i = 0;
    while let Some(b) = at(i) {
        if b == b'\n' {
            let mut j = i + 1;
            while matches!(at(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if at(j) == Some(b'\n') {
                run.push(Piece::Text(text.get(start..i).unwrap_or_default()));
                run.push(Piece::Break);
                // Swallow every further blank line.
                while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
                    j += 1;
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if let Some(rest) = text.get(start..).filter(|r| !r.is_empty()) {
        run.push(Piece::Text(rest));
    }
}

/// Writes the pending inline content as paragraphs (or, inside blocks that take no
/// paragraphs, as text with line breaks).
fn flush(out: &mut String, run: &mut Vec<Piece<'_>>, parent: Option<&str>) {
    if run.is_empty() {
        return;
    }
    let mut paragraphs: Vec<String> = vec![String::new()];
    for piece in run.drain(..) {
        match piece {
            Piece::Break => paragraphs.push(String::new()),
            Piece::Text(t) => {
                if let Some(p) = paragraphs.last_mut() {
                    p.extend(t.chars().map(|c| if c == '\n' { NEWLINE } else { c }));
                }
            }
            Piece::Inline(raw) => {
                if let Some(p) = paragraphs.last_mut() {
                    p.push_str(raw);
                }
            }
        }
    }
    paragraphs.retain(|p| !p.trim_matches(|c: char| c.is_whitespace() || c == NEWLINE).is_empty());
    // Elements that hold only inline content never get paragraphs inside; other blocks
    // get them once they hold more than one.
    let inline_only = parent.is_some_and(|p| INLINE_ONLY.contains(&p));
    let wrap = match parent {
        None | Some("blockquote") => true,
        Some(_) if inline_only => false,
        Some(_) => paragraphs.len() > 1,
    };
    // Paragraphs inside an explicit <p> split it in two, as in WordPress.
    let separator = if parent == Some("p") { "</p>\n<p>" } else { "<br />\n<br />\n" };
    for (i, p) in paragraphs.iter().enumerate() {
        let content = with_line_breaks(p.trim_matches(|c: char| c.is_whitespace() || c == NEWLINE));
        if wrap && !is_only_comments(&content) {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("<p>");
            out.push_str(&content);
            out.push_str("</p>\n");
        } else {
            if i > 0 && !wrap {
                out.push_str(separator);
            }
            out.push_str(&content);
        }
    }
}

/// Turns the newline marks of a paragraph into `<br />` (none after an existing `<br>`).
fn with_line_breaks(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    for c in p.chars() {
        if c == NEWLINE {
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
            let after_br = out.ends_with('>') && out.rsplit_once('<').is_some_and(|(_, tag)| is_br(tag));
            out.push_str(if after_br { "\n" } else { "<br />\n" });
        } else {
            out.push(c);
        }
    }
    out
}

fn is_only_comments(content: &str) -> bool {
    tokens(content).all(|t| match t {
        Token::Other(_) => true,
        Token::Text(s) => s.trim().is_empty(),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_make_paragraphs_and_newlines_make_breaks() {
        assert_eq!(autop("One\ntwo\n\nThree"), "<p>One<br />\ntwo</p>\n<p>Three</p>");
        assert_eq!(autop("a\r\n\r\n\r\n  \nb"), "<p>a</p>\n<p>b</p>");
        assert_eq!(autop("  \n "), "");
    }

    #[test]
    fn blocks_are_left_alone_and_not_wrapped() {
        assert_eq!(
            autop("Intro\n<ul>\n<li>one</li>\n<li>two\nlines</li>\n</ul>\nOutro"),
            "<p>Intro</p>\n<ul>\n<li>one</li>\n<li>two<br />\nlines</li>\n</ul>\n<p>Outro</p>"
        );
        assert_eq!(autop("<h2>Title</h2>\nText"), "<h2>Title</h2>\n<p>Text</p>");
        assert_eq!(autop("<div>single</div>"), "<div>single</div>");
        assert_eq!(autop("<div>\none\n\ntwo\n</div>"), "<div>\n<p>one</p>\n<p>two</p>\n</div>");
    }

    #[test]
    fn blockquotes_get_paragraphs_inside() {
        assert_eq!(
            autop("<blockquote>Quoted\n\nMore</blockquote>"),
            "<blockquote>\n<p>Quoted</p>\n<p>More</p>\n</blockquote>"
        );
    }

    #[test]
    fn preformatted_text_and_tags_spanning_lines_keep_their_newlines() {
        assert_eq!(autop("a\n<pre>x\n\ny</pre>\nb"), "<p>a</p>\n<pre>x\n\ny</pre>\n<p>b</p>");
        assert_eq!(autop("<img\nsrc=\"a.png\"\nalt=\"\">"), "<p><img\nsrc=\"a.png\"\nalt=\"\"></p>");
    }

    #[test]
    fn double_breaks_split_paragraphs_and_single_breaks_are_not_doubled() {
        assert_eq!(autop("a<br /><br>b"), "<p>a</p>\n<p>b</p>");
        assert_eq!(autop("a<br />\nb"), "<p>a<br />\nb</p>");
    }

    #[test]
    fn lone_comments_are_not_wrapped() {
        assert_eq!(autop("a\n\n<!--more-->\n\nb"), "<p>a</p>\n<!--more-->\n<p>b</p>");
    }
}

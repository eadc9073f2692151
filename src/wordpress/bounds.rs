//! Limits on imported HTML before any other pass and the sanitiser see it: the
//! sanitiser's HTML parser takes time quadratic in how deep elements nest and in how
//! many attributes one tag has (100,000 nested `<div>`s took minutes). HTML within the
//! limits is left exactly as it is; beyond them it is rewritten balanced, with the
//! elements past [`MAX_DEPTH`] flattened (their tags dropped, their text kept) and
//! the attributes past [`MAX_ATTRIBUTES`] dropped.

use super::html::{Token, tokens};

/// Deepest nesting of elements kept.
pub const MAX_DEPTH: usize = 200;
/// Most attributes kept on one tag.
pub const MAX_ATTRIBUTES: usize = 64;
/// End tags that close elements left open inside (`<p><b>x</p>`) before the HTML is
/// rewritten balanced: the parser reopens such elements, at a cost that grows with them.
const MAX_MISNESTED: usize = 1_000;

/// Elements that have no end tag.
pub const VOID: [&str; 14] =
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
/// Elements that a following sibling of the same name closes.
const SIBLINGS: [&str; 8] = ["p", "li", "dt", "dd", "tr", "td", "th", "option"];
/// Elements whose start closes an open paragraph.
const CLOSE_P: [&str; 24] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "details",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "menu",
    "nav",
    "ol",
    "ul",
];

/// What [`bound`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Elements whose tags were dropped because they nested too deep.
    pub flattened: usize,
    /// Attributes dropped from tags that had too many.
    pub attributes: usize,
}

/// `html` within the limits, and what was cut; `None` when it already was (and is
/// used as it is).
pub fn bound(html: &str) -> Option<(String, Cut)> {
    if walk(html, None).is_ok() {
        return None;
    }
    let mut out = String::with_capacity(html.len());
    let cut = walk(html, Some(&mut out)).unwrap_or_default();
    Some((out, cut))
}

/// Walks the elements of `html`. Without `out`, stops with `Err` at the first limit
/// passed; with it, writes the bounded HTML there.
fn walk(html: &str, mut out: Option<&mut String>) -> Result<Cut, ()> {
    let rewriting = out.is_some();
    let mut cut = Cut::default();
    let mut open: Vec<&str> = Vec::new();
    let mut dropped: Vec<(&str, usize)> = Vec::new();
    let mut misnested = 0usize;
    let mut emit = |s: &str| {
        if let Some(out) = out.as_deref_mut() {
            out.push_str(s);
        }
    };
    let close = |name: &str| format!("</{name}>");
    for token in tokens(html) {
        match token {
            Token::Tag { raw, name, closing: false } => {
                let (count, kept_end) = attributes(raw, name.len());
                let raw = if count > MAX_ATTRIBUTES {
                    if !rewriting {
                        return Err(());
                    }
                    cut.attributes += count - MAX_ATTRIBUTES;
                    let tail = if raw.ends_with("/>") { "/>" } else { ">" };
                    &format!("{}{tail}", raw.get(..kept_end).unwrap_or(raw))
                } else {
                    raw
                };
                if VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                    emit(raw);
                    continue;
                }
                let top = open.last().copied().unwrap_or_default();
                let sibling = SIBLINGS.iter().any(|s| s.eq_ignore_ascii_case(name)) && top.eq_ignore_ascii_case(name);
                let ends_p = top.eq_ignore_ascii_case("p") && CLOSE_P.iter().any(|b| b.eq_ignore_ascii_case(name));
                if sibling || ends_p {
                    open.pop();
                    emit(&close(top));
                }
                if open.len() >= MAX_DEPTH {
                    if !rewriting {
                        return Err(());
                    }
                    cut.flattened += 1;
                    match dropped.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                        Some((_, n)) => *n += 1,
                        None => dropped.push((name, 1)),
                    }
                    continue;
                }
                open.push(name);
                emit(raw);
            }
            Token::Tag { raw, name, closing: true } => {
                if let Some((_, n)) = dropped.iter_mut().find(|(n, c)| *c > 0 && n.eq_ignore_ascii_case(name)) {
                    *n -= 1;
                    continue;
                }
                match open.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                    Some(pos) => {
                        misnested += open.len() - 1 - pos;
                        if misnested > MAX_MISNESTED && !rewriting {
                            return Err(());
                        }
                        for inner in open.drain(pos..).skip(1).rev() {
                            emit(&close(inner));
                        }
                        emit(raw);
                    }
                    // A stray end tag: the parser ignores it.
                    None if rewriting => {}
                    None => emit(raw),
                }
            }
            other => emit(other.raw()),
        }
    }
    for name in open.into_iter().rev() {
        emit(&close(name));
    }
    Ok(cut)
}

/// How many attributes a start tag has, and the byte where the source of the first
/// [`MAX_ATTRIBUTES`] of them ends. Quotes open only right after `=`, as the
/// tokenizer reads them.
fn attributes(raw: &str, name_len: usize) -> (usize, usize) {
    let bytes = raw.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let mut i = 1 + name_len;
    let (mut count, mut kept_end) = (0, i);
    loop {
        while at(i).is_some_and(|b| b.is_ascii_whitespace() || b == b'/') {
            i += 1;
        }
        match at(i) {
            None | Some(b'>') => break,
            Some(_) => {}
        }
        while at(i).is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/')) {
            i += 1;
        }
        let mut j = i;
        while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        if at(j) == Some(b'=') {
            j += 1;
            while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            match at(j) {
                Some(q @ (b'"' | b'\'')) => {
                    j += 1;
                    while at(j).is_some_and(|b| b != q) {
                        j += 1;
                    }
                    j += 1;
                }
                _ => {
                    while at(j).is_some_and(|b| !b.is_ascii_whitespace() && b != b'>') {
                        j += 1;
                    }
                }
            }
            i = j;
        }
        count += 1;
        if count == MAX_ATTRIBUTES {
            kept_end = i.min(raw.len());
        }
    }
    (count, kept_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_within_the_limits_is_left_as_it_is() {
        for html in ["<p>a <b>b</b></p><div><div>c</div></div>", "<p><b>x</p><p>y", "<img src=a alt='b c'>"] {
            assert_eq!(bound(html), None, "{html}");
        }
    }

    #[test]
    fn elements_nested_too_deep_are_flattened_keeping_their_text() {
        let deep = format!("{}x{}", "<div>".repeat(MAX_DEPTH + 50), "</div>".repeat(MAX_DEPTH + 50));
        let (out, cut) = bound(&deep).unwrap_or_default();
        assert_eq!(cut.flattened, 50);
        assert_eq!(out, format!("{}x{}", "<div>".repeat(MAX_DEPTH), "</div>".repeat(MAX_DEPTH)));
        let unclosed = "<b>y".repeat(MAX_DEPTH + 1);
        let (out, _) = bound(&unclosed).unwrap_or_default();
        assert_eq!(out.matches("<b>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</b>").count(), MAX_DEPTH);
        assert_eq!(out.matches('y').count(), MAX_DEPTH + 1);
    }

    #[test]
    fn attributes_past_the_limit_are_dropped() {
        let attrs: String = (0..MAX_ATTRIBUTES + 3).map(|i| format!(" a{i}=\"v {i}\"")).collect();
        let (out, cut) = bound(&format!("<p{attrs}>x</p>")).unwrap_or_default();
        assert_eq!(cut.attributes, 3);
        let kept: String = (0..MAX_ATTRIBUTES).map(|i| format!(" a{i}=\"v {i}\"")).collect();
        assert_eq!(out, format!("<p{kept}>x</p>"));
    }
}

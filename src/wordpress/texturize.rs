//! WordPress's typography (`wptexturize`), which WordPress applies to every post and
//! comment when it shows them: curly quotes and apostrophes, primes, en and em dashes,
//! ellipses, `(tm)` and the multiplication sign in `1920x1080`. Text inside `<pre>`,
//! `<code>`, `<kbd>`, `<tt>`, `<script>` and `<style>`, inside tags, and inside
//! shortcodes (`[gallery ids="1,2"]`) is left alone.

use super::html::{Token, tokens};

/// Elements whose text is code, not prose.
const NO_TEXTURIZE: [&str; 6] = ["pre", "code", "kbd", "tt", "style", "script"];

/// Applies WordPress's typography to the text of an HTML fragment.
pub fn texturize(html: &str) -> String {
    if !html.contains(['\'', '"', '-', '.', '`', 'x', '(']) {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut skip_depth = 0usize;
    let mut state = Quotes::default();
    for token in tokens(html) {
        match token {
            Token::Text(text) if skip_depth == 0 => texturize_text(text, &mut state, &mut out),
            Token::Tag { raw, name, closing } => {
                if NO_TEXTURIZE.iter().any(|t| t.eq_ignore_ascii_case(name)) {
                    skip_depth = if closing { skip_depth.saturating_sub(1) } else { skip_depth + 1 };
                }
                if !is_inline(name) {
                    state = Quotes::default();
                }
                out.push_str(raw);
            }
            other => out.push_str(other.raw()),
        }
    }
    out
}

/// Inline elements, across which quotes pair up (`"<em>word</em>"`).
fn is_inline(name: &str) -> bool {
    const INLINE: [&str; 16] =
        ["a", "em", "strong", "b", "i", "u", "s", "span", "abbr", "cite", "q", "small", "sup", "sub", "mark", "del"];
    INLINE.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// What the text before the current character tells about quotes.
#[derive(Default)]
struct Quotes {
    prev: Option<char>,
    double_open: bool,
}

/// Characters after which a quote opens.
fn opens_after(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '“' | '‘' | '-' | '–' | '—' | '\u{a0}'),
    }
}

fn texturize_text(text: &str, q: &mut Quotes, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut i = 0;
    while let Some(c) = at(i) {
        let next = at(i + 1);
        // Shortcodes keep their attribute quotes.
        if c == '['
            && next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/')
            && let Some(len) = chars
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take(400)
                .position(|&x| x == ']' || x == '\n')
                .filter(|&p| at(i + p) == Some(']'))
        {
            out.extend(chars.get(i..=i + len).unwrap_or_default());
            q.prev = Some(']');
            i += len + 1;
            continue;
        }
        let (emit, used): (&str, usize) = match c {
            '-' if next == Some('-') && at(i + 2) == Some('-') => ("—", 3),
            '-' if next == Some('-') && q.prev == Some(' ') && at(i + 2) == Some(' ') => ("—", 2),
            '-' if next == Some('-') => ("–", 2),
            '-' if q.prev == Some(' ') && next == Some(' ') => ("–", 1),
            '.' if next == Some('.') && at(i + 2) == Some('.') => ("…", 3),
            '`' if next == Some('`') => ("“", 2),
            '\'' if next == Some('\'') => ("”", 2),
            '(' if q.prev == Some(' ')
                && chars
                    .get(i + 1..i + 4)
                    .is_some_and(|s| s.iter().map(char::to_ascii_lowercase).eq(['t', 'm', ')'])) =>
            {
                ("™", 4)
            }
            '\'' => (single_quote(q.prev, next, at(i + 2)), 1),
            '"' => {
                let s = if q.prev.is_some_and(|p| p.is_ascii_digit()) && !q.double_open {
                    "″"
                } else if opens_after(q.prev) {
                    q.double_open = true;
                    "“"
                } else {
                    q.double_open = false;
                    "”"
                };
                (s, 1)
            }
            'x' if is_multiplication(&chars, i) => ("×", 1),
            _ => {
                out.push(c);
                q.prev = Some(c);
                i += 1;
                continue;
            }
        };
        out.push_str(emit);
        q.prev = emit.chars().last();
        i += used;
    }
}

fn single_quote(prev: Option<char>, next: Option<char>, after_next: Option<char>) -> &'static str {
    let next_alnum = next.is_some_and(char::is_alphanumeric);
    if prev.is_some_and(|p| p.is_ascii_digit()) && !next_alnum {
        "′"
    } else if opens_after(prev)
        && next.is_some_and(|n| n.is_ascii_digit())
        && after_next.is_some_and(|n| n.is_ascii_digit())
    {
        // '90s: an apostrophe for the omitted digits.
        "’"
    } else if prev.is_some_and(char::is_alphanumeric) || !opens_after(prev) {
        "’"
    } else {
        "‘"
    }
}

/// `x` between two numbers, as in `1920x1080` (not in `0x1F` or `x86`).
fn is_multiplication(chars: &[char], i: usize) -> bool {
    let digit = |j: usize| chars.get(j).is_some_and(char::is_ascii_digit);
    if i == 0 || !digit(i - 1) || !digit(i + 1) {
        return false;
    }
    let mut start = i - 1;
    let char_before = |j: usize| j.checked_sub(1).and_then(|b| chars.get(b)).copied();
    while start > 0 && (digit(start - 1) || matches!(char_before(start), Some('.' | ','))) {
        start -= 1;
    }
    let before_ok = !char_before(start).is_some_and(char::is_alphanumeric);
    let lone_zero = start == i - 1 && chars.get(start) == Some(&'0');
    let mut end = i + 1;
    while digit(end) || chars.get(end).is_some_and(|c| *c == '.' || *c == ',') && digit(end + 1) {
        end += 1;
    }
    let after_ok = chars.get(end).is_none_or(|c| !c.is_alphanumeric());
    before_ok && after_ok && !lone_zero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_apostrophes_curl() {
        assert_eq!(texturize(r#""Hello," she said. It's 'fine'."#), "“Hello,” she said. It’s ‘fine’.");
        assert_eq!(texturize("In the '90s, 5' 9\" tall"), "In the ’90s, 5′ 9″ tall");
        assert_eq!(texturize("<em>\"word\"</em>"), "<em>“word”</em>");
    }

    #[test]
    fn dashes_ellipses_and_signs() {
        assert_eq!(texturize("a -- b --- c - d 1--2"), "a — b — c – d 1–2");
        assert_eq!(texturize("wait... 1920x1080 0x1F x86 Brand (tm)"), "wait… 1920×1080 0x1F x86 Brand ™");
    }

    #[test]
    fn code_tags_and_shortcodes_are_left_alone() {
        let html = r#"<p class="a'b">x</p><code>"q"</code> [gallery ids="1,2"] "ok""#;
        assert_eq!(texturize(html), r#"<p class="a'b">x</p><code>"q"</code> [gallery ids="1,2"] “ok”"#);
        assert_eq!(texturize("<pre>'a'</pre>"), "<pre>'a'</pre>");
    }
}

//! A forgiving HTML tokenizer for WordPress content: text, tags and comments, with
//! the raw text of `<pre>`, `<script>`, `<style>`, `<textarea>`, `<svg>` and `<math>`
//! kept whole. It never fails: anything that is not a well-formed tag is text.
//! Tokens borrow from the input, so joining their `raw` parts gives it back.

/// One piece of HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    Text(&'a str),
    /// A start or end tag. `name` is as written (compare with `eq_ignore_ascii_case`).
    Tag {
        raw: &'a str,
        name: &'a str,
        closing: bool,
    },
    /// A comment, doctype, CDATA or processing instruction.
    Other(&'a str),
    /// An element whose content is not HTML (`<pre>...</pre>`, `<script>...`), whole.
    Raw {
        raw: &'a str,
        name: &'a str,
    },
}

impl<'a> Token<'a> {
    /// The token's source text.
    pub fn raw(&self) -> &'a str {
        match self {
            Token::Text(s) | Token::Other(s) => s,
            Token::Tag { raw, .. } | Token::Raw { raw, .. } => raw,
        }
    }

    /// True for a start or end tag named `name` (ASCII case-insensitive).
    pub fn is_tag(&self, tag: &str) -> bool {
        matches!(self, Token::Tag { name, .. } if name.eq_ignore_ascii_case(tag))
    }
}

/// Elements whose content is kept whole.
const RAW_ELEMENTS: [&str; 6] = ["pre", "script", "style", "textarea", "svg", "math"];

/// Splits `html` into tokens.
pub fn tokenize(html: &str) -> Vec<Token<'_>> {
    tokens(html).collect()
}

/// The tokens of `html`, one at a time (a huge post's tokens are never all held).
pub fn tokens(html: &str) -> Tokens<'_> {
    Tokens { html, scan: Scan::new(html), i: 0, text_start: 0, pending: None }
}

/// The iterator [`tokens`] returns.
pub struct Tokens<'a> {
    html: &'a str,
    scan: Scan,
    i: usize,
    text_start: usize,
    /// Markup found after a text token that is returned first.
    pending: Option<Token<'a>>,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(token) = self.pending.take() {
            return Some(token);
        }
        let (html, bytes) = (self.html, self.html.as_bytes());
        while let Some(offset) = bytes.get(self.i..).and_then(|rest| rest.iter().position(|&b| b == b'<')) {
            let at = self.i + offset;
            let Some((end, token)) = markup_at(html, at, &mut self.scan) else {
                self.i = at + 1;
                continue;
            };
            let text = html.get(self.text_start..at).filter(|t| !t.is_empty());
            self.i = end;
            self.text_start = end;
            return match text {
                Some(text) => {
                    self.pending = Some(token);
                    Some(Token::Text(text))
                }
                None => Some(token),
            };
        }
        let text = html.get(self.text_start..).filter(|t| !t.is_empty());
        self.text_start = html.len();
        self.i = html.len();
        text.map(Token::Text)
    }
}

/// The markup starting at byte `at` (a `<`): its end and token, or `None` if the `<`
/// starts no markup.
fn markup_at<'a>(html: &'a str, at: usize, scan: &mut Scan) -> Option<(usize, Token<'a>)> {
    let rest = html.get(at..)?;
    if let Some(body) = rest.strip_prefix("<!--") {
        let end = body.find("-->").map_or(html.len(), |p| at + 4 + p + 3);
        return Some((end, Token::Other(html.get(at..end)?)));
    }
    let next = *rest.as_bytes().get(1)?;
    if next == b'!' || next == b'?' {
        let end = scan.next_gt(html, at)? + 1;
        return Some((end, Token::Other(html.get(at..end)?)));
    }
    let closing = next == b'/';
    let name_start = at + if closing { 2 } else { 1 };
    let after = html.get(name_start..)?;
    let name_len = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b':').count();
    if !after.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let name = after.get(..name_len)?;
    let end = tag_end(html, name_start + name_len, scan)?;
    let raw = html.get(at..end)?;
    if !closing && let Some(raw_name) = RAW_ELEMENTS.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        let close = format!("</{raw_name}");
        let content_end = find_ascii_ci(html.get(end..)?, &close).map(|p| end + p);
        let element_end = content_end.and_then(|p| tag_end(html, p + close.len(), scan)).unwrap_or(html.len());
        return Some((element_end, Token::Raw { raw: html.get(at..element_end)?, name }));
    }
    Some((end, Token::Tag { raw, name, closing }))
}

/// What tokenizing has learnt about the input, so that no byte is scanned over and
/// over (which made hostile input take quadratic time).
struct Scan {
    /// The first `>` at or after `from`, or `None` when there is none.
    gt: Option<(usize, Option<usize>)>,
    last_double: Option<usize>,
    last_single: Option<usize>,
}

impl Scan {
    fn new(html: &str) -> Self {
        Self { gt: None, last_double: html.rfind('"'), last_single: html.rfind('\'') }
    }

    /// The first `>` after `at`.
    fn next_gt(&mut self, html: &str, at: usize) -> Option<usize> {
        match self.gt {
            Some((from, found)) if from <= at && found.is_none_or(|g| g > at) => found,
            _ => {
                let found = html.get(at..)?.find('>').map(|p| at + p);
                self.gt = Some((at, found));
                found
            }
        }
    }

    /// True when a quote `q` at `at` is closed by a later one.
    fn closes(&self, q: u8, at: usize) -> bool {
        let last = if q == b'"' { self.last_double } else { self.last_single };
        last.is_some_and(|l| l > at)
    }
}

/// The index just past the `>` that ends a tag whose attributes start at `from`,
/// skipping quoted attribute values.
fn tag_end(html: &str, from: usize, scan: &Scan) -> Option<usize> {
    let mut quote = None;
    // The last byte that was not white space, outside quotes.
    let mut last = 0;
    for (i, &b) in html.as_bytes().iter().enumerate().skip(from) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            // Only a quote right after `=` opens a value; elsewhere it is junk.
            // A quote that no later one closes would run to the end: it is junk too.
            None if (b == b'"' || b == b'\'') && last == b'=' && scan.closes(b, i) => quote = Some(b),
            None if b == b'>' => return Some(i + 1),
            None if b == b'<' => return None,
            None => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
    }
    None
}

/// Byte position of `needle` (ASCII) in `hay`, ignoring ASCII case.
pub fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    if n == 0 {
        return Some(0);
    }
    let (first, needle) = needle.as_bytes().split_first()?;
    let hay = hay.as_bytes();
    let mut from = 0;
    while let Some(p) = hay.get(from..)?.iter().position(|b| b.eq_ignore_ascii_case(first)) {
        let at = from + p;
        if hay.get(at + 1..at + 1 + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(needle)) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The value of attribute `name` in a tag's source, if present (entities not decoded).
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let bytes = tag.as_bytes();
    let mut i = 0;
    while let Some(p) = find_ascii_ci(tag.get(i..)?, name) {
        let start = i + p;
        let before_ok = start.checked_sub(1).and_then(|b| bytes.get(b)).is_some_and(u8::is_ascii_whitespace);
        let after = tag.get(start + name.len()..)?.trim_start();
        if before_ok && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            return match value.chars().next() {
                Some(q @ ('"' | '\'')) => value.get(1..)?.split(q).next(),
                _ => value.split(|c: char| c.is_ascii_whitespace() || c == '>').next().map(|v| v.trim_end_matches('/')),
            };
        }
        i = start + name.len();
    }
    None
}

/// Escapes text for HTML content or a double-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    crate::domain::markdown::push_escaped(&mut out, s);
    out
}

/// Named character references WordPress content uses: the Latin-1 range in order
/// (`&nbsp;` is U+00A0 ... `&yuml;` is U+00FF), then typography and a few symbols.
const LATIN1_NAMES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf", "laquo", "not", "shy",
    "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil", "sup1", "ordm",
    "raquo", "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
    "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve",
    "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN",
    "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc",
    "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml",
    "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
];
const OTHER_NAMES: [(&str, char); 45] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("prime", '′'),
    ("Prime", '″'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("euro", '€'),
    ("trade", '™'),
    ("larr", '←'),
    ("rarr", '→'),
    ("hearts", '♥'),
    ("minus", '−'),
    ("infin", '∞'),
    ("ne", '≠'),
];

/// The character a reference (`amp`, `#8217`, `#x2019`) stands for.
fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    if let Some(i) = LATIN1_NAMES.iter().position(|n| *n == name) {
        return char::from_u32(0xA0 + u32::try_from(i).ok()?);
    }
    OTHER_NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Decodes character references in text; unknown ones are kept as they are.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((before, after)) = rest.split_once('&') {
        out.push_str(before);
        // A reference is at most 10 bytes long: look no further for its `;`.
        let end = after.bytes().take(11).position(|b| b == b';').filter(|&e| e > 0);
        match end.and_then(|e| after.split_at_checked(e)).and_then(|(name, tail)| Some((entity(name)?, tail))) {
            Some((c, tail)) => {
                out.push(c);
                rest = tail.get(1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of an HTML fragment (a WordPress title or name): tags dropped, character
/// references decoded, runs of white space folded to one space and the ends trimmed.
pub fn text_of(html: &str) -> String {
    if !html.contains(['&', '<']) && !html.contains("  ") && html.trim() == html && !html.contains(['\n', '\t']) {
        return html.to_owned();
    }
    let mut text = String::with_capacity(html.len());
    for token in tokens(html) {
        match token {
            Token::Text(t) => text.push_str(&decode_entities(t)),
            Token::Tag { name, .. } if name.eq_ignore_ascii_case("br") => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    #[test]
    fn tokens_rebuild_the_input() {
        for html in [
            "a <b class=\"x>y\">bold</b> < c <!-- note --> <pre>\n<b>x</b>\n</pre> d",
            "<img src='a.png' alt=\"it's\"/>tail <",
            "<script>if (a < b) {}</script><p>x",
            "<!-- unterminated",
        ] {
            let joined: String = tokenize(html).iter().map(Token::raw).collect();
            assert_eq!(joined, html);
        }
    }

    #[test]
    fn tags_and_raw_elements_are_recognised() {
        let t = tokenize("x<P Class=a>y</p><PRE>1\n2</PRE>");
        assert_eq!(t[0], Token::Text("x"));
        assert!(t[1].is_tag("p"));
        assert!(matches!(t[3], Token::Tag { closing: true, .. }));
        assert!(matches!(t[4], Token::Raw { name: "PRE", .. }));
        assert!(matches!(tokenize("1 < 2")[..], [Token::Text("1 < 2")]));
    }

    #[test]
    fn references_decode_and_tags_drop_from_text() {
        assert_eq!(
            text_of("Tom &amp; Jerry&#8217;s &ldquo;<em>caf&eacute;</em>&rdquo; &#x2014; &bogus; &"),
            "Tom & Jerry’s “café” — &bogus; &"
        );
        assert_eq!(text_of("  spaced\n out  "), "spaced out");
        assert_eq!(text_of("plain"), "plain");
        assert_eq!(decode_entities("&nbsp;&yuml;&#0;"), "\u{a0}ÿ&#0;");
    }

    #[test]
    fn attributes_are_found_in_any_quoting() {
        let tag = r#"<img data-src="no" src="a.png" alt='x y' width=300 />"#;
        assert_eq!(attr(tag, "src"), Some("a.png"));
        assert_eq!(attr(tag, "alt"), Some("x y"));
        assert_eq!(attr(tag, "width"), Some("300"));
        assert_eq!(attr(tag, "title"), None);
    }
}

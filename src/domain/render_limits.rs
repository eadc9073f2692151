//! Limits on rendering Markdown from comments and posts: nesting depth, output size
//! and time, so that a text costs work in proportion to its length.
//!
//! The HTML sanitiser looks through its stack of open elements for every element it
//! opens, so a deep tree costs time in the square of its depth (65,524 nested quotes
//! took 24 s). Two guards keep trees shallow:
//! - [`bound_containers`] rewrites the source before the parser sees it: one line opens
//!   at most [`MAX_CONTAINER_DEPTH`] block quotes (and, in posts, list items); the
//!   marker that would open one more is escaped, so it and the rest of its line are text.
//! - [`bounded`] filters the parser's events: at most `max_depth` elements are open at
//!   once (deeper ones are left out, their text kept), the output stays under a size,
//!   and the work stops at a deadline.
//!
//! [`render_off_runtime`] runs a render on the blocking pool within [`RENDER_BUDGET`].

use std::time::{Duration, Instant};

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::SafeHtml;

/// Block quotes (and list items, where lists are allowed) one line may open.
pub const MAX_CONTAINER_DEPTH: usize = 8;
/// Longest a comment or post may take to render; past it the text is refused. The
/// worst comments known take well under 50 ms in a release build (`bench/render.sh`);
/// a debug build, as the tests run, is some twenty times slower and gets more time.
pub const RENDER_BUDGET: Duration =
    if cfg!(debug_assertions) { Duration::from_secs(5) } else { Duration::from_secs(1) };
/// Events between two looks at the clock.
const EVENTS_PER_CLOCK_CHECK: usize = 256;
/// The least an element adds to the output (`<p></p>`), besides its text and URL.
const TAG_COST: usize = 7;
/// The least a line break or rule adds (`<br>`).
const BREAK_COST: usize = 4;

/// Why a text was not rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    /// Its HTML would pass the size limit.
    #[error("the rendered text would be too large")]
    TooLarge,
    /// Rendering passed its deadline.
    #[error("rendering took too long")]
    TooSlow,
    /// The renderer failed (logged where it happened).
    #[error("rendering failed")]
    Failed,
}

/// Which block containers a text may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containers {
    /// Block quotes only (comments: list markers are text, see `comment_text`).
    Quotes,
    /// Block quotes and list items (posts).
    QuotesAndLists,
}

/// What [`bounded`] allows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Elements open at once.
    pub max_depth: usize,
    /// Bytes of output, estimated from the events' text and URLs.
    pub max_output: usize,
    /// When to give up.
    pub deadline: Option<Instant>,
}

/// The events of a parse, with elements deeper than `limits.max_depth` left out (their
/// contents kept), or an error when the output would pass its size or the deadline
/// passes. Events must be balanced, as the parser makes them.
pub fn bounded<'a>(events: impl IntoIterator<Item = Event<'a>>, limits: &Limits) -> Result<Vec<Event<'a>>, TooComplex> {
    let mut out = Vec::new();
    // For each open element: whether its start was kept.
    let mut open: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    let mut size = 0usize;
    for (n, event) in events.into_iter().enumerate() {
        if n % EVENTS_PER_CLOCK_CHECK == 0 && limits.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(TooComplex::TooSlow);
        }
        size = size.saturating_add(cost(&event));
        if size > limits.max_output {
            return Err(TooComplex::TooLarge);
        }
        match event {
            Event::Start(tag) => {
                let keep = depth < limits.max_depth;
                open.push(keep);
                if keep {
                    depth += 1;
                    out.push(Event::Start(tag));
                }
            }
            Event::End(tag) => {
                if open.pop().unwrap_or(false) {
                    depth = depth.saturating_sub(1);
                    out.push(Event::End(tag));
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The least number of bytes an event adds to the output, so that the estimate never
/// passes the limit before the output would.
fn cost(event: &Event<'_>) -> usize {
    match event {
        Event::Text(s)
        | Event::Code(s)
        | Event::Html(s)
        | Event::InlineHtml(s)
        | Event::InlineMath(s)
        | Event::DisplayMath(s)
        | Event::FootnoteReference(s) => s.len(),
        // A reference link repeats its URL each time it is used.
        Event::Start(Tag::Link { dest_url, title, .. } | Tag::Image { dest_url, title, .. }) => {
            dest_url.len() + title.len() + TAG_COST
        }
        Event::Start(_) => TAG_COST,
        Event::End(_) => 0,
        _ => BREAK_COST,
    }
}

/// Stand for `&amp;` and `&lt;` while the sanitiser reads the HTML: noncharacters,
/// which Unicode reserves for such internal use.
const AMPERSAND: char = '\u{FDD0}';
const LESS_THAN: char = '\u{FDD1}';

/// Cleans `raw` with `policy` in time linear in its length. The sanitiser's parser
/// reads character references slowly (with `&`, in time in the square of their
/// number), so every `&amp;` and `&lt;` is swapped for a stand-in on the way in and
/// back on the way out (the HTML hewn writes has no other `&` or `<` outside tags; the
/// stand-ins themselves, if someone typed them, become U+FFFD). The swap cannot change
/// a URL's scheme: one with a stand-in in it has no valid scheme.
pub fn clean(policy: &ammonia::Builder<'_>, raw: &str) -> String {
    let swapped =
        raw.replace([AMPERSAND, LESS_THAN], "\u{FFFD}").replace("&amp;", "\u{FDD0}").replace("&lt;", "\u{FDD1}");
    settle(policy.clean(&swapped).to_string().replace(AMPERSAND, "&amp;").replace(LESS_THAN, "&lt;"))
}

/// Cleans `raw` with `policy` until the result reads back the same: the sanitiser's
/// parser moves misnested lists, tables and links (a list inside a table cell inside a
/// list item, a link inside a link) and can move them again when it reads its own
/// output, so stored HTML that is cleaned again (an export, an edit, a re-import)
/// would change. Only output holding such markup is read again, at most twice more.
pub fn clean_settled(policy: &ammonia::Builder<'_>, raw: &str) -> String {
    let mut html = settle(policy.clean(raw).to_string());
    for _ in 0..2 {
        let movable =
            ["<li", "<table", "<dt", "<dd"].iter().any(|t| html.contains(t)) || html.matches("<a ").nth(1).is_some();
        if !movable {
            break;
        }
        let again = settle(policy.clean(&html).to_string());
        if again == html {
            break;
        }
        html = again;
    }
    html
}

/// The sanitiser's output made what the sanitiser leaves as it is, so that stored HTML
/// cleaned again (an export, an edit, a re-import) comes out unchanged: a byte order
/// mark at the start, which a parser drops, is dropped here once, and a line break
/// opening a `<pre>` is kept (see [`keep_pre_newline`]). What a browser shows is the same.
pub fn settle(html: String) -> String {
    let html = match html.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => html,
    };
    keep_pre_newline(html)
}

/// The sanitiser's output with a line break doubled where a `<pre>` element's text
/// starts with one. An HTML parser drops a line break right after `<pre>`, so the
/// HTML standard's serialiser writes an extra one there; the sanitiser's does not.
/// Without it, what a reader sees loses that line, and cleaning the output again
/// would change it (stored HTML must be a fixed point of the sanitiser).
pub fn keep_pre_newline(html: String) -> String {
    if !html.contains("<pre") {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 8);
    let mut rest = html.as_str();
    while let Some((before, tag)) = rest.find("<pre").and_then(|at| rest.split_at_checked(at)) {
        out.push_str(before);
        let Some((open, after)) = tag.find('>').and_then(|end| tag.split_at_checked(end + 1)) else {
            rest = tag;
            break;
        };
        out.push_str(open);
        // `<pre>` or `<pre …>`, not `<preview>`: the sanitiser writes no other tag so.
        let is_pre = open.strip_prefix("<pre").is_some_and(|t| t.starts_with(['>', ' ']));
        if is_pre && after.starts_with('\n') {
            out.push('\n');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `events` with their text escaped for the sanitiser's sake: only `&` and `<` (`>`
/// and `"` mean nothing in text, and the sanitiser's output escapes them again). It
/// reads each character reference on its own, at a cost that grows with the text
/// around it, so a text of many `>` costs far less this way. Image descriptions,
/// which the HTML writer escapes for an attribute, are left as they are.
pub fn light_escapes(events: Vec<Event<'_>>) -> impl Iterator<Item = Event<'_>> {
    let mut images = 0usize;
    events.into_iter().map(move |event| match event {
        Event::Start(Tag::Image { .. }) => {
            images += 1;
            event
        }
        Event::End(TagEnd::Image) => {
            images = images.saturating_sub(1);
            event
        }
        Event::Text(text) if images == 0 => {
            if !text.contains(['&', '<']) {
                return Event::InlineHtml(text);
            }
            let mut out = String::with_capacity(text.len() + 16);
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    c => out.push(c),
                }
            }
            Event::InlineHtml(CowStr::from(out))
        }
        other => other,
    })
}

/// `text` with every block-quote marker (and, for [`Containers::QuotesAndLists`], list
/// marker) past [`MAX_CONTAINER_DEPTH`] on a line escaped, so that the parser reads it
/// as text. Fenced and indented code is left alone. `rest` may rewrite what follows a
/// line's containers (outside code); it gets the line without its line ending.
pub fn bound_containers(text: &str, containers: Containers, mut rest: impl FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut fence: Option<Fence> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = line.get(body.len()..).unwrap_or_default();
        if let Some(f) = fence {
            let (quotes, after) = skip_quotes(body, f.quotes);
            if quotes == f.quotes {
                if f.closed_by(after) {
                    fence = None;
                }
                out.push_str(line);
                continue;
            }
            // The quote that held the fence has ended, and the fence with it.
            fence = None;
        }
        let prefix = scan(body, containers);
        let Some((head, tail)) = body.split_at_checked(prefix.end) else {
            out.push_str(line);
            continue;
        };
        out.push_str(head);
        if prefix.escape {
            out.push('\\');
            out.push_str(tail);
        } else if let Some(f) = Fence::opened_by(tail, prefix.quotes) {
            fence = Some(f);
            out.push_str(tail);
        } else if indent(tail) >= 4 {
            out.push_str(tail);
        } else {
            rest(tail, &mut out);
        }
        out.push_str(ending);
    }
    out
}

/// The container markers at the start of a line.
struct Prefix {
    /// Where they end (and the line's content begins).
    end: usize,
    /// Block quotes among them.
    quotes: usize,
    /// The marker at `end` would open one container too many.
    escape: bool,
}

/// Reads the container markers at the start of `line`, stopping at the first one
/// past [`MAX_CONTAINER_DEPTH`].
fn scan(line: &str, containers: Containers) -> Prefix {
    let bytes = line.as_bytes();
    let (mut pos, mut depth, mut quotes) = (0usize, 0usize, 0usize);
    loop {
        let spaces = bytes.iter().skip(pos).take(4).take_while(|b| **b == b' ').count();
        if spaces >= 4 {
            break;
        }
        let at = pos + spaces;
        let next = if bytes.get(at) == Some(&b'>') {
            Some(at + 1 + usize::from(matches!(bytes.get(at + 1), Some(b' ' | b'\t'))))
        } else if containers == Containers::QuotesAndLists && !is_thematic_break(bytes.get(at..).unwrap_or_default()) {
            list_marker_end(bytes, at)
        } else {
            None
        };
        let Some(next) = next else { break };
        if depth >= MAX_CONTAINER_DEPTH {
            return Prefix { end: at, quotes, escape: true };
        }
        depth += 1;
        if bytes.get(at) == Some(&b'>') {
            quotes += 1;
        }
        pos = next;
    }
    Prefix { end: pos, quotes, escape: false }
}

/// Skips up to `most` block-quote markers; returns how many and the rest of the line.
fn skip_quotes(line: &str, most: usize) -> (usize, &str) {
    let bytes = line.as_bytes();
    let (mut pos, mut quotes) = (0usize, 0usize);
    while quotes < most {
        let spaces = bytes.iter().skip(pos).take(4).take_while(|b| **b == b' ').count();
        if spaces >= 4 || bytes.get(pos + spaces) != Some(&b'>') {
            break;
        }
        pos += spaces + 1;
        if matches!(bytes.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        quotes += 1;
    }
    (quotes, line.get(pos..).unwrap_or_default())
}

/// The end of a list marker (`-`, `+`, `*`, or up to nine digits and `.` or `)`,
/// followed by a space, a tab or the end of the line) starting at `at`, past one space.
fn list_marker_end(bytes: &[u8], at: usize) -> Option<usize> {
    let after = match bytes.get(at)? {
        b'-' | b'+' | b'*' => at + 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().skip(at).take(10).take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(at + digits), Some(b'.' | b')')) {
                return None;
            }
            at + digits + 1
        }
        _ => return None,
    };
    match bytes.get(after) {
        None => Some(after),
        Some(b' ' | b'\t') => Some(after + 1),
        Some(_) => None,
    }
}

/// True for a line such as `- - -` or `***`: a rule, not a list.
fn is_thematic_break(bytes: &[u8]) -> bool {
    let Some(&first) = bytes.iter().find(|b| !matches!(b, b' ' | b'\t')) else { return false };
    matches!(first, b'-' | b'*' | b'_')
        && bytes.iter().all(|b| *b == first || matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        && bytes.iter().filter(|b| **b == first).count() >= 3
}

/// Spaces before the first other character.
fn indent(s: &str) -> usize {
    s.bytes().take_while(|b| *b == b' ').count()
}

/// An open fenced code block.
#[derive(Debug, Clone, Copy)]
struct Fence {
    marker: u8,
    len: usize,
    /// The block quotes it sits in.
    quotes: usize,
}

impl Fence {
    /// The fence `content` (a line after its containers) opens, if any.
    fn opened_by(content: &str, quotes: usize) -> Option<Self> {
        let spaces = indent(content);
        if spaces >= 4 {
            return None;
        }
        let bytes = content.as_bytes();
        let marker = *bytes.get(spaces).filter(|b| matches!(b, b'`' | b'~'))?;
        let len = bytes.iter().skip(spaces).take_while(|b| **b == marker).count();
        (len >= 3).then_some(Self { marker, len, quotes })
    }

    /// True when `content` closes this fence.
    fn closed_by(self, content: &str) -> bool {
        let spaces = indent(content);
        let bytes = content.as_bytes();
        let len = bytes.iter().skip(spaces).take_while(|b| **b == self.marker).count();
        spaces < 4
            && len >= self.len
            && bytes.iter().skip(spaces + len).all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    }
}

/// Runs `render` on the blocking pool (so a long render never holds up the server's
/// other requests), with a deadline [`RENDER_BUDGET`] away; past it the answer is
/// [`TooComplex::TooSlow`] whether or not `render` has stopped.
pub async fn render_off_runtime<F>(render: F) -> Result<SafeHtml, TooComplex>
where
    F: FnOnce(Instant) -> Result<SafeHtml, TooComplex> + Send + 'static,
{
    let deadline = Instant::now() + RENDER_BUDGET;
    match tokio::time::timeout(RENDER_BUDGET, tokio::task::spawn_blocking(move || render(deadline))).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "rendering a text failed");
            Err(TooComplex::Failed)
        }
        Err(_) => Err(TooComplex::TooSlow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(text: &str) -> String {
        bound_containers(text, Containers::Quotes, |rest, out| out.push_str(rest))
    }

    fn posts(text: &str) -> String {
        bound_containers(text, Containers::QuotesAndLists, |rest, out| out.push_str(rest))
    }

    #[test]
    fn quotes_past_the_limit_become_text() {
        assert_eq!(quotes(&">".repeat(10)), format!("{}\\>>", ">".repeat(8)));
        assert_eq!(quotes("> > > > > > > > > deep\nok"), "> > > > > > > > \\> deep\nok");
        assert_eq!(quotes("> one\n>> two\n"), "> one\n>> two\n");
    }

    #[test]
    fn lists_count_only_where_they_are_allowed() {
        assert_eq!(quotes(&"- ".repeat(10)), "- ".repeat(10));
        assert_eq!(posts("- a\n- - - - - - - - - b"), "- a\n- - - - - - - - \\- b");
        assert_eq!(posts("1. > 2) x"), "1. > 2) x");
        assert_eq!(posts("- - - - - - - - - - - -\n"), "- - - - - - - - - - - -\n", "a rule stays a rule");
    }

    #[test]
    fn code_is_left_alone() {
        let fenced = format!("```\n{}\n```\n{}", ">".repeat(12), ">".repeat(12));
        assert_eq!(quotes(&fenced), format!("```\n{}\n```\n{}\\>>>>", ">".repeat(12), ">".repeat(8)));
        let in_quote = format!("> ~~~\n> {}\n> ~~~\n", ">".repeat(12));
        assert_eq!(quotes(&in_quote), in_quote);
        let indented = format!("    {}", ">".repeat(12));
        assert_eq!(quotes(&indented), indented);
    }

    #[test]
    fn deep_elements_are_left_out_and_their_text_kept() {
        let source = format!("{}deep{}", "*".repeat(40), "*".repeat(40));
        let limits = Limits { max_depth: 4, max_output: 1 << 20, deadline: None };
        let events = bounded(pulldown_cmark::Parser::new(&source), &limits).unwrap_or_default();
        let starts = events.iter().filter(|e| matches!(e, Event::Start(_))).count();
        let ends = events.iter().filter(|e| matches!(e, Event::End(_))).count();
        assert_eq!((starts, ends), (4, 4));
        assert!(events.iter().any(|e| matches!(e, Event::Text(t) if t.as_ref() == "deep")));
    }

    #[test]
    fn output_past_the_size_limit_is_refused() {
        let source = "[a](https://example.com/a-long-path) ".repeat(100);
        let limits = Limits { max_depth: 16, max_output: 2_000, deadline: None };
        assert_eq!(bounded(pulldown_cmark::Parser::new(&source), &limits).err(), Some(TooComplex::TooLarge));
        let roomy = Limits { max_output: 10_000, ..limits };
        assert!(bounded(pulldown_cmark::Parser::new(&source), &roomy).is_ok());
    }

    #[test]
    fn light_escapes_leave_the_same_html_after_sanitising() {
        let source = "a > b & c < d \"e\" ![alt & <x> \"q\"](i.png) `<code> & >`\n\n```\n<pre> & >\n```";
        let mut light = String::new();
        let events: Vec<Event<'_>> = pulldown_cmark::Parser::new(source).collect();
        pulldown_cmark::html::push_html(&mut light, light_escapes(events));
        let mut plain = String::new();
        pulldown_cmark::html::push_html(&mut plain, pulldown_cmark::Parser::new(source));
        assert_eq!(clean(&ammonia::Builder::default(), &light), ammonia::clean(&plain));
        assert!(light.contains(r#"alt="alt &amp; &lt;x&gt; &quot;q&quot;""#), "{light}");
    }

    #[test]
    fn escapes_survive_the_swap_and_the_stand_ins_cannot_be_typed() {
        let policy = ammonia::Builder::default();
        let raw = "<p>a &amp; b \u{FDD0} <a href=\"https://e.example/?a=1&amp;b=2\">l</a></p>";
        let out = clean(&policy, raw);
        assert_eq!(
            out,
            "<p>a &amp; b \u{FFFD} <a href=\"https://e.example/?a=1&amp;b=2\" rel=\"noopener noreferrer\">l</a></p>"
        );
        for sneaky in [
            "<a href=\"java&amp;script:alert(1)\">x</a>",
            "<a href=\"javascript&amp;colon;x\">y</a>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "<a href=\"&lt;javascript:alert(1)\">z</a>",
        ] {
            assert_eq!(clean(&policy, sneaky), policy.clean(sneaky).to_string(), "the same as without the swap");
        }
    }

    #[test]
    fn a_line_break_opening_a_pre_survives_cleaning_again() {
        let policy = ammonia::Builder::default();
        for raw in ["<pre><!-- more -->\n\tx</pre>", "<pre>\n\n\tx</pre>", "<p>a</p><pre title=\"c\"><!-- -->\ny</pre>"]
        {
            let once = clean(&policy, raw);
            assert!(once.contains("<pre>\n\n") || once.contains("\">\n\n"), "{once:?}");
            assert_eq!(clean(&policy, &once), once, "cleaning again changes nothing");
        }
        assert_eq!(keep_pre_newline("<preview>\nx".to_owned()), "<preview>\nx");
        assert_eq!(keep_pre_newline("<pre".to_owned()), "<pre");
        assert_eq!(clean(&policy, "<!-- more -->\u{feff}x"), "x");
    }

    #[test]
    fn a_passed_deadline_stops_the_work() {
        if Instant::now().checked_sub(Duration::from_secs(1)).is_none() {
            return; // a clock that started less than a second ago
        }
        let past = Instant::now().checked_sub(Duration::from_secs(1));
        let limits = Limits { max_depth: 16, max_output: 1 << 20, deadline: past };
        assert_eq!(bounded(pulldown_cmark::Parser::new("text"), &limits).err(), Some(TooComplex::TooSlow));
    }
}

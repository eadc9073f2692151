//! Renders the most expensive comments and posts we know how to write and prints the
//! time each takes: `bench/render.sh` (release build). Every comment should render,
//! or be refused as too large, in well under 50 ms. It also prints the slowest of them
//! cut to the length the comment form renders before reading a comment's moderation
//! facts (`RENDER_BEFORE_FACTS_BYTES`): that should stay near a millisecond.

use std::time::{Duration, Instant};

use hewn::domain::comment_form::MAX_COMMENT_CHARS;
use hewn::domain::editor::MAX_SOURCE_BYTES;
use hewn::domain::moderation::RENDER_BEFORE_FACTS_BYTES;
use hewn::domain::{comment_text, markdown};

/// `pattern` repeated to `chars` characters.
fn fill(pattern: &str, chars: usize) -> String {
    pattern.chars().cycle().take(chars).collect()
}

/// `open` then `close`, each repeated to half of `chars`, around a word.
fn around(open: &str, close: &str, chars: usize) -> String {
    let half = (chars - 4) / 2;
    format!("{}deep{}", fill(open, half), fill(close, half))
}

/// The comments: each at the comment form's limit.
fn comments() -> Vec<(&'static str, String)> {
    let n = MAX_COMMENT_CHARS;
    vec![
        ("> x 65,525 (nested quotes)", ">".repeat(n)),
        ("'> ' repeated", fill("> ", n)),
        ("8 quotes, blank line, repeated", fill(">>>>>>>>a\n\n", n)),
        ("'> - ' repeated (quote, list)", fill("> - ", n)),
        ("'> 1. ' repeated", fill("> 1. ", n)),
        ("* ... deep ... * (nested emphasis)", around("*", "*", n)),
        ("_ ... deep ... _", around("_", "_", n)),
        ("*a **b repeated (openers)", fill("*a **b ", n)),
        ("a* b** repeated (closers)", fill("a* b** ", n)),
        ("[ ... deep ... ] (nested brackets)", around("[", "]", n)),
        ("[a]( repeated (unclosed links)", fill("[a](", n)),
        ("![ repeated (unclosed images)", fill("![", n)),
        ("[x](https://example.com) repeated", fill("[x](https://example.com) ", n)),
        ("www.a.co repeated (bare links)", fill("www.a.co ", n)),
        ("< x 65,525", "<".repeat(n)),
        ("<a href= repeated (raw HTML)", fill("<a href=x>", n)),
        (
            "backticks of growing length",
            (1..).flat_map(|k| "`".repeat(k % 64 + 1).chars().chain(['a']).collect::<Vec<_>>()).take(n).collect(),
        ),
        ("~~ repeated", fill("~~a", n)),
        ("a line break per character", fill("a\n", n)),
        ("``` fences repeated", fill("```\n", n)),
        ("emoji x 65,525 (4 bytes each)", "😀".repeat(n)),
        ("&amp; entities repeated", fill("&amp;", n)),
        ("& x 65,525", "&".repeat(n)),
        ("a link with 65,000 & in its URL", format!("[x](https://e.example/?{})", "&".repeat(n - 30))),
        ("\\ escapes repeated", fill("\\*", n)),
        ("'1.:a' repeated (ordered-list and scheme look-alikes)", fill("1.:a", n)),
        ("':1.' repeated", fill(":1.", n)),
    ]
}

/// Post bodies from the admin editor, at its limit (200 KiB).
fn posts() -> Vec<(&'static str, String)> {
    let n = MAX_SOURCE_BYTES;
    vec![
        ("> x 200 KiB", ">".repeat(n)),
        ("'- > ' (lists in quotes)", fill("- > ", n)),
        ("indented lists, 200 KiB", fill("- a\n  ", n)),
        ("'> 1. ' x 200 KiB", fill("> 1. ", n)),
        ("* ... deep ... * 200 KiB", around("*", "*", n)),
        ("[ ... deep ... ] 200 KiB", around("[", "]", n)),
        ("< x 200 KiB", "<".repeat(n)),
        ("& x 200 KiB", "&".repeat(n)),
    ]
}

/// The best of three runs of `render`, and what it gave.
fn time(render: impl Fn() -> String) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut out = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        out = render();
        best = best.min(start.elapsed());
    }
    (best, out)
}

fn main() {
    let mut worst = Duration::ZERO;
    println!("{:<40} {:>10} {:>12}", "comment", "ms", "HTML bytes");
    for (name, text) in comments() {
        let (took, outcome) = time(|| match comment_text::render_within(&text, None) {
            Ok(html) => html.as_str().len().to_string(),
            Err(e) => format!("refused: {e}"),
        });
        worst = worst.max(took);
        println!("{name:<40} {:>10.2} {outcome:>12}", took.as_secs_f64() * 1000.0);
    }
    // The same texts cut to the length rendered before the facts are read.
    let mut slowest_short = (Duration::ZERO, "");
    for (name, text) in comments() {
        let cut: String = text
            .chars()
            .scan(0, |bytes, c| {
                *bytes += c.len_utf8();
                (*bytes <= RENDER_BEFORE_FACTS_BYTES).then_some(c)
            })
            .collect();
        let (took, _) = time(|| comment_text::render_within(&cut, None).map(|h| h.into_string()).unwrap_or_default());
        if took > slowest_short.0 {
            slowest_short = (took, name);
        }
    }
    println!("\n{:<40} {:>10} {:>12}", "post (admin editor)", "ms", "HTML bytes");
    for (name, text) in posts() {
        let (took, outcome) = time(|| match markdown::render_markdown_within(&text, None) {
            Ok(html) => html.as_str().len().to_string(),
            Err(e) => format!("refused: {e}"),
        });
        println!("{name:<40} {:>10.2} {outcome:>12}", took.as_secs_f64() * 1000.0);
    }
    println!("\nslowest comment: {:.2} ms", worst.as_secs_f64() * 1000.0);
    println!(
        "slowest comment of {RENDER_BEFORE_FACTS_BYTES} bytes (rendered before its facts are read): {:.2} ms ({})",
        slowest_short.0.as_secs_f64() * 1000.0,
        slowest_short.1
    );
}

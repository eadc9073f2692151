//! Search queries as readers type them, turned into a safe full-text expression, and
//! the highlighted snippets shown with each result. No I/O.
//!
//! Reader input never reaches the full-text engine as syntax: every word becomes a
//! quoted term, so quotes, operators, parentheses and column filters are just text.

use super::SafeHtml;

/// How much of a query is looked at; the rest is ignored (a search box, not an essay).
pub const MAX_QUERY_CHARS: usize = 200;
/// How many words (including the words of phrases) a query may use.
pub const MAX_TERMS: usize = 12;
/// Longest word kept; longer runs of letters are cut.
const MAX_TERM_CHARS: usize = 64;
/// Shortest word that also matches longer words it begins; shorter ones match
/// whole words only (`of` should not find `often`, and one-letter prefixes would
/// expand to half the index).
const MIN_PREFIX_CHARS: usize = 3;
/// Words of context a snippet shows.
const SNIPPET_WORDS: usize = 40;
/// Words a snippet shows before the first match.
const SNIPPET_LEAD: usize = 10;

/// A reader's query, understood the way web search boxes work: words must all appear
/// (words of three letters or more also as the beginning of longer words),
/// `"quoted words"` must appear together, and a leading `-` excludes a word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words that must appear (prefix match).
    pub words: Vec<String>,
    /// Word sequences that must appear together.
    pub phrases: Vec<Vec<String>>,
    /// Words that must not appear.
    pub excluded: Vec<String>,
}

impl SearchQuery {
    /// Parses what a reader typed. Never fails: anything unusable is ignored.
    pub fn parse(raw: &str) -> Self {
        let raw: String = raw.chars().take(MAX_QUERY_CHARS).collect();
        let mut query = Self::default();
        let mut budget = MAX_TERMS;
        // Split on double quotes: odd-numbered pieces were inside quotes. An unbalanced
        // final quote leaves its tail as ordinary words.
        let pieces: Vec<&str> = raw.split('"').collect();
        let balanced = pieces.len() % 2 == 1;
        for (i, piece) in pieces.iter().enumerate() {
            let quoted = i % 2 == 1 && (balanced || i + 1 < pieces.len());
            if quoted {
                let phrase: Vec<String> = words(piece).take(budget).collect();
                budget -= phrase.len();
                if !phrase.is_empty() {
                    query.phrases.push(phrase);
                }
                continue;
            }
            for token in piece.split_whitespace() {
                let (negated, token) = match token.strip_prefix('-') {
                    Some(rest) if !rest.is_empty() => (true, rest),
                    _ => (false, token),
                };
                for word in words(token) {
                    if budget == 0 {
                        break;
                    }
                    budget -= 1;
                    if negated { query.excluded.push(word) } else { query.words.push(word) }
                }
            }
        }
        dedup(&mut query.words);
        dedup(&mut query.excluded);
        query
    }

    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    /// The SQLite FTS5 expression for this query, or `None` when there is nothing to
    /// look for. Every term is a quoted string, so no reader input acts as syntax.
    pub fn fts5_expression(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut positive: Vec<String> =
            self.words.iter().map(|w| if is_prefix(w) { format!("{}*", quote(w)) } else { quote(w) }).collect();
        positive.extend(self.phrases.iter().map(|p| quote(&p.join(" "))));
        let mut expr = format!("({})", positive.join(" "));
        for word in &self.excluded {
            expr.push_str(" NOT ");
            expr.push_str(&quote(word));
        }
        Some(expr)
    }

    /// The PostgreSQL `to_tsquery` expression for this query, or `None` when there is
    /// nothing to look for: the same meaning as [`SearchQuery::fts5_expression`].
    /// Every term is a quoted lexeme, so no reader input acts as syntax.
    pub fn tsquery_expression(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut terms: Vec<String> =
            self.words.iter().map(|w| if is_prefix(w) { format!("{}:*", lexeme(w)) } else { lexeme(w) }).collect();
        terms.extend(
            self.phrases.iter().map(|p| format!("({})", p.iter().map(|w| lexeme(w)).collect::<Vec<_>>().join(" <-> "))),
        );
        terms.extend(self.excluded.iter().map(|w| format!("!{}", lexeme(w))));
        Some(terms.join(" & "))
    }

    /// Every word to highlight, folded for comparison, and whether it matches as a
    /// word beginning.
    fn highlight_terms(&self) -> Vec<(String, bool)> {
        let words = self.words.iter().map(|w| (fold(w), is_prefix(w)));
        words.chain(self.phrases.iter().flatten().map(|w| (fold(w), false))).collect()
    }

    /// The query as it would be typed again (for the search box and page titles).
    pub fn display(raw: &str) -> String {
        raw.chars().take(MAX_QUERY_CHARS).collect::<String>().trim().to_owned()
    }
}

/// Removes repeated entries, keeping the first of each.
fn dedup(items: &mut Vec<String>) {
    let mut seen = Vec::with_capacity(items.len());
    items.retain(|w| {
        let new = !seen.contains(w);
        if new {
            seen.push(w.clone());
        }
        new
    });
}

/// The words of `text`: maximal runs of letters and digits, lowercased.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect::<String>().to_lowercase())
}

/// True when `word` matches longer words it begins.
fn is_prefix(word: &str) -> bool {
    word.chars().count() >= MIN_PREFIX_CHARS
}

/// An FTS5 string literal: double quotes around, inner double quotes doubled.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A `tsquery` lexeme: single quotes around, inner quotes doubled and backslashes
/// escaped.
fn lexeme(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// A word reduced for matching the way the index tokenizer does: lowercase and
/// without diacritics (`Café` and `cafe` match).
fn fold(word: &str) -> String {
    if word.is_ascii() { word.to_ascii_lowercase() } else { deunicode::deunicode(word).to_lowercase() }
}

/// A search result's text around the first match, HTML-escaped, with every word that
/// matches the query wrapped in `<mark>`. Falls back to the opening words when the
/// match was in the title or tags.
pub fn snippet(plain_text: &str, query: &SearchQuery) -> SafeHtml {
    let terms = query.highlight_terms();
    let tokens: Vec<&str> = plain_text.split_whitespace().collect();
    let first = tokens.iter().position(|t| words_of(t).any(|w| matches_any(w, &terms))).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_LEAD);
    let end = (start + SNIPPET_WORDS).min(tokens.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str("… ");
    }
    for (i, token) in tokens.iter().enumerate().take(end).skip(start) {
        if i > start {
            out.push(' ');
        }
        push_highlighted(&mut out, token, &terms);
    }
    if end < tokens.len() {
        out.push_str(" …");
    }
    SafeHtml::trusted(out)
}

/// `text` HTML-escaped, with the words matching the query marked.
pub fn highlight(text: &str, query: &SearchQuery) -> SafeHtml {
    let terms = query.highlight_terms();
    let mut out = String::with_capacity(text.len() + 16);
    push_highlighted(&mut out, text, &terms);
    SafeHtml::trusted(out)
}

/// Appends `text` escaped, marking each word (run of letters and digits) that
/// starts with one of `terms`.
fn push_highlighted(out: &mut String, text: &str, terms: &[(String, bool)]) {
    let mut rest = text;
    while !rest.is_empty() {
        let is_word = rest.chars().next().is_some_and(char::is_alphanumeric);
        let len = rest.char_indices().find(|(_, c)| c.is_alphanumeric() != is_word).map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(len);
        if is_word && matches_any(run, terms) {
            out.push_str("<mark>");
            push_escaped(out, run);
            out.push_str("</mark>");
        } else {
            push_escaped(out, run);
        }
        rest = tail;
    }
}

/// The runs of letters and digits in `token`.
fn words_of(token: &str) -> impl Iterator<Item = &str> {
    token.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// True when `word` is one of the (folded) `terms`, or begins with a prefix term.
fn matches_any(word: &str, terms: &[(String, bool)]) -> bool {
    let folded = fold(word);
    !folded.is_empty()
        && terms.iter().any(|(t, prefix)| if *prefix { folded.starts_with(t.as_str()) } else { folded == *t })
}

/// Appends `text` with the HTML special characters escaped.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    fn fts(raw: &str) -> Option<String> {
        SearchQuery::parse(raw).fts5_expression()
    }

    #[test]
    fn words_become_quoted_prefix_terms() {
        assert_eq!(fts("Coal miner").as_deref(), Some(r#"("coal"* "miner"*)"#));
        assert_eq!(fts("coal-miner's").as_deref(), Some(r#"("coal"* "miner"* "s")"#));
    }

    #[test]
    fn operators_and_syntax_are_plain_text() {
        assert_eq!(fts("a OR b NOT c").as_deref(), Some(r#"("a" "or" "b" "not"* "c")"#));
        assert_eq!(fts("title:(x* AND ^y) NEAR(z)").as_deref(), Some(r#"("title"* "x" "and"* "y" "near"* "z")"#));
        assert_eq!(fts("((((").as_deref(), None);
        assert_eq!(fts("   ").as_deref(), None);
        assert_eq!(fts("\"").as_deref(), None);
        assert_eq!(fts("* - + ^ :").as_deref(), None);
    }

    #[test]
    fn quotes_make_phrases_and_unbalanced_quotes_are_words() {
        assert_eq!(fts(r#""year of the" coal"#).as_deref(), Some(r#"("coal"* "year of the")"#));
        assert_eq!(fts(r#"coal "year of"#).as_deref(), Some(r#"("coal"* "year"* "of")"#));
        assert_eq!(fts(r#""one""#).as_deref(), Some(r#"("one")"#), "a quoted word matches exactly");
        assert_eq!(fts("a a b a").as_deref(), Some(r#"("a" "b")"#));
    }

    #[test]
    fn a_leading_hyphen_excludes_a_word() {
        assert_eq!(fts("coal -iron").as_deref(), Some(r#"("coal"*) NOT "iron""#));
        assert_eq!(fts("-iron").as_deref(), None, "nothing positive to search for");
        assert_eq!(fts("well-known").as_deref(), Some(r#"("well"* "known"*)"#));
    }

    #[test]
    fn huge_queries_are_cut() {
        let q = SearchQuery::parse(&"word ".repeat(2_000));
        assert_eq!(q.words, ["word"]);
        let q = SearchQuery::parse(&(0..100).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" "));
        assert_eq!(q.words.len(), MAX_TERMS);
        let q = SearchQuery::parse(&"x".repeat(10_000));
        assert_eq!(q.words[0].len(), MAX_TERM_CHARS);
    }

    #[test]
    fn snippets_mark_matches_and_escape_everything_else() {
        let q = SearchQuery::parse("coal");
        let text = format!("{} <b>Coal-miner</b> & coals {}", "lead ".repeat(20), "tail ".repeat(50));
        let s = snippet(&text, &q);
        let s = s.as_str();
        assert!(s.starts_with("… lead"), "{s}");
        assert!(s.contains("&lt;b&gt;<mark>Coal</mark>-miner&lt;/b&gt; &amp; <mark>coals</mark>"), "{s}");
        assert!(s.ends_with(" …"), "{s}");
        assert!(!s.contains("<b>"));
    }

    #[test]
    fn snippets_fold_case_and_diacritics() {
        let q = SearchQuery::parse("cafe");
        assert_eq!(highlight("Un Café.", &q).as_str(), "Un <mark>Café</mark>.");
        let none = snippet("nothing here", &SearchQuery::parse("zzz"));
        assert_eq!(none.as_str(), "nothing here");
        let short = SearchQuery::parse("of");
        assert_eq!(highlight("Often, of course", &short).as_str(), "Often, <mark>of</mark> course");
    }
}

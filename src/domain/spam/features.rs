//! The features of a comment that the spam model weighs, each a short string with a
//! prefix naming its family (see [`describe`]):
//!
//! - `w:` a word of the text: Unicode letters and digits, case-folded, at most
//!   [`MAX_WORD_CHARS`] characters; scripts written without spaces (Chinese,
//!   Japanese) give pairs of characters instead;
//! - `g:` a character 4-gram of the text's *skeleton*: look-alike letters of other
//!   scripts mapped to Latin, accents dropped, digits read as the letters they
//!   imitate (`v1agra` → `viagra`), and spaces and punctuation removed
//!   (`v i a g r a` → `viagra`);
//! - `s:` a symbol or emoji;
//! - `d:` the domain of a link in the text; `u:` the website field's domain;
//!   `links:` how many links;
//! - `n:` a word of the author's name and `name:` its shape (keyword-stuffed, with
//!   digits, like a link);
//! - `e:` the email's domain;
//! - `len:` the text's length, in doubling buckets.
//!
//! Only the first [`SCAN_CHARS`] characters of the text are read, and each family
//! is capped, so a comment costs a bounded number of features however long it is.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Characters of the text read for words and n-grams.
pub const SCAN_CHARS: usize = 3_000;
/// Longest word kept (longer ones are cut).
pub const MAX_WORD_CHARS: usize = 24;
/// Most distinct words, n-grams and symbols taken from a text.
const MAX_WORDS: usize = 200;
const MAX_GRAMS: usize = 250;
const MAX_SYMBOLS: usize = 10;
const MAX_DOMAINS: usize = 10;
const MAX_NAME_WORDS: usize = 6;
/// The n of the character n-grams.
const GRAM: usize = 4;

/// A comment as the filter reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    pub author: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub text: &'a str,
}

static LINK_FINDER: LazyLock<linkify::LinkFinder> = LazyLock::new(|| {
    let mut f = linkify::LinkFinder::new();
    f.kinds(&[linkify::LinkKind::Url]);
    f.url_must_have_scheme(false);
    f
});

/// The distinct features of a comment, sorted.
pub fn features(c: &Input<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(MAX_WORDS + MAX_GRAMS + MAX_SYMBOLS + MAX_DOMAINS + 16);
    let text = match c.text.char_indices().nth(SCAN_CHARS) {
        Some((end, _)) => c.text.get(..end).unwrap_or(c.text),
        None => c.text,
    };

    let mut words: HashSet<String> = HashSet::with_capacity(MAX_WORDS);
    'words: for word in text.split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()) {
        for token in word_tokens(word) {
            if words.len() >= MAX_WORDS {
                break 'words;
            }
            words.insert(token);
        }
    }
    out.extend(words.into_iter().map(|w| prefixed("w:", &w)));

    // N-grams as arrays of characters: no allocation until the distinct ones are kept.
    let skeleton: Vec<char> = skeleton(text).chars().collect();
    let mut grams: HashSet<[char; GRAM]> = HashSet::with_capacity(MAX_GRAMS);
    for window in skeleton.windows(GRAM) {
        if grams.len() >= MAX_GRAMS {
            break;
        }
        if let Ok(gram) = <[char; GRAM]>::try_from(window) {
            grams.insert(gram);
        }
    }
    out.extend(grams.into_iter().map(|g| {
        let mut s = String::with_capacity(2 + GRAM);
        s.push_str("g:");
        s.extend(g);
        s
    }));

    let mut symbols: Vec<char> = text.chars().filter(|ch| is_symbol(*ch)).take(MAX_SYMBOLS * 4).collect();
    symbols.sort_unstable();
    symbols.dedup();
    out.extend(symbols.into_iter().take(MAX_SYMBOLS).map(|ch| format!("s:{ch}")));

    let links: Vec<String> = LINK_FINDER.links(text).filter_map(|l| host(l.as_str())).collect();
    out.push(format!("links:{}", bucket_links(links.len())));
    out.extend(links.into_iter().take(MAX_DOMAINS).map(|h| prefixed("d:", &h)));

    out.push(match host(c.url.trim()) {
        Some(h) => prefixed("u:", &h),
        None => "u:none".to_owned(),
    });

    let email = c.email.trim().to_lowercase();
    out.push(match email.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => prefixed("e:", &clip(domain, 64)),
        _ => "e:none".to_owned(),
    });

    out.extend(name_features(c.author));
    out.push(format!("len:{}", bucket_length(c.text.chars().count())));
    out.sort_unstable();
    out.dedup();
    out
}

fn prefixed(prefix: &str, value: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + value.len());
    s.push_str(prefix);
    s.push_str(value);
    s
}

/// The tokens of one run of letters and digits: the folded word, or pairs of
/// characters for scripts written without spaces; single Latin letters and digits
/// are skipped.
fn word_tokens(word: &str) -> Vec<String> {
    let folded: String = word.chars().flat_map(char::to_lowercase).take(MAX_WORD_CHARS).collect();
    if folded.chars().any(is_unspaced_script) {
        let chars: Vec<char> = folded.chars().collect();
        if chars.len() == 1 {
            return vec![folded];
        }
        return chars.windows(2).map(|w| w.iter().collect()).collect();
    }
    if folded.chars().count() < 2 {
        return Vec::new();
    }
    vec![folded]
}

/// Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: scripts written without
/// spaces between words.
fn is_unspaced_script(ch: char) -> bool {
    matches!(u32::from(ch),
        0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x3040..=0x30FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// A symbol or emoji worth a feature: not a letter, digit, space, ASCII or common
/// punctuation.
fn is_symbol(ch: char) -> bool {
    !ch.is_ascii() && !ch.is_alphanumeric() && !ch.is_whitespace() && u32::from(ch) >= 0x2100
}

/// Look-alike letters from Cyrillic, Greek and elsewhere that spammers put in place of
/// Latin ones, and digits and signs read as letters.
fn confusable(ch: char) -> Option<char> {
    Some(match ch {
        'а' | 'α' | '4' | '@' => 'a',
        'в' | 'β' | 'ь' => 'b',
        'с' | 'ϲ' | '¢' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'є' | 'ε' | '3' | '€' => 'e',
        'ɡ' | '9' => 'g',
        'һ' | 'н' => 'h',
        'і' | 'ї' | 'ι' | '1' | '!' | '|' => 'i',
        'ј' => 'j',
        'κ' | 'к' => 'k',
        'ⅼ' => 'l',
        'м' => 'm',
        'п' | 'η' => 'n',
        'о' | 'ο' | 'σ' | '0' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | '5' | '$' => 's',
        'т' | 'τ' | '7' | '+' => 't',
        'υ' | 'μ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ѡ' | 'ω' | 'ш' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'ʐ' | '2' => 'z',
        _ => return None,
    })
}

/// The text reduced to lowercase ASCII letters: look-alikes and digits read as the
/// letters they imitate, accents and other scripts transliterated, everything else
/// (spaces, punctuation, symbols) removed.
pub fn skeleton(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars().flat_map(char::to_lowercase) {
        if let Some(latin) = confusable(ch) {
            out.push(latin);
        } else if ch.is_ascii_alphabetic() {
            out.push(ch);
        } else if !ch.is_ascii()
            && ch.is_alphanumeric()
            && let Some(ascii) = deunicode::deunicode_char(ch)
        {
            out.extend(ascii.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

/// The host of a link or website (lowercase, without `www.`), if it has one.
pub fn host(link: &str) -> Option<String> {
    if link.is_empty() {
        return None;
    }
    let with_scheme = if link.contains("://") { link.to_owned() } else { format!("http://{link}") };
    let url = url::Url::parse(&with_scheme).ok()?;
    let host = url.host_str()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| clip(host, 64))
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn bucket_links(n: usize) -> &'static str {
    match n {
        0 => "0",
        1 => "1",
        2 => "2",
        3..=4 => "3-4",
        _ => "5+",
    }
}

fn bucket_length(chars: usize) -> String {
    let mut top = 16;
    while top < chars && top < 8_192 {
        top *= 2;
    }
    if chars > top { format!("{top}+") } else { format!("<{top}") }
}

/// The author name's words and shape.
fn name_features(name: &str) -> Vec<String> {
    let name = name.trim();
    if name.is_empty() {
        return vec!["name:empty".to_owned()];
    }
    let words: Vec<String> = name
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().flat_map(char::to_lowercase).take(MAX_WORD_CHARS).collect())
        .collect();
    let mut out: Vec<String> = words.iter().take(MAX_NAME_WORDS).map(|w| format!("n:{w}")).collect();
    let shape = match words.len() {
        0..=2 => None,
        3 => Some("name:words:3"),
        _ => Some("name:words:4+"),
    };
    out.extend(shape.map(str::to_owned));
    if name.chars().any(|c| c.is_ascii_digit()) {
        out.push("name:digits".to_owned());
    }
    let lower = name.to_lowercase();
    if lower.contains("http") || lower.contains("www.") || LINK_FINDER.links(name).next().is_some() {
        out.push("name:link".to_owned());
    }
    out
}

/// A feature as the admin reads it, e.g. `link to casino.example`.
pub fn describe(feature: &str) -> String {
    let Some((family, value)) = feature.split_once(':') else { return feature.to_owned() };
    match family {
        "w" => format!("“{value}”"),
        "g" => format!("letters “{value}”"),
        "s" => format!("symbol {value}"),
        "d" => format!("link to {value}"),
        "u" if value == "none" => "no website".to_owned(),
        "u" => format!("website {value}"),
        "e" if value == "none" => "no email".to_owned(),
        "e" => format!("email at {value}"),
        "n" => format!("name has “{value}”"),
        "links" => format!("{value} links"),
        "len" => format!("{value} characters"),
        "name" => match value {
            "empty" => "no name".to_owned(),
            "words:3" | "words:4+" => "name looks like keywords".to_owned(),
            "digits" => "name has digits".to_owned(),
            "link" => "name looks like a link".to_owned(),
            other => format!("name: {other}"),
        },
        _ => feature.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn of(text: &str) -> Vec<String> {
        features(&Input { author: "Ann", email: "ann@example.org", url: "", text })
    }

    #[test]
    fn words_are_case_folded_unicode_words() {
        let f = of("Straße ΚΑΛΗΜΕΡΑ Привет, ÉCOLE!");
        for w in ["w:straße", "w:καλημερα", "w:привет", "w:école"] {
            assert!(f.contains(&w.to_owned()), "{w}: {f:?}");
        }
    }

    #[test]
    fn scripts_without_spaces_give_character_pairs() {
        let f = of("免费赚钱");
        for w in ["w:免费", "w:费赚", "w:赚钱"] {
            assert!(f.contains(&w.to_owned()), "{w}: {f:?}");
        }
        assert!(of("日本語です").iter().any(|f| f == "w:です"));
    }

    #[test]
    fn emoji_are_features_of_their_own() {
        let f = of("great deal 🎰🎰 💰");
        assert!(f.contains(&"s:🎰".to_owned()) && f.contains(&"s:💰".to_owned()), "{f:?}");
    }

    #[test]
    fn homoglyphs_digits_and_spacing_fold_to_the_same_letters() {
        assert_eq!(skeleton("viagra"), "viagra");
        assert_eq!(skeleton("V1AGRA"), "viagra");
        assert_eq!(skeleton("v i a g r a"), "viagra");
        assert_eq!(skeleton("vіаgrа"), "viagra", "Cyrillic і and а");
        assert_eq!(skeleton("ｖｉａｇｒａ"), "viagra", "full-width letters");
        let plain = of("cheap viagra");
        let tricked = of("ch3ap v.i.a.g.r.a");
        assert!(plain.contains(&"g:agra".to_owned()) && tricked.contains(&"g:agra".to_owned()));
    }

    #[test]
    fn very_long_words_are_cut_and_long_texts_bounded() {
        let long = "a".repeat(10_000);
        let f = of(&long);
        let word = f.iter().find(|f| f.starts_with("w:")).cloned().unwrap_or_default();
        assert_eq!(word.chars().count(), 2 + MAX_WORD_CHARS);
        let many: String = (0..20_000).map(|i| format!("word{i} ")).collect();
        assert!(of(&many).len() <= MAX_WORDS + MAX_GRAMS + MAX_SYMBOLS + 20);
    }

    #[test]
    fn links_count_and_name_their_domains() {
        let f = features(&Input {
            author: "best casino bonus online",
            email: "x@spam.example",
            url: "https://www.casino-xyz.example/page",
            text: "see https://casino-xyz.example/a and www.other.example/b",
        });
        for want in [
            "links:2",
            "d:casino-xyz.example",
            "d:other.example",
            "u:casino-xyz.example",
            "e:spam.example",
            "name:words:4+",
            "n:casino",
        ] {
            assert!(f.contains(&want.to_owned()), "{want}: {f:?}");
        }
        assert_eq!(describe("d:casino-xyz.example"), "link to casino-xyz.example");
        assert_eq!(describe("name:words:4+"), "name looks like keywords");
        assert_eq!(describe("w:free"), "“free”");
    }

    #[test]
    fn length_buckets_double() {
        assert_eq!(bucket_length(0), "<16");
        assert_eq!(bucket_length(17), "<32");
        assert_eq!(bucket_length(1_000_000), "8192+");
    }

    proptest::proptest! {
        #[test]
        fn any_input_gives_bounded_features_without_panicking(
            text in "\\PC{0,400}", author in "\\PC{0,40}", email in "\\PC{0,40}", url in "\\PC{0,40}"
        ) {
            let f = features(&Input { author: &author, email: &email, url: &url, text: &text });
            proptest::prop_assert!(f.len() <= MAX_WORDS + MAX_GRAMS + MAX_SYMBOLS + MAX_DOMAINS + 20);
            proptest::prop_assert!(f.iter().any(|f| f.starts_with("len:")));
        }

        #[test]
        fn any_bytes_as_text_give_features_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = features(&Input { author: &text, email: &text, url: &text, text: &text });
        }
    }
}

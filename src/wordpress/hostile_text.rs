//! Property tests: text mixed from the pieces that break string code (multi-byte
//! punctuation, emoji, combining marks, right-to-left text, NUL and control
//! characters, unbalanced tags, truncated entities and shortcodes) through every
//! content transformation and the whole WXR reader. Each must return, and what claims
//! to be sanitised HTML must come back unchanged from the sanitiser.

use std::sync::Arc;

use proptest::prelude::*;

use super::stage::{self, Counters, Stager};
use super::uploads::Uploads;
use super::{autop, content, html, shortcodes, texturize, wxr};
use crate::domain::search::{self, SearchQuery};
use crate::domain::{comment_text, markdown, slug};

/// Pieces that have made string code panic or misbehave somewhere.
const PIECES: &[&str] = &[
    "a",
    "word",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\0",
    "\u{1}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "’",
    "‘",
    "“",
    "”",
    "…",
    "—",
    "–",
    "€",
    "é",
    "e\u{301}",
    "\u{301}",
    "Привет",
    "мир",
    "Γειά",
    "日本語",
    "한국어",
    "हिन्दी",
    "שלום",
    "مرحبا",
    "\u{200f}",
    "\u{202e}",
    "\u{2028}",
    "\u{feff}",
    "\u{200b}",
    "😀",
    "👩\u{200d}👩\u{200d}👧",
    "🇩🇪",
    "\u{10ffff}",
    "\u{e000}",
    "'",
    "\"",
    "`",
    "--",
    "---",
    "...",
    "(tm)",
    "1920x1080",
    "0x1F",
    "'90s",
    "<",
    ">",
    "</",
    "<p>",
    "</p>",
    "<p",
    "<b>",
    "</b>",
    "<em>",
    "</i>",
    "<div>",
    "</div>",
    "<br>",
    "<br />",
    "<a href=\"",
    "\">",
    "<a href='http://x.example/é'>",
    "</a>",
    "<img src=\"/wp-content/uploads/2013/10/a.jpg\">",
    "<pre>",
    "</pre>",
    "<script>",
    "</script>",
    "<style>",
    "<!--",
    "-->",
    "<!--more-->",
    "<!--nextpage-->",
    "<!-- wp:paragraph -->",
    "<!",
    "<?",
    "<dl><dt>",
    "</dt><dd>",
    "</dd></dl>",
    "<ul><li>",
    "</li></ul>",
    "<ol><li>",
    "<blockquote>",
    "</blockquote>",
    "<iframe src=\"//v.example/é\"></iframe>",
    "<svg>",
    "<table><tr><td>",
    "&",
    "&amp;",
    "&amp",
    "&#",
    "&#x",
    "&#x2019;",
    "&#8217",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "&nbsp;",
    "&bogus;",
    "&eacute",
    "[",
    "]",
    "[/",
    "[caption id=\"attachment_1\" align=\"alignleft\" width=\"300\"]",
    "[/caption]",
    "[gallery ids=\"1,2\"]",
    "[[gallery]]",
    "[embed]",
    "[/embed]",
    "[audio src=\"http://a.example/é.mp3\"]",
    "[video mp4=“x”]",
    "[caption",
    "https://example.com/a?b=1&c=2#d",
    "http://",
    "www.example.com",
    "*",
    "**",
    "_",
    "# ",
    "> ",
    "- ",
    "1. ",
    "|",
    "](",
    "![",
    "\\",
];

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => proptest::collection::vec(any::<char>(), 0..8).prop_map(|c| c.into_iter().collect()),
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|p| p.concat())
}

/// A WXR document around `text`: in titles, slugs, content, excerpts, comments and
/// attributes, raw or in CDATA.
fn document(text: &str) -> String {
    let cdata = text.replace("]]>", "]]]]><![CDATA[>");
    let escaped = html::escape(text).replace('\0', "").replace('\'', "&apos;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>{escaped}</title><link>https://old.example/{escaped}</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>{escaped}</wp:category_nicename><wp:cat_name><![CDATA[{cdata}]]></wp:cat_name></wp:category>
<item><title>{escaped}</title><link>https://old.example/{escaped}/</link><dc:creator><![CDATA[{cdata}]]></dc:creator>
<content:encoded><![CDATA[{cdata}]]></content:encoded><excerpt:encoded><![CDATA[{cdata}]]></excerpt:encoded>
<wp:post_id>7</wp:post_id><wp:post_date>{escaped}</wp:post_date><wp:post_name>{escaped}</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type><category domain="post_tag" nicename="{escaped}"><![CDATA[{cdata}]]></category>
<wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value><![CDATA[{cdata}]]></wp:meta_value></wp:postmeta>
<wp:comment><wp:comment_id>9</wp:comment_id><wp:comment_author><![CDATA[{cdata}]]></wp:comment_author><wp:comment_author_url>{escaped}</wp:comment_author_url>
<wp:comment_content><![CDATA[{cdata}]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
<wp:comment><wp:comment_id>10</wp:comment_id><wp:comment_content>{escaped}</wp:comment_content><wp:comment_parent>9</wp:comment_parent></wp:comment>
</item>
<item><title>{escaped}</title><wp:post_id>8</wp:post_id><wp:post_type>attachment</wp:post_type><wp:attachment_url>https://old.example/wp-content/uploads/{escaped}</wp:attachment_url></item>
</channel></rss>
"#
    )
}

/// Inputs the property tests found, kept so that every run tries them.
#[test]
fn lists_misnested_in_tables_and_terms_come_out_as_the_sanitiser_leaves_them() {
    for text in [
        "<ul><li><dl><dt><A<ul><li>",
        "<ul><li><table><tr><td><a href=\"<ul><li>",
        "<ul><li><table><tr><td><!<ul><li>",
        "<pre><!--more-->\t",
        "<!--more-->\u{feff}",
    ] {
        let body = content::sanitize_post(&content::post_source(text, None, &mut Vec::new())).into_string();
        assert_eq!(content::sanitize_post(&body).into_string(), body, "{text:?}");
        let comment = content::comment_html(text).into_string();
        assert_eq!(content::sanitize_comment_html(&comment).into_string(), comment, "{text:?}");
        let rendered = markdown::render_markdown(text).into_string();
        assert_eq!(markdown::sanitize_post_html(&rendered).into_string(), rendered, "{text:?}");
    }
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_wordpress_passes_take_any_text(text in hostile_text()) {
        let joined: String = html::tokenize(&text).iter().map(html::Token::raw).collect();
        prop_assert_eq!(&joined, &text);
        let _ = autop::autop(&text);
        let _ = texturize::texturize(&text);
        let _ = shortcodes::convert(&text);
        let _ = shortcodes::strip(&text);
        let _ = shortcodes::expand_galleries(&text, |_| Vec::new());
        let _ = html::text_of(&text);
        let _ = html::decode_entities(&text);
        let _ = html::attr(&text, "src");
        let uploads = Uploads::new(std::env::temp_dir().join("hewn-no-such-uploads-folder"));
        let _ = content::post_source(&text, Some(&uploads), &mut Vec::new());
        let _ = content::excerpt_source(&text);
    }

    #[test]
    fn imported_html_comes_out_as_the_sanitiser_leaves_it(text in hostile_text()) {
        prop_assert_eq!(content::sanitize_post("<pre>\n\n\tx</pre>").into_string(), "<pre>\n\n\tx</pre>");
        let body = content::sanitize_post(&content::post_source(&text, None, &mut Vec::new())).into_string();
        prop_assert_eq!(content::sanitize_post(&body).into_string(), body.clone());
        let comment = content::comment_html(&text).into_string();
        prop_assert_eq!(content::sanitize_comment_html(&comment).into_string(), comment);
        let excerpt = markdown::excerpt(&body);
        prop_assert!(excerpt.split(' ').count() <= markdown::EXCERPT_WORDS + 1);
    }

    #[test]
    fn markdown_text_slugs_and_search_take_any_text(text in hostile_text()) {
        let rendered = markdown::render_markdown(&text).into_string();
        prop_assert_eq!(markdown::sanitize_post_html(&rendered).into_string(), rendered.clone());
        let _ = markdown::excerpt(&rendered);
        let _ = markdown::plain_text(&text);
        let _ = comment_text::render(&text);
        let slug = slug::slugify(&text);
        prop_assert!(slug.is_empty() || slug::is_valid(&slug), "{:?}", slug);
        let query = SearchQuery::parse(&text);
        let _ = search::snippet(&markdown::plain_text(&rendered), &query);
        let _ = search::highlight(&text, &query);
        let _ = crate::views::feeds::absolutize(&rendered, "https://b.example", "https://b.example/posts/x");
    }

    #[test]
    fn the_wxr_reader_and_stager_take_any_text(text in hostile_text()) {
        let (tx, rx) = std::sync::mpsc::sync_channel(1024);
        let mut stager = Stager::new(tx, None, Arc::new(Counters::default()));
        let xml = document(&text);
        // Ok, or an error that says what is wrong: never a panic.
        if let Err(e) = wxr::read(xml.as_bytes(), &mut stager) {
            prop_assert!(!e.to_string().is_empty());
        }
        let _ = stager.flush();
        drop(stager);
        for (_, rows) in rx.try_iter() {
            let _ = stage::render(rows);
        }
    }
}

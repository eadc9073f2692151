//! Writes a large, realistic WordPress export (WXR 1.2) to standard output, for
//! measuring `hewn import`:
//!
//! ```sh
//! cargo run --example wxr_generate -- 500 > big.xml   # about 500 MB
//! ```
//!
//! The argument is the size in MB (approximate). Posts get 100 to 400 comments each,
//! a third of them replies (some to comments later in the file), in every status,
//! with the mix of plain text, quotes, links and markup real comments have.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::string_slice)]

use std::io::{BufWriter, Write};

const WORDS: [&str; 24] = [
    "the",
    "coal",
    "norm",
    "miner",
    "record",
    "shift",
    "tons",
    "history",
    "soviet",
    "movement",
    "worker",
    "quota",
    "really",
    "interesting",
    "point",
    "however",
    "I",
    "think",
    "it's",
    "\"heroes\"",
    "of",
    "labour",
    "was",
    "and",
];

fn main() {
    let mb: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let target = mb * 1_000_000;
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut written = 0u64;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let head = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Generated blog</title>
	<link>https://big.example.com</link>
	<description>A large export</description>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://big.example.com</wp:base_site_url>
	<wp:base_blog_url>https://big.example.com</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[admin]]></wp:author_login><wp:author_email><![CDATA[admin@big.example.com]]></wp:author_email><wp:author_display_name><![CDATA[Admin]]></wp:author_display_name></wp:author>
"#;
    out.write_all(head.as_bytes()).unwrap();
    written += head.len() as u64;
    let mut comment_id = 1u64;
    let mut post = 1u64;
    while written < target {
        let day = post % 28 + 1;
        let month = post / 28 % 12 + 1;
        let year = 2005 + post / 336;
        let mut paragraph = String::new();
        for _ in 0..(60 + next() % 200) {
            paragraph.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
            paragraph.push(' ');
        }
        let item = format!(
            "\t<item>\n\t\t<title><![CDATA[Post number {post} about coal &amp; quotas]]></title>\n\
             \t\t<link>https://big.example.com/{year}/{month:02}/{day:02}/post-{post}/</link>\n\
             \t\t<dc:creator><![CDATA[admin]]></dc:creator>\n\
             \t\t<guid isPermaLink=\"false\">https://big.example.com/?p={post}</guid>\n\
             \t\t<content:encoded><![CDATA[{paragraph}\n\n{paragraph}\n<blockquote>{paragraph}</blockquote>\n\n[caption id=\"\" align=\"alignnone\" width=\"300\"]<img src=\"https://big.example.com/wp-content/uploads/{year}/{month:02}/p{post}.jpg\" /> A caption[/caption]]]></content:encoded>\n\
             \t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n\
             \t\t<wp:post_id>{post}</wp:post_id>\n\
             \t\t<wp:post_date><![CDATA[{year}-{month:02}-{day:02} 10:00:00]]></wp:post_date>\n\
             \t\t<wp:post_date_gmt><![CDATA[{year}-{month:02}-{day:02} 09:00:00]]></wp:post_date_gmt>\n\
             \t\t<wp:comment_status><![CDATA[open]]></wp:comment_status>\n\
             \t\t<wp:post_name><![CDATA[post-{post}]]></wp:post_name>\n\
             \t\t<wp:status><![CDATA[publish]]></wp:status>\n\
             \t\t<wp:post_type><![CDATA[post]]></wp:post_type>\n\
             \t\t<wp:post_password><![CDATA[]]></wp:post_password>\n\
             \t\t<wp:is_sticky>0</wp:is_sticky>\n\
             \t\t<category domain=\"category\" nicename=\"topic-{t}\"><![CDATA[Topic {t}]]></category>\n",
            t = post % 40
        );
        out.write_all(item.as_bytes()).unwrap();
        written += item.len() as u64;
        let comments = 100 + next() % 300;
        // Comments a reply may point back to (never one that points forwards, so no loops).
        let mut earlier: Vec<u64> = Vec::new();
        for n in 0..comments {
            let id = comment_id;
            comment_id += 1;
            // A third are replies; some point forwards (to a comment later in the file).
            let parent = match next() % 6 {
                0 | 1 if !earlier.is_empty() => earlier[(next() % earlier.len() as u64) as usize],
                2 if n + 1 < comments => id + 1,
                _ => 0,
            };
            if parent <= id {
                earlier.push(id);
            }
            let status = match next() % 20 {
                0 => "0",
                1 => "spam",
                2 => "trash",
                _ => "1",
            };
            let mut text = String::new();
            for _ in 0..(20 + next() % 80) {
                text.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
                text.push(' ');
            }
            match next() % 10 {
                0 => text.push_str("\n\nSee https://example.org/some/page?x=1 for more."),
                1 => text.push_str(" <em>Really</em> <a href=\"https://example.net/\">good</a> &amp; true."),
                2 => text.push_str("\nA second line -- with a dash..."),
                _ => {}
            }
            let kind = if next() % 50 == 0 { "pingback" } else { "comment" };
            let c = format!(
                "\t\t<wp:comment>\n\t\t\t<wp:comment_id>{id}</wp:comment_id>\n\
                 \t\t\t<wp:comment_author><![CDATA[Reader {r}]]></wp:comment_author>\n\
                 \t\t\t<wp:comment_author_email><![CDATA[reader{r}@example.org]]></wp:comment_author_email>\n\
                 \t\t\t<wp:comment_author_url>https://reader{r}.example.org/</wp:comment_author_url>\n\
                 \t\t\t<wp:comment_author_IP><![CDATA[192.0.2.{ip}]]></wp:comment_author_IP>\n\
                 \t\t\t<wp:comment_date><![CDATA[{year}-{month:02}-{day:02} 12:{mm:02}:00]]></wp:comment_date>\n\
                 \t\t\t<wp:comment_date_gmt><![CDATA[{year}-{month:02}-{day:02} 11:{mm:02}:00]]></wp:comment_date_gmt>\n\
                 \t\t\t<wp:comment_content><![CDATA[{text}]]></wp:comment_content>\n\
                 \t\t\t<wp:comment_approved><![CDATA[{status}]]></wp:comment_approved>\n\
                 \t\t\t<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>\n\
                 \t\t\t<wp:comment_parent>{parent}</wp:comment_parent>\n\
                 \t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n\t\t</wp:comment>\n",
                r = next() % 5000,
                ip = next() % 250,
                mm = n % 60,
            );
            out.write_all(c.as_bytes()).unwrap();
            written += c.len() as u64;
        }
        out.write_all(b"\t</item>\n").unwrap();
        written += 9;
        post += 1;
    }
    out.write_all(b"</channel>\n</rss>\n").unwrap();
    out.flush().unwrap();
    eprintln!("{} posts, {} comments, {:.1} MB", post - 1, comment_id - 1, written as f64 / 1e6);
}

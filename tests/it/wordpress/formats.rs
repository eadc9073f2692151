//! Exports as WordPress writes them: every namespace form, the theme test data's
//! posts, pages and comments, pages whose slugs hewn's routes use, and files that
//! are not WordPress exports at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hewn::domain::slug::RESERVED_PAGE_SLUGS;

use super::{db_of, hewn, import_file, open, serve, snapshot};

/// A WXR 1.2 file of `items` (already written `<item>` elements), in the namespace
/// forms given.
pub fn wxr(wp_ns: &str, items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{wp_ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{wp_ns}">
<channel>
<title>Reserved</title>
<link>https://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://old.example</wp:base_site_url>
<wp:base_blog_url>https://old.example</wp:base_blog_url>
{items}
</channel>
</rss>
"#
    )
}

/// Writes `text` to `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_page_with_a_slug_hewn_uses_gets_another_and_is_reached_there_and_its_old_link_follows() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let mut items = String::new();
    for (i, slug) in RESERVED_PAGE_SLUGS.iter().enumerate() {
        let id = 500 + i;
        let _ = write!(
            items,
            "<item><title>Page named {slug}</title><link>https://old.example/{slug}/</link>\
             <content:encoded><![CDATA[The page once at /{slug}.]]></content:encoded>\
             <wp:post_id>{id}</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>\
             <wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status>publish</wp:status>\
             <wp:post_type>page</wp:post_type></item>\n"
        );
    }
    let file = write(files.path(), "reserved.xml", &wxr("https://wordpress.org/export/1.2/", &items));
    import_file(&dir, &file, &[]);
    let mut conn = open(&db_of(&dir)).await;
    let pages: Vec<(String, String, i64)> =
        sqlx::query_as("select title, slug, wp_id from posts where kind = 'page' order by wp_id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let app = serve(dir).await;

    assert_eq!(pages.len(), RESERVED_PAGE_SLUGS.len());
    for (title, slug, wp_id) in &pages {
        assert!(!RESERVED_PAGE_SLUGS.contains(&slug.as_str()), "{title} kept the slug {slug}");
        let (status, body) = app.get_text(&format!("/{slug}")).await;
        assert_eq!(status, 200, "{title} at /{slug}");
        assert!(body.contains(title.as_str()), "{title} at /{slug}");
        let old = app.get(&format!("/?page_id={wp_id}")).await;
        assert_eq!((old.status().as_u16(), old.headers()["location"].to_str().unwrap()), (301, &*format!("/{slug}")));
    }
    // The page's old permalink (with WordPress's trailing slash) follows it.
    let archive = pages.iter().find(|(t, _, _)| t == "Page named archive").unwrap();
    let old = app.get("/archive/").await;
    assert_eq!(old.status(), 301);
    assert_eq!(old.headers()["location"], format!("/{}", archive.1).as_str());
    // hewn's own archive still answers at its address.
    let (status, body) = app.get_text("/archive").await;
    assert_eq!(status, 200);
    assert!(!body.contains("The page once at /archive."));
}

#[tokio::test]
async fn a_file_that_is_not_an_export_fails_in_one_sentence_naming_file_line_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    super::import(&dir, "site-1.2.xml", &[]);
    let db = db_of(&dir);
    let before = snapshot(&db).await;
    let files = tempfile::tempdir().unwrap();
    let whole = std::fs::read_to_string(super::fixture("site-1.2.xml")).unwrap();
    let half: String = whole.chars().take(whole.chars().count() / 2).collect();
    let rss = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel><title>News</title>\n\
               <item><title>Hello</title></item></channel></rss>\n";
    let page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Blog</title></head>\n\
                <body><p>Hi<br></p></body></html>\n";
    let cases: [(&str, &[u8], &str, &str); 7] = [
        (
            "export.json",
            b"{\"posts\": []}\n",
            "wordpress",
            "line 1: this is not a WordPress export (WXR) file: it is not XML: it starts with the text \"{\"posts\": []}\" where an XML document was expected",
        ),
        (
            "image.xml",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "wordpress",
            "line 1: this is not a WordPress export (WXR) file: it is not XML",
        ),
        ("empty.xml", b"", "wordpress", "line 1: this is not a WordPress export (WXR) file: it is empty"),
        ("half.xml", half.as_bytes(), "wordpress", "where the rest of it was expected: it is truncated or incomplete"),
        (
            "feed.xml",
            rss.as_bytes(),
            "wordpress",
            "line 4: this is not a WordPress export (WXR) file: it is an RSS feed without WordPress's export namespace (expected <wp:wxr_version>",
        ),
        (
            "page.xml",
            page.as_bytes(),
            "wordpress",
            "line 2: this is not a WordPress export (WXR) file: its root element is <html> where <rss> was expected: it is a web page",
        ),
        (
            "page.xml",
            page.as_bytes(),
            "disqus",
            "line 2: this is not a Disqus comments export: its root element is <html> where <disqus> was expected: it is a web page",
        ),
    ];
    for (name, bytes, format, expected) in cases {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();

        let run = hewn(&db, &["import", format, path.to_str().unwrap()]);

        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        let said: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("hewn: ")).collect();
        assert_eq!(said.len(), 1, "{name}: {}", run.stderr);
        let prefix = format!("hewn: {}: line ", path.display());
        assert!(said[0].starts_with(&prefix), "{name}: {}", said[0]);
        assert!(said[0].contains(expected), "{name}: {}", said[0]);
        assert!(said[0].ends_with("; nothing was imported"), "{name}: {}", said[0]);
        assert_eq!(snapshot(&db).await, before, "{name} changed the database");
    }
}

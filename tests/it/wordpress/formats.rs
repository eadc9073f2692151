//! Exports as WordPress writes them: every namespace form, the theme test data's
//! posts, pages and comments, pages whose slugs hewn's routes use, and files that
//! are not WordPress exports at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hewn::domain::slug::RESERVED_PAGE_SLUGS;

use super::{db_of, hewn, import_file, open, serve, snapshot};
use crate::assert::assert_redirect;

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
        let _ = writeln!(
            items,
            "<item><title>Page named {slug}</title><link>https://old.example/{slug}/</link>\
             <content:encoded><![CDATA[The page once at /{slug}.]]></content:encoded>\
             <wp:post_id>{id}</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>\
             <wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status>publish</wp:status>\
             <wp:post_type>page</wp:post_type></item>"
        );
    }
    let file = write(files.path(), "reserved.xml", &wxr("https://wordpress.org/export/1.2/", &items));
    import_file(&dir, &file, &[]);
    let mut conn = open(&db_of(&dir)).await;
    let pages: Vec<(String, String, i64)> =
        conn.rows("select title, slug, wp_id from posts where kind = 'page' order by wp_id", &[]).await;
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
    assert_redirect!(old, 301, format!("/{}", archive.1));
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

/// A post or page of an export, as the file says.
struct FileItem {
    id: i64,
    kind: String,
    status: String,
    password: String,
    link: String,
    name: String,
    /// (domain, nicename) of its categories and tags.
    terms: Vec<(String, String)>,
    /// (id, parent, approved) of its comments.
    comments: Vec<(i64, i64, String)>,
    /// Its content was written in the block editor.
    blocks: bool,
}

/// The posts and pages of a WXR file (the first of any repeated id).
fn file_items(path: &Path) -> Vec<FileItem> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let child = |n: roxmltree::Node<'_, '_>, name: &str| -> String {
        n.children().find(|c| c.tag_name().name() == name).and_then(|c| c.text()).unwrap_or_default().trim().to_owned()
    };
    let mut seen = std::collections::HashSet::new();
    let mut items = Vec::new();
    for item in doc.descendants().filter(|n| n.tag_name().name() == "item") {
        let kind = child(item, "post_type");
        let id: i64 = child(item, "post_id").parse().unwrap();
        if !matches!(kind.as_str(), "post" | "page") || !seen.insert(id) {
            continue;
        }
        let terms = item
            .children()
            .filter(|c| c.tag_name().name() == "category")
            .map(|c| {
                (
                    c.attribute("domain").unwrap_or_default().to_owned(),
                    c.attribute("nicename").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let comments = item
            .children()
            .filter(|c| c.tag_name().name() == "comment")
            .map(|c| {
                (
                    child(c, "comment_id").parse().unwrap(),
                    child(c, "comment_parent").parse().unwrap_or(0),
                    child(c, "comment_approved"),
                )
            })
            .collect();
        items.push(FileItem {
            id,
            kind,
            status: child(item, "status"),
            password: child(item, "post_password"),
            link: child(item, "link"),
            name: child(item, "post_name"),
            terms,
            comments,
            blocks: child(item, "encoded").contains("<!-- wp:"),
        });
    }
    items
}

#[tokio::test]
async fn wordpress_theme_test_data_imports_whole_answers_at_new_addresses_redirects_old_ones_and_imports_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = super::fixture("themeunittestdata.wordpress.xml");
    let items = file_items(&file);

    let run = import_file(&dir, &file, &[]);

    let db = db_of(&dir);
    let mut conn = open(&db).await;
    let stored: Vec<(i64, String, String, String)> =
        conn.rows("select wp_id, kind, slug, status from posts where wp_id is not null", &[]).await;
    let address = |wp_id: i64| {
        let (_, kind, slug, _) =
            stored.iter().find(|(id, ..)| *id == wp_id).unwrap_or_else(|| panic!("post {wp_id} was not imported"));
        if kind == "page" { format!("/{slug}") } else { format!("/posts/{slug}") }
    };
    // Every comment once, on its post, with its status and its parent.
    let comments: Vec<(i64, i64, String, Option<i64>)> = conn
        .rows(
            "select c.wp_id, p.wp_id, c.status, (select pc.wp_id from comments pc where pc.id = c.parent_id) \
         from comments c join posts p on p.id = c.post_id",
            &[],
        )
        .await;
    for item in &items {
        for (id, parent, approved) in &item.comments {
            let status = match approved.as_str() {
                "1" => "approved",
                "0" => "pending",
                other => other,
            };
            let found: Vec<_> = comments.iter().filter(|(wp, post, ..)| wp == id && *post == item.id).collect();
            assert_eq!(found.len(), 1, "comment {id} of {}", item.id);
            assert_eq!(found[0].2, status, "comment {id}");
            assert_eq!(found[0].3, (*parent > 0).then_some(*parent), "parent of comment {id}");
        }
    }
    let in_file: usize = items.iter().map(|i| i.comments.len()).sum();
    assert_eq!(comments.len(), in_file, "no comment more than the file's");
    let app = serve(dir).await;

    let published: Vec<&FileItem> = items.iter().filter(|i| i.status == "publish" && i.password.is_empty()).collect();
    assert!(published.len() > 60, "{}", run.stdout);
    let mut wrong = Vec::new();
    for item in &published {
        let new = address(item.id);
        let (status, _) = app.get_text(&new).await;
        if status != 200 {
            wrong.push(format!("{new}: {status}"));
        }
        let query = if item.kind == "page" { format!("/?page_id={}", item.id) } else { format!("/?p={}", item.id) };
        let path = hewn::wordpress::links::path_of_url(&item.link).to_owned();
        let mut old = vec![query, path];
        if !item.name.is_empty() && item.kind == "post" {
            old.push(format!("/{}/", item.name));
        }
        for old in old {
            let response = app.get(&old).await;
            let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            if response.status() != 301 || location.as_deref() != Some(new.as_str()) {
                wrong.push(format!("{old}: {} {location:?}, expected 301 to {new}", response.status()));
            }
        }
    }
    let mut terms: Vec<(String, String)> = published
        .iter()
        .flat_map(|i| i.terms.iter().cloned())
        .filter(|(domain, slug)| matches!(domain.as_str(), "category" | "post_tag") && !slug.is_empty())
        .collect();
    terms.sort();
    terms.dedup();
    for (domain, slug) in &terms {
        let old = if domain == "category" { format!("/category/{slug}/") } else { format!("/tag/{slug}/") };
        let response = app.get(&old).await;
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        if response.status() != 301 || !location.starts_with("/tags/") || app.get(&location).await.status() != 200 {
            wrong.push(format!("{old}: {} {location:?}", response.status()));
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
    // Block-editor comments stay out of the pages.
    let blocks: Vec<&&FileItem> = published.iter().filter(|i| i.blocks).collect();
    assert!(blocks.len() > 5);
    for item in blocks {
        let (_, body) = app.get_text(&address(item.id)).await;
        assert!(!body.contains("<!-- wp:") && !body.contains("<!-- /wp:"), "{}", address(item.id));
    }

    let before = snapshot(&db).await;
    let again = hewn(&db, &["import", "wordpress", file.to_str().unwrap()]);
    assert!(again.success, "{}", again.stderr);
    assert!(again.stdout.contains("Nothing new: the database was not changed."), "{}", again.stdout);
    assert_eq!(snapshot(&db).await, before);
}

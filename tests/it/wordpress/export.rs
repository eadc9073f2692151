//! `hewn export wordpress`: well-formed WXR on standard output, everything in it, and a
//! round trip through `hewn import` that reproduces every post and comment exactly.

use hewn::domain::clock::Clock;
use hewn::domain::{comment_text, markdown};
use hewn::store::{comments, posts, tags};
use quick_xml::events::Event;

use super::{db_of, hewn, import, open, uploads};
use crate::db::TestDb;
use crate::helpers::{Spawn, spawn_with};

const POST_COLUMNS: &str = "kind, slug, title, source, source_format, body_html, excerpt, status, sticky, author_name, \
     comments_open, published_at, updated_at, created_at";
const COMMENT_COLUMNS: &str = "c.id, p.slug, c.parent_id, c.kind, c.author_name, c.author_email, c.author_url, c.body, \
     c.body_html, c.status, c.status_before_trash, c.rule, c.author_ip, c.user_agent, c.created_at";

/// Every post, comment, post tag and the mapped settings of a database, as text
/// (one line per row, each column read as text).
async fn contents(db: &str) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let mut conn = open(db).await;
    let mut lines = async |columns: &str, rest: &str| -> Vec<String> {
        let columns: Vec<String> = columns.split(", ").map(|c| format!("cast({c} as text)")).collect();
        let sql = format!("select {} {rest}", columns.join(", "));
        conn.text_rows(&sql, &[]).await.into_iter().map(|row| format!("{row:?}")).collect()
    };
    let posts = lines(POST_COLUMNS, "from posts order by slug").await;
    let comments = lines(COMMENT_COLUMNS, "from comments c join posts p on p.id = c.post_id order by c.id").await;
    let mut post_tags = lines(
        "p.slug, t.slug, t.name",
        "from post_tags pt join posts p on p.id = pt.post_id join tags t on t.id = pt.tag_id",
    )
    .await;
    post_tags.sort();
    let settings =
        lines("name, value", "from settings where name in ('site_title', 'tagline', 'language') order by name").await;
    conn.close().await;
    (posts, comments, post_tags, settings)
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_reproduces_every_post_and_comment() {
    // hewn's own content (the Markdown demo post, comments written here) and an
    // imported WordPress blog with its media, every status, threads and odd text.
    //
    // The app's clock stands before the imported comments were written: its IP
    // retention task (addresses older than 30 days by that clock) must not erase the
    // 2013 comments' addresses between the reading of the original and the export.
    let app = spawn_with(Spawn { clock: Some(Clock::fixed(1_300_000_000)), ..Spawn::default() }).await;
    let db = app.database_url.clone();
    let site = super::fixture("site-1.2.xml");
    let run = hewn(&db, &["import", "wordpress", site.to_str().unwrap(), "--uploads", &uploads()]);
    assert!(run.success, "{}", run.stderr);
    let now = hewn::domain::now();
    let awkward = "A ]]> marker, *Markdown*, `code`, “quotes” &amp; <b>tags</b>\n\n  indented  spaces  ";
    let html = markdown::render_markdown(awkward);
    let id = posts::insert(
        &app.store,
        &posts::NewPost {
            kind: hewn::domain::status::PostKind::Post,
            slug: "awkward",
            title: "  Two  spaces & <angle> \"quotes\" ]]> ",
            source: awkward,
            source_format: "markdown",
            body_html: html.as_str(),
            excerpt: "line one\nline two &amp;",
            status: hewn::domain::status::PostStatus::Draft,
            author_name: "Ed  Itor & Co",
            author_id: None,
            menu_order: 0,
            comments_open: false,
            published_at: None,
            now,
        },
    )
    .await
    .unwrap();
    tags::set_for_post(&app.store, id, &["Écrits", "News"]).await.unwrap();
    let demo = posts::visible_by_slug(&app.store, now, "year-of-the-stakhanovite").await.unwrap().unwrap().id;
    for (status, text) in [
        ("pending", "*Held* by the first-comment rule ]]> see https://example.com"),
        ("spam", "Cheap <script>pills</script>"),
    ] {
        let body_html = comment_text::render(text);
        comments::insert(
            &app.store,
            &comments::NewComment {
                post_id: demo,
                parent_id: Some(1),
                kind: hewn::domain::status::CommentKind::Comment,
                author_name: "  Spaced   Name ",
                author_email: "native@example.org",
                author_url: "https://native.example/",
                user_id: None,
                body: text,
                body_html: body_html.as_str(),
                status: status.parse().unwrap(),
                rule: "first-comment",
                author_ip: "203.0.113.9",
                user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
                created_at: now,
                avatar_key: "",
            },
        )
        .await
        .unwrap();
    }
    let original = contents(&db).await;
    assert!(original.0.len() >= 14 && original.1.len() >= 14, "{original:?}");

    let exported = hewn(&db, &["export", "wordpress", "--base-url", "https://blog.example"]);
    assert!(exported.success, "{}", exported.stderr);
    // WordPress stores comment HTML as the importing admin hands it over: it gets the
    // sanitised HTML hewn shows, never a commenter's raw text.
    let contents_of_comments: Vec<&str> = exported
        .stdout
        .split("<wp:comment_content>")
        .skip(1)
        .filter_map(|rest| rest.split("</wp:comment_content>").next())
        .collect();
    assert!(contents_of_comments.iter().any(|c| c.contains("&lt;script&gt;pills")), "{contents_of_comments:?}");
    assert!(contents_of_comments.iter().any(|c| c.contains("<em>Held</em>")), "{contents_of_comments:?}");
    assert!(!contents_of_comments.iter().any(|c| c.contains("<script>")), "{contents_of_comments:?}");
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("export.xml");
    std::fs::write(&file, &exported.stdout).unwrap();
    let imported = hewn(&db_of(&copy), &["import", "wordpress", file.to_str().unwrap()]);

    assert!(imported.success, "{}\n{}", imported.stdout, imported.stderr);
    let copied = contents(&db_of(&copy)).await;
    for (what, copy, orig) in [
        ("posts and pages", &copied.0, &original.0),
        ("comments", &copied.1, &original.1),
        ("tags", &copied.2, &original.2),
        ("settings", &copied.3, &original.3),
    ] {
        let differ: Vec<(&String, &String)> = copy.iter().zip(orig.iter()).filter(|(a, b)| a != b).collect();
        assert!(differ.is_empty(), "{what} differ: {differ:#?}");
        assert_eq!(copy.len(), orig.len(), "{what}");
    }
}

#[tokio::test]
async fn the_export_is_well_formed_wxr_on_standard_output_with_every_status_and_email() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let db = db_of(&dir);

    let run = hewn(&db, &["export", "wordpress", "--base-url", "https://blog.example/"]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"), "logs stay off standard output");
    assert!(
        run.stderr.contains("Exported 10 posts, 2 pages, 10 comments, 5 tags and 3 media files."),
        "{}",
        run.stderr
    );
    let mut reader = quick_xml::Reader::from_str(&run.stdout);
    let (mut items, mut comments) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == "item" => items += 1,
            Event::Start(e) if e.name().as_ref() == "wp:comment" => comments += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((items, comments), (12 + 3, 10), "posts, pages and media files; every comment");
    for needle in [
        "<wp:wxr_version>1.2</wp:wxr_version>",
        "<wp:base_site_url>https://blog.example</wp:base_site_url>",
        "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
        "<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>",
        "<wp:comment_approved><![CDATA[trash]]></wp:comment_approved>",
        "<wp:meta_key><![CDATA[_wp_trash_meta_status]]></wp:meta_key>",
        "<wp:comment_type><![CDATA[pingback]]></wp:comment_type>",
        "<wp:comment_parent>105</wp:comment_parent>",
        "pending@example.org",
        "spam@spam.example",
        "<wp:status><![CDATA[future]]></wp:status>",
        "<wp:status><![CDATA[private]]></wp:status>",
        "<wp:is_sticky>1</wp:is_sticky>",
        "<wp:post_type><![CDATA[page]]></wp:post_type>",
        "<wp:attachment_url><![CDATA[https://blog.example/media/2013/10/photo.png]]></wp:attachment_url>",
        "src=\"https://blog.example/media/2013/10/photo-300x200.png\"",
        "<category domain=\"post_tag\" nicename=\"local-news\"><![CDATA[Local News]]></category>",
        "<language>en-GB</language>",
        "]]]]><![CDATA[>",
    ] {
        assert!(run.stdout.contains(needle), "{needle} missing");
    }

    let out = dir.path().join("site.xml");
    let to_file =
        hewn(&db, &["export", "wordpress", "--base-url", "https://blog.example", "--output", out.to_str().unwrap()]);
    assert!(to_file.success && to_file.stdout.is_empty(), "{}", to_file.stderr);
    let written = std::fs::read_to_string(&out).unwrap();
    let strip_date =
        |s: &str| s.lines().filter(|l| !l.contains("<pubDate>") || l.contains("\t\t")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip_date(&written), strip_date(&run.stdout));
    assert!(!dir.path().join("site.xml.partial").exists());
}

#[tokio::test]
async fn no_two_exported_items_share_an_id_nor_two_files_a_title_and_date() {
    // WordPress's importer skips an item whose id it has seen, and an attachment
    // whose title and date another has.
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let db = db_of(&dir);
    let mut conn = TestDb::open(&db).await;
    // A second site's file with a post's WordPress id, named like a file already here.
    conn.exec(
        "insert into media (path, content_type, size, sha256, title, alt, created_at, wp_id, bytes) \
         select '2014/01/photo.png', content_type, size, sha256, title, alt, created_at, \
           (select min(wp_id) from posts), bytes from media where path = '2013/10/photo.png'",
        &[],
    )
    .await;
    conn.close().await;

    let run = hewn(&db, &["export", "wordpress", "--base-url", "https://blog.example"]);

    assert!(run.success, "{}", run.stderr);
    let items: Vec<&str> = run.stdout.split("<item>").skip(1).collect();
    let field = |item: &str, name: &str| {
        let open = format!("<{name}>");
        item.split(&open).nth(1).and_then(|rest| rest.split(&format!("</{name}>")).next()).unwrap_or("").to_owned()
    };
    let ids: Vec<String> = items.iter().map(|i| field(i, "wp:post_id")).collect();
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    let files: Vec<(String, String)> = items
        .iter()
        .filter(|i| i.contains("<wp:post_type><![CDATA[attachment]]></wp:post_type>"))
        .map(|i| (field(i, "title"), field(i, "wp:post_date")))
        .collect();
    let unique: std::collections::HashSet<&(String, String)> = files.iter().collect();
    assert_eq!(files.len(), 4, "{files:?}");
    assert_eq!(unique.len(), files.len(), "{files:?}");
}

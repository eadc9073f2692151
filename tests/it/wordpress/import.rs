//! `hewn import wordpress`: what a WordPress export becomes, and what a bad one does not do.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use hewn::store::{comments, posts, tags};

use super::{db_of, fixture, hewn, import, open, serve, snapshot, uploads};
use crate::assert::{assert_not_found, assert_status};
use crate::db::TestDb;
use crate::helpers::{Spawn, html, spawn_with, texts};

const POST: &str = "/posts/year-of-the-stakhanovite";

/// id, kind, status, status before trash, email, parent's WordPress id.
type CommentRow = (i64, String, String, Option<String>, String, Option<i64>);

#[tokio::test]
async fn an_imported_post_shows_its_approved_comments_threaded_whatever_their_order_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let app = serve(dir).await;

    let (status, body) = app.get_text(POST).await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1.entry-title"), ["Year of the “Stakhanovite”"]);
    assert_eq!(
        texts(&doc, "[data-test=comment-author]"),
        [
            "B. Knickerbocker",
            "Anna Admin",
            "Zoë & Ünal",
            "Deep Thinker",
            "Another Blog » On Stakhanov",
            "Tracking Blog",
            "Lost Reply"
        ]
    );
    // 102 comes before its parent 105 in the file; 110 replies to 102.
    for nested in [
        "li#comment-101 ol.children li#comment-105",
        "li#comment-105 ol.children li#comment-102",
        "li#comment-102 ol.children li#comment-110",
    ] {
        assert_eq!(texts(&doc, nested).len(), 1, "{nested} in\n{body}");
    }
    assert_eq!(texts(&doc, "#comments-title"), ["7 comments for “Year of the “Stakhanovite””"]);
    assert_eq!(texts(&doc, "li#comment-107 .comment-kind"), ["Pingback"]);
    assert_eq!(texts(&doc, "li#comment-108 .comment-kind"), ["Trackback"]);
    for hidden in
        ["Pending Person", "Cheap Pills", "Trashed Talk", "Attachment Fan", "bk@example.net", "zoe@example.org"]
    {
        assert!(!body.contains(hidden), "{hidden} must not show");
    }
    assert!(!body.contains("javascript:"), "{body}");
    // The page's own JSON-LD data block is the only script element.
    assert_eq!(
        body.matches("<script").count(),
        body.matches("<script type=\"application/ld+json\">").count(),
        "{body}"
    );
    assert!(!body.contains("onerror"), "{body}");
    let content = texts(&doc, ".entry-content").join(" ");
    assert!(content.contains("“The Year of the Stakhanovite”"), "{content}");
    assert!(content.contains("102 tons of coal — fourteen times the norm"), "{content}");
    // [gallery ids="40,41"]: 40 is an image (its caption is the attachment's), 41 a text file.
    let gallery = "figure.gallery.gallery-columns-3 > figure.gallery-item";
    assert_eq!(texts(&doc, &format!("{gallery} figcaption")), ["A poster of the movement"]);
    let images: Vec<String> = doc
        // Inside a `<picture>` now: the imported image has a smaller WebP copy.
        .select(&scraper::Selector::parse(&format!("{gallery} a img")).unwrap())
        .filter_map(|img| img.value().attr("src").map(str::to_owned))
        .collect();
    assert_eq!(images, ["/media/2013/10/photo.png"]);
    assert!(!content.contains("[gallery"), "{content}");
    assert_eq!(texts(&doc, ".entry-content figure.wp-caption figcaption"), ["A poster of the movement"]);
    assert!(body.contains(r#"src="/media/2013/10/photo-300x200.png""#), "{body}");
    assert_eq!(texts(&doc, "li#comment-101 > article .comment-content p").len(), 1, "one paragraph with a line break");
    assert!(body.contains("Very interesting!<br>"), "{body}");
}

#[tokio::test]
async fn every_status_author_tag_and_setting_is_kept_and_only_what_was_public_is_public() {
    let dir = tempfile::tempdir().unwrap();
    let run = import(&dir, "site-1.2.xml", &[]);
    let db = db_of(&dir);

    let mut conn = open(&db).await;
    let rows: Vec<(i64, String, String, bool, String)> =
        conn.rows("select wp_id, kind, status, sticky, author_name from posts order by wp_id", &[]).await;
    let statuses: Vec<(i64, &str, &str, bool, &str)> =
        rows.iter().map(|(id, k, s, st, a)| (*id, k.as_str(), s.as_str(), *st, a.as_str())).collect();
    assert_eq!(
        statuses,
        [
            (10, "post", "published", false, "Anna Admin"),
            (20, "page", "published", false, "Anna Admin"),
            (21, "page", "published", false, "Jo & Co"),
            (30, "post", "draft", false, "Jo & Co"),
            (31, "post", "draft", false, "Jo & Co"),
            (32, "post", "private", false, "Anna Admin"),
            (33, "post", "scheduled", false, "Anna Admin"),
            (34, "post", "private", false, "Anna Admin"),
            (35, "post", "published", true, "Jo & Co"),
            (36, "post", "trash", false, "Anna Admin"),
            (60, "post", "published", false, "Anna Admin"),
            (61, "post", "published", false, "Jo & Co"),
        ]
    );
    let comments: Vec<CommentRow> = conn.rows("select id, kind, status, status_before_trash, author_email, (select wp_id from comments p where p.id = c.parent_id) \
         from comments c order by id", &[]).await;
    let by_id = |id: i64| comments.iter().find(|c| c.0 == id).unwrap();
    assert_eq!(comments.len(), 10, "the attachment's comment is left out");
    let off: i64 = conn
        .scalar("select count(*) from comment_counts k where k.n <> (select count(*) from comments c where c.status = k.status)", &[])
        .await;
    let uncounted: i64 =
        conn.scalar("select count(*) from comments where status not in (select status from comment_counts)", &[]).await;
    assert_eq!((off, uncounted), (0, 0), "the kept counts per status are the imported comments'");
    assert_eq!((by_id(103).2.as_str(), by_id(103).4.as_str()), ("pending", "pending@example.org"));
    assert_eq!(by_id(104).2, "spam");
    assert_eq!((by_id(106).2.as_str(), by_id(106).3.as_deref()), ("trash", Some("approved")));
    assert_eq!((by_id(107).1.as_str(), by_id(108).1.as_str()), ("pingback", "trackback"));
    assert_eq!((by_id(102).5, by_id(105).5, by_id(110).5, by_id(109).5), (Some(105), Some(101), Some(102), None));
    let author_url: String = conn.scalar("select author_url from comments where id = 102", &[]).await;
    assert_eq!(author_url, "", "a javascript: website is dropped");
    let title: String = conn.scalar("select title from posts where wp_id = 61", &[]).await;
    assert_eq!(title, "Tom & Jerry <3 — \"cat\" &amp; mouse", "entities decode once, as WordPress showed them");
    let (moscow_slug, empty_title): (String, String) = conn
        .row("select (select slug from posts where wp_id = 35), (select title from posts where wp_id = 60)", &[])
        .await;
    assert_eq!((moscow_slug.as_str(), empty_title.as_str()), ("moskva-zimoi", ""));
    let excerpt: String = conn.scalar("select excerpt from posts where wp_id = 33", &[]).await;
    assert_eq!(excerpt, "A hand-written excerpt & more");

    for line in [
        "posts:     10 new",
        "pages:     2 new",
        "comments:  10 new (7 approved, 1 pending, 1 spam, 1 trash)",
        "tags:      5 new",
    ] {
        assert!(run.stdout.contains(line), "{line} in\n{}", run.stdout);
    }
    for reason in [
        "nav_menu_item items",
        "revision items",
        "product items (hewn has posts and pages only) (line 560)",
        "password-protected posts imported as private",
        "replies whose parent comment is not in the file",
    ] {
        assert!(run.stdout.contains(reason), "{reason} in\n{}", run.stdout);
    }

    let app = serve(dir).await;
    for (path, status) in [
        (POST, 200),
        ("/posts/moskva-zimoi", 200),
        ("/posts/tom-jerry", 200),
        ("/posts/unfinished-thoughts", 404),
        ("/posts/waiting-for-review", 404),
        ("/posts/private-diary", 404),
        ("/posts/members-only", 404),
        ("/posts/coming-in-2031", 404),
        ("/posts/thrown-away", 404),
    ] {
        assert_eq!(app.get(path).await.status().as_u16(), status, "{path}");
    }
    let (_, index) = app.get_text("/").await;
    assert_eq!(texts(&html(&index), "title"), ["Ærøskøbing & Friends — a “blog” – Notes from a small island"]);
    assert_eq!(html(&index).root_element().value().attr("lang"), Some("en-GB"));
    let id =
        posts::visible_by_slug(&app.store, hewn::domain::now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id;
    let names: Vec<String> = tags::for_post(&app.store, id).await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["Local News", "News", "Stakhanov"]);
    assert_eq!(comments::approved_for_post(&app.store, id).await.unwrap().len(), 7);
}

#[tokio::test]
async fn importing_the_same_file_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let before = snapshot(&db_of(&dir)).await;

    let again = import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);

    assert_eq!(snapshot(&db_of(&dir)).await, before, "not even the data version moves");
    assert!(again.stdout.contains("12 already here"), "{}", again.stdout);
    assert!(again.stdout.contains("10 already here"), "{}", again.stdout);
    assert!(again.stdout.contains("Nothing new: the database was not changed."), "{}", again.stdout);
}

#[tokio::test]
async fn a_broken_file_fails_naming_its_line_and_leaves_the_database_exactly_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let db = db_of(&dir);
    let before = snapshot(&db).await;

    for (name, expected) in [
        ("truncated.xml", "truncated.xml: line 69: syntax error: CDATA not closed"),
        ("malformed.xml", "malformed.xml: line 283: ill-formed document: expected `</wp:post_name>`"),
        ("unknown-version.xml", "unsupported WXR version \"1.3\""),
        ("not-wxr.xml", "not-wxr.xml: line 7: this is not a WordPress export (WXR) file"),
        ("uploads", "is not a file"),
    ] {
        let file = fixture(name);
        let run = hewn(&db, &["import", "wordpress", file.to_str().unwrap()]);
        assert!(!run.success, "{name} must fail");
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert_eq!(snapshot(&db).await, before, "{name} changed the database");
    }
    let left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let database = |f: &String| f == "database-url" || (f.starts_with("hewn.db") && !f.contains("import"));
    assert!(left.iter().all(database), "staging files left: {left:?}");
}

#[tokio::test]
async fn sqlite_only_a_failed_import_into_no_database_creates_none() {
    let dir = tempfile::tempdir().unwrap();

    let run = hewn(&db_of(&dir), &["import", "wordpress", fixture("truncated.xml").to_str().unwrap()]);

    assert!(!run.success);
    assert!(run.stderr.contains("nothing was imported"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_wxr_1_0_export_from_wordpress_3_imports() {
    let dir = tempfile::tempdir().unwrap();
    let run = import(&dir, "wxr-1.0.xml", &[]);
    assert!(run.stdout.contains("(WXR 1.0, http://oldblog.example.net/blog)"), "{}", run.stdout);
    let app = serve(dir).await;

    let (status, body) = app.get_text("/posts/hello-world").await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "[data-test=comment-author]"), ["Mr WordPress", "A Blog"]);
    assert!(
        body.contains("Hi, this is a comment.<br>To delete a comment, just log in and view the post’s comments."),
        "{body}"
    );
    assert_eq!(texts(&doc, "li#comment-2 .comment-kind"), ["Pingback"]);
    let id = posts::visible_by_slug(&app.store, hewn::domain::now(), "hello-world").await.unwrap().unwrap().id;
    let names: Vec<String> = tags::for_post(&app.store, id).await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["General", "Retro"]);
}

#[tokio::test]
async fn huge_and_empty_fields_import_whole() {
    let dir = tempfile::tempdir().unwrap();
    let paragraph = "A long paragraph of text that goes on and on. ".repeat(40);
    let mut huge = String::new();
    while huge.len() < 4_000_000 {
        huge.push_str(&paragraph);
        huge.push_str("\n\n");
    }
    let long_comment = "word ".repeat(200_000);
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title></title><link></link><description></description><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Huge</title><link>https://e.example/huge/</link><dc:creator></dc:creator><guid>https://e.example/?p=1</guid>
<content:encoded><![CDATA[{huge}]]></content:encoded><excerpt:encoded></excerpt:encoded>
<wp:post_id>1</wp:post_id><wp:post_date>2020-01-01 00:00:00</wp:post_date><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>
<wp:post_name>huge</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author></wp:comment_author><wp:comment_content></wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt></wp:comment>
<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Long</wp:comment_author><wp:comment_content>{long_comment}</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_date_gmt>2020-01-03 00:00:00</wp:comment_date_gmt></wp:comment>
</item>
<item><title></title><wp:post_id>2</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status><wp:post_date_gmt>2020-02-01 00:00:00</wp:post_date_gmt></item>
</channel></rss>"#
    );
    let file = dir.path().join("huge.xml");
    std::fs::write(&file, xml).unwrap();

    let run = hewn(&db_of(&dir), &["import", "wordpress", file.to_str().unwrap()]);

    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let mut conn = open(&db_of(&dir)).await;
    let (source_len, body_len): (i64, i64) = conn
        .row(
            "select cast(length(source) as bigint), cast(length(body_html) as bigint) from posts where slug = 'huge'",
            &[],
        )
        .await;
    assert!(source_len > 4_000_000 && body_len > 4_000_000, "{source_len} {body_len}");
    let bodies: Vec<(String, i64)> =
        conn.rows("select author_name, cast(length(body) as bigint) from comments order by id", &[]).await;
    assert_eq!(bodies, [(String::new(), 0), ("Long".to_owned(), 1_000_000)]);
    let untitled: (String, String) = conn.row("select title, slug from posts where wp_id = 2", &[]).await;
    assert_eq!(untitled, (String::new(), "post-2".to_owned()));
}

#[tokio::test]
async fn uploads_are_copied_into_the_database_and_served_with_long_caching() {
    let dir = tempfile::tempdir().unwrap();
    let run = import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    assert!(run.stdout.contains("media:     3 files"), "{}", run.stdout);
    assert!(run.stdout.contains("attachments whose file is not in the uploads folder (line 504)"), "{}", run.stdout);
    let app = serve(dir).await;

    let response = app.get("/media/2013/10/photo.png").await;

    let response = assert_status!(response, 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert!(headers.get("content-disposition").is_none());
    let etag = headers["etag"].to_str().unwrap().to_owned();
    // Re-encoded without metadata, as an upload is: the same pixels.
    let served = image::load_from_memory(&response.bytes).unwrap().to_rgba8();
    let original = image::load_from_memory(&std::fs::read(fixture("uploads/2013/10/photo.png")).unwrap()).unwrap();
    assert_eq!(served, original.to_rgba8());
    let again =
        app.client.get(app.url("/media/2013/10/photo.png")).header("if-none-match", &etag).send().await.unwrap();
    assert_status!(again, 304);
    let notes = app.get("/media/2013/10/notes%20file.txt").await;
    let notes = assert_status!(notes, 200);
    assert_eq!(notes.body, "Plain notes\n");
    assert_not_found!(app.get("/media/2013/10/missing.jpg").await);
    let (_, body) = app.get_text("/posts/moskva-zimoi").await;
    assert!(body.contains(r#"<img src="/media/2013/10/photo.png""#), "block content links are rewritten too: {body}");
}

#[tokio::test]
async fn media_answer_byte_ranges_so_audio_and_video_can_seek() {
    let dir = tempfile::tempdir().unwrap();
    let run = import(&dir, "site-1.2.xml", &["--uploads", fixture("uploads").to_str().unwrap()]);
    assert!(run.success, "{}", run.stderr);
    let app = serve(dir).await;
    let url = app.url("/media/2013/10/photo.png");
    let ranged = |range: &str| app.client.get(&url).header("range", range).send();

    let whole = app.get("/media/2013/10/photo.png").await;
    let whole = assert_status!(whole, 200);
    let file = whole.bytes.clone();
    let size = file.len();
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();

    for (range, first, last) in [("bytes=0-9", 0, 9), ("bytes=-5", size - 5, size - 1), ("bytes=10-", 10, size - 1)] {
        let part = ranged(range).await.unwrap();
        let part = assert_status!(part, 206, "{range}");
        assert_eq!(part.headers()["content-range"], format!("bytes {first}-{last}/{size}").as_str(), "{range}");
        assert_eq!(part.headers()["etag"], etag.as_str());
        assert_eq!(part.bytes.as_slice(), &file[first..=last], "{range}");
    }
    let past = ranged(&format!("bytes={size}-")).await.unwrap();
    let past = assert_status!(past, 416);
    assert_eq!(past.headers()["content-range"], format!("bytes */{size}").as_str());
    // Several ranges, or a range of a file that changed since (If-Range), get the whole file.
    let several = ranged("bytes=0-1,4-5").await.unwrap();
    let several = assert_status!(several, 200);
    assert_eq!(several.bytes.len(), size);
    let changed =
        app.client.get(&url).header("range", "bytes=0-9").header("if-range", "\"other\"").send().await.unwrap();
    assert_status!(changed, 200);
    let same = app.client.get(&url).header("range", "bytes=0-9").header("if-range", &etag).send().await.unwrap();
    assert_status!(same, 206);
    // A compressible file's range is its own bytes, not a slice of a compressed body.
    let notes = app
        .client
        .get(app.url("/media/2013/10/notes%20file.txt"))
        .header("range", "bytes=6-10")
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    let notes = assert_status!(notes, 206);
    assert!(notes.headers().get("content-encoding").is_none());
    assert_eq!(notes.body, "notes");
}

#[tokio::test]
async fn without_an_uploads_folder_images_keep_their_old_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let run = import(&dir, "site-1.2.xml", &[]);
    assert!(
        run.stdout.contains("3 attachments left at their old address (no --uploads folder given)"),
        "{}",
        run.stdout
    );
    let app = serve(dir).await;

    let (_, body) = app.get_text(POST).await;

    assert!(body.contains(r#"src="https://old.example.com/wp-content/uploads/2013/10/photo-300x200.png""#), "{body}");
    assert!(
        body.contains(r#"<figure class="gallery-item"><a href="https://old.example.com/wp-content/uploads/2013/10/photo.png" rel="noopener"><img src="https://old.example.com/wp-content/uploads/2013/10/photo.png""#),
        "the gallery shows the image from its old address: {body}"
    );
    assert_not_found!(app.get("/media/2013/10/photo.png").await);
}

#[tokio::test]
async fn a_dry_run_reports_what_would_change_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let before = snapshot(&db_of(&dir)).await;

    let run = import(&dir, "site-1.2.xml", &["--dry-run", "--uploads", &uploads()]);

    assert!(run.stdout.starts_with("Would import"), "{}", run.stdout);
    assert!(run.stdout.contains("comments:  10 new"), "{}", run.stdout);
    assert!(run.stdout.contains("Dry run: nothing was written."), "{}", run.stdout);
    assert_eq!(snapshot(&db_of(&dir)).await, before);
    let empty = tempfile::tempdir().unwrap();
    let planned = import(&empty, "site-1.2.xml", &["--dry-run"]);
    assert!(planned.stdout.contains("posts:     10 new"), "{}", planned.stdout);
    // On PostgreSQL the directory only remembers the test's database.
    let made = std::fs::read_dir(empty.path()).unwrap().filter(|e| e.as_ref().unwrap().file_name() != "database-url");
    assert_eq!(made.count(), 0, "a dry run creates no database");
}

#[tokio::test]
async fn comment_numbers_already_taken_here_are_renumbered_and_reported() {
    // The demo post's two comments hold numbers 1 and 2, like WordPress's first comments.
    let app = spawn_with(Spawn::default()).await;
    let db = app.database_url.clone();

    let run = hewn(&db, &["import", "wordpress", fixture("wxr-1.0.xml").to_str().unwrap()]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("2 comments whose WordPress number was taken here, renumbered"), "{}", run.stdout);
    let (_, body) = app.get_text("/posts/hello-world").await;
    assert_eq!(texts(&html(&body), "[data-test=comment-author]"), ["Mr WordPress", "A Blog"]);
    // Old #comment-1 and #comment-2 links still land on them, on this page.
    let first = body.find(r#"id="comment-1""#).expect("an anchor for WordPress's comment 1");
    let second = body.find(r#"id="comment-2""#).expect("an anchor for WordPress's comment 2");
    assert!(body[first..second].contains("Mr WordPress") && !body[first..second].contains("A Blog"));
    assert!(body[second..].contains("A Blog"));
    let (_, demo) = app.get_text(POST).await;
    assert!(!demo.contains(r#"<span id="comment-1">"#), "the demo post's own comment 1 keeps its anchor alone");
}

/// A WXR file with `posts` posts of `per_post` comments each.
fn generated_export(posts: usize, per_post: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Busy</title><link>https://busy.example</link><wp:wxr_version>1.2</wp:wxr_version>
"#,
    );
    let mut id = 1000;
    for p in 0..posts {
        let _ = write!(
            xml,
            "<item><title>Post {p}</title><guid>https://busy.example/?p={p}</guid><content:encoded><![CDATA[Body {p}]]></content:encoded>\
             <wp:post_id>{}</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt><wp:post_name>busy-{p}</wp:post_name>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type>",
            p + 1
        );
        for c in 0..per_post {
            id += 1;
            let _ = write!(
                xml,
                "<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author>Reader {c}</wp:comment_author>\
                 <wp:comment_author_email>r{c}@example.org</wp:comment_author_email><wp:comment_content>It's comment {c}.\nSee https://example.org/{c}</wp:comment_content>\
                 <wp:comment_approved>1</wp:comment_approved><wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt>\
                 <wp:comment_parent>{}</wp:comment_parent></wp:comment>",
                if c % 3 == 1 { id - 1 } else { 0 }
            );
        }
        xml.push_str("</item>\n");
    }
    xml.push_str("</channel></rss>\n");
    xml
}

/// The number after `before` in `text` (digits and thousands commas).
fn number_after(text: &str, before: &str) -> u64 {
    let at = text.find(before).unwrap_or_else(|| panic!("{before:?} not in {text}")) + before.len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn importing_into_a_live_site_shows_it_all_at_once_and_never_stalls_readers_or_commenters() {
    let app = spawn_with(Spawn::default()).await;
    let post_id =
        posts::visible_by_slug(&app.store, hewn::domain::now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id;
    let file = app.dir.path().join("busy.xml");
    std::fs::write(&file, generated_export(40, 150)).unwrap();
    let db = app.database_url.clone();
    let importer = tokio::task::spawn_blocking(move || hewn(&db, &["import", "wordpress", file.to_str().unwrap()]));

    // Commenters and readers carry on while the import runs; readers see none of the
    // imported posts or all of them.
    let mut written = 0;
    let mut slowest_write = Duration::ZERO;
    let mut slowest_read = Duration::ZERO;
    let mut seen = std::collections::BTreeSet::new();
    while !importer.is_finished() {
        let started = Instant::now();
        let c = comments::NewComment {
            post_id,
            parent_id: None,
            kind: hewn::domain::status::CommentKind::Comment,
            author_name: "Live",
            author_email: "live@example.org",
            author_url: "",
            user_id: None,
            body: "during the import",
            body_html: "<p>during the import</p>",
            status: hewn::domain::status::CommentStatus::Approved,
            rule: "test",
            author_ip: "127.0.0.1",
            user_agent: "test",
            created_at: hewn::domain::now(),
            avatar_key: "",
        };
        comments::insert(&app.store, &c).await.expect("a commenter's write failed during the import");
        written += 1;
        slowest_write = slowest_write.max(started.elapsed());
        let started = Instant::now();
        let sitemap = app.get("/sitemap.xml").await;
        let sitemap = assert_status!(sitemap, 200);
        let imported = sitemap.body.matches("/posts/busy-").count();
        slowest_read = slowest_read.max(started.elapsed());
        assert!(imported == 0 || imported == 40, "readers saw {imported} of the 40 imported posts");
        seen.insert(imported);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let run = importer.await.unwrap();

    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("comments:  6,000 new"), "{}", run.stdout);
    let writes = number_after(&run.stdout, "Written in ");
    let longest = number_after(&run.stdout, "longer than ");
    assert!(writes >= 4, "the import was written in {writes} writes: {}", run.stdout);
    assert!(longest < 1_000, "one write held the lock {longest} ms");
    assert!(seen.contains(&0), "the test never saw the site before the import showed");
    assert!(written > 0);
    assert!(slowest_write < Duration::from_secs(1), "a commenter waited {slowest_write:?}");
    assert!(slowest_read < Duration::from_secs(1), "a reader waited {slowest_read:?}");
    let live: Vec<_> = comments::approved_for_post(&app.store, post_id).await.unwrap();
    assert_eq!(
        live.iter().filter(|c| c.author_name == "Live").count(),
        written,
        "every comment written during the import is kept"
    );
    let busy = posts::visible_by_slug(&app.store, hewn::domain::now(), "busy-39").await.unwrap().unwrap();
    assert_eq!(comments::approved_for_post(&app.store, busy.id).await.unwrap().len(), 150);
    let mut conn = open(&app.database_url).await;
    let hidden: i64 = conn.scalar("select count(*) from posts where status = 'importing'", &[]).await;
    assert_eq!(hidden, 0, "nothing is left hidden");
}

/// Starts `hewn import wordpress` on a generated export of `posts` posts and waits
/// until it is writing hidden posts into `db`.
#[expect(clippy::zombie_processes, reason = "the child is returned, and its callers wait for it")]
pub(crate) async fn import_caught_writing(db: &str, file: &Path, posts: usize) -> std::process::Child {
    std::fs::write(file, generated_export(posts, 150)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(["import", "wordpress", file.to_str().unwrap(), "--database-url", db])
        .env("HEWN_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = Instant::now();
    loop {
        if waiting.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the import never started writing");
        }
        let mut conn = open(db).await;
        let hidden: i64 = conn.scalar("select count(*) from posts where status = 'importing'", &[]).await;
        if hidden > 1 {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn an_import_stopped_while_it_writes_takes_back_everything_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let db = db_of(&dir);
    let before = snapshot(&db).await;

    let child = import_caught_writing(&db, &dir.path().join("big.xml"), 400).await;
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();

    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted: the import was stopped"));
    assert_eq!(snapshot(&db).await, before);
}

#[tokio::test]
async fn an_import_killed_while_it_writes_shows_nothing_and_the_next_import_clears_it_away() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let db = db_of(&dir);
    let file = dir.path().join("big.xml");
    let visible = "select count(*) from posts p where p.kind = 'post' and p.status = 'published'";
    let mut conn = open(&db).await;
    let shown_before: i64 = conn.scalar(visible, &[]).await;

    let mut child = import_caught_writing(&db, &file, 400).await;
    child.kill().unwrap();
    child.wait().unwrap();
    // A killed import leaves its staging file (on PostgreSQL in the temporary directory).
    let left = format!("hewn-import-{}-", child.id());
    for entry in std::fs::read_dir(std::env::temp_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with(&left) {
            let _ = std::fs::remove_file(entry.path());
        }
    }

    let shown: i64 = conn.scalar(visible, &[]).await;
    assert_eq!(shown, shown_before, "a killed import shows none of its posts");

    let run = hewn(&db, &["import", "wordpress", file.to_str().unwrap()]);
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("posts:     400 new"), "{}", run.stdout);
    assert!(run.stdout.contains("comments:  60,000 new"), "{}", run.stdout);
    let shown: i64 = conn.scalar(visible, &[]).await;
    assert_eq!(shown, shown_before + 400);
    let hidden: i64 = conn.scalar("select count(*) from posts where status = 'importing'", &[]).await;
    assert_eq!(hidden, 0);
    drop(conn);
    let app = serve(dir).await;
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert_eq!(sitemap.matches("/posts/busy-").count(), 400);
}

#[tokio::test]
async fn a_later_export_of_the_same_site_brings_in_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let before = snapshot(&db_of(&dir)).await;
    // The same site a week later: one more reply on the first post.
    let later = std::fs::read_to_string(fixture("site-1.2.xml")).unwrap().replacen(
        "\t</item>",
        "\t\t<wp:comment><wp:comment_id>111</wp:comment_id><wp:comment_author>Newcomer</wp:comment_author>\
         <wp:comment_author_email>new@example.org</wp:comment_author_email><wp:comment_content>Late to the party.</wp:comment_content>\
         <wp:comment_approved>1</wp:comment_approved><wp:comment_date_gmt>2013-11-01 10:00:00</wp:comment_date_gmt>\
         <wp:comment_parent>110</wp:comment_parent></wp:comment>\n\t</item>",
        1,
    );
    let file = dir.path().join("later.xml");
    std::fs::write(&file, later).unwrap();

    let run = hewn(&db_of(&dir), &["import", "wordpress", file.to_str().unwrap()]);

    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("comments:  1 new (1 approved)") && run.stdout.contains("10 already here"),
        "{}",
        run.stdout
    );
    let after = snapshot(&db_of(&dir)).await;
    let count = |s: &[(String, i64)], what: &str| s.iter().find(|(k, _)| k == what).unwrap().1;
    assert_eq!(count(&after, "comments"), count(&before, "comments") + 1);
    assert_eq!(count(&after, "posts"), count(&before, "posts"));
    let app = serve(dir).await;
    let (_, body) = app.get_text(POST).await;
    assert_eq!(
        texts(&html(&body), "li#comment-110 ol.children li#comment-111 [data-test=comment-author]"),
        ["Newcomer"]
    );
}

#[tokio::test]
async fn an_import_keeps_the_site_settings_already_chosen_here() {
    let app = spawn_with(Spawn { no_demo: true, ..Spawn::default() }).await;
    hewn::store::settings::put(&app.store, "site_title", "My own title").await.unwrap();

    let run = hewn(&app.database_url, &["import", "wordpress", fixture("site-1.2.xml").to_str().unwrap()]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("settings:  language, tagline\n"), "{}", run.stdout);
    let settings = hewn::store::settings::load(&app.store).await.unwrap();
    assert_eq!(
        (settings.site_title.as_str(), settings.tagline.as_str()),
        ("My own title", "Notes from a small island")
    );
}

#[tokio::test]
async fn bytes_that_are_not_utf8_and_reply_loops_do_not_stop_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("site-1.2.xml")).unwrap();
    // A stray Latin-1 byte, as old exports have, and two replies that answer each other.
    let at = bytes.windows(17).position(|w| w == b"Very interesting!").unwrap();
    bytes.splice(at + 16..at + 16, [0xE9]);
    let text = String::from_utf8_lossy(&bytes).replace('\u{fffd}', "\u{1}");
    let text = text
        .replace("<wp:comment_parent>999</wp:comment_parent>", "<wp:comment_parent>110</wp:comment_parent>")
        .replace("<wp:comment_parent>102</wp:comment_parent>", "<wp:comment_parent>109</wp:comment_parent>");
    let mut bytes = text.into_bytes();
    let at = bytes.iter().position(|b| *b == 1).unwrap();
    bytes[at] = 0xE9;
    let file = dir.path().join("messy.xml");
    std::fs::write(&file, bytes).unwrap();

    let run = hewn(&db_of(&dir), &["import", "wordpress", file.to_str().unwrap()]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("1 byte sequences that were not valid UTF-8 replaced with \u{fffd}"), "{}", run.stdout);
    assert!(run.stdout.contains("1 reply chains that looped, cut"), "{}", run.stdout);
    let app = serve(dir).await;
    let (status, body) = app.get_text(POST).await;
    assert_eq!(status, 200);
    assert!(body.contains("Very interesting\u{fffd}!"), "{body}");
    let authors = texts(&html(&body), "[data-test=comment-author]");
    assert!(authors.contains(&"Lost Reply".to_owned()) && authors.contains(&"Deep Thinker".to_owned()), "{authors:?}");
}

#[tokio::test]
async fn an_import_stopped_half_way_leaves_the_database_and_the_folder_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let before = snapshot(&db_of(&dir)).await;
    let file = dir.path().join("big.xml");
    std::fs::write(&file, generated_export(200, 150)).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(["import", "wordpress", file.to_str().unwrap(), "--database-url", &db_of(&dir)])
        .env("HEWN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Beside the SQLite file, or in the temporary directory on PostgreSQL.
    let pid = child.id();
    let staging = || {
        let named = |d: &Path, part: &str| {
            std::fs::read_dir(d).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(part))
        };
        named(dir.path(), ".import-") || named(&std::env::temp_dir(), &format!("hewn-import-{pid}-"))
    };
    let waiting = Instant::now();
    while !staging() {
        assert!(waiting.elapsed() < Duration::from_secs(30), "the import never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted: the import was stopped"));
    assert!(!staging(), "the staging files are removed");
    assert_eq!(snapshot(&db_of(&dir)).await, before);
}

#[tokio::test]
async fn posts_an_import_is_still_writing_show_nowhere() {
    let app = crate::admin::support::admin_app().await;
    let now = hewn::domain::now();
    let year = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
    for sql in [
        format!(
            "insert into posts (id, kind, slug, title, source, source_format, body_html, status, author_name, \
               published_at, updated_at, created_at) \
             values (9000, 'post', 'hidden-quagga', 'Quagga stripes', '<p>Striped</p>', 'html', '<p>Striped</p>', \
               'importing', 'Importer', {t}, {now}, {now})",
            t = now - 60
        ),
        "insert into tags (slug, name) values ('quagga', 'Quagga')".to_owned(),
        "insert into post_tags (post_id, tag_id) select 9000, id from tags where slug = 'quagga'".to_owned(),
        format!(
            "insert into comments (id, post_id, author_name, body, body_html, status, created_at) \
             values (9000, 9000, 'Quagga fan', 'Stripes!', '<p>Stripes!</p>', 'approved', {now})"
        ),
    ] {
        crate::admin::support::run_sql(&app, &sql).await;
    }

    for path in ["/posts/hidden-quagga", "/hidden-quagga"] {
        assert_not_found!(app.get(path).await, "{path}");
    }
    let pages = [
        "/".to_owned(),
        "/sitemap.xml".to_owned(),
        "/feed.xml".to_owned(),
        "/rss.xml".to_owned(),
        "/comments/feed.xml".to_owned(),
        "/tags".to_owned(),
        "/tags/quagga".to_owned(),
        "/tags/quagga/feed.xml".to_owned(),
        "/search?q=stripes".to_owned(),
        "/archive".to_owned(),
        format!("/archive/{year}"),
        "/admin".to_owned(),
        "/admin/comments?status=all".to_owned(),
        "/admin/comments?status=approved".to_owned(),
        "/admin/posts".to_owned(),
        "/admin/posts?view=published".to_owned(),
    ];
    for path in &pages {
        let (status, body) = app.get_text(path).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
        for hidden in ["Quagga stripes", "hidden-quagga", "Quagga fan", "Stripes!"] {
            assert!(!body.contains(hidden), "{path} shows {hidden:?}:\n{body}");
        }
    }
    let counts = hewn::store::moderation::counts(&app.store).await.unwrap();
    assert_eq!(counts.approved, 2, "the demo post's two comments, not the hidden post's");
}

#[tokio::test]
async fn a_slug_the_site_takes_while_the_import_writes_sends_it_back_to_plan_again() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let db = db_of(&dir);
    let child = import_caught_writing(&db, &dir.path().join("big.xml"), 400).await;

    // The editor saves a post under the slug the import gave its last post.
    let mut conn = TestDb::open(&db).await;
    let now = hewn::domain::now();
    conn.exec(
        "insert into posts (kind, slug, title, source, body_html, status, published_at, updated_at, created_at) \
         values ('post', 'busy-399', 'Written meanwhile', 'Mine', '<p>Mine</p>', 'published', $1, $1, $1)",
        &[now.into()],
    )
    .await;
    conn.close().await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("posts:     400 new"), "{stdout}");
    assert!(stdout.contains("because theirs was taken"), "the summary reports the new slug: {stdout}");
    let mut conn = open(&db).await;
    let slugs: Vec<(String, String)> =
        conn.rows("select slug, title from posts where slug like 'busy-399%' order by slug", &[]).await;
    assert_eq!(
        slugs,
        [("busy-399".to_owned(), "Written meanwhile".to_owned()), ("busy-399-2".to_owned(), "Post 399".to_owned())]
    );
    let hidden: i64 = conn.scalar("select count(*) from posts where status = 'importing'", &[]).await;
    assert_eq!(hidden, 0);
    let comments: i64 = conn
        .scalar(
            "select count(*) from comments c join posts p on p.id = c.post_id \
         where p.slug like 'busy-%'",
            &[],
        )
        .await;
    assert_eq!(comments, 60_000);
}

//! `hewn import disqus`: a Disqus export's comments on the posts a WordPress import
//! brought, threaded, in their statuses, once; and the files it refuses.

use super::{db_of, fixture, hewn, import, open, serve, snapshot};
use crate::helpers::html;

const POST: &str = "/posts/year-of-the-stakhanovite";

/// Every email address the Disqus fixture holds.
const EMAILS: [&str; 12] = [
    "owner@old.example.com",
    "early.bird@disqus.example",
    "dora.disqus@disqus.example",
    "reply.rita@disqus.example",
    "deep.dan@disqus.example",
    "pills@spam.example",
    "regret@disqus.example",
    "abby.about@disqus.example",
    "tom.team@disqus.example",
    "masha@disqus.example",
    "lost.one@disqus.example",
    "lost.two@disqus.example",
];

/// Runs `hewn import disqus` on a fixture against the directory's database.
fn import_disqus(dir: &tempfile::TempDir, name: &str, extra: &[&str]) -> super::Run {
    let file = fixture(name);
    let mut args = vec!["import", "disqus", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    hewn(&db_of(dir), &args)
}

/// Each comment of a page as (author, author of the comment it replies to).
fn threads(body: &str) -> Vec<(String, Option<String>)> {
    let doc = html(body);
    let comment = scraper::Selector::parse("li[data-test=comment]").unwrap();
    let author = scraper::Selector::parse("[data-test=comment-author]").unwrap();
    let name = |li: scraper::ElementRef<'_>| {
        li.select(&author).next().map(|a| a.text().collect::<String>().trim().to_owned()).unwrap_or_default()
    };
    doc.select(&comment)
        .map(|li| {
            let parent = li
                .ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .find(|e| e.value().name() == "li" && e.value().attr("data-test") == Some("comment"));
            (name(li), parent.map(name))
        })
        .collect()
}

#[tokio::test]
async fn disqus_comments_land_on_their_posts_threaded_and_no_email_shows() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);

    let run = import_disqus(&dir, "disqus.xml", &[]);

    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("threads:   4 matched to posts here"), "{}", run.stdout);
    assert!(run.stdout.contains("9 new (7 approved, 1 spam, 1 trash)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("line 67: https://old.example.com/2012/01/01/a-post-that-never-moved/ (2 comments)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("no-comments-here"), "a thread without comments is no loss:\n{}", run.stdout);
    let mut conn = open(&db_of(&dir)).await;
    let rows: Vec<(i64, String, i64)> = conn
        .rows("select disqus_id, status, created_at from comments where disqus_id is not null order by disqus_id", &[])
        .await;
    let placed: Vec<(i64, String, String)> = conn
        .rows(
            "select c.disqus_id, p.slug, c.body_html from comments c join posts p on p.id = c.post_id \
         where c.disqus_id > 8200 order by c.disqus_id",
            &[],
        )
        .await;
    let app = serve(dir).await;

    let statuses: Vec<(i64, &str)> = rows.iter().map(|(id, s, _)| (*id, s.as_str())).collect();
    assert_eq!(
        statuses,
        [
            (8101, "approved"),
            (8102, "approved"),
            (8103, "approved"),
            (8104, "spam"),
            (8105, "approved"),
            (8106, "trash"),
            (8201, "approved"),
            (8301, "approved"),
            (8401, "approved")
        ]
    );
    assert_eq!(rows[0].2, 1_381_694_460, "2013-10-13T20:01:00Z");
    let (status, body) = app.get_text(POST).await;
    assert_eq!(status, 200);
    let thread = threads(&body);
    for (author, parent) in [
        ("Dora Disqus", None),
        ("Reply Rita", Some("Dora Disqus")),
        ("Deep Dan", Some("Reply Rita")),
        ("Early Bird", Some("Dora Disqus")),
    ] {
        assert!(
            thread.contains(&(author.to_owned(), parent.map(str::to_owned))),
            "{author} under {parent:?} in {thread:?}"
        );
    }
    assert!(body.contains("Stakhanov’s record still <b>stands</b> &amp; inspires."), "{body}");
    for hidden in ["Spammy Sam", "Regretful Rob", "I take it back"] {
        assert!(!body.contains(hidden), "{hidden} must not show");
    }
    // Pages show no comments; theirs are stored on them all the same.
    let (status, body) = app.get_text("/posts/moskva-zimoi").await;
    assert_eq!(status, 200);
    assert_eq!(threads(&body), [("Маша".to_owned(), None)]);
    assert_eq!(
        placed,
        [
            (
                8201,
                "about".to_owned(),
                "<p>Nice about page.</p>\n<p><a rel=\"nofollow ugc noopener\">click</a></p>".to_owned()
            ),
            (8301, "team".to_owned(), "<p>Hello team.</p>".to_owned()),
            (8401, "moskva-zimoi".to_owned(), "<p>Очень красиво зимой.</p>".to_owned())
        ]
    );
    for path in [
        POST,
        "/about",
        "/team",
        "/posts/moskva-zimoi",
        "/",
        "/feed.xml",
        "/rss.xml",
        "/comments/feed.xml",
        "/posts/year-of-the-stakhanovite/comments.xml",
        "/search?q=Dora",
        "/sitemap.xml",
    ] {
        let (_, body) = app.get_text(path).await;
        for email in EMAILS {
            assert!(!body.contains(email), "{email} on {path}");
        }
    }
}

#[tokio::test]
async fn importing_the_same_disqus_export_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    assert!(import_disqus(&dir, "disqus.xml", &[]).success);
    let before = snapshot(&db_of(&dir)).await;

    let again = import_disqus(&dir, "disqus.xml", &[]);

    assert!(again.success, "{}", again.stderr);
    assert_eq!(snapshot(&db_of(&dir)).await, before);
    assert!(again.stdout.contains("9 already here"), "{}", again.stdout);
    assert!(again.stdout.contains("Nothing new: the database was not changed."), "{}", again.stdout);
}

#[tokio::test]
async fn a_disqus_dry_run_reports_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let before = snapshot(&db_of(&dir)).await;

    let run = import_disqus(&dir, "disqus.xml", &["--dry-run"]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.starts_with("Would import from a Disqus export (6 threads)"), "{}", run.stdout);
    assert!(run.stdout.contains("9 new"), "{}", run.stdout);
    assert_eq!(snapshot(&db_of(&dir)).await, before);
}

#[tokio::test]
async fn a_disqus_export_with_defects_imports_what_it_can_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);

    let run = import_disqus(&dir, "disqus-odd.xml", &[]);

    assert!(run.success, "{}", run.stderr);
    for said in [
        "1 comments without a Disqus id (dsq:id) (line 11)",
        "1 comments that name no thread (line 18)",
        "1 comments that appear twice in the file (the first is kept) (line 31)",
        "1 comments without a readable time, dated now (line 24)",
        "1 comments of threads the file does not have, left out",
    ] {
        assert!(run.stdout.contains(said), "{said} in\n{}", run.stdout);
    }
    let mut conn = open(&db_of(&dir)).await;
    let kept: Vec<String> = conn.column("select body from comments where disqus_id is not null", &[]).await;
    assert_eq!(kept, ["<p>Said once.</p>"]);
}

#[tokio::test]
async fn a_file_that_is_not_a_disqus_export_is_refused_naming_it_and_changing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let before = snapshot(&db_of(&dir)).await;

    for (name, expected) in [
        (
            "site-1.2.xml",
            "site-1.2.xml: line 4: this is not a Disqus comments export: its root element is <rss> where <disqus> \
             was expected; if it is a WordPress export, import it with `hewn import wordpress FILE`; nothing was imported",
        ),
        ("disqus-truncated.xml", "disqus-truncated.xml: line 127: "),
    ] {
        let run = import_disqus(&dir, name, &[]);
        assert!(!run.success, "{name}");
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert_eq!(snapshot(&db_of(&dir)).await, before, "{name}");
    }
    let run = hewn(&db_of(&dir), &["import", "wordpress", fixture("disqus.xml").to_str().unwrap()]);
    assert!(!run.success);
    assert!(
        run.stderr.contains("disqus.xml: line 4: this is not a WordPress export (WXR) file: its root element is <disqus> where <rss> was expected; it is a Disqus comments export: import it with `hewn import disqus FILE`; nothing was imported"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&db_of(&dir)).await, before);
}

#[tokio::test]
async fn comments_disqus_synced_into_wordpress_are_not_imported_twice() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    // Disqus's WordPress plugin copies each comment into WordPress with its Disqus id.
    let wxr = super::formats::wxr(
        "https://wordpress.org/export/1.2/",
        "<item><title>Year</title><link>https://old.example.com/2013/10/12/year-of-the-stakhanovite/</link>\
         <content:encoded><![CDATA[Body]]></content:encoded><wp:post_id>10</wp:post_id>\
         <wp:post_date_gmt>2013-10-12 09:00:00</wp:post_date_gmt><wp:post_name>year-of-the-stakhanovite</wp:post_name>\
         <wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\
         <wp:comment><wp:comment_id>500</wp:comment_id><wp:comment_author>Dora Disqus</wp:comment_author>\
         <wp:comment_author_email>dora.disqus@disqus.example</wp:comment_author_email>\
         <wp:comment_content>Stakhanov's record still stands.</wp:comment_content><wp:comment_approved>1</wp:comment_approved>\
         <wp:comment_date_gmt>2013-10-13 20:01:00</wp:comment_date_gmt><wp:comment_parent>0</wp:comment_parent>\
         <wp:commentmeta><wp:meta_key>dsq_post_id</wp:meta_key><wp:meta_value>8101</wp:meta_value></wp:commentmeta>\
         </wp:comment></item>",
    );
    let file = super::formats::write(files.path(), "synced.xml", &wxr);
    super::import_file(&dir, &file, &[]);

    let run = import_disqus(&dir, "disqus.xml", &[]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("1 already here"), "{}", run.stdout);
    let app = serve(dir).await;
    let (_, body) = app.get_text(POST).await;
    let thread = threads(&body);
    assert_eq!(thread.iter().filter(|(author, _)| author == "Dora Disqus").count(), 1, "{thread:?}");
    assert!(thread.contains(&("Reply Rita".to_owned(), Some("Dora Disqus".to_owned()))), "{thread:?}");
}

#[tokio::test]
async fn a_thread_links_to_a_blog_that_lived_under_a_path_or_names_its_post_by_query() {
    // Neither link's last segment is a slug here: only the old links (relative to the
    // blog's path) and the `?p=` id can place these comments.
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let item = |id: u32, slug: &str| {
        format!(
            "<item><title>Post {id}</title><link>https://old.example/blog/2015/05/0{id}/{slug}/</link>\
             <content:encoded><![CDATA[Body {id}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
             <wp:post_date_gmt>2015-05-0{id} 09:00:00</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\
             <wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value>old-{slug}</wp:meta_value></wp:postmeta></item>"
        )
    };
    let wxr =
        super::formats::wxr("http://wordpress.org/export/1.2/", &(item(1, "first-light") + &item(2, "second-wind")))
            .replace(
                "<wp:base_blog_url>https://old.example</wp:base_blog_url>",
                "<wp:base_blog_url>https://old.example/blog</wp:base_blog_url>",
            );
    super::import_file(&dir, &super::formats::write(files.path(), "blog.xml", &wxr), &[]);
    let disqus = r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="1"><id>custom-identifier</id><link>https://old.example/blog/old-first-light/</link></thread>
  <thread dsq:id="2"><id></id><link>https://old.example/blog/?p=2</link></thread>
  <post dsq:id="11"><message><![CDATA[<p>On the first.</p>]]></message><createdAt>2015-05-02T10:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>Una</name></author><thread dsq:id="1"/></post>
  <post dsq:id="12"><message><![CDATA[<p>On the second.</p>]]></message><createdAt>2015-05-03T10:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>Dos</name></author><thread dsq:id="2"/></post>
</disqus>"#;
    let file = super::formats::write(files.path(), "blog-disqus.xml", disqus);

    let run = hewn(&db_of(&dir), &["import", "disqus", file.to_str().unwrap()]);

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("threads:   2 matched to posts here"), "{}", run.stdout);
    let app = serve(dir).await;
    for (path, author) in [("/posts/first-light", "Una"), ("/posts/second-wind", "Dos")] {
        let (_, body) = app.get_text(path).await;
        assert_eq!(threads(&body), [(author.to_owned(), None)], "{path}");
    }
}

//! The reading blog: index, post page, errors, health, lifecycle and HTTP layers.

use std::time::Duration;

use axum::routing::get;
use hewn::store::{comments, posts, settings};

use crate::helpers::{Binary, Spawn, html, spawn_app, spawn_with, texts};

const DEMO: &str = "/posts/year-of-the-stakhanovite";

/// The reference post's paragraphs, as its text reads on the page.
const PARAGRAPHS: [&str; 8] = [
    "Long Live the Stalinist Order of Heroes and Stakhanovites!",
    "Arguably one of the most celebrated individual feats of the thirties for the Soviet Union came in the field of the material production in 1935, also known as “The Year of the Stakhanovite”. Gregory Freeze notes in his book Russia: A History, how Aleksei Stakhanov, a Donbas coal-miner, hewed 102 tons of coal which was more than fourteen times the norm for a six hour shift.",
    "This movement was known as the Stakhanovite Movement and even resulted in a Conference of Stakhanovites where outstanding workers ” recount how, defying their quotas and often the skepticism of their workmates and bosses, they applied new techniques of production to achieve stupendous results” (Seventeen Moments in Soviet History).",
    "It’s important to note however, that Stakhanovites were not necessarily popular.",
    "Overall, the Stakhanovite movement cannot be regarded as an ordinary movement of working men and women in Soviet history, but one that would go down in the history of Socialist construction as a complex phenomenon.",
    "Image: Dawn Ades, Tim Benton, David Elliot, Iain Boyd Whyte, eds.: Art and Power: Europe under the Dictators 1930-45. London: The South Bank Centre. 1995.",
    "Freeze, Gregory L. “Chapter 11, Building Stalinism.” Russia: A History. Oxford: Oxford UP, 1997. 363. Print.",
    "Seventeen Moments in Soviet History",
];

fn new_comment<'a>(
    post_id: i64,
    parent: Option<i64>,
    name: &'a str,
    body: &'a str,
    status: &'a str,
) -> comments::NewComment<'a> {
    comments::NewComment {
        post_id,
        parent_id: parent,
        kind: hewn::domain::status::CommentKind::Comment,
        author_name: name,
        author_email: "someone@example.com",
        author_url: "",
        user_id: None,
        body,
        body_html: body,
        status: status.parse().unwrap(),
        rule: "test",
        author_ip: "127.0.0.1",
        user_agent: "test",
        created_at: 1_400_000_000,
    }
}

fn new_post<'a>(slug: &'a str, title: &'a str, status: &'a str, published_at: i64) -> posts::NewPost<'a> {
    posts::NewPost {
        kind: hewn::domain::status::PostKind::Post,
        slug,
        title,
        source: "Body",
        source_format: "markdown",
        body_html: "<p>Body</p>",
        excerpt: "Body",
        status: status.parse().unwrap(),
        author_name: "",
        author_id: None,
        menu_order: 0,
        comments_open: true,
        published_at: Some(published_at),
        now: published_at,
    }
}

async fn demo_post_id(app: &crate::helpers::TestApp) -> i64 {
    posts::visible_by_slug(&app.store, hewn::domain::now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id
}

#[tokio::test]
async fn index_lists_the_reference_post_with_its_comment_count() {
    let app = spawn_app().await;

    let (status, body) = app.get_text("/").await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "[data-test=post-summary] .entry-title"), ["Year of the Stakhanovite"]);
    assert_eq!(texts(&doc, "[data-test=post-summary] time"), ["12 October, 2013"]);
    assert!(body.contains(r#"href="/posts/year-of-the-stakhanovite#comments">2 comments</a>"#), "{body}");
    assert!(texts(&doc, ".entry-excerpt")[0].starts_with("Long Live the Stalinist Order"));
}

#[tokio::test]
async fn post_page_reproduces_the_reference_page() {
    let app = spawn_app().await;

    let (status, body) = app.get_text(DEMO).await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1.entry-title"), ["Year of the Stakhanovite"]);
    let content = texts(&doc, ".entry-content").join(" ");
    for paragraph in PARAGRAPHS {
        assert!(content.contains(paragraph), "missing paragraph: {paragraph}\n\n{content}");
    }
    assert_eq!(texts(&doc, "#comments-title"), ["2 comments for “Year of the Stakhanovite”"]);
    assert_eq!(texts(&doc, "[data-test=comment-author]"), ["B. Knickerbocker", "Anonymous"]);
    assert_eq!(texts(&doc, "[data-test=comment-date]"), ["13 October, 2013 at 8:01 pm", "16 October, 2013 at 6:08 pm"]);
    let comment_text = texts(&doc, "[data-test=comment] .comment-content");
    assert!(
        comment_text[0]
            .ends_with("I wonder if these Stakhanovites actually hurt the socialist effort in Russia? Great post.")
    );
    assert_eq!(
        comment_text[1],
        "I like how this post examines the challenges of incorporating hierarchies and incentives into the socialist project. Nicely done!"
    );
    assert_eq!(doc.select(&scraper::Selector::parse("ol.comment-list > li[id^=comment-]").unwrap()).count(), 2);
    assert!(body.contains("<title>Year of the Stakhanovite – hewn</title>"));
}

#[tokio::test]
async fn pending_spam_and_trashed_comments_never_appear() {
    let app = spawn_app().await;
    let post_id = demo_post_id(&app).await;
    for (name, status) in [("Pending Person", "pending"), ("Spam Person", "spam"), ("Trash Person", "trash")] {
        comments::insert(&app.store, &new_comment(post_id, None, name, "<p>hidden words</p>", status)).await.unwrap();
    }

    let (_, body) = app.get_text(DEMO).await;
    let (_, index) = app.get_text("/").await;

    assert!(!body.contains("Person"), "{body}");
    assert!(!body.contains("hidden words"));
    assert!(body.contains("2 comments for"));
    assert!(index.contains(">2 comments</a>"));
}

#[tokio::test]
async fn replies_render_nested_under_their_parent() {
    let app = spawn_app().await;
    let post_id = demo_post_id(&app).await;
    let parent =
        comments::insert(&app.store, &new_comment(post_id, None, "Parent", "<p>top</p>", "approved")).await.unwrap();
    let child = comments::insert(&app.store, &new_comment(post_id, Some(parent), "Child", "<p>reply</p>", "approved"))
        .await
        .unwrap();

    let (_, body) = app.get_text(DEMO).await;

    let doc = html(&body);
    let nested = format!("li#comment-{parent} > ol.children > li#comment-{child}");
    assert_eq!(doc.select(&scraper::Selector::parse(&nested).unwrap()).count(), 1, "{body}");
    assert_eq!(texts(&doc, "#comments-title"), ["4 comments for “Year of the Stakhanovite”"]);
}

#[tokio::test]
async fn comment_dates_follow_the_site_time_zone_and_formats() {
    let app = spawn_app().await;
    settings::put(&app.store, "timezone", "Europe/London").await.unwrap();
    settings::put(&app.store, "date_format", "Y-m-d").await.unwrap();

    let (_, body) = app.get_text(DEMO).await;

    assert_eq!(texts(&html(&body), "[data-test=comment-date]")[0], "2013-10-13 at 9:01 pm");
}

#[tokio::test]
async fn unknown_pages_get_the_404_page_in_the_site_layout() {
    let app = spawn_app().await;

    for path in ["/no-such-page", "/posts/no-such-post", "/posts/%E2%9C%93", "/?page=2"] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 404, "{path}");
        let doc = html(&body);
        assert_eq!(texts(&doc, "#site-title"), ["hewn"], "{path}");
        assert_eq!(texts(&doc, "[data-test=error] h1"), ["Page not found"], "{path}");
    }
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let app = spawn_app().await;

    let r = app.client.delete(app.url(DEMO)).send().await.unwrap();

    assert_eq!(r.status(), 405);
    assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("does not accept that kind of request"));
}

#[tokio::test]
async fn bad_page_numbers_get_a_clear_400() {
    let app = spawn_app().await;

    for q in ["/?page=abc", "/?page=0", "/?page=-1", "/?page=99999999999999999999999"] {
        let (status, body) = app.get_text(q).await;
        assert_eq!(status, 400, "{q}");
        assert!(body.contains("page number must be a whole number"), "{q}: {body}");
    }
}

#[tokio::test]
async fn index_paginates_with_previous_and_next_links() {
    let app = spawn_app().await;
    settings::put(&app.store, "posts_per_page", "1").await.unwrap();
    posts::insert(&app.store, &new_post("newer", "A newer post", "published", 1_500_000_000)).await.unwrap();

    let (_, first) = app.get_text("/").await;
    let (status, second) = app.get_text("/?page=2").await;
    let (past_end, _) = app.get_text("/?page=3").await;

    assert_eq!(texts(&html(&first), "[data-test=post-summary] .entry-title"), ["A newer post"]);
    assert!(first.contains(r#"rel="next" href="/?page=2""#), "{first}");
    assert_eq!(status, 200);
    assert_eq!(texts(&html(&second), "[data-test=post-summary] .entry-title"), ["Year of the Stakhanovite"]);
    assert!(second.contains(r#"rel="prev" href="/""#), "{second}");
    assert_eq!(past_end, 404);
}

#[tokio::test]
async fn drafts_and_future_scheduled_posts_are_hidden_until_due() {
    let app = spawn_app().await;
    let now = hewn::domain::now();
    posts::insert(&app.store, &new_post("draft", "Draft", "draft", now - 10)).await.unwrap();
    posts::insert(&app.store, &new_post("later", "Later", "scheduled", now + 3600)).await.unwrap();
    posts::insert(&app.store, &new_post("due", "Due", "scheduled", now - 1)).await.unwrap();

    assert_eq!(app.get_text("/posts/draft").await.0, 404);
    assert_eq!(app.get_text("/posts/later").await.0, 404);
    assert_eq!(app.get_text("/posts/due").await.0, 200);
    let (_, index) = app.get_text("/").await;
    assert_eq!(texts(&html(&index), "[data-test=post-summary] .entry-title"), ["Due", "Year of the Stakhanovite"]);
}

#[tokio::test]
async fn trailing_slash_redirects_to_the_canonical_url() {
    let app = spawn_app().await;

    let r = app.get("/posts/year-of-the-stakhanovite/").await;
    let odd = app.get("/posts/caf%C3%A9%20x/").await;

    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], DEMO);
    assert_eq!(odd.status(), 301);
    assert_eq!(odd.headers()["location"], "/posts/caf%C3%A9%20x");
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = spawn_app().await;

    let ok = app.get("/healthz").await.status();
    app.store.close().await;
    let down = app.get("/healthz").await.status();

    assert_eq!(ok, 200);
    assert_eq!(down, 503);
}

#[tokio::test]
async fn a_panicking_handler_becomes_the_500_page() {
    async fn boom() -> &'static str {
        panic!("deliberate test panic")
    }
    let app =
        spawn_with(Spawn { extra: Some(axum::Router::new().route("/boom", get(boom))), ..Spawn::default() }).await;

    let (status, body) = app.get_text("/boom").await;

    assert_eq!(status, 500);
    assert!(body.contains("Something went wrong"), "{body}");
    assert!(!body.contains("deliberate"), "the panic text must not reach the reader");
    assert_eq!(app.get("/").await.status(), 200, "the server keeps serving");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;

    for path in ["/", DEMO, "/missing", "/static/style.css", "/healthz"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn pages_are_compressed_when_asked() {
    let app = spawn_app().await;

    for encoding in ["gzip", "br"] {
        let r = app.client.get(app.url(DEMO)).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], encoding);
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;

    let r = app.client.head(app.url(DEMO)).send().await.unwrap();

    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;

    let r = app.client.post(app.url("/")).body(vec![b'a'; hewn::app::BODY_LIMIT + 1]).send().await.unwrap();

    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("too large"));
}

#[tokio::test]
async fn static_files_are_cached_by_fingerprint_or_validated() {
    let app = spawn_app().await;
    let (_, page) = app.get_text("/").await;
    let href = page.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    let fingerprinted = app.get(&href).await;
    let plain = app.get("/static/style.css").await;

    assert!(href.starts_with("/static/style.") && href != "/static/style.css", "{href}");
    assert_eq!(fingerprinted.status(), 200);
    assert!(fingerprinted.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = plain.headers()["etag"].clone();
    assert!(plain.headers()["cache-control"].to_str().unwrap().contains("must-revalidate"));
    let revalidated = app.client.get(app.url("/static/style.css")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
    assert_eq!(app.get("/favicon.ico").await.headers()["content-type"], "image/x-icon");
}

#[tokio::test]
async fn restarting_keeps_the_data_and_never_duplicates_the_demo() {
    let app = spawn_app().await;
    let post_id = demo_post_id(&app).await;
    comments::insert(&app.store, &new_comment(post_id, None, "Kept", "<p>still here</p>", "approved")).await.unwrap();
    let dir = app.stop().await;

    let app = spawn_with(Spawn { dir: Some(dir), ..Spawn::default() }).await;
    let (_, index) = app.get_text("/").await;
    let (_, post) = app.get_text(DEMO).await;

    assert_eq!(texts(&html(&index), "[data-test=post-summary]").len(), 1);
    assert!(post.contains("still here"));
    assert!(post.contains("3 comments for"));
}

#[tokio::test]
async fn no_demo_starts_an_empty_blog_for_good() {
    let app = spawn_with(Spawn { no_demo: true, ..Spawn::default() }).await;
    let (_, empty) = app.get_text("/").await;
    let dir = app.stop().await;
    let app = spawn_with(Spawn { dir: Some(dir), ..Spawn::default() }).await;
    let (_, still_empty) = app.get_text("/").await;

    assert!(empty.contains("No posts yet."));
    assert!(still_empty.contains("No posts yet."), "the demo is decided once, on the first start");
}

#[tokio::test]
async fn the_binary_migrates_serves_logs_to_stderr_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("blog.db");
    let url = format!("sqlite://{}", db.display());
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
            .args(["migrate", "--database-url", &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "standard output stays clean");
    }

    let mut server = Binary::start(&db, &[]).await;
    let index = crate::helpers::client().get(format!("{}/", server.base)).send().await.unwrap().text().await.unwrap();
    server.signal("TERM");
    let code = server.wait_exit(Duration::from_secs(10)).await;

    assert_eq!(texts(&html(&index), "[data-test=post-summary]").len(), 1, "two migrations, one demo post");
    assert_eq!(code, Some(0));
    let log = server.log();
    assert!(log.contains(&format!("listening on {}/", server.base)), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}

#[tokio::test]
async fn the_database_is_a_plain_sqlite_file_in_wal_mode() {
    use sqlx::Connection;
    let app = spawn_app().await;
    let path = app.db_path.clone();
    let _dir = app.stop().await;

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let mode: String = sqlx::query_scalar("pragma journal_mode").fetch_one(&mut conn).await.unwrap();
    let check: String = sqlx::query_scalar("pragma integrity_check").fetch_one(&mut conn).await.unwrap();
    let posts: i64 = sqlx::query_scalar("select count(*) from posts").fetch_one(&mut conn).await.unwrap();

    assert!(std::fs::read(&path).unwrap().starts_with(b"SQLite format 3\0"));
    assert_eq!((mode.as_str(), check.as_str(), posts), ("wal", "ok", 1));
}

#[tokio::test]
async fn tags_attach_to_posts_and_collapse_duplicates() {
    let app = spawn_app().await;
    let post_id = demo_post_id(&app).await;

    hewn::store::tags::set_for_post(&app.store, post_id, &["Soviet History", "soviet history", "Labour", "  ", "!!"])
        .await
        .unwrap();
    let tags = hewn::store::tags::for_post(&app.store, post_id).await.unwrap();

    let names: Vec<(&str, &str)> = tags.iter().map(|t| (t.slug.as_str(), t.name.as_str())).collect();
    assert_eq!(names, [("labour", "Labour"), ("soviet-history", "Soviet History")]);
}

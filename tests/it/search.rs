//! Search: full text over titles, bodies and tags, ranked, highlighted, paginated,
//! kept in sync with every write, and unbreakable by any query.

use hewn::domain::percent::component as query_value;
use hewn::store::settings;

use crate::assert::{assert_not_found, assert_status};
use crate::corpus::{demo_id, execute};
use crate::db::TestDb;
use crate::helpers::{TestApp, html, spawn_app, texts};

/// The result titles of a search, in order.
async fn titles(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/search?q={}", query_value(query))).await;
    let r = assert_status!(r, 200, "{query}");
    texts(&html(&r.body), "[data-test=search-result] .entry-title")
}

#[tokio::test]
async fn search_finds_the_demo_post_by_coal_with_a_highlighted_snippet() {
    let app = spawn_app().await;

    let (status, body) = app.get_text("/search?q=coal").await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "[data-test=search-result] .entry-title"), ["Year of the Stakhanovite"]);
    assert_eq!(texts(&doc, "[data-test=count]"), ["1 result"]);
    let snippet = doc.select(&scraper::Selector::parse("[data-test=snippet]").unwrap()).next().unwrap().inner_html();
    assert!(snippet.contains("Donbas <mark>coal</mark>-miner"), "{snippet}");
    assert!(body.contains(r#"<meta name="robots" content="noindex, follow">"#));
    assert!(body.contains(r#"name="q" value="coal""#), "the search box keeps the query");
}

#[tokio::test]
async fn titles_rank_above_bodies_and_tags_are_searched() {
    let app = spawn_app().await;
    app.post().title("Notes").slug("b").body("A word about turbines.").create().await;
    app.post().title("Turbines").slug("t").body("Nothing else.").create().await;
    app.post().title("Tagged").slug("g").body("Plain.").tag("Hydroelectric").create().await;

    assert_eq!(titles(&app, "turbines").await, ["Turbines", "Notes"]);
    assert_eq!(titles(&app, "hydroelectric").await, ["Tagged"]);
    assert_eq!(titles(&app, "hydro").await, ["Tagged"], "words match by their beginning");
}

#[tokio::test]
async fn phrases_exclusions_case_and_accents_work_as_readers_expect() {
    let app = spawn_app().await;
    app.post().title("Café culture").slug("cafe").body("Strong coffee in Paris.").create().await;
    app.post().title("Tea").slug("tea").body("Coffee is strong; tea is not.").create().await;

    assert_eq!(titles(&app, "CAFE").await, ["Café culture"]);
    assert_eq!(titles(&app, "\"strong coffee\"").await, ["Café culture"]);
    assert_eq!(titles(&app, "coffee -paris").await, ["Tea"]);
    assert_eq!(titles(&app, "coffee strong").await.len(), 2);
}

#[tokio::test]
async fn a_very_long_body_is_searched_in_its_first_256_ki_characters() {
    let app = spawn_app().await;
    // 200,000 characters (300,000 bytes: "é" is two) before "turbine", 400,000 before
    // "windmill": the bound counts characters.
    let filler = "é ".repeat(100_000);
    let body = format!("Opening. {filler}A turbine. {filler}Closing windmill.");
    app.post().title("Marathon read").slug("long").body(&body).create().await;
    app.post().title("Short read").slug("short").body("A windmill, briefly.").create().await;

    assert_eq!(titles(&app, "turbine").await, ["Marathon read"]);
    assert_eq!(titles(&app, "windmill").await, ["Short read"], "words past the bound are not indexed");
    assert_eq!(titles(&app, "marathon").await, ["Marathon read"], "the title is indexed whole");
}

#[tokio::test]
async fn hostile_queries_answer_a_normal_page() {
    let app = spawn_app().await;
    let long = "coal ".repeat(2_000);
    let queries = [
        "\"",
        "\"\"\"",
        "coal\"",
        "(",
        "((coal",
        ")",
        "coal AND",
        "OR",
        "NOT coal",
        "coal NOT",
        "NEAR(coal miner, 2)",
        "title:coal",
        "{title body}: coal",
        "^coal",
        "coal*",
        "*",
        "-",
        "--",
        "'; drop table posts; --",
        "\u{0}",
        "%",
        "🙂 emoji",
        "",
        "   ",
        long.as_str(),
    ];
    for q in queries {
        let r = app.get(&format!("/search?q={}", query_value(q))).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "{q:?}: {body}");
        assert_eq!(texts(&html(&body), "#site-title"), ["hewn"], "{q:?}");
    }
    // Raw query strings that no form would send.
    for raw in ["q=%FF%FE", "q=%", "q=%zz", "q=a&q=b", "q", "q=coal&page=", "x=1", "q=coal&&&", "q=%E2%82"] {
        let (status, body) = app.get_text(&format!("/search?{raw}")).await;
        assert_eq!(status, 200, "{raw}: {body}");
    }
    let (_, still_there) = app.get_text("/search?q=coal").await;
    assert!(still_there.contains("1 result"), "the table survived");
    let (status, _) = app.get_text(&format!("/search?q={}", "x".repeat(10_000))).await;
    assert_eq!(status, 200, "10,000 characters");
}

#[tokio::test]
async fn an_empty_search_explains_what_to_do() {
    let app = spawn_app().await;

    let (status, body) = app.get_text("/search").await;
    let (_, nothing) = app.get_text("/search?q=zzzqqq").await;

    assert_eq!(status, 200);
    assert!(body.contains("Type one or more words"), "{body}");
    assert!(texts(&html(&nothing), "[data-test=no-results]")[0].contains("Nothing matched"));
}

#[tokio::test]
async fn search_results_are_paginated_and_keep_the_query() {
    let app = spawn_app().await;
    settings::put(&app.store, "posts_per_page", "2").await.unwrap();
    for i in 0..5 {
        let slug = format!("widget-{i}");
        let title = format!("Widget {i}");
        app.post().title(&title).slug(&slug).at(1_500_000_000 + i).create().await;
    }

    let (_, first) = app.get_text("/search?q=widget+%26").await;
    let (status, third) = app.get_text("/search?q=widget+%26&page=3").await;
    let past = app.get("/search?q=widget&page=4").await;
    let bad = app.get("/search?q=widget&page=x").await;

    let doc = html(&first);
    assert_eq!(texts(&doc, "[data-test=count]"), ["5 results"]);
    assert_eq!(texts(&doc, "[data-test=search-result]").len(), 2);
    assert!(first.contains(r#"rel="next" href="/search?q=widget%20%26&#38;page=2""#), "{first}");
    assert_eq!(status, 200);
    assert_eq!(texts(&html(&third), "[data-test=search-result]").len(), 1);
    assert_eq!(texts(&html(&third), "[data-test=count]"), ["5 results"], "the last page counts every match");
    assert!(third.contains(r#"rel="prev" href="/search?q=widget%20%26&#38;page=2""#), "{third}");
    assert_not_found!(past);
    assert_status!(bad, 400);
}

#[tokio::test]
async fn drafts_future_posts_and_trash_are_never_found() {
    let app = spawn_app().await;
    let now = hewn::domain::now();
    app.post().title("Zebra draft").slug("d").draft().create().await;
    app.post().title("Zebra later").slug("s").scheduled(now + 3600).create().await;
    app.post().title("Zebra trash").slug("t").trashed().create().await;
    app.post().title("Zebra private").slug("p").private().create().await;
    app.post().title("Zebra visible").slug("v").create().await;
    app.post().page().title("Zebra page").slug("zebra-page").create().await;

    let (_, body) = app.get_text("/search?q=zebra").await;

    let doc = html(&body);
    assert_eq!(texts(&doc, "[data-test=search-result] .entry-title"), ["Zebra page", "Zebra visible"]);
    assert!(body.contains(r#"href="/zebra-page""#), "pages link to their own address");
}

#[tokio::test]
async fn the_index_follows_edits_deletions_and_tag_changes_by_any_writer() {
    let app = spawn_app().await;
    let id = app.post().title("Aardvark").slug("x").body("About burrows.").tag("Mammals").create().await;
    assert_eq!(titles(&app, "aardvark").await, ["Aardvark"]);

    execute(&app, &format!("update posts set title = 'Pangolin', source = 'About scales.' where id = {id}")).await;
    assert!(titles(&app, "aardvark").await.is_empty());
    assert!(titles(&app, "burrows").await.is_empty());
    assert_eq!(titles(&app, "pangolin scales").await, ["Pangolin"]);

    execute(&app, "update tags set name = 'Scaly anteaters' where slug = 'mammals'").await;
    assert!(titles(&app, "mammals").await.is_empty());
    assert_eq!(titles(&app, "anteaters").await, ["Pangolin"]);

    hewn::store::tags::set_for_post(&app.store, id, &["Nocturnal"]).await.unwrap();
    assert!(titles(&app, "anteaters").await.is_empty());
    assert_eq!(titles(&app, "nocturnal").await, ["Pangolin"]);

    execute(&app, "delete from tags where slug = 'nocturnal'").await;
    assert!(titles(&app, "nocturnal").await.is_empty(), "deleting a tag detaches it");

    execute(&app, &format!("delete from posts where id = {id}")).await;
    assert!(titles(&app, "pangolin").await.is_empty());
    let demo = demo_id(&app).await;
    execute(&app, &format!("update posts set status = 'draft' where id = {demo}")).await;
    assert!(titles(&app, "coal").await.is_empty(), "visibility is checked at query time");
}

#[tokio::test]
async fn sqlite_only_the_migration_indexes_posts_written_before_it() {
    // SQLite's own full-text search (FTS5), so SQLite only.
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::sqlite_create(&dir.path().join("hewn.db")).await;
    // Only the first migration, with a post in it, as a database from before search.
    db.script(include_str!("../../migrations/sqlite/0001_initial.sql")).await;
    db.exec(
        "insert into posts (kind, slug, title, source, body_html, status, published_at, updated_at, created_at) \
         values ('post', 'old', 'Old post', 'Ancient words', '<p>Ancient words</p>', 'published', 1, 1, 1)",
        &[],
    )
    .await;
    db.script(include_str!("../../migrations/sqlite/0004_discovery.sql")).await;

    let found: Vec<String> =
        db.column("select title from post_search where post_search match '\"ancient\"'", &[]).await;

    assert_eq!(found, ["Old post"]);
}

#[tokio::test]
async fn pages_found_by_search_open_at_their_own_address() {
    let app = spawn_app().await;
    app.post().page().title("Colophon").slug("colophon").body("Set in Charter.").create().await;

    let (_, body) = app.get_text("/search?q=charter").await;
    let (status, page) = app.get_text("/colophon").await;

    assert!(body.contains(r#"href="/colophon""#), "{body}");
    assert_eq!(status, 200);
    assert!(page.contains("Set in Charter."));
    assert!(page.contains(r#"type="application/atom+xml" title="hewn – Feed""#), "pages carry the feed alternates");
}

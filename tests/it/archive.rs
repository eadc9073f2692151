//! Navigation: the tag list, tag pages, archives by year and month, and previous
//! and next links on posts.

use hewn::store::settings;

use crate::assert::{assert_not_found, assert_redirect, assert_status};
use crate::corpus::{DEMO, demo_id};
use crate::helpers::{html, spawn_app, texts};

/// 2013-10-12 10:00 UTC, the demo post's publication.
const DEMO_TIME: i64 = 1_381_572_000;

#[tokio::test]
async fn the_tag_list_shows_tags_in_use_with_counts() {
    let app = spawn_app().await;
    app.post().slug("a").tag("Coal").tag("Labour").create().await;
    app.post().slug("b").tag("coal").create().await;
    app.post().slug("c").draft().tag("Secret plans").create().await;

    let (status, body) = app.get_text("/tags").await;

    assert_eq!(status, 200);
    assert_eq!(texts(&html(&body), "[data-test=tag-list] li"), ["Coal (2)", "Labour (1)"]);
    assert!(body.contains(r#"href="/tags/coal""#));
    assert!(!body.contains("Secret"), "a tag only drafts carry is not shown");
}

#[tokio::test]
async fn a_tag_page_lists_its_posts_with_a_count_and_pages() {
    let app = spawn_app().await;
    settings::put(&app.store, "posts_per_page", "2").await.unwrap();
    for i in 0..3 {
        let slug = format!("coal-{i}");
        let title = format!("Coal {i}");
        app.post().title(&title).slug(&slug).at(1_500_000_000 + i).tag("Coal").create().await;
    }
    app.post().title("Iron").slug("iron").tag("Iron").create().await;

    let (status, first) = app.get_text("/tags/coal").await;
    let (_, second) = app.get_text("/tags/coal?page=2").await;
    let past_end = app.get("/tags/coal?page=3").await;

    assert_eq!(status, 200);
    let doc = html(&first);
    assert_eq!(texts(&doc, "h1"), ["Posts tagged “Coal”"]);
    assert_eq!(texts(&doc, "[data-test=count]"), ["3 posts · Feed"]);
    assert_eq!(texts(&doc, "[data-test=post-summary] .entry-title"), ["Coal 2", "Coal 1"]);
    assert!(first.contains(r#"rel="next" href="/tags/coal?page=2""#), "{first}");
    assert!(first.contains("<title>Tag: Coal – hewn</title>"));
    assert!(first.contains(&format!(
        r#"type="application/atom+xml" title="hewn – Coal Feed" href="{}""#,
        app.url("/tags/coal/feed.xml")
    )));
    assert_eq!(texts(&html(&second), "[data-test=post-summary] .entry-title"), ["Coal 0"]);
    assert!(second.contains(r#"rel="prev" href="/tags/coal""#));
    assert!(second.contains(&format!(r#"<link rel="canonical" href="{}">"#, app.url("/tags/coal?page=2"))));
    assert_not_found!(past_end);
}

/// A tag page follows its posts' status and time whatever changes them: the editor,
/// an import, or SQL run by hand.
#[tokio::test]
async fn tag_pages_follow_posts_drafted_scheduled_and_republished() {
    let app = spawn_app().await;
    for slug in ["one", "two"] {
        app.post().title(slug).slug(slug).tag("Coal").create().await;
    }
    let mut db = app.db().await;
    let mut sql = async |statement: &str| {
        db.exec(statement, &[]).await;
        let (_, body) = app.get_text("/tags/coal").await;
        let doc = html(&body);
        (texts(&doc, "[data-test=post-summary] .entry-title"), texts(&doc, "[data-test=count]"))
    };

    let drafted = sql("update posts set status = 'draft' where slug = 'one'").await;
    let scheduled = sql("update posts set status = 'scheduled', published_at = 4102444800 where slug = 'one'").await;
    let republished = sql("update posts set status = 'published', published_at = 1500000100 where slug = 'one'").await;
    let paged = sql("update posts set kind = 'page' where slug = 'two'").await;

    assert_eq!(drafted, (vec!["two".to_owned()], vec!["1 post · Feed".to_owned()]));
    assert_eq!(scheduled.0, ["two"], "a post scheduled for 2100 waits");
    assert_eq!(republished, (vec!["one".to_owned(), "two".to_owned()], vec!["2 posts · Feed".to_owned()]));
    assert_eq!(paged.0, ["one"], "a page is not listed among a tag's posts");
}

#[tokio::test]
async fn unknown_or_empty_tags_are_not_found_and_loose_slugs_redirect() {
    let app = spawn_app().await;
    app.post().slug("a").tag("Soviet History").create().await;
    app.post().slug("b").draft().tag("Hidden").create().await;

    let loose = app.get("/tags/Soviet%20History").await;

    assert_not_found!(app.get("/tags/nope").await);
    assert_not_found!(app.get("/tags/hidden").await, "no visible post carries it");
    assert_redirect!(loose, 301, "/tags/soviet-history");
    assert_status!(app.get("/tags/soviet-history?page=0").await, 400);
}

#[tokio::test]
async fn the_archive_lists_years_and_months_with_counts() {
    let app = spawn_app().await;
    // 2014-01-05, 2014-01-20 and 2014-03-01 (UTC).
    for (slug, t) in [("a", 1_388_880_000), ("b", 1_390_176_000), ("c", 1_393_632_000)] {
        app.post().slug(slug).at(t).create().await;
    }
    app.post().slug("d").at(1_420_070_400).draft().create().await;

    let (status, body) = app.get_text("/archive").await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(
        texts(&doc, "[data-test=archive-years] > li > a"),
        ["2014", "2013"],
        "newest first; a draft's year does not appear"
    );
    assert_eq!(texts(&doc, ".archive-months li"), ["March 2014 (1)", "January 2014 (2)", "October 2013 (1)"]);
    assert!(body.contains(r#"href="/archive/2014/01""#));
}

#[tokio::test]
async fn year_and_month_pages_list_their_posts() {
    let app = spawn_app().await;
    app.post().title("November post").slug("nov").at(DEMO_TIME + 30 * 86_400).create().await;

    let (year_status, year) = app.get_text("/archive/2013").await;
    let (month_status, month) = app.get_text("/archive/2013/10").await;

    assert_eq!(year_status, 200);
    let doc = html(&year);
    assert_eq!(texts(&doc, "h1"), ["Posts from 2013"]);
    assert_eq!(texts(&doc, "[data-test=count]"), ["2 posts"]);
    assert_eq!(texts(&doc, "[data-test=post-summary] .entry-title"), ["November post", "Year of the Stakhanovite"]);
    assert_eq!(texts(&doc, ".archive-months li"), ["November 2013 (1)", "October 2013 (1)"]);
    assert_eq!(month_status, 200);
    let doc = html(&month);
    assert_eq!(texts(&doc, "h1"), ["Posts from October 2013"]);
    assert_eq!(texts(&doc, "[data-test=post-summary] .entry-title"), ["Year of the Stakhanovite"]);
    assert!(month.contains("<title>Archive: October 2013 – hewn</title>"));
}

#[tokio::test]
async fn archive_months_follow_the_site_time_zone() {
    let app = spawn_app().await;
    // 2013-10-31 23:30 UTC: still October in UTC, already November in Berlin.
    app.post().title("Late").slug("late").at(1_383_262_200).create().await;

    let (_, utc) = app.get_text("/archive/2013/10").await;
    settings::put(&app.store, "timezone", "Europe/Berlin").await.unwrap();
    let (_, berlin_october) = app.get_text("/archive/2013/10").await;
    let (_, berlin_november) = app.get_text("/archive/2013/11").await;

    assert_eq!(texts(&html(&utc), "[data-test=post-summary] .entry-title"), ["Late", "Year of the Stakhanovite"]);
    assert_eq!(texts(&html(&berlin_october), "[data-test=post-summary] .entry-title"), ["Year of the Stakhanovite"]);
    assert_eq!(texts(&html(&berlin_november), "[data-test=post-summary] .entry-title"), ["Late"]);
}

#[tokio::test]
async fn bad_or_empty_archive_periods_are_not_found() {
    let app = spawn_app().await;

    for path in [
        "/archive/2012",
        "/archive/2013/09",
        "/archive/13",
        "/archive/2013/1",
        "/archive/2013/13",
        "/archive/abcd",
        "/archive/2013/10/12",
    ] {
        assert_not_found!(app.get(path).await, "{path}");
    }
    assert_not_found!(app.get("/archive/2013/10?page=2").await);
}

#[tokio::test]
async fn post_pages_link_the_previous_and_next_posts_and_their_tags() {
    let app = spawn_app().await;
    let demo = demo_id(&app).await;
    hewn::store::tags::set_for_post(&app.store, demo, &["Soviet History", "Labour"]).await.unwrap();
    app.post().title("Older").slug("older").at(DEMO_TIME - 10).create().await;
    app.post().title("Newer").slug("newer").at(DEMO_TIME + 10).create().await;
    app.post().title("Draft").slug("draft").at(DEMO_TIME + 5).draft().create().await;
    app.post().page().title("About").slug("about").at(DEMO_TIME + 1).create().await;

    let (_, middle) = app.get_text(DEMO).await;
    let (_, oldest) = app.get_text("/posts/older").await;

    let doc = html(&middle);
    assert_eq!(texts(&doc, "[data-test=previous-post]"), ["Previous post Older"]);
    assert_eq!(texts(&doc, "[data-test=next-post]"), ["Next post Newer"]);
    assert!(middle.contains(r#"rel="prev" href="/posts/older""#));
    assert!(middle.contains(r#"rel="next" href="/posts/newer""#));
    assert_eq!(texts(&doc, "[data-test=post-tags] a"), ["Labour", "Soviet History"]);
    assert!(middle.contains(r#"href="/tags/soviet-history" rel="tag""#));
    let doc = html(&oldest);
    assert!(texts(&doc, "[data-test=previous-post]").is_empty());
    assert_eq!(texts(&doc, "[data-test=next-post]"), ["Next post Year of the Stakhanovite"]);
}

#[tokio::test]
async fn posts_published_in_the_same_second_link_in_the_order_they_were_made() {
    let app = spawn_app().await;
    let at = DEMO_TIME - 100;
    app.post().title("First").slug("first").at(at).create().await;
    app.post().title("Second").slug("second").at(at).create().await;
    app.post().title("Third").slug("third").at(at).create().await;

    let (_, second) = app.get_text("/posts/second").await;
    let (_, third) = app.get_text("/posts/third").await;

    let doc = html(&second);
    assert_eq!(texts(&doc, "[data-test=previous-post]"), ["Previous post First"]);
    assert_eq!(texts(&doc, "[data-test=next-post]"), ["Next post Third"]);
    let doc = html(&third);
    assert_eq!(texts(&doc, "[data-test=previous-post]"), ["Previous post Second"]);
    assert_eq!(texts(&doc, "[data-test=next-post]"), ["Next post Year of the Stakhanovite"]);
}

#[tokio::test]
async fn every_page_links_the_archives_tags_and_feeds() {
    let app = spawn_app().await;

    for path in ["/", DEMO, "/tags", "/archive", "/search?q=coal", "/missing"] {
        let (_, body) = app.get_text(path).await;
        let doc = html(&body);
        assert_eq!(
            texts(&doc, "[data-test=site-links] a"),
            ["Archives", "Tags", "Feed", "RSS", "Comments feed"],
            "{path}"
        );
        assert_eq!(texts(&doc, "[data-test=search-form] button"), ["Search"], "{path}");
    }
}

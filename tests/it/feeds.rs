//! Feeds: Atom and RSS for posts, Atom for comments, per tag and per post.

use hewn::store::settings;

use crate::corpus::{DEMO, Post, add_comment, add_post, demo_id, execute};
use crate::helpers::{TestApp, spawn_app};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// GETs a feed, checks its content type, and returns its text.
async fn fetch(app: &TestApp, path: &str, content_type: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], format!("{content_type}; charset=utf-8"), "{path}");
    r.text().await.unwrap()
}

/// The text of every `name` element in namespace `ns` ("" for none) that is a child
/// of an element named `parent`.
fn child_texts(doc: &roxmltree::Document<'_>, parent: &str, ns: &str, name: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == parent)
        .flat_map(|p| {
            p.children().filter(|c| {
                c.tag_name().name() == name
                    && c.is_element()
                    && c.tag_name().namespace() == Some(ns).filter(|n| !n.is_empty())
            })
        })
        .map(|c| c.text().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn atom_feed_has_the_newest_posts_with_full_content_tags_and_stable_ids() {
    let app = spawn_app().await;
    let id = add_post(
        &app.store,
        Post {
            slug: "newer",
            title: "A newer post",
            markdown: "Read [the demo](/posts/year-of-the-stakhanovite) & more[^1].\n\n[^1]: A note.",
            tags: &["Soviet History", "Coal"],
            ..Post::default()
        },
    )
    .await;

    let body = fetch(&app, "/feed.xml", "application/atom+xml").await;

    let doc = roxmltree::Document::parse(&body).unwrap();
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM_NS, "feed")));
    assert_eq!(child_texts(&doc, "feed", ATOM_NS, "id"), [app.url("/feed.xml")]);
    let entries: Vec<_> = feed.children().filter(|n| n.has_tag_name((ATOM_NS, "entry"))).collect();
    assert_eq!(entries.len(), 2);
    let titles = child_texts(&doc, "entry", ATOM_NS, "title");
    assert_eq!(titles, ["A newer post", "Year of the Stakhanovite"], "newest first");
    let ids = child_texts(&doc, "entry", ATOM_NS, "id");
    assert!(ids[0].starts_with("tag:127.0.0.1,") && ids[0].ends_with(&format!(":post-{id}")), "{ids:?}");
    assert_eq!(child_texts(&doc, "entry", ATOM_NS, "updated").len(), 2, "every entry has updated");
    let content = child_texts(&doc, "entry", ATOM_NS, "content");
    assert!(content[0].contains(&format!(r#"href="{}""#, app.url(DEMO))), "links are absolute: {}", content[0]);
    assert!(content[0].contains(&format!(r##"href="{}#1""##, app.url("/posts/newer"))), "{}", content[0]);
    assert!(content[1].contains("hewed 102 tons of coal"), "full content, not an excerpt");
    let terms: Vec<&str> = entries[0]
        .children()
        .filter(|n| n.has_tag_name((ATOM_NS, "category")))
        .filter_map(|n| n.attribute("label"))
        .collect();
    assert_eq!(terms, ["Coal", "Soviet History"]);
    let author = entries[0].children().find(|n| n.has_tag_name((ATOM_NS, "author"))).unwrap();
    assert_eq!(author.children().find(|n| n.has_tag_name((ATOM_NS, "name"))).unwrap().text(), Some("hewn"));
}

#[tokio::test]
async fn atom_ids_survive_edits_to_slug_and_title() {
    let app = spawn_app().await;
    let id = add_post(&app.store, Post { slug: "first-name", title: "First title", ..Post::default() }).await;
    let before = fetch(&app, "/feed.xml", "application/atom+xml").await;

    execute(&app, &format!("update posts set slug = 'second-name', title = 'Second title' where id = {id}")).await;
    let after = fetch(&app, "/feed.xml", "application/atom+xml").await;

    let ids = |body: &str| {
        let doc = roxmltree::Document::parse(body).unwrap();
        child_texts(&doc, "entry", ATOM_NS, "id")
    };
    assert!(after.contains("Second title") && after.contains("/posts/second-name"));
    assert_eq!(ids(&before), ids(&after));
}

#[tokio::test]
async fn imported_posts_keep_their_wordpress_guid_as_feed_id() {
    let app = spawn_app().await;
    let id = add_post(&app.store, Post::default()).await;
    execute(&app, &format!("update posts set wp_guid = 'http://old.example/?p=42' where id = {id}")).await;

    let atom = fetch(&app, "/feed.xml", "application/atom+xml").await;
    let rss = fetch(&app, "/rss.xml", "application/rss+xml").await;

    assert!(atom.contains("<id>http://old.example/?p=42</id>"), "{atom}");
    assert!(rss.contains(r#"<guid isPermaLink="false">http://old.example/?p=42</guid>"#), "{rss}");
}

#[tokio::test]
async fn rss_feed_carries_the_same_posts_with_rfc_822_dates() {
    let app = spawn_app().await;
    add_post(&app.store, Post { title: "Tagged & <escaped>", tags: &["Labour"], ..Post::default() }).await;

    let body = fetch(&app, "/rss.xml", "application/rss+xml").await;

    let doc = roxmltree::Document::parse(&body).unwrap();
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    assert_eq!(child_texts(&doc, "item", "", "title"), ["Tagged & <escaped>", "Year of the Stakhanovite"]);
    assert_eq!(child_texts(&doc, "item", "", "pubDate")[1], "Sat, 12 Oct 2013 10:00:00 +0000");
    assert_eq!(child_texts(&doc, "item", "", "link")[1], app.url(DEMO));
    assert_eq!(child_texts(&doc, "item", "", "category"), ["Labour"]);
    let encoded = child_texts(&doc, "item", "http://purl.org/rss/1.0/modules/content/", "encoded");
    assert!(encoded[1].contains("<blockquote>"), "full HTML content");
    assert_eq!(child_texts(&doc, "channel", "", "link"), [app.url("/")]);
}

#[tokio::test]
async fn feeds_hold_the_number_of_posts_set_in_settings_and_only_visible_ones() {
    let app = spawn_app().await;
    let now = hewn::domain::now();
    for i in 0..4 {
        let slug = format!("p{i}");
        add_post(&app.store, Post { slug: &slug, title: &slug, published_at: now - 100 + i, ..Post::default() }).await;
    }
    add_post(&app.store, Post { slug: "draft", title: "Draft", status: "draft", ..Post::default() }).await;
    add_post(
        &app.store,
        Post { slug: "later", title: "Later", status: "scheduled", published_at: now + 3600, ..Post::default() },
    )
    .await;
    add_post(
        &app.store,
        Post { kind: hewn::domain::status::PostKind::Page, slug: "about", title: "About", ..Post::default() },
    )
    .await;
    settings::put(&app.store, "feed_items", "3").await.unwrap();

    let atom = fetch(&app, "/feed.xml", "application/atom+xml").await;
    let rss = fetch(&app, "/rss.xml", "application/rss+xml").await;

    let doc = roxmltree::Document::parse(&atom).unwrap();
    assert_eq!(child_texts(&doc, "entry", ATOM_NS, "title"), ["p3", "p2", "p1"]);
    let doc = roxmltree::Document::parse(&rss).unwrap();
    assert_eq!(child_texts(&doc, "item", "", "title"), ["p3", "p2", "p1"]);
    for hidden in ["Draft", "Later", "About"] {
        assert!(!atom.contains(hidden) && !rss.contains(hidden), "{hidden}");
    }
}

#[tokio::test]
async fn comment_feeds_show_approved_comments_with_names_only() {
    let app = spawn_app().await;
    let post = demo_id(&app).await;
    let other = add_post(&app.store, Post { slug: "other", ..Post::default() }).await;
    let draft = add_post(&app.store, Post { slug: "draft", status: "draft", ..Post::default() }).await;
    add_comment(&app.store, post, "Approved Alice", "alice@private.example", "Visible words", "approved").await;
    add_comment(&app.store, other, "Other Olga", "olga@private.example", "On another post", "approved").await;
    add_comment(&app.store, post, "Pending Pat", "pat@private.example", "Held words", "pending").await;
    add_comment(&app.store, post, "Spam Sam", "sam@private.example", "Spam words", "spam").await;
    add_comment(&app.store, draft, "Draft Dora", "dora@private.example", "On a draft", "approved").await;

    let site = fetch(&app, "/comments/feed.xml", "application/atom+xml").await;
    let one = fetch(&app, &format!("{DEMO}/comments.xml"), "application/atom+xml").await;

    let doc = roxmltree::Document::parse(&site).unwrap();
    let names: Vec<String> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name((ATOM_NS, "author")) && n.parent().is_some_and(|p| p.has_tag_name((ATOM_NS, "entry")))
        })
        .filter_map(|a| {
            a.children().find(|c| c.has_tag_name((ATOM_NS, "name"))).and_then(|n| n.text()).map(str::to_owned)
        })
        .collect();
    assert_eq!(names, ["Other Olga", "Approved Alice", "Anonymous", "B. Knickerbocker"]);
    let doc = roxmltree::Document::parse(&one).unwrap();
    let titles = child_texts(&doc, "entry", ATOM_NS, "title");
    assert_eq!(titles[0], "Comment on Year of the Stakhanovite by Approved Alice");
    assert_eq!(titles.len(), 3);
    assert!(one.contains(&format!(r#"href="{}#comment-"#, app.url(DEMO))));
    assert!(one.contains("thr:in-reply-to"));
    for body in [&site, &one] {
        assert!(!body.contains('@'), "no address of any kind: {body}");
        for hidden in ["Held words", "Spam words", "On a draft"] {
            assert!(!body.contains(hidden), "{hidden}");
        }
    }
}

#[tokio::test]
async fn tag_feeds_hold_only_that_tags_posts() {
    let app = spawn_app().await;
    add_post(&app.store, Post { slug: "coal-post", title: "Coal post", tags: &["Coal"], ..Post::default() }).await;
    add_post(&app.store, Post { slug: "iron-post", title: "Iron post", tags: &["Iron"], ..Post::default() }).await;

    let body = fetch(&app, "/tags/coal/feed.xml", "application/atom+xml").await;

    let doc = roxmltree::Document::parse(&body).unwrap();
    assert_eq!(child_texts(&doc, "entry", ATOM_NS, "title"), ["Coal post"]);
    assert_eq!(child_texts(&doc, "feed", ATOM_NS, "title"), ["hewn – Coal"]);
    assert_eq!(app.get("/tags/nope/feed.xml").await.status(), 404);
}

#[tokio::test]
async fn comment_feeds_of_hidden_or_unknown_posts_are_not_found() {
    let app = spawn_app().await;
    add_post(&app.store, Post { slug: "draft", status: "draft", ..Post::default() }).await;

    assert_eq!(app.get("/posts/draft/comments.xml").await.status(), 404);
    assert_eq!(app.get("/posts/nope/comments.xml").await.status(), 404);
}

#[tokio::test]
async fn empty_feeds_are_still_valid_documents() {
    let app = crate::helpers::spawn_with(crate::helpers::Spawn { no_demo: true, ..Default::default() }).await;

    for (path, ct) in [
        ("/feed.xml", "application/atom+xml"),
        ("/rss.xml", "application/rss+xml"),
        ("/comments/feed.xml", "application/atom+xml"),
    ] {
        let body = fetch(&app, path, ct).await;
        let doc = roxmltree::Document::parse(&body).unwrap();
        assert!(doc.descendants().all(|n| !n.has_tag_name((ATOM_NS, "entry")) && !n.has_tag_name("item")), "{path}");
        if ct.contains("atom") {
            assert_eq!(child_texts(&doc, "feed", ATOM_NS, "updated").len(), 1, "{path}");
        }
    }
}

#[tokio::test]
async fn control_characters_in_content_never_break_the_xml() {
    let app = spawn_app().await;
    add_post(
        &app.store,
        Post { title: "Bell\u{7} and form\u{c}feed", markdown: "Vertical\u{b}tab", ..Post::default() },
    )
    .await;

    for (path, ct) in [("/feed.xml", "application/atom+xml"), ("/rss.xml", "application/rss+xml")] {
        let body = fetch(&app, path, ct).await;
        roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{path} is not XML: {e}"));
        assert!(body.contains("Bell and formfeed"), "{path}");
    }
}

#[tokio::test]
async fn wordpress_feed_addresses_redirect_to_the_feeds() {
    let app = spawn_app().await;

    for (from, to) in [
        ("/feed", "/feed.xml"),
        ("/feed/", "/feed.xml"),
        ("/feed/atom/", "/feed.xml"),
        ("/feed/rss2/", "/rss.xml"),
        ("/feed/rss", "/rss.xml"),
        ("/comments/feed/", "/comments/feed.xml"),
    ] {
        let r = app.get(from).await;
        assert_eq!(r.status(), 301, "{from}");
        assert_eq!(r.headers()["location"], to, "{from}");
    }
}

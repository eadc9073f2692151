//! The page cache: pages come from memory until the data they show changes, and a
//! change shows on the very next request, on every instance sharing the database.

use hewn::store::settings;

use crate::admin::support::{self as admin, ADMIN, admin_app, demo_post_id, login_with};
use crate::assert::assert_status;
use crate::comments::{approve, form, no_flood, post_form, row_with_body};
use crate::corpus::DEMO;
use crate::helpers::{Spawn, TestApp, client, html, spawn_app, spawn_with, spawn_with_fixed_clock, texts};

/// `hit` or `miss`, as the cache reports it.
async fn cache_outcome(app: &TestApp, client: &reqwest::Client, path: &str) -> (String, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    let r = assert_status!(r, 200, "{path}");
    let outcome = r.headers().get("x-hewn-cache").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (outcome, r.body)
}

fn comment_authors(body: &str) -> Vec<String> {
    texts(&html(body), "[data-test=comment-author]")
}

#[tokio::test]
async fn a_page_is_rendered_once_then_served_from_memory() {
    let app = spawn_app().await;

    let (first, body1) = cache_outcome(&app, &app.client, DEMO).await;
    let (second, body2) = cache_outcome(&app, &app.client, DEMO).await;
    let head = app.client.head(app.url(DEMO)).send().await.unwrap();

    assert_eq!(first, "miss");
    assert_eq!(second, "hit");
    assert_eq!(body1, body2);
    assert_eq!(head.headers()["x-hewn-cache"], "hit");
    assert_eq!(head.headers()["content-length"].to_str().unwrap(), body1.len().to_string());
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn answers_from_memory_carry_every_header_a_rendered_page_does() {
    let app = spawn_app().await;
    let rendered = app.get(DEMO).await;
    let cached = app.get(DEMO).await;

    assert_eq!(cached.headers()["x-hewn-cache"], "hit");
    for name in [
        "content-type",
        "cache-control",
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "etag",
    ] {
        assert_eq!(rendered.headers().get(name), cached.headers().get(name), "{name}");
    }
    assert!(cached.headers().contains_key("last-modified"));
    assert!(cached.headers().contains_key("x-request-id"));
    assert_ne!(rendered.headers()["x-request-id"], cached.headers()["x-request-id"]);
}

#[tokio::test]
async fn compressed_forms_are_made_once_and_decode_to_the_page() {
    let app = spawn_app().await;
    let (_, plain) = app.get_text(DEMO).await;

    for encoding in ["gzip", "br"] {
        // reqwest here does not decompress: read the raw bytes and decode them.
        let r = app.client.get(app.url(DEMO)).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], encoding);
        assert_eq!(r.headers()["x-hewn-cache"], "hit");
        let bytes = r.bytes().await.unwrap();
        let decoded = decode(encoding, &bytes);
        assert_eq!(decoded, plain, "{encoding}");
        assert!(bytes.len() < plain.len() / 2, "{encoding}: {} of {}", bytes.len(), plain.len());
    }
}

fn decode(encoding: &str, bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = Vec::new();
    if encoding == "gzip" {
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    } else {
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_newly_approved_comment_shows_on_the_very_next_request() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let _ = cache_outcome(&app, &app.client, DEMO).await;
    let (outcome, _) = cache_outcome(&app, &app.client, DEMO).await;
    assert_eq!(outcome, "hit");
    let r = post_form(&app, &client(), &form("A fresh thought on coal.", "Fresh Reader", "fresh@example.com")).await;
    assert_status!(r, 303);
    let held = crate::comments::row_with_body(&app, "A fresh thought on coal.").await.unwrap();

    let (_, pending) = cache_outcome(&app, &app.client, DEMO).await;
    approve(&app, held.id).await;
    let (outcome, approved) = cache_outcome(&app, &app.client, DEMO).await;

    assert!(!comment_authors(&pending).contains(&"Fresh Reader".to_owned()));
    assert_eq!(outcome, "miss", "the approval made a new generation");
    assert!(comment_authors(&approved).contains(&"Fresh Reader".to_owned()), "{approved}");
}

#[tokio::test]
async fn an_edited_post_and_a_changed_setting_show_on_the_very_next_request() {
    let app = spawn_app().await;
    let _ = app.get_text("/").await;
    let _ = app.get_text(DEMO).await;

    hewn::store::settings::put(&app.store, "site_title", "The Coal Face").await.unwrap();
    let (_, index) = app.get_text("/").await;
    app.db()
        .await
        .exec("update posts set title = 'Year of the Record' where slug = 'year-of-the-stakhanovite'", &[])
        .await;
    let (_, post) = app.get_text(DEMO).await;

    assert_eq!(texts(&html(&index), "#site-title"), ["The Coal Face"]);
    assert_eq!(texts(&html(&post), "h1.entry-title"), ["Year of the Record"], "a write made outside hewn shows too");
}

/// Asserts that a reader who warmed `path` gets the next answer from memory.
async fn assert_still_a_hit(app: &TestApp, reader: &reqwest::Client, path: &str, after: &str) {
    let (outcome, _) = cache_outcome(app, reader, path).await;
    assert_eq!(outcome, "hit", "after {after}, {path} should still come from memory");
}

/// Asserts that a reader who warmed `path` gets a fresh render that contains `shows`.
async fn assert_miss_showing(app: &TestApp, reader: &reqwest::Client, path: &str, after: &str, shows: &str) {
    let (outcome, body) = cache_outcome(app, reader, path).await;
    assert_eq!(outcome, "miss", "after {after}, {path} should be rendered again");
    assert!(body.contains(shows), "after {after}, {path} should show {shows:?}");
}

#[tokio::test]
async fn writes_no_reader_can_see_leave_cached_pages_warm() {
    let app = admin_app().await;
    no_flood(&app).await;
    let reader = client();
    for path in [DEMO, "/", "/feed.xml"] {
        let _ = cache_outcome(&app, &reader, path).await;
    }
    let warm = |after: &'static str| {
        let (app, reader) = (&app, &reader);
        async move {
            for path in [DEMO, "/", "/feed.xml"] {
                assert_still_a_hit(app, reader, path, after).await;
            }
        }
    };
    warm("warming").await;

    let failed = login_with(&app, &client(), ADMIN, "not the password").await;
    assert_status!(failed, 422);
    warm("a failed login").await;

    let r = post_form(&app, &client(), &form("Held for a first look.", "New Reader", "new.reader@example.com")).await;
    assert_status!(r, 303);
    assert_eq!(row_with_body(&app, "Held for a first look.").await.unwrap().status, "pending");
    warm("a held comment").await;

    let mut spam = form("Cheap pills for all.", "Bot", "bot@example.com");
    spam.push(("subject", "Buy now"));
    assert_status!(post_form(&app, &client(), &spam).await, 303);
    assert_eq!(row_with_body(&app, "Cheap pills for all.").await.unwrap().status, "spam");
    warm("a spam comment").await;

    // A connection of its own to the app's database, as `sqlite3` by hand would open.
    let mut db = app.db().await;
    let (id_hash, seen): (String, i64) = db.row("select id_hash, last_seen_at from sessions", &[]).await;
    hewn::store::sessions::touch(&app.store, &id_hash, seen + 120).await.unwrap();
    warm("a session touch").await;

    // An import's hidden rows, in the order an import writes them (tags first).
    db.transaction(&[
        db.defer_foreign_keys(),
        "insert into post_tags (post_id, tag_id) select 9000, id from tags",
        "insert into posts (id, kind, slug, title, source, body_html, status, published_at, updated_at, created_at) \
         values (9000, 'post', 'hidden-import', 'Hidden import', 'x', '<p>x</p>', 'importing', 1, 1, 1)",
        "insert into comments (post_id, body, body_html, status, created_at) \
         values (9000, 'Imported words', '<p>Imported words</p>', 'approved', 1)",
    ])
    .await;
    warm("an import's hidden rows").await;

    let index = app.get_text("/").await.1;
    assert!(!index.contains("Hidden import"));
}

#[tokio::test]
async fn writes_a_reader_can_see_make_the_next_request_a_fresh_render() {
    let app = admin_app().await;
    no_flood(&app).await;
    let reader = client();
    let warm = |path: &'static str| {
        let (app, reader) = (&app, &reader);
        async move {
            let _ = cache_outcome(app, reader, path).await;
            assert_still_a_hit(app, reader, path, "warming").await;
        }
    };
    let r = post_form(&app, &client(), &form("Worth the wait.", "Patient Reader", "patient@example.com")).await;
    assert_status!(r, 303);
    let held = row_with_body(&app, "Worth the wait.").await.unwrap();

    warm(DEMO).await;
    let approved = admin::post_form(&app, &format!("/admin/comments/{}/approve", held.id), &[]).await;
    assert_status!(approved, 303);
    assert_miss_showing(&app, &reader, DEMO, "approving a comment", "Worth the wait.").await;

    warm(DEMO).await;
    let id = demo_post_id(&app).await;
    let edited = admin::post_form(
        &app,
        &format!("/admin/posts/{id}"),
        &[
            ("title", "Year of the Record"),
            ("slug", "year-of-the-stakhanovite"),
            ("body", "Rewritten in the editor."),
            ("status", "published"),
            ("intent", "save"),
        ],
    )
    .await;
    assert_status!(edited, 303);
    assert_miss_showing(&app, &reader, DEMO, "editing the post", "Rewritten in the editor.").await;

    warm("/").await;
    settings::put(&app.store, "site_title", "The Coal Face").await.unwrap();
    assert_miss_showing(&app, &reader, "/", "changing a setting", "The Coal Face").await;

    warm(DEMO).await;
    app.db().await.exec("update posts set title = 'Edited by hand' where slug = 'year-of-the-stakhanovite'", &[]).await;
    assert_miss_showing(&app, &reader, DEMO, "an update made outside hewn", "Edited by hand").await;
}

#[tokio::test]
async fn a_commenters_own_page_is_never_served_to_anyone_else() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let commenter = client();
    let mut fields = form("Mine alone until approved.", "Private Person", "private.person@example.com");
    fields.push(("wp-comment-cookies-consent", "yes"));
    let r = post_form(&app, &commenter, &fields).await;
    assert_status!(r, 303);

    let own = commenter.get(app.url(DEMO)).send().await.unwrap();
    let own_cache_control = own.headers()["cache-control"].to_str().unwrap().to_owned();
    let own_outcome = own.headers().get("x-hewn-cache").cloned();
    let own_body = own.text().await.unwrap();
    let (_, stranger1) = cache_outcome(&app, &client(), DEMO).await;
    let (outcome, stranger2) = cache_outcome(&app, &client(), DEMO).await;
    let own_again = commenter.get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();

    assert!(own_cache_control.contains("private") && own_cache_control.contains("no-store"), "{own_cache_control}");
    assert!(own_outcome.is_none(), "the commenter's page goes around the cache");
    assert!(own_body.contains("private.person@example.com"), "their own form is prefilled");
    assert_eq!(outcome, "hit");
    for body in [&stranger1, &stranger2] {
        assert!(!body.contains("private.person@example.com"));
        assert!(!body.contains("Private Person"));
        assert!(!body.contains("Mine alone"));
    }
    assert!(own_again.contains("private.person@example.com"), "a cached page is never served to the commenter");
}

#[tokio::test]
async fn two_instances_on_one_database_file_stay_consistent() {
    let a = spawn_app().await;
    let b = spawn_with(Spawn { database_url: Some(a.database_url.clone()), ..Spawn::default() }).await;
    no_flood(&a).await;
    let _ = cache_outcome(&a, &a.client, DEMO).await;
    let (outcome, _) = cache_outcome(&a, &a.client, DEMO).await;
    assert_eq!(outcome, "hit");

    let r =
        post_form(&b, &client(), &form("Written through the other instance.", "Other Side", "other@example.com")).await;
    assert_status!(r, 303);
    let held = crate::comments::row_with_body(&b, "Written through the other instance.").await.unwrap();
    approve(&b, held.id).await;
    let (_, seen_by_a) = cache_outcome(&a, &a.client, DEMO).await;
    settings::put(&a.store, "site_title", "Shared Title").await.unwrap();
    let (_, seen_by_b) = cache_outcome(&b, &b.client, "/").await;

    assert!(comment_authors(&seen_by_a).contains(&"Other Side".to_owned()), "{seen_by_a}");
    assert_eq!(texts(&html(&seen_by_b), "#site-title"), ["Shared Title"]);
}

#[tokio::test]
async fn a_scheduled_post_appears_when_its_time_comes_with_no_write() {
    let app = spawn_with_fixed_clock().await;
    let due = app.clock().now() + 2;
    app.post().title("Coming soon").slug("soon").scheduled(due).create().await;
    let (_, before) = cache_outcome(&app, &app.client, "/").await;
    let (outcome, _) = cache_outcome(&app, &app.client, "/").await;

    app.clock().set(due + 1);
    let (_, after) = cache_outcome(&app, &app.client, "/").await;

    assert_eq!(outcome, "hit");
    assert!(!before.contains("Coming soon"));
    assert!(after.contains("Coming soon"), "{after}");
}

#[tokio::test]
async fn comments_close_by_age_on_the_very_next_request_after_the_deadline() {
    let app = spawn_with_fixed_clock().await;
    settings::put(&app.store, "comment_close_after_days", "1").await.unwrap();
    let closes_at = app.clock().now() + 2;
    app.post().title("Closing").slug("closing").at(closes_at - 86_400).create().await;
    let (_, open) = cache_outcome(&app, &app.client, "/posts/closing").await;
    let (outcome, _) = cache_outcome(&app, &app.client, "/posts/closing").await;

    app.clock().set(closes_at + 1);
    let (_, closed) = cache_outcome(&app, &app.client, "/posts/closing").await;

    assert_eq!(outcome, "hit");
    assert!(open.contains("Leave a Reply"));
    assert!(closed.contains("Comments are closed."), "{closed}");
    assert!(!closed.contains("id=\"commentform\""));
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let app = spawn_with(Spawn { page_cache_mib: Some(0), ..Spawn::default() }).await;

    let first = app.get(DEMO).await;
    let second = app.get(DEMO).await;

    assert!(first.headers().get("x-hewn-cache").is_none());
    assert!(second.headers().get("x-hewn-cache").is_none());
    assert!(second.headers().contains_key("etag"), "validators still work");
}

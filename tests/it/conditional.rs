//! Caching the web expects: ETag and Last-Modified on pages and feeds, 304 to a
//! current copy, new validators as soon as the content changes, HEAD everywhere.

use axum::http::header;
use axum::routing::get;

use crate::assert::{assert_conditional_get, assert_status};
use crate::corpus::{DEMO, demo_id};
use crate::helpers::{Spawn, TestApp, spawn_app, spawn_with, spawn_with_fixed_clock};

const PUBLIC: [&str; 13] = [
    "/",
    DEMO,
    "/feed.xml",
    "/rss.xml",
    "/comments/feed.xml",
    "/posts/year-of-the-stakhanovite/comments.xml",
    "/tags",
    "/archive",
    "/archive/2013",
    "/archive/2013/10",
    "/search?q=coal",
    "/sitemap.xml",
    "/robots.txt",
];

/// The ETag and Last-Modified of a 200 answer to `path`.
async fn validators(app: &TestApp, path: &str) -> (String, String) {
    let r = app.get(path).await;
    let r = assert_status!(r, 200, "{path}");
    let h = r.headers();
    (h["etag"].to_str().unwrap().to_owned(), h["last-modified"].to_str().unwrap().to_owned())
}

async fn status_with(app: &TestApp, path: &str, name: &str, value: &str) -> u16 {
    app.client.get(app.url(path)).header(name, value).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_public_page_and_feed_answers_304_to_a_current_copy() {
    let app = spawn_app().await;

    for path in PUBLIC {
        let etag = assert_conditional_get(&app, path, true).await;
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{path}: a strong ETag, {etag}");
    }
}

#[tokio::test]
async fn an_approved_comment_changes_the_validators_of_the_post_and_comment_feeds() {
    let app = spawn_app().await;
    let post = demo_id(&app).await;
    let watched = [DEMO, "/comments/feed.xml", "/posts/year-of-the-stakhanovite/comments.xml"];
    // The last visible change was a minute ago, so the comment's Last-Modified is later
    // (the database's triggers stamp the change time from its own clock, not the app's).
    app.db()
        .await
        .exec("update site_state set version = version + 1, changed_at = changed_at - 60 where id = 1", &[])
        .await;
    let mut before = Vec::new();
    for path in watched {
        before.push(validators(&app, path).await);
    }

    app.comment(post).author("Newcomer").email("new@private.example").body("Fresh words").approved().create().await;

    for (path, (etag, last_modified)) in watched.iter().zip(before) {
        let r = app.client.get(app.url(path)).header("if-none-match", &etag).send().await.unwrap();
        let r = assert_status!(r, 200, "{path}: the old copy is stale");
        assert_ne!(r.headers()["etag"], etag.as_str(), "{path}");
        assert!(r.body.contains("Fresh words"), "{path}");
        assert_eq!(status_with(&app, path, "if-modified-since", &last_modified).await, 200, "{path}");
    }
}

#[tokio::test]
async fn a_scheduled_post_coming_due_changes_the_validators_without_any_write() {
    let app = spawn_with_fixed_clock().await;
    // Far enough ahead that the wall-clock stamp of the insert (triggers) stays older.
    let due_in = 600;
    app.post().title("Soon").slug("soon").scheduled(app.clock().now() + due_in).create().await;
    let (etag, last_modified) = validators(&app, "/").await;

    app.clock().advance(due_in + 1);

    assert_eq!(status_with(&app, "/", "if-none-match", &etag).await, 200);
    assert_eq!(status_with(&app, "/", "if-modified-since", &last_modified).await, 200);
    assert!(app.get_text("/").await.1.contains("Soon"));
}

#[tokio::test]
async fn head_works_wherever_get_does_with_the_same_validators() {
    let app = spawn_app().await;

    for path in PUBLIC {
        let get = app.get(path).await;
        let get_etag = get.headers()["etag"].clone();
        let get_type = get.headers()["content-type"].clone();
        let get_len = get.bytes().await.unwrap().len();
        let head = app.client.head(app.url(path)).send().await.unwrap();

        let head = assert_status!(head, 200, "{path}");
        assert_eq!(head.headers()["etag"], get_etag, "{path}");
        assert_eq!(head.headers()["content-type"], get_type, "{path}");
        assert_eq!(head.headers()[header::CONTENT_LENGTH], get_len.to_string().as_str(), "{path}");
        assert!(head.bytes.is_empty(), "{path}");
        let conditional = app.client.head(app.url(path)).header("if-none-match", &get_etag).send().await.unwrap();
        assert_status!(conditional, 304, "{path}");
    }
}

#[tokio::test]
async fn compressed_and_plain_answers_have_different_tags() {
    let app = spawn_app().await;

    let gzip = app.client.get(app.url(DEMO)).header("accept-encoding", "gzip").send().await.unwrap();
    let plain = app.get(DEMO).await;
    let gzip_etag = gzip.headers()["etag"].clone();

    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_ne!(gzip_etag, plain.headers()["etag"], "a strong tag names one representation");
    let again =
        app.client.get(app.url(DEMO)).header("accept-encoding", "gzip").header("if-none-match", gzip_etag).send().await;
    assert_eq!(again.unwrap().status(), 304);
}

#[tokio::test]
async fn responses_carrying_a_visitors_own_data_get_no_shared_validators() {
    async fn personal() -> impl axum::response::IntoResponse {
        (hewn::http_cache::CachePolicy::Private, "your own form, with your@own.example")
    }
    async fn with_cookie() -> impl axum::response::IntoResponse {
        ([(header::SET_COOKIE, "remember=1")], "hello")
    }
    let extra = axum::Router::new().route("/personal", get(personal)).route("/cookie", get(with_cookie));
    let app = spawn_with(Spawn { extra: Some(extra), ..Spawn::default() }).await;

    for path in ["/personal", "/cookie"] {
        let r = app.get(path).await;
        let r = assert_status!(r, 200);
        assert!(!r.headers().contains_key("etag"), "{path}");
        assert!(!r.headers().contains_key("last-modified"), "{path}");
        assert_eq!(status_with(&app, path, "if-none-match", "*").await, 200, "{path}");
        assert_eq!(status_with(&app, path, "if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT").await, 200, "{path}");
    }
    assert_eq!(app.get("/personal").await.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn errors_and_redirects_are_never_answered_304() {
    let app = spawn_app().await;

    assert_eq!(status_with(&app, "/missing", "if-none-match", "*").await, 404);
    assert_eq!(status_with(&app, "/posts/year-of-the-stakhanovite/", "if-none-match", "*").await, 301);
    assert!(!app.get("/missing").await.headers().contains_key("etag"));
}

#[tokio::test]
async fn unreadable_conditional_headers_are_ignored() {
    let app = spawn_app().await;

    assert_eq!(status_with(&app, "/", "if-modified-since", "not a date").await, 200);
    assert_eq!(status_with(&app, "/", "if-none-match", "garbage").await, 200);
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_browser_revisiting_a_page_gets_a_304() {
    let b = crate::browser::Browser::start((1024, 768)).await;
    let sizes = "const n = performance.getEntriesByType('navigation')[0]; \
                 return [n.transferSize, n.encodedBodySize];";

    b.client.goto(&b.url(DEMO)).await.unwrap();
    b.wait_for("#comments-title").await;
    let first = b.client.execute(sizes, vec![]).await.unwrap();
    b.client.goto(&b.url("/tags")).await.unwrap();
    b.wait_for("#site-title").await;
    b.client.goto(&b.url(DEMO)).await.unwrap();
    b.wait_for("#comments-title").await;
    let again = b.client.execute(sizes, vec![]).await.unwrap();
    b.close().await;

    // A 304 carries headers only: the body came from the browser's cache.
    let [first_transfer, body] = serde_json::from_value::<[u64; 2]>(first).unwrap();
    let [again_transfer, again_body] = serde_json::from_value::<[u64; 2]>(again).unwrap();
    assert!(first_transfer > body, "the first visit downloads the page: {first_transfer} vs {body}");
    assert_eq!(again_body, body);
    assert!(
        again_transfer > 0 && again_transfer < body,
        "the revisit was revalidated, not downloaded: {again_transfer}"
    );
}

#[tokio::test]
async fn a_post_page_prefilled_from_a_readers_cookies_is_theirs_alone() {
    let app = spawn_app().await;
    let cookies = "hewn_comment_author=Ann; hewn_comment_email=ann%40example.com";

    let own = app.client.get(app.url(DEMO)).header("cookie", cookies).send().await.unwrap();
    let revalidated =
        app.client.get(app.url(DEMO)).header("cookie", cookies).header("if-none-match", "*").send().await.unwrap();

    assert_eq!(own.headers()["cache-control"], "private, no-store");
    assert!(!own.headers().contains_key("etag") && !own.headers().contains_key("last-modified"));
    assert!(own.text().await.unwrap().contains("ann@example.com"), "the reader's own form is prefilled");
    assert_status!(revalidated, 200, "never a 304 built from anyone's shared copy");
    assert!(app.get(DEMO).await.headers().contains_key("etag"), "the shared page keeps its validators");
}

/// A family of routes and the caching its policy gives it.
struct Family {
    name: &'static str,
    path: String,
    /// Cookies that make the page the reader's own.
    cookies: Option<&'static str>,
    cache_control: &'static str,
    /// Carries a validator every reader shares (`ETag`, and so answers `304`).
    etag: bool,
    last_modified: bool,
}

/// A request for `family` with one extra header.
async fn answer(app: &TestApp, family: &Family, head: bool, extra: Option<(&str, &str)>) -> reqwest::Response {
    let url = app.url(&family.path);
    let mut request = if head { app.client.head(url) } else { crate::helpers::client().get(url) };
    if let Some(cookies) = family.cookies {
        request = request.header("cookie", cookies);
    }
    if let Some((name, value)) = extra {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn every_route_family_gets_its_caching_headers_and_304s_from_one_policy() {
    let app = spawn_app().await;
    let png = b"\x89PNG\r\n\x1a\n not really an image";
    app.db()
        .await
        .exec(
            "insert into media (path, content_type, size, sha256, created_at, bytes) \
             values ('2024/05/dot.png', 'image/png', $1, $2, 0, $3)",
            &[i64::try_from(png.len()).unwrap().into(), "ab".repeat(32).into(), png[..].into()],
        )
        .await;
    let family = |name, path: &str, cache_control, etag, last_modified| Family {
        name,
        path: path.to_owned(),
        cookies: None,
        cache_control,
        etag,
        last_modified,
    };
    let families = [
        family("page", DEMO, "no-cache", true, true),
        family("feed", "/feed.xml", "no-cache", true, true),
        family("static", "/static/style.css", "public, max-age=300, must-revalidate", true, false),
        family(
            "fingerprinted static",
            &hewn::assets::url("style.css"),
            "public, max-age=31536000, immutable",
            true,
            false,
        ),
        family("media", "/media/2024/05/dot.png", "public, max-age=31536000, immutable", true, false),
        family("admin", "/admin/login", "no-store", false, false),
        Family {
            cookies: Some("hewn_comment_author=Ann; hewn_comment_email=ann%40example.com"),
            ..family("personal page", DEMO, "private, no-store", false, false)
        },
    ];
    let far_future = "Fri, 01 Jan 2100 00:00:00 GMT";

    for f in &families {
        let get = answer(&app, f, false, None).await;
        let head = answer(&app, f, true, None).await;
        let (name, h) = (f.name, get.headers().clone());
        let etag = h.get("etag").map(|v| v.to_str().unwrap().to_owned());
        let last_modified = h.get("last-modified").map(|v| v.to_str().unwrap().to_owned());
        let strong = etag.clone().unwrap_or_else(|| "*".to_owned());
        let weak = format!("W/{strong}");
        let since = last_modified.clone().unwrap_or_else(|| far_future.to_owned());
        let by_strong = answer(&app, f, false, Some(("if-none-match", &strong))).await;
        let by_weak = answer(&app, f, false, Some(("if-none-match", &weak))).await;
        let by_date = answer(&app, f, false, Some(("if-modified-since", &since))).await;
        let head_by_tag = answer(&app, f, true, Some(("if-none-match", &weak))).await;

        let get = assert_status!(get, 200, "{name}");
        assert_eq!(h["cache-control"], f.cache_control, "{name}");
        assert_eq!(etag.is_some(), f.etag, "{name}: ETag");
        assert_eq!(last_modified.is_some(), f.last_modified, "{name}: Last-Modified");
        let head = assert_status!(head, 200, "{name}: HEAD");
        for header in ["cache-control", "etag", "last-modified", "content-type"] {
            assert_eq!(head.headers().get(header), h.get(header), "{name}: HEAD {header}");
        }
        assert!(head.bytes.is_empty(), "{name}: HEAD has no body");
        let shared = if f.etag { 304 } else { 200 };
        assert_eq!(by_strong.status(), shared, "{name}: If-None-Match {strong}");
        assert_eq!(by_weak.status(), shared, "{name}: If-None-Match {weak}");
        assert_eq!(head_by_tag.status(), shared, "{name}: HEAD with If-None-Match {weak}");
        let by_date_status = if f.last_modified { 304 } else { 200 };
        assert_eq!(by_date.status(), by_date_status, "{name}: If-Modified-Since {since}");
        if f.etag {
            for r in [&by_strong, &by_weak] {
                assert_eq!(r.headers()["cache-control"], f.cache_control, "{name}: 304 keeps the policy");
                assert_eq!(r.headers().get("etag"), h.get("etag"), "{name}: 304 keeps the tag");
            }
            assert!(by_strong.bytes().await.unwrap().is_empty(), "{name}: a 304 has no body");
        } else {
            assert!(!get.body.is_empty(), "{name}");
        }
    }
}

#[cfg(debug_assertions)]
#[tokio::test]
async fn a_handler_writing_cache_control_itself_is_caught_in_debug_builds() {
    async fn sets_its_own() -> impl axum::response::IntoResponse {
        ([(header::CACHE_CONTROL, "public, max-age=60")], "hello")
    }
    let extra = axum::Router::new().route("/own-cache-control", get(sets_its_own));
    let app = spawn_with(Spawn { extra: Some(extra), ..Spawn::default() }).await;

    let r = app.client.get(app.url("/own-cache-control")).send().await;

    assert!(r.is_err(), "the debug assertion stops the answer: {r:?}");
}

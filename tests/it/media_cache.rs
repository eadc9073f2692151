//! The media cache: hot files under `/media/` answered from memory with the same
//! bytes and headers as from the database, ranges and `304`s from memory, deleted
//! files gone at once (and from another instance after the recheck), and the byte
//! budget.

use image::ImageFormat;

use crate::admin::support::{ADMIN, PASSWORD, create_admin, login, post_form};
use crate::assert::assert_status;
use crate::helpers::{Spawn, TestApp, spawn_with};
use crate::media::{address, encode, library_markdown, two_tone, upload};

/// An app with its admin logged in and a media cache of `mib` MiB.
async fn app_with_cache(mib: usize, more: Spawn) -> TestApp {
    let app = spawn_with(Spawn { media_cache_mib: Some(mib), ..more }).await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    app
}

/// Uploads a 1000 × 500 photo and returns the address of its 480-pixel variant.
async fn uploaded_variant(app: &TestApp) -> String {
    assert_status!(upload(app, &[("hot.jpg", encode(&two_tone(1000, 500), ImageFormat::Jpeg))], false).await, 303);
    let mut db = app.db().await;
    let path: String = db
        .scalar("select m.path from media_variants v join media m on m.id = v.variant_id where v.width = 480", &[])
        .await;
    format!("/media/{path}")
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn cache_outcome(r: &reqwest::Response) -> &str {
    r.headers().get("x-hewn-cache").map_or("none", |v| v.to_str().unwrap())
}

/// Every header but those that differ per answer.
fn lasting_headers(r: &reqwest::Response) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(n, _)| !["date", "x-request-id", "x-hewn-cache"].contains(&n.as_str()))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    h.sort();
    h
}

#[tokio::test]
async fn a_hot_variant_is_answered_from_memory_with_the_same_bytes_and_headers() {
    let app = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&app).await;
    let uncached = spawn_with(Spawn {
        media_cache_mib: Some(0),
        database_url: Some(app.database_url.clone()),
        ..Spawn::default()
    })
    .await;

    let first = app.get(&path).await;
    let second = app.get(&path).await;
    let from_db = uncached.get(&path).await;

    assert_eq!((first.status().as_u16(), second.status().as_u16(), from_db.status().as_u16()), (200, 200, 200));
    assert_eq!((cache_outcome(&first), cache_outcome(&second), cache_outcome(&from_db)), ("miss", "hit", "none"));
    assert_eq!(lasting_headers(&second), lasting_headers(&first));
    assert_eq!(lasting_headers(&second), lasting_headers(&from_db));
    let headers = second.headers().clone();
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], hewn::app::MEDIA_CONTENT_SECURITY_POLICY);
    assert!(headers["etag"].to_str().unwrap().starts_with('"'));
    let (a, b, c) = (first.bytes().await.unwrap(), second.bytes().await.unwrap(), from_db.bytes().await.unwrap());
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(headers["content-length"], b.len().to_string().as_str());
}

#[tokio::test]
async fn a_hit_reads_nothing_from_the_database() {
    let app = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&app).await;
    let before = app.get(&path).await.bytes().await.unwrap();

    // Changed behind the server's back (hewn itself never rewrites a stored file).
    let mut db = app.db().await;
    db.exec(
        "update media set content_type = 'text/plain', bytes = $1 where path like '%-480.jpg'",
        &[crate::db::Bind::Bytes(b"changed".to_vec())],
    )
    .await;
    let r = app.get(&path).await;

    assert_eq!(cache_outcome(&r), "hit");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap(), before);
}

#[tokio::test]
async fn ranges_heads_and_conditional_requests_are_answered_from_memory() {
    let app = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&app).await;
    let warm = app.get(&path).await;
    let etag = warm.headers()["etag"].to_str().unwrap().to_owned();
    let whole = warm.bytes().await.unwrap();
    let size = whole.len();

    let part = get_with(&app, &path, &[("range", "bytes=2-9")]).await;
    let tail = get_with(&app, &path, &[("range", "bytes=-5")]).await;
    let current = get_with(&app, &path, &[("if-none-match", &etag)]).await;
    let other_file = get_with(&app, &path, &[("range", "bytes=2-9"), ("if-range", "\"other\"")]).await;
    let same_file = get_with(&app, &path, &[("range", "bytes=0-0"), ("if-range", &etag)]).await;
    let past_end = get_with(&app, &path, &[("range", &format!("bytes={size}-"))]).await;
    let head = app.client.head(app.url(&path)).send().await.unwrap();

    assert_eq!((part.status().as_u16(), cache_outcome(&part)), (206, "hit"));
    assert_eq!(part.headers()["content-range"], format!("bytes 2-9/{size}").as_str());
    assert_eq!(part.headers()["content-type"], "image/jpeg");
    assert_eq!(part.headers()["etag"], etag.as_str());
    assert_eq!(part.bytes().await.unwrap(), whole.slice(2..10));
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), whole.slice(size - 5..));
    assert_eq!((current.status().as_u16(), cache_outcome(&current)), (304, "hit"));
    assert_eq!(current.headers()["etag"], etag.as_str());
    assert_eq!(current.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(current.bytes().await.unwrap().is_empty());
    assert_eq!(other_file.status(), 200, "If-Range names another file: the whole file");
    assert_eq!(other_file.bytes().await.unwrap(), whole);
    assert_eq!(same_file.status(), 206);
    assert_eq!(same_file.bytes().await.unwrap(), whole.slice(0..1));
    assert_eq!(past_end.status(), 416);
    assert_eq!(past_end.headers()["content-range"], format!("bytes */{size}").as_str());
    assert_eq!((head.status().as_u16(), cache_outcome(&head)), (200, "hit"));
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cold_range_request_fills_the_cache_and_gets_its_range() {
    let app = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&app).await;

    let part = get_with(&app, &path, &[("range", "bytes=0-3")]).await;
    let whole = app.get(&path).await;

    assert_eq!((part.status().as_u16(), cache_outcome(&part)), (206, "miss"));
    assert_eq!(part.headers()["content-length"], "4");
    assert_eq!(cache_outcome(&whole), "hit");
    assert_eq!(part.bytes().await.unwrap(), whole.bytes().await.unwrap().slice(0..4));
}

#[tokio::test]
async fn a_cold_head_request_is_answered_without_filling_the_cache() {
    let app = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&app).await;

    let head = app.client.head(app.url(&path)).send().await.unwrap();
    let first = app.get(&path).await;

    assert_eq!(head.status(), 200);
    assert!(head.headers()["content-length"].to_str().unwrap().parse::<usize>().unwrap() > 0);
    assert!(head.bytes().await.unwrap().is_empty());
    assert_eq!(cache_outcome(&first), "miss");
}

#[tokio::test]
async fn a_deleted_file_and_its_variants_are_not_served_from_memory() {
    let app = app_with_cache(8, Spawn::default()).await;
    let variant = uploaded_variant(&app).await;
    let main = address(&library_markdown(&app).await[0]);
    for path in [&variant, &main] {
        app.get(path).await;
        assert_eq!(cache_outcome(&app.get(path).await), "hit", "{path}");
    }
    let mut db = app.db().await;
    let id: i64 = db.scalar("select media_id from media_items", &[]).await;

    assert_status!(post_form(&app, &format!("/admin/media/{id}/delete"), &[("confirm", "1")]).await, 303);

    assert_status!(app.get(&variant).await, 404);
    assert_status!(app.get(&main).await, 404);
}

#[tokio::test]
async fn another_instance_stops_serving_a_deleted_file_after_the_recheck_interval() {
    let clock = hewn::domain::clock::Clock::fixed(hewn::domain::now());
    let a = app_with_cache(8, Spawn::default()).await;
    let path = uploaded_variant(&a).await;
    let b = spawn_with(Spawn {
        database_url: Some(a.database_url.clone()),
        clock: Some(clock.clone()),
        ..Spawn::default()
    })
    .await;
    b.get(&path).await;
    let mut db = a.db().await;
    let id: i64 = db.scalar("select media_id from media_items", &[]).await;

    assert_status!(post_form(&a, &format!("/admin/media/{id}/delete"), &[("confirm", "1")]).await, 303);
    clock.advance(hewn::media_cache::RECHECK_SECONDS - 1);
    let before = b.get(&path).await;
    clock.advance(1);
    let after = b.get(&path).await;

    assert_eq!((before.status().as_u16(), cache_outcome(&before)), (200, "hit"), "bounded staleness, documented");
    assert_eq!(after.status(), 404);
}

#[tokio::test]
async fn a_hot_file_is_sent_from_its_kept_file_whole_and_in_ranges() {
    let app = app_with_cache(8, Spawn::default()).await;
    let body = pdf(3, 200_000);
    assert_status!(upload(&app, &[("hot.pdf", body.clone())], false).await, 303);
    let path = address(&library_markdown(&app).await[0]);
    assert_eq!(cache_outcome(&app.get(&path).await), "miss");

    let before = hewn::zero_copy::shared_bytes_sent();
    let whole = app.get(&path).await;
    let outcome = cache_outcome(&whole).to_owned();
    let whole = whole.bytes().await.unwrap();
    let part = get_with(&app, &path, &[("range", "bytes=1000-150999")]).await;
    let part_status = part.status().as_u16();
    let part = part.bytes().await.unwrap();
    let sent = hewn::zero_copy::shared_bytes_sent() - before;

    assert_eq!(outcome, "hit");
    assert!(whole == body, "the whole file, byte for byte");
    assert_eq!(part_status, 206);
    assert!(part == body[1000..151_000], "the range, byte for byte");
    if cfg!(target_os = "linux") {
        assert!(sent >= 350_000, "sent from the kept file: {sent} bytes");
    }
}

/// A PDF of `len` bytes, distinct per `n` (stored as uploaded).
fn pdf(n: u8, len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(len, b'0' + n);
    bytes
}

#[tokio::test]
async fn the_byte_budget_evicts_the_least_recently_used_files() {
    // At most 256 KiB a file, four files of 250 KB: a large file is held twice where
    // it is also kept in a file to be sent from (zero_copy::COPIES).
    let app = app_with_cache(hewn::zero_copy::COPIES, Spawn::default()).await;
    let files: Vec<(String, Vec<u8>)> = (0..6).map(|n| (format!("f{n}.pdf"), pdf(n, 250_000))).collect();
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    assert_status!(upload(&app, &named, false).await, 303);
    let mut paths: Vec<String> = library_markdown(&app).await.iter().map(|m| address(m)).collect();
    paths.sort();
    assert_status!(upload(&app, &[("big.pdf", pdf(9, 300_000))], false).await, 303);
    let big = library_markdown(&app).await.iter().map(|m| address(m)).find(|p| p.contains("big")).unwrap();

    for path in &paths[..4] {
        assert_eq!(cache_outcome(&app.get(path).await), "miss");
    }
    assert_eq!(cache_outcome(&app.get(&paths[0]).await), "hit", "file 0 is now the most recently used");
    for path in &paths[4..] {
        assert_eq!(cache_outcome(&app.get(path).await), "miss");
    }
    let outcomes: Vec<String> = {
        let mut v = Vec::new();
        for path in &paths {
            v.push(cache_outcome(&app.get(path).await).to_owned());
        }
        v
    };
    app.get(&big).await;
    let big_again = app.get(&big).await;

    assert_eq!(&outcomes[..3], ["hit", "miss", "miss"], "{outcomes:?}");
    assert_ne!(cache_outcome(&big_again), "hit", "a file over a quarter of the budget is never kept");
    assert_eq!(big_again.bytes().await.unwrap().len(), 300_000);
}

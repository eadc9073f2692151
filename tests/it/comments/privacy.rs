//! Email withheld by construction: no public response and no log line carries a
//! commenter's address (or cookie, or form body).

use hewn::store::{posts, settings};

use super::{DEMO, DEMO_FORM, approve, comment_id, form, location, prepare_database, row_with_body};
use crate::helpers::{Binary, Spawn, TestApp, client, spawn_with};

/// Distinctive addresses, one per way a submission can end.
const ADDRESSES: &[&str] = &[
    "scan-approved.q7x@example.test",
    "scan-pending.q7x@example.test",
    "scan-honeypot.q7x@example.test",
    "scan-blocked.q7x@example.test",
    "scan-duplicate.q7x@example.test",
    "scan-flood.q7x@example.test",
    "scan-invalid.q7x@example.test",
    "scan-badparent.q7x@example.test",
    "scan-closed.q7x@example.test",
    "scan-reply.q7x@example.test",
    "scan-remembered.q7x@example.test",
];

/// Every way an address could be written into a response.
fn forms_of(address: &str) -> Vec<String> {
    let lower = address.to_ascii_lowercase();
    vec![lower.clone(), lower.replace('@', "%40"), lower.replace('@', "&#64;"), lower.replace('@', "&#x40;")]
}

/// Fails when `text` (a body or a header) carries any submitted address but `own`.
fn assert_no_address(text: &str, context: &str, own: Option<&str>) {
    let text = text.to_ascii_lowercase();
    let mut rest = text.clone();
    if let Some(own) = own {
        for form in forms_of(own) {
            rest = rest.replace(&form, "");
        }
    }
    for address in ADDRESSES {
        for form in forms_of(address) {
            assert!(!rest.contains(&form), "{context} carries {form}");
        }
    }
    assert!(!rest.contains("q7x@"), "{context} carries an address");
}

/// Checks a response's headers and body; returns the status and location. The body
/// may carry `own` (the requester's own address) only on a `private, no-store` page.
async fn scan(r: reqwest::Response, context: &str, own: Option<&str>) -> (u16, Option<String>) {
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let private = r.headers().get("cache-control").is_some_and(|v| v == "private, no-store");
    for (name, value) in r.headers() {
        // A commenter's own cookies go back to them alone.
        if name != "set-cookie" {
            assert_no_address(&String::from_utf8_lossy(value.as_bytes()), &format!("{context}: header {name}"), None);
        }
    }
    let body = r.text().await.unwrap();
    assert_no_address(&body, &format!("{context}: body"), own.filter(|_| private));
    (status, location)
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).header("x-forwarded-for", from).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn no_public_response_ever_carries_a_commenters_email() {
    let app = spawn_with(Spawn { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Spawn::default() }).await;
    settings::put(&app.store, "comment_block_words", "blockme").await.unwrap();
    posts::insert(
        &app.store,
        &posts::NewPost {
            kind: hewn::domain::status::PostKind::Post,
            slug: "closed",
            title: "Closed",
            source: "x",
            source_format: "markdown",
            body_html: "<p>x</p>",
            excerpt: "x",
            status: hewn::domain::status::PostStatus::Published,
            author_name: "",
            author_id: None,
            menu_order: 0,
            comments_open: false,
            published_at: Some(1_500_000_000),
            now: 1_500_000_000,
        },
    )
    .await
    .unwrap();
    let author = client();
    let a = ADDRESSES;
    let mut locations = Vec::new();

    // Approved: a known author (their first comment approved by the admin).
    let r = send(&app, &author, "203.0.113.1", DEMO_FORM, &form("approved words", "Ann", a[0])).await;
    approve(&app, comment_id(&location(&r))).await;
    let r = send(&app, &author, "203.0.113.2", DEMO_FORM, &form("approved again", "Ann", a[0])).await;
    locations.push(scan(r, "approved", None).await);
    let r = send(&app, &author, "203.0.113.3", DEMO_FORM, &form("pending words", "Bo", a[1])).await;
    locations.push(scan(r, "pending", None).await);
    let mut honeypot = form("honeypot words", "Bot", a[2]);
    honeypot.push(("subject", "filled"));
    locations.push(scan(send(&app, &author, "203.0.113.4", DEMO_FORM, &honeypot).await, "honeypot", None).await);
    let blocked = form("blockme words", "Cy", a[3]);
    locations.push(scan(send(&app, &author, "203.0.113.5", DEMO_FORM, &blocked).await, "blocked", None).await);
    let duplicate = form("approved words", "Di", a[4]);
    send(&app, &author, "203.0.113.6", DEMO_FORM, &form("approved words", "Di", a[4])).await;
    let (status, _) = scan(send(&app, &author, "203.0.113.7", DEMO_FORM, &duplicate).await, "duplicate", None).await;
    assert_eq!(status, 409);
    send(&app, &author, "203.0.113.8", DEMO_FORM, &form("flood one", "Ed", a[5])).await;
    let flood = form("flood two", "Ed", a[5]);
    let (status, _) = scan(send(&app, &author, "203.0.113.8", DEMO_FORM, &flood).await, "flood", None).await;
    assert_eq!(status, 429);
    let invalid = send(&app, &author, "203.0.113.9", DEMO_FORM, &form("", "Fi", a[6])).await;
    assert_eq!(invalid.headers()["cache-control"], "private, no-store", "their own page, never cached");
    let (status, _) = scan(invalid, "invalid (their own page)", Some(a[6])).await;
    assert_eq!(status, 422);
    let bad_parent = [&form("bad parent", "Gu", a[7])[..3], &[("comment_parent", "99999")]].concat();
    let bad_parent = send(&app, &author, "203.0.113.10", DEMO_FORM, &bad_parent).await;
    assert_eq!(bad_parent.headers()["cache-control"], "private, no-store", "their own page, never cached");
    let (status, _) = scan(bad_parent, "bad parent (their own page)", Some(a[7])).await;
    assert_eq!(status, 422);
    let (status, _) = scan(
        send(&app, &author, "203.0.113.11", "/posts/closed/comments", &form("closed", "Ha", a[8])).await,
        "closed",
        None,
    )
    .await;
    assert_eq!(status, 403);
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    let reply = [&form("a reply", "Io", a[9])[..3], &[("comment_parent", "1")]].concat();
    locations.push(scan(send(&app, &author, "203.0.113.12", DEMO_FORM, &reply).await, "reply", None).await);
    let mut remembered = form("remember me", "Jo", a[10]);
    remembered.push(("wp-comment-cookies-consent", "yes"));
    locations.push(scan(send(&app, &author, "203.0.113.13", DEMO_FORM, &remembered).await, "remembered", None).await);
    assert!(row_with_body(&app, "approved again").await.is_some_and(|r| r.status == "approved"));
    assert!(row_with_body(&app, "a reply").await.is_some_and(|r| r.status == "approved"));

    // Everyone else, and the author themselves on every public page and redirect.
    let stranger = client();
    let mut paths: Vec<String> = [
        "/",
        "/?page=1",
        "/?page=2",
        DEMO,
        "/posts/year-of-the-stakhanovite/",
        "/posts/closed",
        "/posts/missing",
        "/posts/year-of-the-stakhanovite?replytocom=1",
        "/feed",
        "/feed/",
        "/feed/atom",
        "/comments/feed",
        "/feed.xml",
        "/atom.xml",
        "/rss.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/search?q=example.test",
        "/search?q=q7x",
        "/tags/test",
        "/archives",
        "/healthz",
        "/static/style.css",
        "/no-such-page",
    ]
    .map(str::to_owned)
    .into();
    for (_, to) in &locations {
        let to = to.clone().expect("every accepted submission redirects");
        assert_no_address(&to, "a redirect's Location", None);
        paths.push(to);
    }
    paths.push(format!("{DEMO}?replytocom={}", row_with_body(&app, "approved again").await.unwrap().id));
    // A commenter's own pages: editing and deleting within the window (the author's
    // browser holds the passes), and the pages anyone can open.
    for body in ["a reply", "remember me"] {
        let id = row_with_body(&app, body).await.unwrap().id;
        paths.push(format!("{DEMO}/comments/{id}/edit"));
        paths.push(format!("{DEMO}/comments/{id}/delete"));
    }
    paths.extend(["/comments/manage", "/avatars/default.svg", "/privacy"].map(str::to_owned));
    for path in &paths {
        for who in [&stranger, &author] {
            let r = who.get(app.url(path)).send().await.unwrap();
            let own = std::ptr::eq(who, &author).then_some(a[10]);
            let (status, to) = scan(r, &format!("GET {path}"), own).await;
            assert!(status < 500, "{path}: {status}");
            if let Some(to) = to {
                assert_no_address(&to, &format!("{path} redirect"), None);
                scan(who.get(app.url(&to)).send().await.unwrap(), &format!("GET {to}"), own).await;
            }
        }
        let head = stranger.head(app.url(path)).send().await.unwrap();
        scan(head, &format!("HEAD {path}"), None).await;
    }
}

#[tokio::test]
async fn logs_never_carry_an_email_a_cookie_or_a_form_body() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    prepare_database(&db).await;
    let server = Binary::start(&db, &["--log", "trace"]).await;
    let http = client();
    let post = format!("{}{DEMO_FORM}", server.base);
    let email = "log-watch.q7x@example.test";
    let mut fields = form("LOGBODY the comment text", "Zyxwvut Logname", email);
    fields.push(("wp-comment-cookies-consent", "yes"));

    let first = http.post(&post).form(&fields).send().await.unwrap();
    let cookies: Vec<String> = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1.to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    let token = location(&first).split("moderation-hash=").nth(1).unwrap().split('#').next().unwrap().to_owned();
    http.get(format!("{}{}", server.base, location(&first))).send().await.unwrap();
    http.post(&post).form(&fields).send().await.unwrap(); // a duplicate: 409
    http.post(&post).form(&form("LOGBODY invalid", "", email)).send().await.unwrap(); // 422
    http.post(&post)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("comment=LOGBODY%FF&email={email}"))
        .send()
        .await
        .unwrap(); // 400

    let log = server.log();
    assert!(log.contains("comment stored"), "logging was on:\n{log}");
    assert!(log.contains("TRACE") || log.contains("DEBUG"), "verbose logging was on");
    assert_eq!(cookies.len(), 3, "name, email and the pending pass (the website was empty)");
    for secret in [email, "log-watch.q7x%40example.test", "LOGBODY", "Zyxwvut", token.as_str()] {
        assert!(!log.contains(secret), "the log carries {secret:?}:\n{log}");
    }
    for cookie in &cookies {
        assert!(!log.contains(cookie.as_str()), "the log carries a cookie value {cookie:?}");
    }
}

//! After posting: the signed pass that shows a held comment to its author alone, the
//! remembered-details cookies, and the site secret behind them.

use hewn::domain::now;
use hewn::domain::signing::{PENDING_LINK_SECONDS, PendingPass, Secret};

use super::{DEMO, approve, comment_id, form, location, no_flood, post_form, prepare_database, stored_secret};
use crate::assert::assert_status;
use crate::helpers::{Binary, Spawn, TestApp, client, html, spawn_app, spawn_with, spawn_with_fixed_clock, texts};

/// A form with the "save my details" box ticked.
fn consenting<'a>(comment: &'a str, author: &'a str, email: &'a str, url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("comment", comment),
        ("author", author),
        ("email", email),
        ("url", url),
        ("comment_parent", "0"),
        ("wp-comment-cookies-consent", "yes"),
    ]
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn is_private(r: &impl crate::assert::Headers) -> bool {
    r.header_map().get("cache-control").is_some_and(|v| v == "private, no-store")
}

/// GETs `path` and returns whether it is private, and the page.
async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (bool, scraper::Html, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    let r = assert_status!(r, 200, "{path}");
    let private = is_private(&r);
    let body = r.body;
    (private, html(&body), body)
}

#[tokio::test]
async fn a_held_comment_is_shown_to_its_author_alone_awaiting_moderation() {
    let app = spawn_app().await;
    let r = post_form(&app, &app.client, &form("Waiting for approval", "Ann", "ann@example.com")).await;
    let to = location(&r);
    let id = comment_id(&to);
    let pass = set_cookies(&r).into_iter().find(|c| c.starts_with("hewn_comment_pending=")).unwrap_or_default();

    let (own_private, own, _) = page(&app.client, &app, &to).await;
    let (other_private, _, other) = page(&client(), &app, DEMO).await;
    let (plain_private, _, plain) = page(&app.client, &app, DEMO).await;

    assert_status!(r, 303);
    assert!(to.starts_with(&format!("{DEMO}?unapproved={id}&moderation-hash=")), "{to}");
    assert!(to.ends_with(&format!("#comment-{id}")), "{to}");
    assert!(own_private, "a page with the reader's own held comment is private");
    assert_eq!(
        texts(&own, &format!("li#comment-{id} [data-test=awaiting-moderation]")),
        ["Your comment is awaiting moderation."]
    );
    assert_eq!(texts(&own, &format!("li#comment-{id} .comment-content")), ["Waiting for approval"]);
    assert!(texts(&own, &format!("li#comment-{id} [data-test=reply-link]")).is_empty(), "no replies to a held comment");
    assert_eq!(texts(&own, "#comments-title"), ["2 comments for “Year of the Stakhanovite”"], "the count is public");
    assert!(!other.contains("Waiting for approval"), "another browser does not see it");
    assert!(!other_private);
    // Without the box ticked, the browser keeps the pass for the edit window only.
    assert!(plain.contains("Waiting for approval") && plain_private, "the pass shows it during the edit window");
    assert!(pass.contains("Max-Age=600"), "a pass for the 10-minute edit window: {pass}");
}

#[tokio::test]
async fn forged_expired_and_foreign_passes_show_nothing() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let first = location(&post_form(&app, &app.client, &form("first held", "Ann", "ann@example.com")).await);
    let second = location(&post_form(&app, &app.client, &form("second held", "Bo", "bo@example.com")).await);
    let (first_id, second_id) = (comment_id(&first), comment_id(&second));
    let token = first.split("moderation-hash=").nth(1).unwrap().split('#').next().unwrap().to_owned();
    let secret = stored_secret(&app).await;
    let expired = PendingPass::sign(&secret, first_id, now() - 1).token();
    let foreign_key =
        PendingPass::sign(&Secret::new(b"not the site secret, though long".to_vec()), first_id, now() + 600);
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    let attempts = [
        format!("{DEMO}?unapproved={first_id}&moderation-hash={expired}"),
        format!("{DEMO}?unapproved={first_id}&moderation-hash={flipped}"),
        format!("{DEMO}?unapproved={first_id}&moderation-hash={}", foreign_key.token()),
        format!("{DEMO}?unapproved={second_id}&moderation-hash={token}"),
        format!("{DEMO}?unapproved={first_id}&moderation-hash="),
        format!("{DEMO}?unapproved={first_id}&moderation-hash=9999999999.zz"),
        format!("{DEMO}?unapproved=x&moderation-hash={token}"),
    ];

    for path in attempts {
        let (private, _, body) = page(&client(), &app, &path).await;
        assert!(!body.contains("first held") && !body.contains("second held"), "{path}");
        assert!(!body.contains("awaiting moderation"), "{path}");
        assert!(!private, "{path}");
    }
    let (_, _, genuine) = page(&client(), &app, &first).await;
    assert!(genuine.contains("first held"), "the genuine link still works");
}

#[tokio::test]
async fn a_pass_link_stops_working_when_its_hour_is_over() {
    let app = spawn_with_fixed_clock().await;
    let link = location(&post_form(&app, &app.client, &form("held for an hour", "Ann", "ann@example.com")).await);

    app.clock().advance(PENDING_LINK_SECONDS - 1);
    let (_, _, within) = page(&client(), &app, &link).await;
    app.clock().advance(2);
    let (private, _, after) = page(&client(), &app, &link).await;

    assert!(within.contains("held for an hour"), "the link works until it expires");
    assert!(!after.contains("held for an hour"), "an expired link shows nothing");
    assert!(!private);
}

#[tokio::test]
async fn an_approved_comment_shows_to_everyone_without_the_notice() {
    let app = spawn_app().await;
    let to = location(&post_form(&app, &app.client, &form("Soon approved", "Ann", "ann@example.com")).await);
    approve(&app, comment_id(&to)).await;

    let (_, own, _) = page(&app.client, &app, &to).await;
    let (_, _, public) = page(&client(), &app, DEMO).await;

    assert!(texts(&own, "[data-test=awaiting-moderation]").is_empty());
    assert!(public.contains("Soon approved"));
}

#[tokio::test]
async fn ticking_the_box_remembers_the_details_for_a_year_and_keeps_showing_held_comments() {
    let app = spawn_app().await;

    let r = post_form(&app, &app.client, &consenting("Remember me", "Ann", "ann@example.com", "example.com")).await;
    let cookies = set_cookies(&r);
    let (private, doc, body) = page(&app.client, &app, DEMO).await;
    let (stranger_private, _, stranger) = page(&client(), &app, DEMO).await;

    let r = assert_status!(r, 303);
    assert!(is_private(&r));
    for name in [
        "hewn_comment_author=Ann;",
        "hewn_comment_email=ann%40example.com;",
        "hewn_comment_url=http%3A%2F%2Fexample.com;",
    ] {
        let c = cookies.iter().find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("{name} in {cookies:?}"));
        assert!(c.contains("Max-Age=31536000") && c.contains("Path=/"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(!c.contains("Secure"), "plain http here");
    }
    let pending = cookies.iter().find(|c| c.starts_with("hewn_comment_pending=")).unwrap();
    assert!(pending.contains("Max-Age=2592000"), "{pending}");
    assert!(private);
    let value = |sel: &str| {
        let s = scraper::Selector::parse(sel).unwrap();
        doc.select(&s).next().unwrap().value().attr("value").unwrap().to_owned()
    };
    assert_eq!(value("#author"), "Ann");
    assert_eq!(value("#email"), "ann@example.com");
    assert_eq!(value("#url"), "http://example.com");
    assert_eq!(doc.select(&scraper::Selector::parse("#wp-comment-cookies-consent[checked]").unwrap()).count(), 1);
    assert!(
        body.contains("Remember me") && body.contains("awaiting moderation"),
        "the cookie shows held comments later"
    );
    assert!(!stranger.contains("ann@example.com") && !stranger.contains("Remember me"));
    assert!(!stranger_private);
}

#[tokio::test]
async fn unticking_the_box_clears_the_remembered_details() {
    let app = spawn_app().await;
    no_flood(&app).await;
    post_form(&app, &app.client, &consenting("Remember me", "Ann", "ann@example.com", "")).await;

    let r = post_form(&app, &app.client, &form("Forget me", "Ann", "ann@example.com")).await;
    let cookies = set_cookies(&r);
    let (private, doc, body) = page(&app.client, &app, DEMO).await;

    for name in ["hewn_comment_author=;", "hewn_comment_email=;", "hewn_comment_url=;"] {
        let c = cookies.iter().find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("{name} in {cookies:?}"));
        assert!(c.contains("Max-Age=0"), "{c}");
    }
    // The passes stay (the browser's own held comments, and the edit window).
    assert!(cookies.iter().any(|c| c.starts_with("hewn_comment_pending=") && !c.contains("Max-Age=0")), "{cookies:?}");
    assert!(private, "the page shows the reader's own held comments");
    assert!(!body.contains("ann@example.com"), "the address is no longer filled in");
    assert_eq!(texts(&doc, "input#author[value=Ann]").len(), 0, "nor the name");
    assert_eq!(doc.select(&scraper::Selector::parse("#wp-comment-cookies-consent[checked]").unwrap()).count(), 0);
}

#[tokio::test]
async fn the_site_secret_is_generated_once_and_kept_in_the_database() {
    let app = spawn_app().await;
    let first = stored_secret(&app).await;
    let to = location(&post_form(&app, &app.client, &form("Across restarts", "Ann", "ann@example.com")).await);
    let dir = app.stop().await;

    let app = spawn_with(Spawn { dir: Some(dir), ..Spawn::default() }).await;
    let (_, _, body) = page(&client(), &app, &to).await;

    assert_eq!(stored_secret(&app).await, first);
    assert!(body.contains("Across restarts"), "a pass survives a restart");
}

#[tokio::test]
async fn instances_sharing_a_database_accept_each_others_passes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    prepare_database(&db).await;
    let a = Binary::start(&db, &[]).await;
    let b = Binary::start(&db, &[]).await;
    let http = client();

    let r = http
        .post(format!("{}{}/comments", a.base, DEMO))
        .form(&form("Posted on A", "Ann", "ann@example.com"))
        .send()
        .await
        .unwrap();
    let on_b = http.get(format!("{}{}", b.base, location(&r))).send().await.unwrap().text().await.unwrap();

    assert_status!(r, 303);
    assert!(on_b.contains("Posted on A") && on_b.contains("awaiting moderation"));
}

/// Posts a held comment to the server at `base`, returning the redirect's location.
async fn submit(base: &str, text: &str) -> String {
    let r = client().post(format!("{base}{DEMO}/comments")).form(&form(text, "Ann", "ann@example.com")).send().await;
    location(&r.unwrap())
}

/// The page at `base` + `path`.
async fn get(base: &str, path: &str) -> String {
    client().get(format!("{base}{path}")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn hewn_secret_overrides_the_stored_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    prepare_database(&db).await;
    let operator = "an operator secret of more than thirty-two characters";
    let stored = Binary::start(&db, &[]).await;
    let configured = Binary::start(&db, &["--secret", operator]).await;

    let from_stored = submit(&stored.base, "signed by the stored secret").await;
    let from_configured = submit(&configured.base, "signed by the operator").await;

    let id = comment_id(&from_configured);
    let token = from_configured.split("moderation-hash=").nth(1).unwrap().split('#').next().unwrap();
    let pass = PendingPass::from_token(id, token).unwrap();
    assert!(pass.verify(&Secret::parse(operator).unwrap(), now()));
    assert!(get(&configured.base, &from_configured).await.contains("signed by the operator"));
    assert!(!get(&stored.base, &from_configured).await.contains("signed by the operator"));
    assert!(!get(&configured.base, &from_stored).await.contains("signed by the stored secret"));
    assert!(get(&stored.base, &from_stored).await.contains("signed by the stored secret"));
}

#[tokio::test]
async fn a_short_secret_is_refused_and_help_never_prints_it() {
    let short = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(["serve", "--secret", "too short", "--database-url", "sqlite::memory:"])
        .output()
        .unwrap();
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(["serve", "--help"])
        .env("HEWN_SECRET", "a-secret-value-nobody-may-see-0123456789")
        .output()
        .unwrap();

    assert!(!short.status.success());
    let refusal = String::from_utf8_lossy(&short.stderr);
    assert!(refusal.contains("at least 32 characters"), "{refusal}");
    assert!(!refusal.contains("too short"), "the refusal does not quote the secret: {refusal}");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("HEWN_SECRET"), "{text}");
    assert!(!text.contains("nobody-may-see"), "{text}");
}

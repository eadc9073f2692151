//! Helpers for admin tests: an admin account, logging in, forms with the CSRF
//! token, and moving stored times into the past (comments to moderate come from
//! `app.comment(..)`, see fixtures.rs).

use hewn::domain::{now, password};
use hewn::store::{posts, users};

use hewn::domain::clock::Clock;

use crate::assert::assert_status;
use crate::helpers::{Spawn, TestApp, html, spawn_app, spawn_with, spawn_with_fixed_clock};

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";
pub const ADMIN_EMAIL: &str = "owner-secret@admin.example";

/// Creates an admin account directly in the store.
pub async fn create_admin(app: &TestApp, name: &str, pw: &str) -> i64 {
    let hash = password::hash(pw).unwrap();
    let new = users::NewUser {
        username: name,
        display_name: "The Owner",
        email: ADMIN_EMAIL,
        password_hash: &hash,
        now: now(),
    };
    match users::create(&app.store, &new).await.unwrap() {
        users::Created::Yes(id) => id,
        other => panic!("could not create {name}: {other:?}"),
    }
}

/// Opens the login page (for its form token) and posts the form with `client`.
pub async fn login_with(app: &TestApp, client: &reqwest::Client, name: &str, pw: &str) -> reqwest::Response {
    let page = client.get(app.url("/admin/login")).send().await.unwrap().text().await.unwrap();
    let token = input_value(&page, "form_token");
    client
        .post(app.url("/admin/login"))
        .form(&[("username", name), ("password", pw), ("form_token", &token), ("next", "")])
        .send()
        .await
        .unwrap()
}

/// Logs the app's client in as `name`.
pub async fn login(app: &TestApp, name: &str, pw: &str) -> reqwest::Response {
    login_with(app, &app.client, name, pw).await
}

/// A fresh app with the demo content, an admin, and its client logged in.
pub async fn admin_app() -> TestApp {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let r = login(&app, ADMIN, PASSWORD).await;
    assert_status!(r, 303, "login failed");
    app
}

/// [`admin_app`] with a clock that moves only when the test moves it.
pub async fn admin_app_with_fixed_clock() -> TestApp {
    let app = spawn_with_fixed_clock().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let r = login(&app, ADMIN, PASSWORD).await;
    assert_status!(r, 303, "login failed");
    app
}

/// The value of the first `<input name=NAME>` in a page.
pub fn input_value(page: &str, name: &str) -> String {
    let doc = html(page);
    let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr("value")).unwrap_or_default().to_owned()
}

/// The session's CSRF token, read from a panel page.
pub async fn csrf(app: &TestApp) -> String {
    let page = app.get("/admin").await.text().await.unwrap();
    let token = input_value(&page, "_csrf");
    assert!(!token.is_empty(), "no CSRF token on the dashboard:\n{page}");
    token
}

/// Posts a form with the session's CSRF token added.
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = csrf(app).await;
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
    all.extend_from_slice(fields);
    app.client.post(app.url(path)).form(&all).send().await.unwrap()
}

use crate::assert::Headers;
pub use crate::assert::location;

/// The session cookie a response sets, as `name=value`.
pub fn session_cookie(r: &impl Headers) -> Option<String> {
    set_cookies(r).into_iter().find(|c| c.contains("hewn_session=") && !c.contains("Max-Age=0"))
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(r: &impl Headers) -> Vec<String> {
    r.header_map().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
}

/// The id of the demo post.
pub async fn demo_post_id(app: &TestApp) -> i64 {
    posts::visible_by_slug(&app.store, now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id
}

/// The stored status of a comment (`None` once deleted).
pub async fn comment_status(app: &TestApp, id: i64) -> Option<String> {
    hewn::store::moderation::by_id(&app.store, id).await.unwrap().map(|c| c.status.to_string())
}

/// Runs SQL on the test database from outside the app, to make time pass for
/// stored rows (session ages, login failures).
pub async fn run_sql(app: &TestApp, sql: &str) {
    let mut db = app.db().await;
    db.exec(sql, &[]).await;
    db.close().await;
}

/// The comment rows' ids on a queue page, in order.
pub fn row_ids(page: &str) -> Vec<i64> {
    let doc = html(page);
    let sel = scraper::Selector::parse("[data-test=comment-row]").unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("data-id")?.parse().ok()).collect()
}

/// An app behind a trusted proxy, so that tests can speak for many client addresses,
/// with a clock that moves only when a test moves it, and an admin account.
pub async fn proxied_app() -> TestApp {
    let app = spawn_with(Spawn {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        clock: Some(Clock::fixed(now())),
        ..Spawn::default()
    })
    .await;
    create_admin(&app, ADMIN, PASSWORD).await;
    app
}

//! The guards on every admin route, found by walking the panel's route table: login
//! required, CSRF token and same-origin required for writes, no-store and noindex.

use hewn::routes::admin::{Access, routes};
use hewn::store::site;

use super::support::{admin_app, comment_status, csrf, demo_post_id, location};
use crate::assert::{assert_not_found, assert_status};
use crate::helpers::{TestApp, client, spawn_app};

/// A concrete path for a route pattern, with ids of things that exist.
fn concrete(path: &str, comment_id: i64, post_id: i64) -> String {
    let id = if path.starts_with("/admin/comments") { comment_id } else { post_id };
    path.replace("{id}", &id.to_string())
        .replace("{action}", "approve")
        .replace("{status}", "spam")
        .replace("{*rest}", "no/such/page")
}

fn assert_private(r: &impl crate::assert::Headers, what: &str) {
    let header = |name: &str| r.header_map().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("cache-control"), "no-store", "{what}");
    assert_eq!(header("x-robots-tag"), "noindex", "{what}");
}

async fn send(app: &TestApp, c: &reqwest::Client, method: &axum::http::Method, path: &str) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
    c.request(method, app.url(path)).form(&[("x", "1")]).send().await.unwrap()
}

#[tokio::test]
async fn every_admin_route_but_login_and_setup_sends_anonymous_visitors_to_login() {
    let app = spawn_app().await;
    let post_id = demo_post_id(&app).await;
    let comment_id = app.comment(post_id).author("Reader").body("hello").create().await;
    let table = routes();

    let mut checked = 0;
    for route in &table {
        let path = concrete(route.path, comment_id, post_id);
        let r = send(&app, &client(), &route.method, &path).await;
        let what = format!("{} {path}", route.method);
        assert_private(&r, &what);
        match route.access {
            Access::Admin => {
                let r = assert_status!(r, 303, "{what}");
                assert!(location(&r).starts_with("/admin/login"), "{what} -> {}", location(&r));
            }
            Access::Anyone => {
                assert!(!location(&r).starts_with("/admin/login"), "{what} should not need a login");
                assert_ne!(r.status(), 500, "{what}");
            }
        }
        checked += 1;
    }

    assert!(checked >= 30, "the walk saw only {checked} routes");
    assert_eq!(table.iter().filter(|r| r.access == Access::Anyone).count(), 4, "login and setup, GET and POST");
    assert_eq!(comment_status(&app, comment_id).await.as_deref(), Some("pending"), "nothing changed");
}

#[tokio::test]
async fn every_admin_page_is_no_store_and_noindex_when_logged_in_too() {
    let app = admin_app().await;
    let post_id = demo_post_id(&app).await;
    let comment_id = app.comment(post_id).author("Reader").body("hello").create().await;

    for route in routes().iter().filter(|r| r.method == axum::http::Method::GET) {
        let path = concrete(route.path, comment_id, post_id);
        let r = app.get(&path).await;
        let what = format!("GET {path}");
        assert_private(&r, &what);
        assert!(r.status().as_u16() < 500, "{what}: {}", r.status());
    }
    let unknown = app.get("/admin/no/such/page").await;
    let unknown = assert_not_found!(unknown);
    assert_private(&unknown, "unknown admin path");
}

#[tokio::test]
async fn every_state_changing_admin_route_refuses_a_missing_or_wrong_csrf_token() {
    let app = admin_app().await;
    let post_id = demo_post_id(&app).await;
    let comment_id = app.comment(post_id).author("Reader").body("hello").create().await;
    let version = site::state(&app.store).await.unwrap().version;

    let mut checked = 0;
    for route in routes().iter().filter(|r| r.method == axum::http::Method::POST && r.access == Access::Admin) {
        let path = concrete(route.path, comment_id, post_id);
        let missing = app.client.post(app.url(&path)).form(&[("ids", comment_id.to_string())]).send().await.unwrap();
        let wrong = app
            .client
            .post(app.url(&path))
            .form(&[("_csrf", "0".repeat(64)), ("ids", comment_id.to_string()), ("action", "approve".to_owned())])
            .send()
            .await
            .unwrap();
        assert_status!(missing, 403, "POST {path} without a token");
        let wrong = assert_status!(wrong, 403, "POST {path} with a wrong token");
        assert_private(&wrong, &path);
        checked += 1;
    }

    assert!(checked >= 19, "only {checked} POST routes");
    assert_eq!(site::state(&app.store).await.unwrap().version, version, "no write happened");
    assert_eq!(comment_status(&app, comment_id).await.as_deref(), Some("pending"));
    assert_status!(app.get("/admin").await, 200, "still logged in: logout was refused too");
}

#[tokio::test]
async fn a_cross_site_request_is_refused_even_with_the_right_token() {
    let app = admin_app().await;
    let post_id = demo_post_id(&app).await;
    let comment_id = app.comment(post_id).author("Reader").body("hello").create().await;
    let token = csrf(&app).await;
    let path = app.url(&format!("/admin/comments/{comment_id}/approve"));

    let cross_site =
        app.client.post(&path).header("sec-fetch-site", "cross-site").form(&[("_csrf", &token)]).send().await.unwrap();
    let other_origin =
        app.client.post(&path).header("origin", "http://evil.example").form(&[("_csrf", &token)]).send().await.unwrap();
    let status_after_attacks = comment_status(&app, comment_id).await;
    let same_origin = app
        .client
        .post(&path)
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .form(&[("_csrf", &token)])
        .send()
        .await
        .unwrap();

    assert_status!(cross_site, 403);
    let other_origin = assert_status!(other_origin, 403);
    assert!(other_origin.body.contains("data-test=\"error\""), "the site's error page");
    assert_eq!(status_after_attacks.as_deref(), Some("pending"));
    assert_status!(same_origin, 303);
    assert_eq!(comment_status(&app, comment_id).await.as_deref(), Some("approved"));
}

#[tokio::test]
async fn a_cross_site_login_is_refused() {
    let app = spawn_app().await;

    let r = app
        .client
        .post(app.url("/admin/login"))
        .header("origin", "http://evil.example")
        .form(&[("username", "a"), ("password", "b")])
        .send()
        .await
        .unwrap();

    assert_status!(r, 403);
}

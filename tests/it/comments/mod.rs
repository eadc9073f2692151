//! Comments: the reply form, moderation rules, the pending notice, and email withheld.

mod abuse;
mod bad_input;
mod browser;
mod durability;
mod form;
mod hostile;
mod pending;
mod privacy;
mod rules;

use hewn::store::settings;

use crate::helpers::TestApp;

pub const DEMO: &str = "/posts/year-of-the-stakhanovite";
pub const DEMO_FORM: &str = "/posts/year-of-the-stakhanovite/comments";
/// The demo's first comment, approved.
pub const DEMO_COMMENT: i64 = 1;

/// A comment row as stored, email included (tests read the database directly).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub status: String,
    pub rule: String,
    pub author_ip: String,
    pub user_agent: String,
}

/// A valid form: comment, name and email, plus `extra` fields.
pub fn form<'a>(comment: &'a str, author: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("comment", comment), ("author", author), ("email", email), ("url", ""), ("comment_parent", "0")]
}

/// POSTs `fields` to the demo post's form with `client`.
pub async fn post_form(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(app.url(DEMO_FORM)).form(fields).send().await.unwrap()
}

/// POSTs a raw body with a content type to `path`.
pub async fn post_raw(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let r = app.client.post(app.url(path)).header("content-type", content_type).body(body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Turns flood control off, for tests that submit many comments from one address.
pub async fn no_flood(app: &TestApp) {
    settings::put(&app.store, "comment_flood_seconds", "0").await.unwrap();
}

/// Every stored comment, oldest first.
pub async fn rows(app: &TestApp) -> Vec<Row> {
    app.db()
        .await
        .rows(
            "select id, post_id, parent_id, author_name, author_email, author_url, body, status, rule, author_ip, \
               user_agent from comments order by id",
            &[],
        )
        .await
}

/// The stored comment with this text.
pub async fn row_with_body(app: &TestApp, body: &str) -> Option<Row> {
    rows(app).await.into_iter().find(|r| r.body == body)
}

/// Approves a comment, as the admin would.
pub async fn approve(app: &TestApp, id: i64) {
    app.db().await.exec("update comments set status = 'approved' where id = $1", &[id.into()]).await;
}

pub use crate::assert::location;

/// The comment id a redirect's `#comment-ID` points at.
pub fn comment_id(location: &str) -> i64 {
    location.rsplit_once("#comment-").unwrap().1.parse().unwrap()
}

/// Creates a database at `path` with the demo content and flood control off, for the
/// tests that run the real binary and submit several comments from one address.
pub async fn prepare_database(path: &std::path::Path) {
    let database = hewn::config::DatabaseConfig::from_cli(
        &format!("sqlite://{}", path.display()),
        hewn::config::Synchronous::Normal,
    )
    .unwrap();
    let store = hewn::store::Store::open(&database).await.unwrap();
    hewn::store::init(&store, true).await.unwrap();
    settings::put(&store, "comment_flood_seconds", "0").await.unwrap();
    store.close().await;
}

/// The secret the database keeps.
pub async fn stored_secret(app: &TestApp) -> hewn::domain::signing::Secret {
    let value: String = app.db().await.scalar("select value from settings where name = 'site_secret'", &[]).await;
    hewn::domain::signing::Secret::new(value.into_bytes())
}

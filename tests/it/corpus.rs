//! Content for the discovery tests: the post record behind `app.post()` (see
//! fixtures.rs), the demo post, and direct SQL for writes that other parts of hewn
//! (the editor, the importer) make.

use hewn::domain::markdown;
use hewn::store::{Store, posts, tags};

use crate::helpers::TestApp;

pub const DEMO: &str = "/posts/year-of-the-stakhanovite";

/// A post to insert.
pub struct Post<'a> {
    pub kind: hewn::domain::status::PostKind,
    pub slug: &'a str,
    pub title: &'a str,
    pub markdown: &'a str,
    pub status: &'a str,
    pub published_at: i64,
    pub tags: &'a [&'a str],
}

impl Default for Post<'_> {
    fn default() -> Self {
        Self {
            kind: hewn::domain::status::PostKind::Post,
            slug: "a-post",
            title: "A post",
            markdown: "Some words.",
            status: "published",
            published_at: 1_500_000_000,
            tags: &[],
        }
    }
}

/// Inserts a post (rendering its Markdown as the editor would) and tags it.
pub async fn add_post(store: &Store, p: Post<'_>) -> i64 {
    let html = markdown::render_markdown(p.markdown);
    let excerpt = markdown::excerpt(html.as_str());
    let id = posts::insert(
        store,
        &posts::NewPost {
            kind: p.kind,
            slug: p.slug,
            title: p.title,
            source: p.markdown,
            source_format: "markdown",
            body_html: html.as_str(),
            excerpt: &excerpt,
            status: p.status.parse().unwrap(),
            author_name: "",
            author_id: None,
            menu_order: 0,
            comments_open: true,
            published_at: Some(p.published_at),
            now: p.published_at,
        },
    )
    .await
    .unwrap();
    if !p.tags.is_empty() {
        tags::set_for_post(store, id, p.tags).await.unwrap();
    }
    id
}

/// The demo post's id.
pub async fn demo_id(app: &TestApp) -> i64 {
    posts::visible_by_slug(&app.store, app.store.now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id
}

/// Runs one statement on the database file directly, as another writer would
/// (another process, `sqlite3` by hand, code that knows nothing of search).
pub async fn execute(app: &TestApp, sql: &str) {
    let mut db = app.db().await;
    db.exec(sql, &[]).await;
    db.close().await;
}

//! The editor with text in any script: Markdown in Cyrillic, Greek, Hebrew, Arabic,
//! CJK, Devanagari and emoji publishes, renders and gets its excerpt.

use hewn::domain::markdown;
use hewn::store::editor;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use super::support::{admin_app, location, post_form};
use crate::assert::assert_status;

async fn publish(app: &crate::helpers::TestApp, title: &str, body: &str) -> reqwest::Response {
    let fields = [("intent", "save"), ("title", title), ("body", body), ("status", "published")];
    post_form(app, "/admin/posts", &fields).await
}

fn id_from(location: &str) -> i64 {
    location.split('/').nth(3).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_post_that_opens_with_emphasis_in_cyrillic_publishes_with_its_excerpt() {
    let app = admin_app().await;

    let r = publish(&app, "Привет", "*Привет* мир").await;

    let r = assert_status!(r, 303);
    let stored = editor::by_id(&app.store, id_from(&location(&r))).await.unwrap().unwrap();
    assert_eq!(stored.excerpt, "Привет мир");
    let (status, page) = app.get_text(&format!("/posts/{}", stored.slug)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<em>Привет</em> мир"), "{page}");
}

/// Markdown made of words in many scripts and the syntax around them.
fn markdown_in_many_scripts() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "Привет",
        "мир",
        "Γειά σου",
        "שלום עולם",
        "مرحبا بالعالم",
        "日本語の文章",
        "한국어",
        "हिन्दी",
        "ไทย",
        "Ærøskøbing",
        "e\u{301}",
        "👩\u{200d}👩\u{200d}👧",
        "🇩🇪",
        "I’ll",
        "O’Reilly",
        "“quoted”",
        "…",
        "—",
        " ",
        " ",
        "\n",
        "\n\n",
        "*",
        "**",
        "_",
        "`",
        "```\n",
        "# ",
        "> ",
        "- ",
        "1. ",
        "[",
        "](",
        ")",
        "![",
        "|",
        "---",
        "~~",
        "<em>",
        "</em>",
        "&amp;",
        "&#",
        "&#x44",
        "<",
        ">",
        "\\",
        "[^1]",
        "\u{200f}",
        "\u{202e}",
    ];
    proptest::collection::vec(proptest::sample::select(PIECES), 1..40).prop_map(|p| p.concat())
}

#[tokio::test]
async fn markdown_in_any_script_publishes_renders_and_gets_an_excerpt() {
    let app = admin_app().await;
    let mut runner = TestRunner::deterministic();
    let strategy = markdown_in_many_scripts();

    for n in 0..24 {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        let title = format!("Generated {n}");

        let r = publish(&app, &title, &body).await;

        let r = assert_status!(r, 303, "{body:?}");
        let stored = editor::by_id(&app.store, id_from(&location(&r))).await.unwrap().unwrap();
        let words = stored.excerpt.split(' ').count();
        assert!(words <= markdown::EXCERPT_WORDS + 1, "{body:?} gave the excerpt {:?}", stored.excerpt);
        let status = app.get(&format!("/posts/{}", stored.slug)).await;
        assert_status!(status, 200, "{body:?}");
    }
}

//! The editor: posts and pages, preview, slugs, statuses and scheduling, trash.

use std::time::{Duration, Instant};

use hewn::domain::{datefmt, now};
use hewn::store::{editor, settings};

use super::support::{admin_app, admin_app_with_fixed_clock, location, post_form};
use crate::assert::{assert_not_found, assert_redirect, assert_status};
use crate::helpers::{html, texts};

const MARKDOWN: &str = "Intro with \"quotes\" -- and a footnote.[^1]\n\n\
| Fruit | Count |\n|---|---|\n| Apple | 3 |\n\n\
```rust\nfn main() {}\n```\n\n[^1]: The note.\n";

/// The id at the end of an editor redirect (`/admin/posts/{id}/edit?...`).
fn id_from(location: &str) -> i64 {
    location.split('/').nth(3).unwrap().parse().unwrap()
}

async fn save_post(app: &crate::helpers::TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut all = vec![("intent", "save")];
    all.extend_from_slice(fields);
    post_form(app, "/admin/posts", &all).await
}

#[tokio::test]
async fn a_published_post_appears_on_the_index_rendered_from_markdown() {
    let app = admin_app().await;

    let r = save_post(
        &app,
        &[
            ("title", "Ærøskøbing café"),
            ("body", MARKDOWN),
            ("tags", "travel, Denmark, travel"),
            ("status", "published"),
            ("comments_open", "on"),
        ],
    )
    .await;
    let id = id_from(&location(&r));
    let index = app.get("/").await.text().await.unwrap();
    let (status, page) = app.get_text("/posts/aeroskobing-cafe").await;
    let stored = editor::by_id(&app.store, id).await.unwrap().unwrap();
    let list = app.get("/admin/posts").await.text().await.unwrap();

    assert_redirect!(r, 303, format!("/admin/posts/{id}/edit?notice=published"));
    assert_eq!(texts(&html(&index), "[data-test=post-summary] .entry-title")[0], "Ærøskøbing café");
    assert_eq!(status, 200);
    for rendered in ["<table>", "<td>Apple</td>", "footnote-definition", "“quotes”", "–", "language-rust"] {
        assert!(page.contains(rendered), "{rendered} missing in\n{page}");
    }
    assert_eq!(stored.slug, "aeroskobing-cafe");
    assert_eq!(stored.status, hewn::domain::status::PostStatus::Published);
    assert!(stored.excerpt.starts_with("Intro with “quotes”"), "derived excerpt: {}", stored.excerpt);
    let row = format!("[data-test=post-row][data-id=\"{id}\"]");
    assert_eq!(texts(&html(&list), &format!("{row} [data-test=tags]")), ["Denmark, travel"]);
    assert_eq!(texts(&html(&list), &format!("{row} [data-test=comments]")), ["0"]);
}

#[tokio::test]
async fn preview_renders_the_body_without_saving_anything() {
    let app = admin_app().await;
    let before = editor::count(&app.store, hewn::domain::status::PostKind::Post, "all", "", now()).await.unwrap();

    let r = post_form(
        &app,
        "/admin/posts",
        &[
            ("title", "Draft idea"),
            ("body", "Some *emphasis* and <script>alert(1)</script>"),
            ("status", "published"),
            ("intent", "preview"),
        ],
    )
    .await;
    let status = r.status();
    let page = r.text().await.unwrap();
    let doc = html(&page);

    assert_eq!(status, 200);
    assert!(page.contains("<em>emphasis</em>"));
    assert!(!page.contains("<script>alert(1)"), "the preview is sanitised");
    assert_eq!(texts(&doc, "[data-test=preview] .entry-title"), ["Draft idea"]);
    assert!(texts(&doc, "textarea#body")[0].contains("Some *emphasis*"), "the text is kept for more editing");
    assert_eq!(
        editor::count(&app.store, hewn::domain::status::PostKind::Post, "all", "", now()).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn deeply_nested_markdown_previews_and_saves_quickly_with_bounded_html() {
    let app = admin_app().await;
    // The editor takes 200 KiB of Markdown: as many quotes, or list items, one inside the other.
    let quotes = ">".repeat(200 * 1024);
    let lists = "- > ".repeat(50 * 1024 - 1) + "x";

    let start = Instant::now();
    let preview = post_form(
        &app,
        "/admin/posts",
        &[("title", "Deep"), ("body", &quotes), ("status", "draft"), ("intent", "preview")],
    )
    .await;
    let preview_status = preview.status();
    let page = preview.text().await.unwrap();
    let saved = save_post(&app, &[("title", "Deeper"), ("body", &lists), ("status", "published")]).await;
    let took = start.elapsed();

    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(preview_status, 200);
    let doc = html(&page);
    let shown = texts(&doc, "[data-test=preview] blockquote").len();
    assert_eq!(shown, 8, "eight quote levels, the rest as text");
    assert_status!(saved, 303);
    let (_, post) = app.get_text("/posts/deeper").await;
    let doc = html(&post);
    let opened = texts(&doc, ".entry-content li").len() + texts(&doc, ".entry-content blockquote").len();
    assert_eq!(opened, 8, "eight levels of lists and quotes, the rest as text");
}

#[tokio::test]
async fn an_invalid_post_is_shown_again_with_its_text_and_the_reasons() {
    let app = admin_app().await;

    let r = save_post(
        &app,
        &[("title", "  "), ("body", "keep this text"), ("status", "scheduled"), ("publish_at", "soon")],
    )
    .await;
    let status = r.status();
    let page = r.text().await.unwrap();
    let doc = html(&page);

    assert_eq!(status, 422);
    assert_eq!(texts(&doc, "[data-test=error-title]"), ["Enter a title."]);
    assert!(texts(&doc, "[data-test=error-publish_at]")[0].starts_with("Enter a date and time"));
    assert!(texts(&doc, "textarea#body")[0].contains("keep this text"));
}

#[tokio::test]
async fn drafts_stay_hidden_until_published_and_keep_their_date() {
    let app = admin_app().await;

    let r = save_post(&app, &[("title", "Work in progress"), ("body", "draft body"), ("status", "draft")]).await;
    let id = id_from(&location(&r));
    let hidden = app.get("/posts/work-in-progress").await;
    let index = app.get("/").await.text().await.unwrap();
    let edit = post_form(
        &app,
        &format!("/admin/posts/{id}"),
        &[
            ("title", "Work in progress"),
            ("slug", "work-in-progress"),
            ("body", "done now"),
            ("status", "published"),
            ("intent", "save"),
        ],
    )
    .await;
    let published_at = editor::by_id(&app.store, id).await.unwrap().unwrap().published_at.unwrap();
    post_form(
        &app,
        &format!("/admin/posts/{id}"),
        &[
            ("title", "Work in progress, edited"),
            ("slug", "work-in-progress"),
            ("body", "edited"),
            ("status", "published"),
            ("intent", "save"),
        ],
    )
    .await;
    let after_edit = editor::by_id(&app.store, id).await.unwrap().unwrap();

    assert_eq!(location(&r), format!("/admin/posts/{id}/edit?notice=draft-saved"));
    assert_not_found!(hidden);
    assert!(!index.contains("Work in progress"));
    assert_eq!(location(&edit), format!("/admin/posts/{id}/edit?notice=published"));
    assert_status!(app.get("/posts/work-in-progress").await, 200);
    assert!((now() - published_at).abs() < 60);
    assert_eq!(after_edit.published_at, Some(published_at), "saving again keeps the publish date");
    assert_eq!(after_edit.title, "Work in progress, edited");
}

#[tokio::test]
async fn a_scheduled_post_appears_on_its_own_when_its_time_comes() {
    let app = admin_app_with_fixed_clock().await;
    let at = app.clock().now() + 3_600;
    let local = datefmt::format(at, &datefmt::zone("UTC"), "Y-m-d\\TH:i:s");

    let r = save_post(
        &app,
        &[("title", "Coming soon"), ("body", "future"), ("status", "scheduled"), ("publish_at", &local)],
    )
    .await;
    let id = id_from(&location(&r));
    let before = app.get("/posts/coming-soon").await.status();
    let list = app.get("/admin/posts?status=scheduled").await.text().await.unwrap();
    let early = app.get("/").await.text().await.unwrap().contains("Coming soon");
    app.clock().set(at);
    let appeared = app.get("/").await.text().await.unwrap().contains("Coming soon");

    assert_eq!(location(&r), format!("/admin/posts/{id}/edit?notice=scheduled"));
    assert_eq!(before, 404);
    assert_eq!(texts(&html(&list), "[data-test=post-row] [data-test=status]"), ["Scheduled"]);
    assert!(!early, "the scheduled post showed before its time");
    assert!(appeared, "the scheduled post did not appear by itself");
    assert_status!(app.get("/posts/coming-soon").await, 200);
}

#[tokio::test]
async fn publish_times_are_read_in_the_site_time_zone() {
    let app = admin_app().await;
    settings::put(&app.store, "timezone", "Europe/Paris").await.unwrap();

    let r = save_post(
        &app,
        &[("title", "Summer"), ("body", "x"), ("status", "published"), ("publish_at", "2020-07-01T10:00")],
    )
    .await;
    let id = id_from(&location(&r));
    let stored = editor::by_id(&app.store, id).await.unwrap().unwrap();
    let page = app.get(&format!("/admin/posts/{id}/edit")).await.text().await.unwrap();

    assert_eq!(stored.published_at, Some(1_593_590_400), "10:00 in Paris is 08:00 UTC in July");
    assert!(page.contains("value=\"2020-07-01T10:00\""), "shown back in the site's zone");
    assert!(page.contains("In Europe/Paris."));
}

#[tokio::test]
async fn slugs_are_generated_unique_and_editable() {
    let app = admin_app().await;

    let first = save_post(&app, &[("title", "Hello World"), ("body", "1"), ("status", "published")]).await;
    let second = save_post(&app, &[("title", "Hello, world!"), ("body", "2"), ("status", "published")]).await;
    let typed_clash =
        save_post(&app, &[("title", "Other"), ("slug", "hello-world"), ("body", "3"), ("status", "published")]).await;
    let typed_clash_status = typed_clash.status();
    let typed_clash_page = typed_clash.text().await.unwrap();
    let russian = save_post(&app, &[("title", "Москва зимой"), ("body", "4"), ("status", "published")]).await;
    let custom =
        save_post(&app, &[("title", "Anything"), ("slug", "My Custom Slug"), ("body", "5"), ("status", "published")])
            .await;
    let slug = |r: &reqwest::Response| {
        let id = id_from(&location(r));
        let app = &app;
        async move { editor::by_id(&app.store, id).await.unwrap().unwrap().slug }
    };

    assert_eq!(slug(&first).await, "hello-world");
    assert_eq!(slug(&second).await, "hello-world-2");
    assert_eq!(typed_clash_status, 422);
    assert!(typed_clash_page.contains("Another post or page already uses “hello-world”."));
    assert_eq!(slug(&russian).await, "moskva-zimoi");
    assert_eq!(slug(&custom).await, "my-custom-slug");
    assert_status!(app.get("/posts/moskva-zimoi").await, 200);
}

#[tokio::test]
async fn raw_html_in_a_post_is_sanitised_against_scripts() {
    let app = admin_app().await;

    let body = "<p onclick=\"steal()\">hi</p><script>alert(1)</script><a href=\"javascript:alert(2)\">x</a><iframe src=\"https://evil.example\"></iframe>";
    save_post(&app, &[("title", "Unsafe"), ("body", body), ("status", "published")]).await;
    let page = app.get("/posts/unsafe").await.text().await.unwrap();
    let content = page.split("class=\"entry-content\"").nth(1).unwrap();

    assert!(content.contains("hi"));
    for bad in ["<script", "onclick", "javascript:", "<iframe"] {
        assert!(!content.contains(bad), "{bad} survived");
    }
}

#[tokio::test]
async fn trash_restore_and_delete_permanently() {
    let app = admin_app().await;
    let r = save_post(&app, &[("title", "Short lived"), ("body", "x"), ("status", "published")]).await;
    let id = id_from(&location(&r));
    let comment = app.comment(id).author("Reader").body("nice").approved().create().await;

    let early_delete = post_form(&app, &format!("/admin/posts/{id}/delete"), &[]).await;
    let trash = post_form(&app, &format!("/admin/posts/{id}/trash"), &[]).await;
    let public_in_trash = app.get("/posts/short-lived").await;
    let editing_trash = app.get(&format!("/admin/posts/{id}/edit")).await;
    let trash_view = app.get("/admin/posts?status=trash").await.text().await.unwrap();
    let restore = post_form(&app, &format!("/admin/posts/{id}/restore"), &[]).await;
    let restored = editor::by_id(&app.store, id).await.unwrap().unwrap().status;
    post_form(&app, &format!("/admin/posts/{id}/trash"), &[]).await;
    let delete = post_form(&app, &format!("/admin/posts/{id}/delete"), &[]).await;

    assert_status!(early_delete, 409, "only trashed posts can be deleted");
    assert_eq!(location(&trash), "/admin/posts?notice=trashed");
    assert_not_found!(public_in_trash);
    assert_status!(editing_trash, 409);
    assert!(trash_view.contains("data-test=\"restore\""));
    assert_eq!(location(&restore), "/admin/posts?status=trash&notice=restored");
    assert_eq!(restored, hewn::domain::status::PostStatus::Draft, "restored posts come back as drafts");
    assert_eq!(location(&delete), "/admin/posts?status=trash&notice=deleted");
    assert!(editor::by_id(&app.store, id).await.unwrap().is_none());
    assert!(hewn::store::moderation::by_id(&app.store, comment).await.unwrap().is_none(), "its comments went with it");
}

#[tokio::test]
async fn the_post_list_shows_status_dates_tags_and_comment_counts() {
    let app = admin_app().await;
    let demo = super::support::demo_post_id(&app).await;
    app.comment(demo).author("Waiting").body("pending one").create().await;
    save_post(&app, &[("title", "A draft"), ("body", "x"), ("status", "draft"), ("tags", "notes")]).await;

    let page = app.get("/admin/posts").await.text().await.unwrap();
    let doc = html(&page);
    let demo_row = format!("[data-test=post-row][data-id=\"{demo}\"]");

    assert_eq!(texts(&doc, "[data-test=tab]"), ["All 2", "Published 1", "Scheduled 0", "Drafts 1", "Trash 0"]);
    assert_eq!(texts(&doc, &format!("{demo_row} [data-test=comments]")), ["2 1 pending"]);
    assert!(texts(&doc, &format!("{demo_row} .date"))[0].starts_with("Published 12 October, 2013"));
    assert_eq!(texts(&doc, "[data-test=post-row][data-status=draft] [data-test=status]"), ["Draft"]);
    assert_eq!(texts(&doc, "[data-test=post-row][data-status=draft] [data-test=tags]"), ["notes"]);
}

#[tokio::test]
async fn the_all_tab_counts_every_post_the_all_view_lists() {
    let app = admin_app().await;
    // A private post (from a WordPress import) is listed under All, as in WordPress.
    app.post().title("Kept to myself").slug("kept").private().create().await;

    let page = app.get("/admin/posts").await.text().await.unwrap();
    let doc = html(&page);
    let rows = texts(&doc, "[data-test=post-row]").len();

    assert_eq!(rows, 2, "the demo post and the private one");
    assert_eq!(texts(&doc, "[data-test=tab]").first().map(String::as_str), Some("All 2"));
}

/// The list pages through a view by its tab's count when nothing is searched.
#[tokio::test]
async fn every_view_lists_as_many_posts_as_its_tab_counts() {
    let app = admin_app().await;
    let now = now();
    app.post().title("Draft").slug("draft").draft().create().await;
    app.post().title("Private").slug("private").private().create().await;
    app.post().title("Trashed").slug("trashed").trashed().create().await;
    app.post().title("Later").slug("later").scheduled(now + 3600).create().await;
    app.post().title("Due").slug("due").scheduled(now - 60).create().await;

    let kind = hewn::domain::status::PostKind::Post;
    let counts = editor::counts(&app.store, kind, now).await.unwrap();
    for view in ["all", "published", "scheduled", "draft", "trash"] {
        let listed = editor::count(&app.store, kind, view, "", now).await.unwrap();
        assert_eq!(counts.of_view(view), listed, "{view}");
    }
    assert_eq!((counts.of_view("published"), counts.of_view("scheduled")), (2, 1), "a post that came due is published");
}

#[tokio::test]
async fn the_editor_loads_a_stored_post_with_its_fields() {
    let app = admin_app().await;
    let r = save_post(
        &app,
        &[
            ("title", "Loaded"),
            ("body", "# Heading\n\nText"),
            ("excerpt", "My own summary"),
            ("tags", "a, b"),
            ("status", "published"),
        ],
    )
    .await;
    let id = id_from(&location(&r));

    let page = app.get(&format!("/admin/posts/{id}/edit?notice=published")).await.text().await.unwrap();
    let doc = html(&page);

    assert_eq!(super::support::input_value(&page, "title"), "Loaded");
    assert_eq!(super::support::input_value(&page, "slug"), "loaded");
    assert_eq!(super::support::input_value(&page, "tags"), "a, b");
    assert!(texts(&doc, "textarea#body")[0].contains("# Heading"));
    assert_eq!(texts(&doc, "textarea#excerpt"), ["My own summary"]);
    assert_eq!(texts(&doc, "[data-test=notice]"), ["Published."]);
    assert!(page.contains("<option value=\"published\" selected>"));
    assert!(page.contains("href=\"/posts/loaded\""), "a link to the live post");
}

#[tokio::test]
async fn pages_live_at_their_slug_in_the_navigation_but_not_among_posts() {
    let app = admin_app().await;

    let about = post_form(
        &app,
        "/admin/pages",
        &[
            ("title", "About me"),
            ("body", "Who I am."),
            ("status", "published"),
            ("menu_order", "2"),
            ("intent", "save"),
        ],
    )
    .await;
    post_form(
        &app,
        "/admin/pages",
        &[("title", "Contact"), ("body", "Write."), ("status", "published"), ("menu_order", "1"), ("intent", "save")],
    )
    .await;
    post_form(
        &app,
        "/admin/pages",
        &[("title", "Secret plans"), ("body", "x"), ("status", "draft"), ("intent", "save")],
    )
    .await;
    let (status, page) = app.get_text("/about-me").await;
    let index = app.get("/").await.text().await.unwrap();
    let as_post = app.get("/posts/about-me").await;
    let draft = app.get("/secret-plans").await.status();
    let pages_list = app.get("/admin/pages").await.text().await.unwrap();

    assert_eq!(location(&about).split('/').nth(2), Some("pages"));
    assert_eq!(status, 200);
    assert_eq!(texts(&html(&page), "h1.entry-title"), ["About me"]);
    assert!(page.contains("Who I am."));
    assert_eq!(texts(&html(&index), ".site-nav a"), ["Home", "Contact", "About me"], "ordered by menu order");
    assert!(page.contains("<a href=\"/about-me\">About me</a>"), "the navigation is on every page");
    assert_eq!(texts(&html(&index), "[data-test=post-summary] .entry-title"), ["Year of the Stakhanovite"]);
    assert_redirect!(as_post, 301, "/about-me", "a page asked for as a post is sent to its own address");
    assert_eq!(draft, 404);
    assert_eq!(
        texts(&html(&pages_list), "[data-test=post-row] [data-test=title]"),
        ["Secret plans", "Contact", "About me"]
    );
}

#[tokio::test]
async fn pages_cannot_take_the_sites_own_addresses() {
    let app = admin_app().await;

    let mut refused = Vec::new();
    for (title, slug) in
        [("Admin", ""), ("Search", ""), ("Anything", "feed"), ("Anything", "tags"), ("Anything", "static")]
    {
        let r = post_form(
            &app,
            "/admin/pages",
            &[("title", title), ("slug", slug), ("body", "x"), ("status", "published"), ("intent", "save")],
        )
        .await;
        let status = r.status().as_u16();
        let page = r.text().await.unwrap();
        refused.push((status, page.contains("is an address hewn itself uses")));
    }
    let admin_still_admin = app.get("/admin").await;

    assert_eq!(refused, [(422, true); 5]);
    assert_status!(admin_still_admin, 200);
    assert_eq!(editor::count(&app.store, hewn::domain::status::PostKind::Page, "all", "", now()).await.unwrap(), 0);
}

#[tokio::test]
async fn a_long_post_in_any_script_saves_even_when_it_encodes_past_the_comment_limit() {
    let app = admin_app().await;
    // 60,000 Cyrillic letters: 120 KB of UTF-8, about 360 KB percent-encoded.
    let body = "Длинный текст о шахтёрах. ".repeat(2_400);

    let r = save_post(&app, &[("title", "Длинный пост"), ("body", &body), ("status", "published")]).await;

    assert_status!(r, 303);
    let (status, page) = app.get_text("/posts/dlinnyi-post").await;
    assert_eq!(status, 200);
    let content = texts(&html(&page), ".entry-content").join(" ");
    assert_eq!(content.matches("шахтёрах").count(), 2_400);
}

#[tokio::test]
async fn a_renamed_post_or_page_keeps_its_old_address_as_a_redirect() {
    let app = admin_app().await;
    let r = save_post(&app, &[("title", "First name"), ("body", "Words."), ("status", "published")]).await;
    let id = id_from(&location(&r));
    let page = post_form(
        &app,
        "/admin/pages",
        &[("title", "Old page"), ("body", "About."), ("status", "published"), ("intent", "save")],
    )
    .await;
    let page_id = id_from(&location(&page));

    for (path, title, slug) in [
        (format!("/admin/posts/{id}"), "First name", "second-name"),
        (format!("/admin/posts/{id}"), "First name", "third-name"),
        (format!("/admin/pages/{page_id}"), "Old page", "new-page"),
    ] {
        let saved = post_form(
            &app,
            &path,
            &[("title", title), ("slug", slug), ("body", "Words."), ("status", "published"), ("intent", "save")],
        )
        .await;
        assert_status!(saved, 303, "{slug}");
    }

    for (old, new) in [
        ("/posts/first-name", "/posts/third-name"),
        ("/posts/second-name", "/posts/third-name"),
        ("/old-page", "/new-page"),
    ] {
        let moved = app.get(old).await;
        assert_redirect!(moved, 301, new, "{old}");
    }
    assert_status!(app.get("/posts/third-name").await, 200);
    assert_status!(app.get("/new-page").await, 200);
}

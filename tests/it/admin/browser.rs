//! The admin panel in headless Chromium: the newcomer's first steps (setup link,
//! moderation, a first post) on a desktop, and the panel on a phone.

use std::time::Duration;

use fantoccini::Locator;
use hewn::config::{DatabaseConfig, Synchronous};
use hewn::store::{Store, comments, posts};

use crate::browser::Browser;

/// Leaves a pending comment on the demo post, as a reader's submission would, in the
/// running server's database. Returns its id.
async fn reader_comment(b: &Browser, name: &str, text: &str) -> i64 {
    let db = DatabaseConfig::from_cli(&format!("sqlite://{}", b.db_path.display()), Synchronous::Normal).unwrap();
    let store = Store::open(&db).await.unwrap();
    let post = posts::visible_by_slug(&store, hewn::domain::now(), "year-of-the-stakhanovite").await.unwrap().unwrap();
    let body_html = hewn::domain::comment_text::render(text);
    let id = comments::insert(
        &store,
        &comments::NewComment {
            post_id: post.id,
            parent_id: None,
            kind: hewn::domain::status::CommentKind::Comment,
            author_name: name,
            author_email: "reader@example.org",
            author_url: "",
            user_id: None,
            body: text,
            body_html: body_html.as_str(),
            status: hewn::domain::status::CommentStatus::Pending,
            rule: "first-comment",
            author_ip: "198.51.100.23",
            user_agent: "Reader/1.0",
            created_at: hewn::domain::now(),
            avatar_key: "",
        },
    )
    .await
    .unwrap();
    store.close().await;
    id
}

/// Follows the setup link from the server's log and creates the admin.
pub(crate) async fn set_up_admin(b: &Browser) {
    let log = b.server.log();
    let link = log.split_whitespace().find(|w| w.contains("/admin/setup?token=")).expect("no setup link in the log");
    b.client.goto(link).await.unwrap();
    b.wait_for("#username").await.send_keys("owner").await.unwrap();
    b.client.find(Locator::Css("#display_name")).await.unwrap().send_keys("Olga Owner").await.unwrap();
    b.client.find(Locator::Css("#password")).await.unwrap().send_keys("a long passphrase").await.unwrap();
    b.client.find(Locator::Css("#password_again")).await.unwrap().send_keys("a long passphrase").await.unwrap();
    b.screenshot("admin-setup").await;
    b.client.find(Locator::Css("[data-test=setup-submit]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=dash-pending]").await;
}

/// Waits until the text of `css` contains `needle`.
async fn wait_text(b: &Browser, css: &str, needle: &str) -> String {
    for _ in 0..100 {
        if let Ok(e) = b.client.find(Locator::Css(css)).await
            && let Ok(text) = e.text().await
            && text.contains(needle)
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {needle:?}");
}

/// True when the page is no wider than the window.
async fn fits(b: &Browser) -> bool {
    let widths =
        b.client.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    let widths: Vec<i64> = serde_json::from_value(widths).unwrap();
    widths[0] <= widths[1]
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_newcomer_sets_up_moderates_a_reader_comment_and_publishes_a_post() {
    let b = Browser::start((1280, 900)).await;
    b.client.goto(&b.url("/posts/year-of-the-stakhanovite")).await.unwrap();
    b.wait_for("#comment").await.send_keys("Great read, thank you!").await.unwrap();
    b.client.find(Locator::Css("#author")).await.unwrap().send_keys("Rita Reader").await.unwrap();
    b.client.find(Locator::Css("#email")).await.unwrap().send_keys("rita@example.org").await.unwrap();
    b.client.find(Locator::XPath("//button[normalize-space()='Post Comment']")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=awaiting-moderation]").await;
    let after_post = b.client.current_url().await.unwrap();
    let comment: i64 = after_post.query_pairs().find(|(k, _)| k == "unapproved").unwrap().1.parse().unwrap();
    set_up_admin(&b).await;

    b.client.find(Locator::Css("[data-test=nav-comments]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=tab]").await;
    b.client.find(Locator::LinkText("Pending 1")).await.unwrap().click().await.unwrap();
    b.wait_for(&format!("[data-test=comment-row][data-id=\"{comment}\"]")).await;
    b.screenshot("admin-pending-desktop").await;
    b.client
        .find(Locator::Css(&format!("[data-test=comment-row][data-id=\"{comment}\"] [data-test=action-approve]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = wait_text(&b, "[data-test=notice]", "approved").await;
    b.client.goto(&b.url("/posts/year-of-the-stakhanovite")).await.unwrap();
    let public_comment = wait_text(&b, &format!("#comment-{comment}"), "Great read").await;

    b.client.goto(&b.url("/admin/posts")).await.unwrap();
    b.wait_for("[data-test=add-new]").await.click().await.unwrap();
    b.wait_for("#title").await.send_keys("Notes from the coal face").await.unwrap();
    b.client
        .find(Locator::Css("#body"))
        .await
        .unwrap()
        .send_keys("Stakhanov hewed **102 tons** in one shift.\n\n| Shift | Tons |\n|---|---|\n| 1 | 102 |\n")
        .await
        .unwrap();
    b.client.find(Locator::Css("#tags")).await.unwrap().send_keys("history, work").await.unwrap();
    b.client.find(Locator::Css("[data-test=status]")).await.unwrap().select_by_value("published").await.unwrap();
    b.client.find(Locator::Css("[data-test=preview-button]")).await.unwrap().click().await.unwrap();
    let preview = wait_text(&b, "[data-test=preview]", "102 tons").await;
    b.screenshot("admin-editor-preview-desktop").await;
    b.client.find(Locator::Css("[data-test=save]")).await.unwrap().click().await.unwrap();
    let saved = wait_text(&b, "[data-test=notice]", "Published").await;
    b.client.find(Locator::Css("[data-test=view-public]")).await.unwrap().click().await.unwrap();
    let post_title = wait_text(&b, "h1.entry-title", "coal face").await;
    b.client.goto(&b.url("/")).await.unwrap();
    let first_on_index = wait_text(&b, "[data-test=post-summary] .entry-title", "coal face").await;
    b.client.goto(&b.url("/admin")).await.unwrap();
    b.wait_for("[data-test=recent-posts]").await;
    b.screenshot("admin-dashboard-desktop").await;

    assert_eq!(notice, "1 comment approved.");
    assert!(public_comment.contains("Rita Reader"));
    assert!(preview.contains("Shift"), "the table is rendered in the preview");
    assert_eq!(saved, "Published.");
    assert_eq!(post_title, "Notes from the coal face");
    assert_eq!(first_on_index, "Notes from the coal face");
    b.close().await;
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn select_all_and_the_live_date_example_work_under_the_content_security_policy() {
    let b = Browser::start((1280, 900)).await;
    set_up_admin(&b).await;
    for name in ["One", "Two", "Three"] {
        reader_comment(&b, name, "bulk me").await;
    }

    b.client.goto(&b.url("/admin/comments?status=pending")).await.unwrap();
    b.wait_for("[data-test=select-all]").await.click().await.unwrap();
    let mut ticked = 0;
    for e in b.client.find_all(Locator::Css("[data-test=select]")).await.unwrap() {
        if e.is_selected().await.unwrap() {
            ticked += 1;
        }
    }
    b.client.find(Locator::Css("[data-test=bulk-action]")).await.unwrap().select_by_value("approve").await.unwrap();
    b.client.find(Locator::Css("[data-test=bulk-apply]")).await.unwrap().click().await.unwrap();
    let notice = wait_text(&b, "[data-test=notice]", "approved").await;

    b.client.goto(&b.url("/admin/settings")).await.unwrap();
    let field = b.wait_for("#f-date_format").await;
    field.clear().await.unwrap();
    field.send_keys("\\Y\\e\\a\\r: Y").await.unwrap();
    let example = wait_text(&b, "[data-test=example-date_format]", "Year: ").await;
    b.screenshot("admin-settings-desktop").await;

    assert_eq!(ticked, 3);
    assert_eq!(notice, "3 comments approved.");
    assert!(example.starts_with("Year: 20"), "{example}");
    b.close().await;
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn the_panel_fits_a_phone_screen() {
    let b = Browser::start((390, 844)).await;
    set_up_admin(&b).await;
    let comment = reader_comment(
        &b,
        "Mobile Reader",
        "Reading this on the bus with a long-unbroken-word-that-goes-on-and-on-and-on",
    )
    .await;

    let mut overflowing = Vec::new();
    for (path, ready, shot) in [
        ("/admin", "[data-test=dash-pending]", "admin-dashboard-phone"),
        ("/admin/comments?status=pending", "[data-test=comment-row]", "admin-comments-phone"),
        ("/admin/posts", "[data-test=post-row]", "admin-posts-phone"),
        ("/admin/posts/new", "#title", "admin-editor-phone"),
        ("/admin/settings", "#f-date_format", "admin-settings-phone"),
        (&format!("/admin/comments/{comment}/edit") as &str, "[data-test=reply-form]", "admin-comment-edit-phone"),
    ] {
        b.client.goto(&b.url(path)).await.unwrap();
        b.wait_for(ready).await;
        b.screenshot(shot).await;
        if !fits(&b).await {
            overflowing.push(path.to_owned());
        }
    }
    b.client.find(Locator::Css("[data-test=logout]")).await.unwrap().click().await.unwrap();
    let logged_out = wait_text(&b, "[data-test=notice]", "logged out").await;
    b.screenshot("admin-login-phone").await;
    let login_fits = fits(&b).await;
    b.client.goto(&b.url("/admin/comments?status=pending")).await.unwrap();
    b.wait_for("#username").await.send_keys("OWNER").await.unwrap();
    b.client.find(Locator::Css("#password")).await.unwrap().send_keys("a long passphrase").await.unwrap();
    b.client.find(Locator::Css("[data-test=login-submit]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=action-approve]").await.click().await.unwrap();
    let notice = wait_text(&b, "[data-test=notice]", "approved").await;

    assert!(overflowing.is_empty(), "wider than the phone: {overflowing:?}");
    assert_eq!(logged_out, "You are now logged out.");
    assert!(login_fits);
    assert_eq!(notice, "1 comment approved.", "logging in returned to the pending comments");
    b.close().await;
}

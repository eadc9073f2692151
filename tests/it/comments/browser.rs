//! The comment form in headless Chromium: filled by its labels, sent without
//! JavaScript, replied to through the Reply link, and used with a keyboard alone.

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use super::DEMO;
use crate::browser::Browser;

/// Turns flood control off in the browser's server (the tests post twice quickly).
async fn no_flood(b: &Browser) {
    sql(
        b,
        "insert into settings (name, value) values ('comment_flood_seconds', '0') \
         on conflict (name) do update set value = excluded.value",
    )
    .await;
}

/// Types `value` into the field whose visible label starts with `label`, as a person
/// finds a field.
async fn fill_by_label(b: &Browser, label: &str, value: &str) {
    let xpath = format!("//label[starts-with(normalize-space(.), '{label}')]");
    let label = b.client.find(Locator::XPath(&xpath)).await.unwrap();
    let id = label.attr("for").await.unwrap().expect("the label names its field");
    let field = b.client.find(Locator::Id(&id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Presses one key on whatever has the focus.
async fn press(b: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    b.client.perform_actions(keys).await.unwrap();
}

/// The id of the focused element.
async fn focused(b: &Browser) -> String {
    b.client.active_element().await.unwrap().attr("id").await.unwrap().unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_newcomer_comments_by_the_labels_then_replies_through_the_reply_link_without_javascript() {
    let b = Browser::start_with((1200, 900), &["--blink-settings=scriptEnabled=false"]).await;
    no_flood(&b).await;

    b.client.goto(&b.url(DEMO)).await.unwrap();
    fill_by_label(&b, "Comment", "My first words on hewn.").await;
    fill_by_label(&b, "Name", "Newcomer").await;
    fill_by_label(&b, "Email", "newcomer@example.com").await;
    fill_by_label(&b, "Website", "newcomer.example").await;
    b.client.find(Locator::XPath("//label[starts-with(., 'Save my name')]")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::XPath("//button[normalize-space()='Post Comment']")).await.unwrap().click().await.unwrap();
    let notice = b.wait_for("[data-test=awaiting-moderation]").await.text().await.unwrap();
    let after_post = b.client.current_url().await.unwrap();
    let pending_text = b
        .client
        .find(Locator::Css("li:has(> article [data-test=awaiting-moderation]) .comment-content"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.screenshot("comment-pending").await;

    b.client.find(Locator::Css("a[aria-label='Reply to B. Knickerbocker']")).await.unwrap().click().await.unwrap();
    let heading = b.wait_for("#reply-title").await.text().await.unwrap();
    let remembered = b.client.find(Locator::Id("author")).await.unwrap().prop("value").await.unwrap();
    fill_by_label(&b, "Comment", "And a reply to the first comment.").await;
    b.client.find(Locator::XPath("//button[normalize-space()='Post Comment']")).await.unwrap().click().await.unwrap();
    let reply = b.wait_for("li#comment-1 > ol.children > li [data-test=awaiting-moderation]").await;
    let reply_item = b.client.find(Locator::Css("li#comment-1 > ol.children > li .comment-content")).await.unwrap();
    let reply_text = reply_item.text().await.unwrap();
    // The JSON-LD data block is not a script that runs.
    let scripts = b.client.find_all(Locator::Css("script:not([type='application/ld+json'])")).await.unwrap().len();
    b.screenshot("comment-reply-pending").await;

    assert_eq!(notice, "Your comment is awaiting moderation.");
    assert!(after_post.query().unwrap_or_default().contains("unapproved="), "{after_post}");
    assert_eq!(pending_text, "My first words on hewn.");
    assert!(heading.starts_with("Leave a Reply to B. Knickerbocker"), "{heading}");
    assert!(heading.contains("Cancel reply"));
    assert_eq!(remembered.as_deref(), Some("Newcomer"), "the ticked box remembered the name");
    assert_eq!(reply.text().await.unwrap(), "Your comment is awaiting moderation.");
    assert_eq!(reply_text, "And a reply to the first comment.");
    assert_eq!(scripts, 0);
    b.close().await;
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn the_form_can_be_filled_and_sent_with_the_keyboard_alone() {
    let b = Browser::start((1200, 900)).await;
    b.client.goto(&b.url(DEMO)).await.unwrap();
    b.wait_for("#commentform").await;

    let mut presses = 0;
    while focused(&b).await != "comment" {
        press(&b, Key::Tab).await;
        presses += 1;
        assert!(presses < 80, "Tab never reached the comment field");
    }
    let mut visited = vec![focused(&b).await];
    b.client.active_element().await.unwrap().send_keys("Typed with the keyboard alone.").await.unwrap();
    for text in ["Keys Only", "keys@example.com", ""] {
        press(&b, Key::Tab).await;
        visited.push(focused(&b).await);
        if !text.is_empty() {
            b.client.active_element().await.unwrap().send_keys(text).await.unwrap();
        }
    }
    press(&b, Key::Tab).await;
    visited.push(focused(&b).await);
    press(&b, Key::Space).await;
    press(&b, Key::Tab).await;
    visited.push(focused(&b).await);
    press(&b, Key::Enter).await;
    let notice = b.wait_for("[data-test=awaiting-moderation]").await.text().await.unwrap();

    assert_eq!(visited, ["comment", "author", "email", "url", "wp-comment-cookies-consent", "comment-submit"]);
    assert_eq!(notice, "Your comment is awaiting moderation.");
    b.close().await;
}

/// Runs SQL on the browser's server database from outside (a setting, or aging a row).
async fn sql(b: &Browser, statement: &str) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", b.db_path.display())).await.unwrap();
    sqlx::query(statement).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_commenter_previews_posts_fixes_a_typo_within_the_window_and_then_the_controls_are_gone() {
    let b = Browser::start_with((1200, 900), &["--blink-settings=scriptEnabled=false"]).await;
    no_flood(&b).await;

    b.client.goto(&b.url(DEMO)).await.unwrap();
    fill_by_label(&b, "Comment", "Teh *typo* is mine.").await;
    fill_by_label(&b, "Name", "Careful").await;
    fill_by_label(&b, "Email", "careful@example.com").await;
    b.client.find(Locator::XPath("//button[normalize-space()='Preview']")).await.unwrap().click().await.unwrap();
    let preview = b.wait_for("[data-test=comment-preview]").await.text().await.unwrap();
    let kept = b.client.find(Locator::Id("comment")).await.unwrap().prop("value").await.unwrap();
    b.screenshot("comment-preview").await;
    assert!(preview.contains("Preview — not posted yet") && preview.contains("Teh typo is mine."), "{preview}");
    assert_eq!(kept.as_deref(), Some("Teh *typo* is mine."));

    b.client.find(Locator::XPath("//button[normalize-space()='Post Comment']")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=awaiting-moderation]").await;
    b.client.find(Locator::Css("[data-test=edit-own]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=comment-edit]").await;
    fill_by_label(&b, "Comment", "The *typo* is gone.").await;
    b.client.find(Locator::Css("[data-test=save-edit]")).await.unwrap().click().await.unwrap();
    let fixed = b.wait_for("li:has(> article [data-test=awaiting-moderation]) .comment-content").await;
    assert_eq!(fixed.text().await.unwrap(), "The typo is gone.");
    let edited = b.client.find(Locator::Css("[data-test=comment-edited]")).await.unwrap().text().await.unwrap();
    assert_eq!(edited, "(edited)");
    b.screenshot("comment-edited").await;

    // Ten minutes later (the comment's time moved back), the controls are gone.
    sql(&b, "update comments set created_at = created_at - 601 where body = 'The *typo* is gone.'").await;
    b.client.refresh().await.unwrap();
    b.wait_for("[data-test=awaiting-moderation]").await;
    let controls = b.client.find_all(Locator::Css("[data-test=edit-own]")).await.unwrap();
    assert!(controls.is_empty(), "no Edit after the window");
    b.close().await;
}

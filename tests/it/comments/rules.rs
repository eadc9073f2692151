//! The moderation rules over HTTP, each with the status and rule it stores.

use hewn::store::settings;

use super::{DEMO, approve, comment_id, form, location, no_flood, post_form, row_with_body, rows};
use crate::assert::assert_status;
use crate::helpers::{Spawn, TestApp, client, html, spawn_app, spawn_with, texts};

/// Posts a valid comment and returns its stored (status, rule).
async fn outcome(app: &TestApp, fields: &[(&str, &str)]) -> (String, String) {
    let r = post_form(app, &app.client, fields).await;
    assert_status!(r, 303, "{fields:?}");
    let text = fields.iter().find(|(n, _)| *n == "comment").unwrap().1;
    let row = row_with_body(app, text).await.unwrap();
    (row.status, row.rule)
}

fn pair(status: &str, rule: &str) -> (String, String) {
    (status.to_owned(), rule.to_owned())
}

#[tokio::test]
async fn a_first_comment_is_held_and_an_approved_author_passes_next_time() {
    let app = spawn_app().await;
    no_flood(&app).await;

    let first = outcome(&app, &form("my first comment", "Ann", "ann@example.com")).await;
    approve(&app, row_with_body(&app, "my first comment").await.unwrap().id).await;
    let second = outcome(&app, &form("my second comment", "Ann", "ANN@Example.com")).await;
    let other_name = outcome(&app, &form("same email, other name", "Annie", "ann@example.com")).await;
    let other_email = outcome(&app, &form("same name, other email", "Ann", "ann@elsewhere.example")).await;

    assert_eq!(first, pair("pending", "first-comment"));
    assert_eq!(second, pair("approved", "known-author"), "the email matches in any case");
    assert_eq!(other_name, pair("pending", "first-comment"));
    assert_eq!(other_email, pair("pending", "first-comment"));
}

#[tokio::test]
async fn without_the_prior_approval_rule_comments_are_approved() {
    let app = spawn_app().await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();

    assert_eq!(outcome(&app, &form("straight in", "Ann", "ann@example.com")).await, pair("approved", "open"));
}

#[tokio::test]
async fn a_filled_honeypot_is_spam_answered_like_a_normal_success() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let human = post_form(&app, &app.client, &form("a human wrote this", "Ann", "ann@example.com")).await;
    let mut bot_form = form("a bot wrote this", "Bot", "bot@example.com");
    bot_form.push(("subject", "Buy now"));

    let bot = post_form(&app, &app.client, &bot_form).await;

    assert_eq!(bot.status(), human.status());
    let names = |r: &reqwest::Response| {
        let mut n: Vec<String> = r.headers().keys().map(|k| k.to_string()).collect();
        n.sort();
        n.dedup();
        n.retain(|k| k != "x-request-id" && k != "date");
        n
    };
    assert_eq!(names(&bot), names(&human));
    let shape = |l: String| l.split(|c: char| c.is_ascii_digit() || c.is_ascii_hexdigit()).collect::<String>();
    assert_eq!(shape(location(&bot)), shape(location(&human)), "same redirect shape");
    let row = row_with_body(&app, "a bot wrote this").await.unwrap();
    assert_eq!((row.status.as_str(), row.rule.as_str()), ("spam", "honeypot"));
    // The bot's own browser (a fresh one: the human posted from this client too).
    let page = client().get(app.url(&location(&bot))).send().await.unwrap().text().await.unwrap();
    assert_eq!(texts(&html(&page), "[data-test=awaiting-moderation]").len(), 1, "the bot sees a normal pending notice");
}

#[tokio::test]
async fn block_list_words_in_any_field_make_spam() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_block_words", "casino\n  \nsp4m.example\nBadBot/1.0\n198.51.100.")
        .await
        .unwrap();
    let proxied =
        spawn_with(Spawn { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Spawn::default() }).await;
    no_flood(&proxied).await;
    settings::put(&proxied.store, "comment_block_words", "198.51.100.").await.unwrap();

    let by_text = outcome(&app, &form("Visit my CASINO", "Ann", "ann@example.com")).await;
    let by_name = outcome(&app, &form("by name", "Casino Carl", "carl@example.com")).await;
    let by_email = outcome(&app, &form("by email", "Em", "em@sp4m.example")).await;
    let mut with_url = form("by url", "Ur", "ur@example.com");
    with_url[3] = ("url", "https://sp4m.example/x");
    let by_url = outcome(&app, &with_url).await;
    let by_agent = app
        .client
        .post(app.url(super::DEMO_FORM))
        .header("user-agent", "Mozilla/5.0 BadBot/1.0")
        .form(&form("by user agent", "Ua", "ua@example.com"))
        .send()
        .await
        .unwrap();
    let by_ip = proxied
        .client
        .post(proxied.url(super::DEMO_FORM))
        .header("x-forwarded-for", "198.51.100.23")
        .form(&form("by address", "Ip", "ip@example.com"))
        .send()
        .await
        .unwrap();
    let clean = outcome(&app, &form("a clean comment", "Cl", "cl@example.com")).await;

    for (what, got) in [("text", by_text), ("name", by_name), ("email", by_email), ("url", by_url)] {
        assert_eq!(got, pair("spam", "blocklist"), "{what}");
    }
    assert_status!(by_agent, 303);
    let ua = row_with_body(&app, "by user agent").await.unwrap();
    assert_eq!(
        (ua.status.as_str(), ua.rule.as_str(), ua.user_agent.as_str()),
        ("spam", "blocklist", "Mozilla/5.0 BadBot/1.0")
    );
    assert_status!(by_ip, 303);
    let ip = row_with_body(&proxied, "by address").await.unwrap();
    assert_eq!((ip.status.as_str(), ip.rule.as_str(), ip.author_ip.as_str()), ("spam", "blocklist", "198.51.100.23"));
    assert_eq!(clean, pair("pending", "first-comment"));
}

#[tokio::test]
async fn the_same_client_again_within_15_seconds_gets_429_and_nothing_is_stored() {
    let app = spawn_app().await;
    let first = post_form(&app, &app.client, &form("first words", "Ann", "ann@example.com")).await;

    let again = post_form(&app, &client(), &form("second words", "Bo", "bo@example.com")).await;

    assert_status!(first, 303);
    let again = assert_status!(again, 429);
    let retry: u64 = again.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    let page = again.body;
    let message = &texts(&html(&page), ".error-message")[0];
    assert!(message.contains("Slow down") && message.contains("too quickly"), "{message}");
    assert!(row_with_body(&app, "second words").await.is_none());
}

/// Posts a comment through the app's loopback peer, claiming `from` in `X-Forwarded-For`.
async fn send_from(app: &TestApp, from: &str, text: &str) -> u16 {
    let r = app.client.post(app.url(super::DEMO_FORM)).header("x-forwarded-for", from).form(&form(
        text,
        "Ann",
        "ann@example.com",
    ));
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn flood_control_knows_clients_behind_a_trusted_proxy_and_ignores_forged_headers() {
    let proxied =
        spawn_with(Spawn { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Spawn::default() }).await;
    let direct = spawn_app().await;

    let a = send_from(&proxied, "203.0.113.1", "from a").await;
    let b = send_from(&proxied, "203.0.113.2", "from b").await;
    let a_again = send_from(&proxied, "203.0.113.1", "from a again").await;
    let forged_first = send_from(&direct, "203.0.113.1", "forged one").await;
    let forged_second = send_from(&direct, "203.0.113.2", "forged two").await;

    assert_eq!((a, b, a_again), (303, 303, 429));
    assert_eq!(row_with_body(&proxied, "from b").await.unwrap().author_ip, "203.0.113.2");
    assert_eq!((forged_first, forged_second), (303, 429), "an untrusted peer's header is ignored");
    assert_eq!(row_with_body(&direct, "forged one").await.unwrap().author_ip, "127.0.0.1");
}

#[tokio::test]
async fn a_duplicate_comment_gets_409_and_nothing_is_stored() {
    let app = spawn_app().await;
    no_flood(&app).await;
    post_form(&app, &app.client, &form("I have said this.", "Ann", "ann@example.com")).await;

    let same_email = post_form(&app, &app.client, &form("I have said this.", "Someone", "ann@example.com")).await;
    let same_name = post_form(&app, &app.client, &form("I have said this.", "Ann", "other@example.com")).await;
    let someone_else = post_form(&app, &app.client, &form("I have said this.", "Bo", "bo@example.com")).await;

    let same_email = assert_status!(same_email, 409);
    let page = same_email.body;
    assert_eq!(
        texts(&html(&page), ".error-message"),
        ["Duplicate comment detected; it looks as though you've already said that!"]
    );
    assert_status!(same_name, 409);
    assert_status!(someone_else, 303);
    assert_eq!(rows(&app).await.iter().filter(|r| r.body == "I have said this.").count(), 2);
}

#[tokio::test]
async fn duplicate_detection_can_be_turned_off() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_duplicate_check", "0").await.unwrap();
    post_form(&app, &app.client, &form("Twice on purpose.", "Ann", "ann@example.com")).await;

    let again = post_form(&app, &app.client, &form("Twice on purpose.", "Ann", "ann@example.com")).await;

    assert_status!(again, 303);
    assert_eq!(rows(&app).await.iter().filter(|r| r.body == "Twice on purpose.").count(), 2);
}

#[tokio::test]
async fn two_or_more_links_hold_a_comment_even_from_a_known_author() {
    let app = spawn_app().await;
    no_flood(&app).await;
    post_form(&app, &app.client, &form("hello", "Ann", "ann@example.com")).await;
    approve(&app, row_with_body(&app, "hello").await.unwrap().id).await;

    let one = outcome(&app, &form("one link https://a.example", "Ann", "ann@example.com")).await;
    let two = outcome(&app, &form("two https://a.example and [b](https://b.example)", "Ann", "ann@example.com")).await;
    settings::put(&app.store, "comment_max_links", "0").await.unwrap();
    let off =
        outcome(&app, &form("https://a.example https://b.example https://c.example", "Ann", "ann@example.com")).await;

    assert_eq!(one, pair("approved", "known-author"));
    assert_eq!(two, pair("pending", "links"));
    assert_eq!(off, pair("approved", "known-author"), "0 turns the rule off");
}

#[tokio::test]
async fn moderation_words_and_manual_approval_hold_comments() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    settings::put(&app.store, "comment_moderation_words", "refund\nexample.net").await.unwrap();

    let by_text = outcome(&app, &form("I want a Refund", "Ann", "ann@example.com")).await;
    let by_email = outcome(&app, &form("by email", "Bo", "bo@example.net")).await;
    let clean = outcome(&app, &form("nothing to see", "Cy", "cy@example.com")).await;
    settings::put(&app.store, "comment_manual_approval", "1").await.unwrap();
    let manual = outcome(&app, &form("nothing to see either", "Cy", "cy@example.com")).await;

    assert_eq!(by_text, pair("pending", "moderation-words"));
    assert_eq!(by_email, pair("pending", "moderation-words"));
    assert_eq!(clean, pair("approved", "open"));
    assert_eq!(manual, pair("pending", "manual"));
}

#[tokio::test]
async fn earlier_rules_win_blocked_words_before_flood_and_flood_before_duplicates() {
    let app = spawn_app().await;
    settings::put(&app.store, "comment_block_words", "casino").await.unwrap();
    post_form(&app, &app.client, &form("said once", "Ann", "ann@example.com")).await;

    let blocked = post_form(&app, &app.client, &form("casino again", "Ann", "ann@example.com")).await;
    let repeated = post_form(&app, &app.client, &form("said once", "Ann", "ann@example.com")).await;

    assert_status!(blocked, 303, "a blocked word is spam even inside the flood interval");
    assert_eq!(row_with_body(&app, "casino again").await.unwrap().status, "spam");
    assert_status!(repeated, 429, "flood control answers before the duplicate check");
}

#[tokio::test]
async fn every_submission_gets_exactly_one_status_and_a_rule() {
    let app = spawn_app().await;
    no_flood(&app).await;
    for i in 0..5 {
        let text = format!("comment number {i}");
        post_form(&app, &app.client, &form(&text, "Ann", "ann@example.com")).await;
    }

    let all = rows(&app).await;

    assert_eq!(all.len(), 7);
    for r in all {
        assert!(["pending", "approved", "spam", "trash"].contains(&r.status.as_str()), "{r:?}");
        assert!(!r.rule.is_empty(), "{r:?}");
    }
    let page = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("comment number"), "held comments stay hidden from the public");
}

#[tokio::test]
async fn a_comment_stores_its_client_and_user_agent_for_moderation() {
    let app = spawn_app().await;

    let r = app
        .client
        .post(app.url(super::DEMO_FORM))
        .header("user-agent", "TestBrowser/2.0")
        .form(&form("with details", "Ann", "ann@example.com"))
        .send()
        .await
        .unwrap();

    let id = comment_id(&location(&r));
    let row = rows(&app).await.into_iter().find(|r| r.id == id).unwrap();
    assert_eq!((row.author_ip.as_str(), row.user_agent.as_str()), ("127.0.0.1", "TestBrowser/2.0"));
    assert_eq!(row.post_id, 1);
}

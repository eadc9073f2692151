//! Hostile submissions that cost the server: deeply nested Markdown, floods of it,
//! posts from other sites, invisible or multi-line values, maximal comments in any
//! script, and replies that would probe for hidden comments.

use std::time::{Duration, Instant};

use hewn::store::settings;

use super::{DEMO, DEMO_FORM, approve, comment_id, form, location, no_flood, post_form, rows};
use crate::assert::assert_status;
use crate::helpers::{TestApp, html, spawn_app, texts};

const FORM: &str = "application/x-www-form-urlencoded";
/// Longest a hostile comment may take to be answered, in a debug build on a busy machine.
const QUICK: Duration = Duration::from_secs(10);

/// The comment of the security report: 65,524 `>`, one quote inside the other.
fn deep_quotes() -> String {
    ">".repeat(65_524)
}

/// The stored HTML of every comment with this text.
async fn stored_html(app: &TestApp, body: &str) -> Vec<String> {
    app.db().await.column("select body_html from comments where body = $1", &[body.into()]).await
}

/// Checks the answer to a deeply quoted comment: stored with at most eight quote
/// levels, or (on a machine too slow to render it within the budget) refused with a
/// message beside the comment field and nothing stored.
async fn assert_bounded(app: &TestApp, response: reqwest::Response, body: &str) {
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    let stored = stored_html(app, body).await;
    match status {
        303 => {
            assert_eq!(stored.len(), 1);
            assert!(stored[0].len() < 300_000, "{} bytes of HTML", stored[0].len());
            assert_eq!(stored[0].matches("<blockquote>").count(), 8);
        }
        422 => {
            assert!(texts(&html(&page), "#comment-error")[0].contains("more formatting than can be shown"));
            assert!(stored.is_empty());
        }
        other => panic!("answered {other}"),
    }
}

#[tokio::test]
async fn a_comment_of_65524_nested_quotes_is_answered_quickly_with_bounded_html() {
    let app = spawn_app().await;
    let body = deep_quotes();

    let start = Instant::now();
    let r = post_form(&app, &app.client, &form(&body, "Deep", "deep@example.com")).await;
    let took = start.elapsed();

    assert!(took < QUICK, "took {took:?}");
    assert_bounded(&app, r, &body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_answers_quickly_while_two_deep_comments_render() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let (one, two) = (deep_quotes(), format!("{}x", deep_quotes()));
    let post = |body: String, email: &'static str| {
        let (client, url) = (app.client.clone(), app.url(DEMO_FORM));
        tokio::spawn(async move {
            let fields = form(&body, "Deep", email);
            let start = Instant::now();
            let r = client.post(url).form(&fields).send().await.unwrap();
            (r, start.elapsed())
        })
    };

    let (first, second) = (post(one.clone(), "one@example.com"), post(two.clone(), "two@example.com"));
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while !(first.is_finished() && second.is_finished()) {
        let start = Instant::now();
        let r = app.get("/robots.txt").await;
        slowest = slowest.max(start.elapsed());
        assert_status!(r, 200);
        answered += 1;
    }
    let ((r1, t1), (r2, t2)) = (first.await.unwrap(), second.await.unwrap());

    assert!(answered >= 1);
    assert!(slowest < Duration::from_secs(2), "robots.txt took {slowest:?} while comments rendered");
    assert!(t1 < QUICK && t2 < QUICK, "{t1:?} {t2:?}");
    assert_bounded(&app, r1, &one).await;
    assert_bounded(&app, r2, &two).await;
}

#[tokio::test]
async fn a_comment_whose_html_would_be_too_large_is_refused_with_422_and_not_stored() {
    let app = spawn_app().await;
    let before = rows(&app).await.len();
    // Eleven characters open eight quotes each: some 1.3 MB of HTML in all.
    let body = ">>>>>>>>a\n\n".repeat(5_000);

    let r = post_form(&app, &app.client, &form(&body, "Deep", "deep@example.com")).await;

    let r = assert_status!(r, 422);
    let doc = html(&r.body);
    assert!(texts(&doc, "#comment-error")[0].contains("more formatting than can be shown"));
    assert!(texts(&doc, "textarea#comment")[0].starts_with(">>>>>>>>a >>>>>>>>a"), "the text is kept");
    assert_eq!(rows(&app).await.len(), before);
}

#[tokio::test]
async fn flood_control_refuses_a_deep_comment_before_rendering_it() {
    let app = spawn_app().await;
    let first = post_form(&app, &app.client, &form("A first comment.", "Ann", "ann@example.com")).await;
    assert_status!(first, 303);

    let start = Instant::now();
    let r = post_form(&app, &app.client, &form(&deep_quotes(), "Ann", "ann@example.com")).await;

    assert_status!(r, 429);
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    assert!(stored_html(&app, &deep_quotes()).await.is_empty());
}

#[tokio::test]
async fn comment_posts_from_other_sites_are_refused_with_the_error_page() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let post = |text: &'static str, header: Option<(&'static str, String)>| {
        let mut request = app.client.post(app.url(DEMO_FORM)).form(&form(text, "Ann", "ann@example.com"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };

    let evil = post("from evil", Some(("origin", "http://evil.example".to_owned()))).await.unwrap();
    let cross = post("cross-site", Some(("sec-fetch-site", "cross-site".to_owned()))).await.unwrap();
    let own = post("same origin", Some(("origin", app.base.clone()))).await.unwrap();
    let same = post("same-origin fetch", Some(("sec-fetch-site", "same-origin".to_owned()))).await.unwrap();
    let curl = post("no headers", None).await.unwrap();

    for refused in [evil, cross] {
        let refused = assert_status!(refused, 403);
        let doc = html(&refused.body);
        assert_eq!(texts(&doc, "[data-test=error]").len(), 1, "the site's error page");
        assert!(texts(&doc, "[data-test=error]")[0].contains("came from another site"));
    }
    assert_eq!([own.status(), same.status(), curl.status()].map(|s| s.as_u16()), [303, 303, 303]);
    let bodies: Vec<String> = rows(&app).await.into_iter().map(|r| r.body).collect();
    assert!(!bodies.iter().any(|b| b == "from evil" || b == "cross-site"), "{bodies:?}");
    assert!(bodies.iter().any(|b| b == "no headers"));
}

#[tokio::test]
async fn invisible_names_and_comments_count_as_empty() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let before = rows(&app).await.len();

    for invisible in ["\u{200B}", "\u{FEFF}", "\u{200B}\u{FEFF}\u{2060} \u{200D}"] {
        let r = post_form(&app, &app.client, &form(invisible, invisible, "ann@example.com")).await;

        let r = assert_status!(r, 422, "{invisible:?}");
        let doc = html(&r.body);
        assert!(texts(&doc, "#comment-error")[0].contains("type your comment"), "{invisible:?}");
        assert!(texts(&doc, "#author-error")[0].contains("enter your name"), "{invisible:?}");
    }
    assert_eq!(rows(&app).await.len(), before);
}

#[tokio::test]
async fn one_line_fields_refuse_tabs_and_line_separators() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let before = rows(&app).await.len();

    for name in ["Ann\tLee", "Ann\u{2028}Lee", "Ann\u{2029}Lee"] {
        let r = post_form(&app, &app.client, &form("Hello.", name, "ann@example.com")).await;

        let r = assert_status!(r, 422, "{name:?}");
        let doc = html(&r.body);
        assert!(texts(&doc, "#author-error")[0].contains("one line"), "{name:?}");
    }
    assert_eq!(rows(&app).await.len(), before);
}

#[tokio::test]
async fn bidi_controls_in_names_are_isolated_in_feed_titles() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    let (name, hebrew) = ("\u{202E}Mallory\u{2066}", "\u{202E}דוד");

    for (who, email) in [(name, "m@example.com"), (hebrew, "d@example.com")] {
        let r = post_form(&app, &app.client, &form("Reversed, am I?", who, email)).await;
        assert_status!(r, 303);
    }
    let (_, feed) = app.get_text("/comments/feed.xml").await;

    let titles: Vec<&str> =
        feed.split("<title type=\"text\">").skip(1).filter_map(|t| t.split("</title>").next()).collect();
    assert!(titles.iter().all(|t| !t.contains(['\u{202E}', '\u{2066}'])), "{titles:?}");
    assert!(titles.iter().any(|t| t.ends_with(" by Mallory")), "{titles:?}");
    assert!(titles.iter().any(|t| t.ends_with(" by \u{2068}דוד\u{2069}")), "right to left, isolated: {titles:?}");
}

/// Every byte percent-encoded, as a browser encodes characters outside ASCII.
fn encode_every_byte(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn maximal_comments_in_any_script_fit_and_one_character_more_is_refused() {
    let app = spawn_app().await;
    no_flood(&app).await;

    for (i, c) in ["é", "😀"].into_iter().enumerate() {
        let comment = c.repeat(65_525);
        let author = "😀".repeat(245);
        let email = format!("{}{i}@{}.example.com", "e".repeat(63), "d".repeat(23));
        let url = format!("https://example.com/{}", "😀".repeat(180));
        let body = format!(
            "comment={}&author={}&email={}&url={}&comment_parent=0&wp-comment-cookies-consent=yes",
            encode_every_byte(&comment),
            encode_every_byte(&author),
            encode_every_byte(&email),
            encode_every_byte(&url)
        );
        let longer =
            format!("comment={}&author=Ann&email=ann%40example.com", encode_every_byte(&format!("{comment}y")));

        let (status, _) = super::post_raw(&app, DEMO_FORM, FORM, body.into_bytes()).await;
        let (too_long, page) = super::post_raw(&app, DEMO_FORM, FORM, longer.into_bytes()).await;

        assert_eq!(status, 303, "65,525 × {c}");
        assert_eq!(super::row_with_body(&app, &comment).await.unwrap().author_name, author);
        assert_eq!(too_long, 422, "65,526 × {c}");
        let message = texts(&html(&page), "#comment-error")[0].clone();
        assert!(message.contains("65526 characters"), "{message}");
    }
}

#[tokio::test]
async fn replies_to_hidden_missing_and_closed_comments_get_one_answer() {
    let app = spawn_app().await;
    no_flood(&app).await;
    let held = post_form(&app, &app.client, &form("held for moderation", "Ann", "ann@example.com")).await;
    let held = comment_id(&location(&held));
    let closed = post_form(&app, &app.client, &form("approved, then trashed", "Bo", "bo@example.com")).await;
    let closed = comment_id(&location(&closed));
    approve(&app, closed).await;
    app.db().await.exec("update comments set status = 'trash' where id = $1", &[closed.into()]).await;
    let reply = |parent: i64| {
        let parent = parent.to_string();
        let fields = vec![
            ("comment", "my reply".to_owned()),
            ("author", "Cy".to_owned()),
            ("email", "cy@example.com".to_owned()),
            ("comment_parent", parent),
        ];
        app.client.post(app.url(DEMO_FORM)).form(&fields).send()
    };

    let mut answers = Vec::new();
    for parent in [held, closed, 4242] {
        let r = reply(parent).await.unwrap();
        let status = r.status().as_u16();
        let doc = html(&r.text().await.unwrap());
        answers.push((status, texts(&doc, "[data-test=error-summary] li"), texts(&doc, "textarea#comment")));
    }

    assert_eq!(answers[0].0, 422);
    assert!(answers[0].1.concat().contains("does not take replies"), "{:?}", answers[0]);
    assert_eq!(answers[0].2, ["my reply"], "the text is kept");
    assert_eq!(answers[0], answers[1], "a hidden comment and a closed thread");
    assert_eq!(answers[0], answers[2], "a hidden comment and a missing one");
    assert!(super::row_with_body(&app, "my reply").await.is_none());
    let page = crate::helpers::client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("held for moderation"));
}

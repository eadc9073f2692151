//! The spam filter over HTTP, on both backends: it learns from the admin's decisions
//! in the panel (and from an import), catches the next similar spam, lets the next
//! legitimate comment pass, unlearns a reversed decision, explains itself in the
//! queue and nowhere else; and the timing rule.

use std::fmt::Write as _;

use hewn::domain::spam::Input;
use hewn::store::{settings, spam};

use crate::admin::support::{ADMIN, PASSWORD, create_admin, input_value, login, post_form as admin_post};
use crate::assert::{assert_status, location};
use crate::comments::{DEMO, DEMO_FORM, Row, form, no_flood, post_form, row_with_body};
use crate::helpers::{Spawn, TestApp, html, spawn_app, spawn_with, spawn_with_fixed_clock, texts};

const TOPICS: [&str; 5] = ["sourdough", "the crust", "proofing times", "rye flour", "the oven steam"];

fn spam_text(i: usize) -> String {
    format!("Best online casino bonus {i}! Free spins today at https://casino-xyz.example/{i} and cheap viagra pills")
}

fn ham_text(i: usize) -> String {
    let topic = TOPICS.get(i % TOPICS.len()).copied().unwrap_or("bread");
    format!("I tried what you wrote about {topic} ({i}) and my loaf came out much better, thank you for explaining it")
}

/// Posts a comment on the demo post and returns its stored row.
async fn submit(app: &TestApp, text: &str, author: &str, email: &str) -> Row {
    let r = post_form(app, &app.client, &form(text, author, email)).await;
    assert_status!(r, 303, "{text}");
    row_with_body(app, text).await.unwrap()
}

/// Posts a comment on the post at `path` and returns its stored row.
async fn submit_to(app: &TestApp, path: &str, text: &str, author: &str, email: &str) -> Row {
    let r =
        app.client.post(app.url(&format!("{path}/comments"))).form(&form(text, author, email)).send().await.unwrap();
    assert_status!(r, 303, "{text}");
    row_with_body(app, text).await.unwrap()
}

/// Applies a bulk action in the panel.
async fn decide(app: &TestApp, action: &str, ids: &[i64]) {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut fields = vec![("action", action)];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    let r = admin_post(app, "/admin/comments/bulk", &fields).await;
    assert_status!(r, 303, "bulk {action}");
}

/// `n` spam and `n` legitimate comments posted (held as first comments) and then
/// marked spam and approved in the panel.
async fn train(app: &TestApp, n: usize) {
    let mut spam_ids = Vec::new();
    let mut ham_ids = Vec::new();
    for i in 0..n {
        spam_ids.push(
            submit(app, &spam_text(i), &format!("Casino Bonus Online {i}"), &format!("promo{i}@spam.example")).await.id,
        );
        ham_ids.push(submit(app, &ham_text(i), &format!("Reader {i}"), &format!("reader{i}@mail.example")).await.id);
    }
    decide(app, "spam", &spam_ids).await;
    decide(app, "approve", &ham_ids).await;
}

async fn admin_site(app: TestApp) -> TestApp {
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303, "login");
    no_flood(&app).await;
    app
}

const NEW_SPAM: &str = "Casino bonus for you: free spins at https://casino-xyz.example/new with cheap viagra";
const NEW_HAM: &str = "Thank you, I tried this with rye flour and the loaf came out much better";

#[tokio::test]
async fn a_fresh_site_holds_spam_but_never_marks_it_spam() {
    let app = admin_site(spawn_app().await).await;

    // Untrained, every comment scores one half: under the hold threshold.
    let first = submit(&app, &spam_text(100), "Casino Bonus Online", "promo@spam.example").await;
    assert_eq!((first.status.as_str(), first.rule.as_str()), ("pending", "first-comment"));

    // A few decisions make it suspicious of the same spam, but it only holds.
    train(&app, 5).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    let next = submit(&app, NEW_SPAM, "Casino Bonus Online", "promo-new@spam.example").await;
    assert_eq!((next.status.as_str(), next.rule.as_str()), ("pending", "spam-filter"));
    let stats = spam::stats(&app.store).await.unwrap();
    assert_eq!((stats.spam_docs, stats.ham_docs), (5, 5));
}

#[tokio::test]
async fn after_decisions_in_the_panel_the_next_spam_is_caught_and_the_next_legitimate_comment_passes() {
    let app = admin_site(spawn_app().await).await;
    train(&app, 20).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();

    let caught = submit(&app, NEW_SPAM, "Casino Bonus Online", "promo-new@spam.example").await;
    let passed = submit(&app, NEW_HAM, "Someone New", "new@mail.example").await;

    assert_eq!((caught.status.as_str(), caught.rule.as_str()), ("spam", "spam-filter"));
    assert_eq!((passed.status.as_str(), passed.rule.as_str()), ("approved", "open"));

    // "Not spam" reverses it: the comment's spam label is unlearnt and it is learnt as
    // legitimate, in the same transaction as the status change.
    let before = spam::stats(&app.store).await.unwrap();
    let r = admin_post(&app, &format!("/admin/comments/{}/not-spam", caught.id), &[]).await;
    assert_status!(r, 303, "not spam");
    let after = spam::stats(&app.store).await.unwrap();
    assert_eq!((after.spam_docs, after.ham_docs), (before.spam_docs, before.ham_docs + 1), "{before:?} {after:?}");
    let status = crate::admin::support::comment_status(&app, caught.id).await;
    assert_eq!(status.as_deref(), Some("pending"));
}

#[tokio::test]
async fn unapproving_and_marking_spam_again_undo_what_was_learnt() {
    let app = admin_site(spawn_app().await).await;
    let c = submit(&app, &ham_text(1), "Reader", "reader@mail.example").await;
    let input = Input { author: "Reader", email: "reader@mail.example", url: "", text: &c.body };
    let untrained = spam::score(&app.store, &input).await.unwrap().0;

    decide(&app, "approve", &[c.id]).await;
    let learnt = spam::score(&app.store, &input).await.unwrap().0;
    decide(&app, "unapprove", &[c.id]).await;
    let unlearnt = spam::score(&app.store, &input).await.unwrap().0;

    assert!(learnt.score < untrained.score, "{learnt:?}");
    assert_eq!(unlearnt, untrained);
    let stats = spam::stats(&app.store).await.unwrap();
    assert_eq!((stats.spam_docs, stats.ham_docs), (0, 0));
}

#[tokio::test]
async fn the_queue_shows_the_score_and_reasons_and_public_pages_show_nothing_of_the_filter() {
    let app = admin_site(spawn_app().await).await;
    train(&app, 20).await;
    let r = post_form(&app, &app.client, &form(NEW_SPAM, "Casino Bonus Online", "promo-new@spam.example")).await;
    let held_view = location(&r);

    let (_, queue) = app.get_text("/admin/comments?status=spam").await;
    let doc = html(&queue);
    let scores = texts(&doc, "[data-test=spam-score]");
    assert!(!scores.is_empty(), "{queue}");
    let newest = scores.first().unwrap();
    assert!(newest.contains("Spam score 100%") || newest.contains("Spam score 99%"), "{newest}");
    let reasons = texts(&doc, "[data-test=spam-reasons]");
    let reasons: Vec<&str> = reasons.first().unwrap().split(", ").collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().all(|r| r.contains(" +")), "every reason pushed towards spam: {reasons:?}");

    // The settings page says what the filter has learnt.
    let (_, settings_page) = app.get_text("/admin/settings").await;
    let model = texts(&html(&settings_page), "[data-test=spam-model]").join("");
    assert!(model.contains("20 spam and 20 legitimate"), "{model}");

    // Public pages, the commenter's own view of the held comment included, say nothing.
    let public = crate::helpers::client();
    for path in [DEMO.to_owned(), held_view, "/feed.xml".to_owned(), "/comments/feed.xml".to_owned()] {
        let body = public.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        for secret in ["spam-filter", "Spam score", "spam-score", "casino-xyz.example +"] {
            assert!(!body.contains(secret), "{path} shows {secret:?}");
        }
    }
}

/// A WordPress export whose comments are `n` spam and `n` approved.
fn export_with_spam(n: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Moved</title><link>https://moved.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Bread</title><guid>https://moved.example/?p=1</guid><content:encoded><![CDATA[About bread]]></content:encoded>
<wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt><wp:post_name>bread</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
"#,
    );
    for i in 0..n {
        for (k, status, text, author, email) in [
            (0, "spam", spam_text(i), format!("Casino Bonus Online {i}"), format!("promo{i}@spam.example")),
            (1, "1", ham_text(i), format!("Reader {i}"), format!("reader{i}@mail.example")),
        ] {
            let _ = writeln!(
                xml,
                "<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{author}</wp:comment_author>\
                 <wp:comment_author_email>{email}</wp:comment_author_email>\
                 <wp:comment_content><![CDATA[{text}]]></wp:comment_content>\
                 <wp:comment_approved>{status}</wp:comment_approved><wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt>\
                 <wp:comment_parent>0</wp:comment_parent></wp:comment>",
                100 + i * 2 + k
            );
        }
    }
    xml.push_str("</item></channel></rss>\n");
    xml
}

#[tokio::test]
async fn a_wordpress_import_with_spam_comments_trains_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("moved.xml");
    std::fs::write(&file, export_with_spam(25)).unwrap();
    crate::wordpress::import_file(&dir, &file, &[]);
    let app = spawn_with(Spawn { dir: Some(dir), no_demo: true, ..Spawn::default() }).await;
    no_flood(&app).await;

    let stats = spam::stats(&app.store).await.unwrap();
    assert_eq!((stats.spam_docs, stats.ham_docs), (25, 25), "{stats:?}");
    assert!(stats.is_trained());

    let caught = submit_to(&app, "/posts/bread", NEW_SPAM, "Casino Bonus Online", "promo-new@spam.example").await;
    assert_eq!((caught.status.as_str(), caught.rule.as_str()), ("spam", "spam-filter"));

    // Retraining from the stored decisions gives the same model.
    let run = crate::wordpress::hewn(&app.database_url, &["spam", "retrain"]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("25 spam and 25 legitimate"),
        "the filter's own guess is not a decision: {}",
        run.stdout
    );
    let evaluate = crate::wordpress::hewn(&app.database_url, &["spam", "evaluate", "--folds", "5"]);
    assert!(evaluate.success, "{}", evaluate.stderr);
    assert!(evaluate.stdout.contains("legitimate marked spam"), "{}", evaluate.stdout);
}

#[tokio::test]
async fn the_timing_rule_holds_an_instant_submission_and_not_a_paced_one() {
    let app = admin_site(spawn_with_fixed_clock().await).await;
    let first = submit(&app, "an approved comment", "Ann", "ann@example.com").await;
    decide(&app, "approve", &[first.id]).await;
    let page = crate::helpers::client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    let stamp = input_value(&page, "rendered");
    assert!(!stamp.is_empty(), "the form carries its render time");

    let send = |text: &'static str, stamp: String| {
        let app = &app;
        async move {
            let mut fields = form(text, "Ann", "ann@example.com");
            fields.push(("rendered", Box::leak(stamp.into_boxed_str())));
            let r = app.client.post(app.url(DEMO_FORM)).form(&fields).send().await.unwrap();
            assert_status!(r, 303, "{text}");
            row_with_body(app, text).await.unwrap()
        }
    };
    let instant = send("sent at once", stamp.clone()).await;
    let forged = send("sent with a forged time", "1.0123456789abcdef0123456789abcdef".to_owned()).await;
    app.clock().set(app.clock().now() + 5);
    let paced = send("sent after reading", stamp).await;

    assert_eq!((instant.status.as_str(), instant.rule.as_str()), ("pending", "too-fast"));
    assert_eq!((forged.status.as_str(), forged.rule.as_str()), ("pending", "too-fast"));
    assert_eq!((paced.status.as_str(), paced.rule.as_str()), ("approved", "known-author"));
}

#[tokio::test]
async fn two_instances_score_alike_after_a_decision_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::backend::fresh_url(dir.path()).await;
    let a = admin_site(spawn_with(Spawn { database_url: Some(url.clone()), ..Spawn::default() }).await).await;
    let b = spawn_with(Spawn { database_url: Some(url), ..Spawn::default() }).await;
    // B scores a comment with the untrained model first: its comment writer keeps
    // those counts, which A's decisions then make stale.
    let early = submit(&b, &spam_text(500), "Casino Bonus Online", "promo-early@spam.example").await;
    assert_eq!((early.status.as_str(), early.rule.as_str()), ("pending", "first-comment"));
    train(&a, 20).await;

    let input = Input { author: "Casino Bonus Online", email: "promo-new@spam.example", url: "", text: NEW_SPAM };
    let on_a = spam::score(&a.store, &input).await.unwrap();
    let on_b = spam::score(&b.store, &input).await.unwrap();
    assert_eq!(on_a, on_b);
    assert!(on_b.1, "trained");

    let caught = submit(&b, NEW_SPAM, "Casino Bonus Online", "promo-new@spam.example").await;
    assert_eq!((caught.status.as_str(), caught.rule.as_str()), ("spam", "spam-filter"));
    // B's writer scored it exactly as a fresh read of the model does.
    let kept = spam::verdicts(&b.store, &[caught.id]).await.unwrap();
    assert_eq!(kept.get(&caught.id).map(|v| v.score), Some(on_a.0.thousandths() as f64 / 1000.0));
}

/// The model's training counts and vocabulary.
async fn model(app: &TestApp) -> (i64, i64, i64) {
    let s = spam::stats(&app.store).await.unwrap();
    (s.spam_docs, s.ham_docs, s.features)
}

/// Saves a comment in the admin's editor with `status` (the other fields as they are).
async fn edit_status(app: &TestApp, c: &Row, status: &str) {
    let path = format!("/admin/comments/{}", c.id);
    let fields = [
        ("author_name", c.author_name.as_str()),
        ("author_email", c.author_email.as_str()),
        ("author_url", c.author_url.as_str()),
        ("body", c.body.as_str()),
        ("status", status),
    ];
    assert_status!(admin_post(app, &path, &fields).await, 303, "edit to {status}");
}

#[tokio::test]
async fn every_decision_in_the_panel_teaches_the_filter() {
    let app = admin_site(spawn_app().await).await;
    let edited = submit(&app, &ham_text(1), "Reader One", "one@mail.example").await;
    let single = submit(&app, &spam_text(2), "Casino Bonus Online", "promo2@spam.example").await;
    let replied = submit(&app, &ham_text(3), "Reader Three", "three@mail.example").await;
    assert_eq!(model(&app).await, (0, 0, 0), "nothing learnt from the form");

    // The editor's status field: approve, then spam, then back to pending (not spam).
    edit_status(&app, &edited, "approved").await;
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 1), "approved in the editor: legitimate");
    edit_status(&app, &edited, "spam").await;
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (1, 0), "spam in the editor: the approval unlearnt");
    edit_status(&app, &edited, "pending").await;
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 1), "out of spam in the editor: not spam");

    // The one-comment buttons of the queue.
    assert_status!(admin_post(&app, &format!("/admin/comments/{}/spam", single.id), &[]).await, 303);
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (1, 1), "spam button");
    assert_status!(admin_post(&app, &format!("/admin/comments/{}/not-spam", single.id), &[]).await, 303);
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 2), "not spam button");
    assert_status!(admin_post(&app, &format!("/admin/comments/{}/approve", single.id), &[]).await, 303);
    assert_status!(admin_post(&app, &format!("/admin/comments/{}/unapprove", single.id), &[]).await, 303);
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 1), "approve keeps it legitimate; unapprove unlearns it");

    // A reply from the panel approves a held comment: legitimate.
    let r = admin_post(&app, &format!("/admin/comments/{}/reply", replied.id), &[("reply", "Thanks!")]).await;
    assert_status!(r, 303, "reply");
    assert_eq!(crate::admin::support::comment_status(&app, replied.id).await.as_deref(), Some("approved"));
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 2), "the reply's approval learnt, the admin's own reply not");

    // Trash says nothing about spam; the label stays.
    decide(&app, "trash", &[replied.id]).await;
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 2), "trash keeps the label");
    decide(&app, "restore", &[replied.id]).await;
    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (0, 2), "so does restoring it");
}

#[tokio::test]
async fn a_commenters_own_edits_and_deletions_teach_the_filter_nothing() {
    let app = admin_site(spawn_app().await).await;
    let mine = submit(&app, &ham_text(1), "Reader", "reader@mail.example").await;
    let other = submit(&app, &ham_text(2), "Reader", "reader@mail.example").await;
    decide(&app, "approve", &[mine.id, other.id]).await;
    let learnt = model(&app).await;
    assert_eq!((learnt.0, learnt.1), (0, 2));

    // The author (this browser holds the comments' passes) fixes one and deletes the other.
    let edit = format!("{DEMO}/comments/{}/edit", mine.id);
    let r = app.client.post(app.url(&edit)).form(&[("comment", "Casino bonus, free spins, cheap pills")]).send().await;
    assert_status!(r.unwrap(), 303, "own edit");
    let delete = format!("{DEMO}/comments/{}/delete", other.id);
    assert_status!(app.client.post(app.url(&delete)).send().await.unwrap(), 303, "own delete");

    assert_eq!(model(&app).await, learnt, "the model is as the admin left it");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_one_click_decision_from_the_held_comment_mail_teaches_the_filter() {
    let smtp = crate::mail::Smtp::start().await;
    let app = spawn_with(Spawn {
        mail: Some(smtp.config()),
        clock: Some(hewn::domain::clock::Clock::fixed(hewn::domain::now())),
        ..Spawn::default()
    })
    .await;
    let app = admin_site(app).await;
    let fields = form(NEW_SPAM, "Casino Bonus Online", "promo@spam.example");
    let r = crate::helpers::client().post(app.url(DEMO_FORM)).form(&fields).send().await.unwrap();
    assert_status!(r, 303);
    let mail = smtp.wait_for(1).await.remove(0);

    let r = crate::helpers::client().post(mail.link("Spam")).send().await.unwrap();
    assert_status!(r, 200, "one-click spam");

    let (s, h, _) = model(&app).await;
    assert_eq!((s, h), (1, 0));
}

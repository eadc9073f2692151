//! Commenters in charge of their own words: preview, the edit window, and "your
//! comments" through a mailed link (those tests need the SMTP server of `mail`).

use hewn::domain::clock::Clock;
use hewn::store::settings;

use crate::admin::support::{ADMIN, PASSWORD, create_admin, login};
use crate::assert::{assert_status, location};
use crate::comments::{DEMO, DEMO_COMMENT, DEMO_FORM, form};
use crate::helpers::{Spawn, TestApp, client, html, spawn_with, texts};
use crate::mail::Smtp;

/// An app whose clock the test moves, where comments appear at once (no prior
/// approval needed), with mail through `smtp` when given.
async fn app_with(smtp: Option<&Smtp>) -> TestApp {
    let app = spawn_with(Spawn {
        clock: Some(Clock::fixed(hewn::domain::now())),
        mail: smtp.map(Smtp::config),
        ..Spawn::default()
    })
    .await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    app
}

/// Posts from `browser`; returns the comment's id.
async fn post(app: &TestApp, browser: &reqwest::Client, fields: &[(&str, &str)]) -> i64 {
    let r = browser.post(app.url(DEMO_FORM)).form(fields).send().await.unwrap();
    let r = assert_status!(r, 303);
    app.clock().advance(30);
    location(&r).rsplit_once("#comment-").unwrap().1.parse().unwrap()
}

async fn stored_body(app: &TestApp, id: i64) -> Option<(String, String)> {
    hewn::store::moderation::by_id(&app.store, id).await.unwrap().map(|c| (c.body, c.status.to_string()))
}

#[tokio::test]
async fn preview_shows_the_comment_as_it_will_look_and_stores_nothing() {
    let app = app_with(None).await;
    let mut fields = form("A *careful* thought <script>x</script>", "Pat", "pat@reader.example");
    fields.push(("preview", "1"));
    let r = client().post(app.url(DEMO_FORM)).form(&fields).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let page = assert_status!(r, 200).body;
    let doc = html(&page);
    assert_eq!(texts(&doc, "[data-test=comment-preview] .preview-label"), ["Preview — not posted yet"]);
    assert_eq!(texts(&doc, "[data-test=comment-preview] em"), ["careful"], "rendered as a comment is");
    assert!(!page.contains("<script>x"), "sanitised as a comment is");
    assert_eq!(texts(&doc, "textarea#comment"), ["A *careful* thought <script>x</script>"], "the fields are kept");
    assert!(page.contains("value=\"pat@reader.example\""));
    let all = hewn::store::moderation::count(&app.store, &hewn::domain::queue::STATUSES, "careful").await.unwrap();
    assert_eq!(all, 0, "nothing stored");

    // Validation errors show as for a real submission.
    let mut bad = form("", "Pat", "not an address");
    bad.push(("preview", "1"));
    let r = client().post(app.url(DEMO_FORM)).form(&bad).send().await.unwrap();
    let page = assert_status!(r, 422).body;
    assert!(page.contains("Please type your comment.") && !page.contains("data-test=\"comment-preview\""));
}

#[tokio::test]
async fn the_author_edits_within_the_window_and_the_edit_is_moderated_again() {
    let app = app_with(None).await;
    let me = client();
    let id = post(&app, &me, &form("Teh first version", "Ada", "ada@reader.example")).await;

    // Only the posting browser sees Edit, on a page of its own.
    let mine = me.get(app.url(DEMO)).send().await.unwrap();
    assert_eq!(mine.headers()["cache-control"], "private, no-store");
    let mine = mine.text().await.unwrap();
    let edit_path = format!("{DEMO}/comments/{id}/edit");
    assert!(mine.contains(&format!("href=\"{edit_path}\"")), "{mine}");
    let theirs = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!theirs.contains("data-test=\"edit-own\""));
    assert_status!(client().get(app.url(&edit_path)).send().await.unwrap(), 403);
    assert_status!(client().post(app.url(&edit_path)).form(&[("comment", "hijack")]).send().await.unwrap(), 403);

    // A fix keeps the id and anchor, and shows "edited".
    let r = me.post(app.url(&edit_path)).form(&[("comment", "The first version")]).send().await.unwrap();
    assert_eq!(location(&assert_status!(r, 303)), format!("{DEMO}#comment-{id}"));
    assert_eq!(stored_body(&app, id).await, Some(("The first version".into(), "approved".into())));
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    let doc = html(&public);
    assert_eq!(texts(&doc, &format!("li#comment-{id} .comment-content")), ["The first version"]);
    assert_eq!(texts(&doc, &format!("li#comment-{id} [data-test=comment-edited]")), ["(edited)"]);

    // An edit that adds links is held again, like a new comment with them.
    let links = "See https://a.example and https://b.example and https://c.example";
    let r = me.post(app.url(&edit_path)).form(&[("comment", links)]).send().await.unwrap();
    assert_status!(r, 303);
    assert_eq!(stored_body(&app, id).await.map(|b| b.1), Some("pending".into()));
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("a.example"), "held again: hidden from the public");

    // An empty edit is refused next to the field, nothing changes.
    let r = me.post(app.url(&edit_path)).form(&[("comment", "  ")]).send().await.unwrap();
    assert!(assert_status!(r, 422).body.contains("Please type your comment."));

    // After the window the controls are gone and the endpoints say why.
    app.clock().advance(10 * 60);
    let mine = me.get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!mine.contains("data-test=\"edit-own\""));
    let late = me.post(app.url(&edit_path)).form(&[("comment", "too late")]).send().await.unwrap();
    assert!(assert_status!(late, 403).body.contains("can no longer be changed"));
    assert_eq!(stored_body(&app, id).await.map(|b| b.0), Some(links.into()));
}

#[tokio::test]
async fn a_forged_pass_edits_nothing() {
    let app = app_with(None).await;
    let me = client();
    let id = post(&app, &me, &form("Mine alone", "Ada", "ada@reader.example")).await;
    let forged = format!("hewn_comment_pending={id}.{}.00112233445566778899aabbccddeeff", app.clock().now() + 600);
    let r = client()
        .post(app.url(&format!("{DEMO}/comments/{id}/edit")))
        .header("cookie", forged)
        .form(&[("comment", "forged")])
        .send()
        .await
        .unwrap();
    assert_status!(r, 403);
    assert_eq!(stored_body(&app, id).await.map(|b| b.0), Some("Mine alone".into()));
}

#[tokio::test]
async fn a_deleted_comment_with_replies_stays_as_a_placeholder_and_one_without_disappears() {
    let app = app_with(None).await;
    let me = client();
    let answered = post(&app, &me, &form("Soon answered", "Ada", "ada@reader.example")).await;
    let parent = answered.to_string();
    let mut reply = form("An answer", "Bob", "bob@reader.example");
    reply.retain(|(k, _)| *k != "comment_parent");
    reply.push(("comment_parent", &parent));
    post(&app, &client(), &reply).await;
    let alone = post(&app, &me, &form("Nobody answers this", "Ada", "ada@reader.example")).await;

    for id in [answered, alone] {
        let path = format!("{DEMO}/comments/{id}/delete");
        let confirm = assert_status!(me.get(app.url(&path)).send().await.unwrap(), 200).body;
        assert!(confirm.contains("data-test=\"mail-action\""), "one button");
        assert_status!(me.post(app.url(&path)).send().await.unwrap(), 303);
    }
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    let doc = html(&public);
    assert_eq!(
        texts(&doc, &format!("li#comment-{answered} [data-test=comment-deleted]")),
        ["This comment was deleted."]
    );
    assert!(!public.contains("Soon answered") && !public.contains("Nobody answers this"));
    assert!(public.contains("An answer"), "the reply keeps its place");
    assert_eq!(texts(&doc, &format!("li#comment-{alone}")).len(), 0, "a comment without replies disappears");
    assert!(stored_body(&app, alone).await.is_none());
    let feed = client().get(app.url("/comments/feed.xml")).send().await.unwrap().text().await.unwrap();
    assert!(!feed.contains("This comment was deleted") && !feed.contains("Soon answered"));
}

/// Asks for a "Manage your comments" link from a fresh browser; returns the page text.
async fn ask_for_link(app: &TestApp, email: &str) -> String {
    let r = client().post(app.url("/comments/manage")).form(&[("email", email)]).send().await.unwrap();
    assert_status!(r, 200).body
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_mailed_link_shows_an_addresss_comments_and_exports_erases_and_deletes_them() {
    let smtp = Smtp::start().await;
    let app = app_with(Some(&smtp)).await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    // Only the commenter's own mails in this test.
    settings::put(&app.store, "mail_on_held", "0").await.unwrap();
    let page = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("href=\"/comments/manage\""), "the form links to it");

    post(&app, &client(), &form("Kept, then anonymous", "Zed", "Zed@Reader.example")).await;
    settings::put(&app.store, "comment_block_words", "casino").await.unwrap();
    post(&app, &client(), &form("casino spam by the same hand", "Zed", "zed@reader.example")).await;
    post(&app, &client(), &form("Someone else's words", "Yan", "yan@reader.example")).await;

    // Same answer for an address with comments and one without; only the first gets mail.
    let known = ask_for_link(&app, "zed@reader.example").await;
    let unknown = ask_for_link(&app, "nobody@reader.example").await;
    let message = |p: &str| texts(&html(p), "[data-test=mail-message]");
    assert_eq!(message(&known), message(&unknown));
    let mails = smtp.wait_for(2).await;
    let mail = mails.iter().find(|m| m.envelope_to == vec!["zed@reader.example".to_owned()]).unwrap();
    // (An address without comments gets a link to an empty list: nothing tells the asker which.)
    let link = mail.link("Your comments");

    let own = client().get(&link).send().await.unwrap();
    assert_eq!(own.headers()["cache-control"], "private, no-store");
    let own = own.text().await.unwrap();
    let doc = html(&own);
    assert_eq!(texts(&doc, "[data-test=own-comment]").len(), 2, "{own}");
    assert!(own.contains("data-status=\"held\""), "spam is shown as held");
    assert!(!own.contains("spam\"") && !own.contains("Someone else"), "{own}");

    // The export has everything stored, the IP and user agent included.
    let base = link.split('?').next().unwrap();
    let query = link.split_once('?').unwrap().1;
    let json = client().get(format!("{base}/export.json?{query}")).send().await.unwrap();
    assert!(json.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let json: serde_json::Value = serde_json::from_str(&json.text().await.unwrap()).unwrap();
    assert_eq!(json["comments"].as_array().unwrap().len(), 2);
    assert_eq!(json["comments"][0]["ip_address"], "127.0.0.1");
    assert!(json["comments"][0]["user_agent"].is_string());

    // Erase: a page with one button, then the POST; the comments stay, anonymous.
    let erase = format!("{base}/erase?{query}");
    assert!(client().get(&erase).send().await.unwrap().text().await.unwrap().contains("data-test=\"mail-action\""));
    assert_status!(client().post(&erase).send().await.unwrap(), 200);
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("Kept, then anonymous") && !public.contains(">Zed<"), "anonymous now");
    let feed = client().get(app.url("/comments/feed.xml")).send().await.unwrap().text().await.unwrap();
    assert!(!feed.contains("Zed"));
    let admin = app.get("/admin/comments?status=all").await.text().await.unwrap();
    assert!(!admin.contains("zed@reader.example") && !admin.contains("Zed@Reader.example"));

    // The erased address has nothing left; the request log records no address.
    let again = client().get(&link).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("data-test=\"no-comments\""));
    let log = hewn::store::commenters::requests(&app.store, 10).await.unwrap();
    assert_eq!(log.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["erase", "export"]);
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn deleting_my_comments_removes_their_text_and_links_expire_after_an_hour() {
    let smtp = Smtp::start().await;
    let app = app_with(Some(&smtp)).await;
    settings::put(&app.store, "mail_on_held", "0").await.unwrap();
    let mut reply = form("Words to take back", "Vic", "vic@reader.example");
    reply.retain(|(k, _)| *k != "comment_parent");
    let parent = DEMO_COMMENT.to_string();
    reply.push(("comment_parent", &parent));
    post(&app, &client(), &reply).await;
    ask_for_link(&app, "vic@reader.example").await;
    let link = smtp.wait_for(1).await.remove(0).link("Your comments");
    let (base, query) = link.split_once('?').unwrap();
    assert_status!(client().post(format!("{base}/delete?{query}")).send().await.unwrap(), 200);
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("Words to take back"));

    // A second link within the hour is not mailed (same answer), and links expire.
    ask_for_link(&app, "vic@reader.example").await;
    app.clock().advance(3601);
    assert_status!(client().get(&link).send().await.unwrap(), 403);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 1, "one link an hour per address");
}

#[tokio::test]
async fn ip_addresses_and_browsers_are_erased_after_the_retention_period_once_across_instances() {
    let app = app_with(None).await;
    let id = post(&app, &client(), &form("Old words, kept", "Old", "old@reader.example")).await;
    let stored = hewn::store::moderation::by_id(&app.store, id).await.unwrap().unwrap();
    assert_eq!(stored.author_ip, "127.0.0.1");

    // 29 days on: kept.
    let now = app.clock().now();
    assert_eq!(hewn::tasks::run_retention(&app.store, now + 29 * 86_400).await.unwrap(), 0);
    // 31 days on, two instances at once: erased once, both finish.
    let other = hewn::store::Store::open(
        &hewn::config::DatabaseConfig::from_cli(&app.database_url, hewn::config::Synchronous::Normal).unwrap(),
    )
    .await
    .unwrap();
    let later = now + 31 * 86_400;
    let (a, b) = tokio::join!(hewn::tasks::run_retention(&app.store, later), hewn::tasks::run_retention(&other, later));
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one comment, erased by one of them");
    let stored = hewn::store::moderation::by_id(&app.store, id).await.unwrap().unwrap();
    assert_eq!(
        (stored.author_ip.as_str(), stored.user_agent.as_str(), stored.body.as_str()),
        ("", "", "Old words, kept")
    );
    // 0 keeps them for ever.
    settings::put(&app.store, "comment_ip_retention_days", "0").await.unwrap();
    let kept = post(&app, &client(), &form("Kept for ever", "New", "new@reader.example")).await;
    hewn::tasks::run_retention(&app.store, later + 365 * 86_400).await.unwrap();
    assert_eq!(hewn::store::moderation::by_id(&app.store, kept).await.unwrap().unwrap().author_ip, "127.0.0.1");
    other.close().await;
}

#[tokio::test]
async fn with_truncation_only_the_network_of_an_address_is_stored() {
    let app = app_with(None).await;
    settings::put(&app.store, "comment_truncate_ips", "1").await.unwrap();
    let id = post(&app, &client(), &form("From somewhere", "Net", "net@reader.example")).await;
    assert_eq!(hewn::store::moderation::by_id(&app.store, id).await.unwrap().unwrap().author_ip, "127.0.0.0");
}

#[tokio::test]
async fn avatars_are_drawn_here_from_a_keyed_hash_never_the_address() {
    let app = app_with(None).await;
    post(&app, &client(), &form("With a face", "Ava", "ava@reader.example")).await;
    let page = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("data-test=\"avatar\""), "off by default");
    settings::put(&app.store, "comment_avatars", "1").await.unwrap();
    let page = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    let doc = html(&page);
    let sel = scraper::Selector::parse("[data-test=avatar]").unwrap();
    let srcs: Vec<String> = doc.select(&sel).filter_map(|e| e.value().attr("src").map(str::to_owned)).collect();
    assert!(srcs.len() >= 2, "{srcs:?}");
    let ava = srcs.last().unwrap();
    // Neither the address nor its plain hashes appear anywhere.
    use sha2::Digest;
    let plain_sha = format!("{:x}", sha2::Sha256::digest(b"ava@reader.example"));
    assert!(!page.contains("ava@reader.example") && !page.contains(&plain_sha[..16]));
    let r = client().get(app.url(ava)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let svg = r.text().await.unwrap();
    assert!(svg.starts_with("<svg") && !svg.contains("script"));
    assert_status!(client().get(app.url("/avatars/..%2Fetc.svg")).send().await.unwrap(), 404);
}

#[tokio::test]
async fn the_admin_exports_erases_and_deletes_by_address_and_every_request_is_logged_without_it() {
    let app = app_with(None).await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    post(&app, &client(), &form("First of Quinn's", "Quinn", "quinn@reader.example")).await;
    post(&app, &client(), &form("Second of Quinn's", "Quinn", "quinn@reader.example")).await;

    let r = crate::admin::support::post_form(&app, "/admin/privacy/export", &[("email", "QUINN@reader.example")]).await;
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let json: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(json["comments"].as_array().unwrap().len(), 2);

    // Erasing needs the box ticked.
    let r = crate::admin::support::post_form(&app, "/admin/privacy/erase", &[("email", "quinn@reader.example")]).await;
    assert!(assert_status!(r, 422).body.contains("Tick the box"));
    let r = crate::admin::support::post_form(
        &app,
        "/admin/privacy/erase",
        &[("email", "quinn@reader.example"), ("confirm", "1")],
    )
    .await;
    assert_status!(r, 303);
    let public = client().get(app.url(DEMO)).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("First of Quinn") && !public.contains(">Quinn<"));

    let page = app.get("/admin/privacy").await.text().await.unwrap();
    let doc = html(&page);
    assert_eq!(texts(&doc, "[data-test=privacy-request] td:nth-child(2)"), ["erase", "export"]);
    assert!(!page.contains("quinn@"), "the log names no address");

    // The privacy notice is drafted from the settings, at /privacy.
    let r = crate::admin::support::post_form(&app, "/admin/privacy/notice", &[]).await;
    let editor = location(&assert_status!(r, 303));
    assert!(editor.starts_with("/admin/pages/"), "{editor}");
    let draft = app.get(&editor).await.text().await.unwrap();
    assert!(draft.contains("after 30 days") && !draft.contains("Manage your comments"), "{draft}");
}

#[tokio::test]
async fn a_large_old_site_has_its_addresses_erased_in_short_writes() {
    let app = app_with(None).await;
    let mut db = app.db().await;
    db.exec(
        "insert into comments (post_id, kind, author_name, author_email, author_url, body, body_html, status, rule, \
           author_ip, user_agent, created_at) \
         select 1, 'comment', 'Old', 'old@reader.example', '', 'old', '<p>old</p>', 'approved', 'open', \
           '192.0.2.1', 'Browser', 1000 + n from (with recursive s(n) as (select 1 union all select n + 1 from s \
           where n < 2500) select n from s) g",
        &[],
    )
    .await;
    db.close().await;
    let erased = hewn::tasks::run_retention(&app.store, app.clock().now()).await.unwrap();
    assert_eq!(erased, 2500, "every batch of {} done", hewn::store::commenters::RETENTION_BATCH);
    assert_eq!(hewn::tasks::run_retention(&app.store, app.clock().now()).await.unwrap(), 0);
}

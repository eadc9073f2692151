//! Mail, against a real SMTP server: Debian's `python3-aiosmtpd` running
//! `tests/smtp/server.py` on a loopback port, delivering to a Maildir the tests read.
//! These tests are `#[ignore = "needs aiosmtpd"]`; `.ci/run` installs it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hewn::domain::clock::Clock;
use hewn::mail::MailConfig;
use serde::Deserialize;
use tempfile::TempDir;

use crate::admin::support::{ADMIN, ADMIN_EMAIL, PASSWORD, create_admin, login, post_form};
use crate::assert::{assert_status, location};
use crate::comments::{DEMO, DEMO_FORM, form};
use crate::helpers::{Spawn, TestApp, client, free_port, spawn_with};

/// A running SMTP server and what it received.
pub struct Smtp {
    pub port: u16,
    pub maildir: TempDir,
    child: Option<Child>,
}

/// A received message: headers in order, decoded parts.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub envelope_to: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first URL in the text part after `label: `.
    pub fn link(&self, label: &str) -> String {
        let needle = format!("{label}: ");
        let line = self
            .text
            .lines()
            .find(|l| l.starts_with(&needle))
            .unwrap_or_else(|| panic!("no {label} in\n{}", self.text));
        line[needle.len()..].trim().to_owned()
    }
}

fn python() -> String {
    std::env::var("HEWN_TEST_PYTHON").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/python3").exists() { "/usr/bin/python3".into() } else { "python3".into() }
    })
}

impl Smtp {
    pub async fn start() -> Smtp {
        let mut smtp = Smtp { port: free_port(), maildir: tempfile::tempdir().unwrap(), child: None };
        smtp.restart().await;
        smtp
    }

    /// Starts the server (again) on its port.
    pub async fn restart(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let child = Command::new(python())
            .arg(&script)
            .arg(self.port.to_string())
            .arg(self.maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd is needed for the mail tests: apt-get install python3-aiosmtpd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not start (is python3-aiosmtpd installed?)");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server: connections are refused until [`Smtp::restart`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn config(&self) -> MailConfig {
        MailConfig::from_flags(
            &format!("smtp://127.0.0.1:{}?tls=none", self.port),
            Some("Test Blog <blog@blog.example>"),
            "http://127.0.0.1",
        )
        .unwrap()
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Mail> {
        let dir = self.maildir.path().join("json");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }

    /// Waits (up to 20 s) until at least `n` messages have arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "expected {n} messages, got {}: {got:#?}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The raw bytes of every message in the Maildir.
    pub fn raw(&self) -> Vec<String> {
        let dir = self.maildir.path().join("Maildir/new");
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An app with mail on through `smtp`, a clock the test moves, and a logged-in admin
/// whose account has an address.
async fn mail_app(smtp: &Smtp) -> TestApp {
    let app = spawn_with(Spawn {
        mail: Some(smtp.config()),
        clock: Some(Clock::fixed(hewn::domain::now())),
        ..Spawn::default()
    })
    .await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    app
}

/// Posts a comment to the demo post from a new client (its own address, no cookies);
/// returns the comment id.
async fn comment(app: &TestApp, text: &str, name: &str, email: &str, subscribe: bool) -> i64 {
    let mut fields = form(text, name, email);
    if subscribe {
        fields.push(("subscribe", "yes"));
    }
    let r = client().post(app.url(DEMO_FORM)).form(&fields).send().await.unwrap();
    let r = assert_status!(r, 303);
    // Every comment counts for flood control from one address: move time on.
    app.clock().advance(60);
    location(&r).rsplit_once("#comment-").unwrap().1.parse().unwrap()
}

async fn status_of(app: &TestApp, id: i64) -> String {
    crate::admin::support::comment_status(app, id).await.unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_held_comment_is_mailed_to_the_admin_and_moderated_from_the_inbox_by_post_only() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    let id = comment(&app, "A first comment, held", "Ann", "ann@reader.example", false).await;
    assert_eq!(status_of(&app, id).await, "pending");

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.envelope_to, vec![ADMIN_EMAIL.to_owned()]);
    assert!(mail.header("Subject").unwrap().contains("Please moderate"), "{mail:?}");
    for fact in ["Ann", "ann@reader.example", "127.0.0.1", "First comment from this author", "A first comment, held"] {
        assert!(mail.text.contains(fact), "{fact} missing:\n{}", mail.text);
    }
    assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
    assert!(mail.header("Message-ID").is_some_and(|m| m.ends_with("@blog.example>")));
    assert!(mail.header("In-Reply-To").is_some_and(|m| m.contains("hewn.post.")));
    assert!(!mail.html.contains("<script") && mail.html.contains("A first comment, held"));

    // A link scanner's GET changes nothing; the page has one button.
    let approve = mail.link("Approve");
    let anonymous = client();
    let page = anonymous.get(&approve).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "private, no-store");
    let page = assert_status!(page, 200).body;
    assert!(page.contains("data-test=\"mail-action\""), "{page}");
    assert_eq!(status_of(&app, id).await, "pending");

    // A forged link is refused, and so is one with a changed action.
    let forged = approve.replace("sig=", "sig=0");
    assert_status!(anonymous.post(&forged).send().await.unwrap(), 403);
    let other_action = approve.replace("/approve?", "/spam?");
    assert_status!(anonymous.post(&other_action).send().await.unwrap(), 403);
    assert_eq!(status_of(&app, id).await, "pending");

    // The POST approves, without a login.
    let done = assert_status!(anonymous.post(&approve).send().await.unwrap(), 200).body;
    assert!(done.contains("1 comment approved."), "{done}");
    assert_eq!(status_of(&app, id).await, "approved");

    // Replayed after the change: refused, nothing changes.
    let spam = mail.link("Spam");
    let replay = assert_status!(anonymous.post(&spam).send().await.unwrap(), 409).body;
    assert!(replay.contains("moderated after the mail was sent"), "{replay}");
    assert_eq!(status_of(&app, id).await, "approved");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_moderation_link_expires_after_seven_days() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    let id = comment(&app, "Held, then forgotten", "Bo", "bo@reader.example", false).await;
    let mail = smtp.wait_for(1).await.remove(0);
    app.clock().advance(7 * 24 * 3600 + 1);
    let trash = mail.link("Trash");
    let page = assert_status!(client().post(&trash).send().await.unwrap(), 403).body;
    assert!(page.contains("This link does not work"), "{page}");
    assert_eq!(status_of(&app, id).await, "pending");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_subscriber_confirms_once_then_hears_about_approved_replies_grouped_and_leaves_with_one_click() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    // Only the subscription mails matter here.
    save_settings(&app, &[("mail_on_held", None)]).await;
    let page = app.get(DEMO).await.text().await.unwrap();
    assert!(page.contains("data-test=\"subscribe\""), "the form offers the subscription");

    let own = comment(&app, "I want to hear about replies", "Cy", "cy@reader.example", true).await;
    let confirm = smtp.wait_for(1).await.remove(0);
    assert_eq!(confirm.envelope_to, vec!["cy@reader.example".to_owned()]);
    assert!(confirm.header("Subject").unwrap().contains("confirm"), "{confirm:?}");

    // Before confirmation, an approved reply sends nothing to Cy.
    let reply = comment(&app, "A reply before confirmation", "Di", "di@reader.example", false).await;
    assert_status!(post_form(&app, &format!("/admin/comments/{own}/approve"), &[]).await, 303);
    assert_status!(post_form(&app, &format!("/admin/comments/{reply}/approve"), &[]).await, 303);
    app.clock().advance(16 * 60);
    // Confirmation: GET shows a button, POST confirms.
    let link = confirm.link("Confirm my address");
    let shown = assert_status!(client().get(&link).send().await.unwrap(), 200).body;
    assert!(!shown.contains("cy@reader.example"), "the page does not show the address");
    assert_status!(client().post(&link).send().await.unwrap(), 200);

    // Two replies approved within 15 minutes become one mail; Cy's own comment is not announced to Cy.
    let r1 = comment(&app, "First answer to Cy", "Ed", "ed@reader.example", false).await;
    let r2 = comment(&app, "Second answer to Cy", "Fay", "fay@reader.example", false).await;
    let own2 = comment(&app, "Cy again", "Cy", "cy@reader.example", false).await;
    for id in [r1, r2, own2] {
        assert_status!(post_form(&app, &format!("/admin/comments/{id}/approve"), &[]).await, 303);
    }
    app.clock().advance(15 * 60 + 1);
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "the reply approved before confirmation sent nothing: {mails:#?}");
    let notify = &mails[1];
    assert_eq!(notify.envelope_to, vec!["cy@reader.example".to_owned()]);
    assert!(
        notify.text.contains("First answer to Cy") && notify.text.contains("Second answer to Cy"),
        "{}",
        notify.text
    );
    assert!(!notify.text.contains("Cy again") && !notify.text.contains("before confirmation"), "{}", notify.text);
    assert!(!notify.text.contains("ed@reader.example") && !notify.html.contains("fay@reader.example"));
    assert_eq!(notify.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    let one_click = notify.header("List-Unsubscribe").unwrap().trim_matches(['<', '>']).to_owned();
    assert!(notify.text.contains("Stop these mails: "));

    // The POST a mail client sends on its own unsubscribes.
    let r = client().post(&one_click).form(&[("List-Unsubscribe", "One-Click")]).send().await.unwrap();
    assert_status!(r, 200);
    let later = comment(&app, "Nobody hears of this", "Gus", "gus@reader.example", false).await;
    assert_status!(post_form(&app, &format!("/admin/comments/{later}/approve"), &[]).await, 303);
    app.clock().advance(16 * 60);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 2, "no mail after unsubscribing");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn confirmation_mails_are_limited_per_address_and_the_commenter_sees_the_same_page() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    save_settings(&app, &[("mail_on_held", None)]).await;
    let first = client()
        .post(app.url(DEMO_FORM))
        .form(&[form("One", "Vi", "victim@else.example"), vec![("subscribe", "yes")]].concat())
        .send()
        .await
        .unwrap();
    app.clock().advance(60);
    let second = client()
        .post(app.url(DEMO_FORM))
        .form(&[form("Two", "Vi", "victim@else.example"), vec![("subscribe", "yes")]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), second.status());
    let (a, b) = (location(&first), location(&second));
    assert_eq!(
        a.split_once('?').map(|p| p.0),
        b.split_once('?').map(|p| p.0),
        "same answer whatever the limit decided"
    );
    smtp.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 1, "one confirmation mail an hour to an address");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn mail_sent_while_smtp_is_down_waits_and_arrives_once_it_is_back_without_slowing_the_form() {
    let mut smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    smtp.stop();
    let started = Instant::now();
    comment(&app, "Posted while mail is down", "Hal", "hal@reader.example", false).await;
    assert!(started.elapsed() < Duration::from_secs(2), "the form never waits for SMTP");
    // The sender tried and failed: the row waits with its error.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get("/admin/mail?status=queued").await.text().await.unwrap();
        if page.contains("data-test=\"outbox-error\">") && !page.contains("data-test=\"outbox-error\"></td>") {
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded:\n{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(smtp.received().is_empty());
    smtp.restart().await;
    app.clock().advance(61);
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].text.contains("Posted while mail is down"));
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_permanent_refusal_is_marked_failed_with_the_servers_answer_and_can_be_retried() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    let r = post_form(&app, "/admin/mail/test", &[("to", "reject@else.example")]).await;
    assert_status!(r, 303);
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = app.get("/admin/mail?status=failed").await.text().await.unwrap();
        if page.contains("No such mailbox here") {
            break page;
        }
        assert!(Instant::now() < deadline, "not marked failed:\n{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let id: i64 = page.split("/admin/mail/outbox/").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    // Retry queues it again (only a failed row can be retried).
    assert_status!(post_form(&app, &format!("/admin/mail/outbox/{id}/retry"), &[]).await, 303);
    // A test message to a good address arrives.
    assert_status!(post_form(&app, "/admin/mail/test", &[("to", "owner@else.example")]).await, 303);
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].header("Subject").unwrap().contains("Test message"));
    // An invalid address is refused on the page.
    let bad = post_form(&app, "/admin/mail/test", &[("to", "not an address")]).await;
    assert_status!(bad, 422);
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn a_message_claimed_by_a_sender_that_died_is_sent_later_with_the_same_message_id() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    // The held mail is queued; a sender claims it and dies before sending.
    let now = app.clock().now();
    let id = {
        // Claim before the app's sender does: post through the store's outbox directly.
        hewn::store::mail::queue_test(&app.store, "late@else.example", now + 1).await.unwrap();
        // Not yet due for the app's sender (due one second ahead); this "sender" claims it.
        let claimed =
            hewn::store::mail::claim_due(&app.store, now + 1, hewn::mail::sender::LEASE_SECONDS, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        claimed[0].clone()
    };
    app.clock().advance(5);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(smtp.received().is_empty(), "a claimed row is left to its claimant");
    app.clock().advance(hewn::mail::sender::LEASE_SECONDS);
    let mail = smtp.wait_for(1).await.remove(0);
    let expected = hewn::mail::compose::message_id(id.id, id.created_at, "blog.example");
    assert_eq!(mail.header("Message-ID"), Some(expected.as_str()));
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn no_input_adds_a_header_and_no_address_reaches_a_public_page_or_another_reader() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    let name = "Eve\r\nBcc: victim@else.example";
    let r =
        client().post(app.url(DEMO_FORM)).form(&form("Header games", name, "eve@reader.example")).send().await.unwrap();
    // A name with a line break is refused by the form; one that passes cannot break a header either.
    assert!(r.status() == 303 || r.status() == 422);
    comment(&app, "Header games, take two", "Eve Bcc: victim@else.example", "eve@reader.example", true).await;
    smtp.wait_for(2).await;
    for raw in smtp.raw() {
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc")), "{headers}");
        assert_eq!(headers.lines().filter(|l| l.starts_with("To:")).count(), 1, "{headers}");
    }
    for path in [DEMO, "/feed.xml", "/comments/feed.xml"] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(!body.contains("eve@reader.example"), "{path}");
    }
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn without_smtp_mail_is_off_nothing_is_queued_and_the_panel_says_how_to_turn_it_on() {
    let app = crate::admin::support::admin_app().await;
    let page = app.get(DEMO).await.text().await.unwrap();
    assert!(!page.contains("data-test=\"subscribe\""));
    let id = comment(&app, "No mail for this", "Ida", "ida@reader.example", true).await;
    assert!(id > 0);
    let panel = app.get("/admin/mail").await.text().await.unwrap();
    assert!(panel.contains("data-test=\"mail-off\"") && panel.contains("HEWN_SMTP_URL"), "{panel}");
    assert!(panel.contains("No messages.") && panel.contains("No subscriptions."), "{panel}");
}

/// Saves the settings form through the panel as the page shows it, with `changes`
/// (`None` unticks a box): every field the page has is sent back as it is.
async fn save_settings(app: &TestApp, changes: &[(&str, Option<&str>)]) {
    let page = app.get("/admin/settings").await.text().await.unwrap();
    let doc = crate::helpers::html(&page);
    let mut fields: Vec<(String, String)> = Vec::new();
    let inputs = scraper::Selector::parse("form[data-test=settings-form] input[name], form[data-test=settings-form] textarea[name], form[data-test=settings-form] select[name]").unwrap();
    let selected = scraper::Selector::parse("option[selected]").unwrap();
    for e in doc.select(&inputs) {
        let v = e.value();
        let name = v.attr("name").unwrap().to_owned();
        let value = match v.name() {
            "textarea" => e.text().collect::<String>(),
            "select" => e.select(&selected).next().map(|o| o.text().collect::<String>()).unwrap_or_default(),
            _ if v.attr("type") == Some("checkbox") && v.attr("checked").is_none() => continue,
            _ => v.attr("value").unwrap_or_default().to_owned(),
        };
        fields.push((name, value));
    }
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        if let Some(v) = value {
            fields.push(((*name).to_owned(), (*v).to_owned()));
        }
    }
    let r = app.client.post(app.url("/admin/settings")).form(&fields).send().await.unwrap();
    assert_status!(r, 303);
}

/// A confirmed subscriber to the demo post (confirmed through its mailed link);
/// returns the confirmation mail.
async fn confirmed_subscriber(app: &TestApp, smtp: &Smtp, email: &str, already: usize) -> Mail {
    comment(app, &format!("Subscribing here as {email}"), "Sub", email, true).await;
    let confirm = smtp.wait_for(already + 1).await.remove(already);
    assert_eq!(confirm.envelope_to, vec![email.to_owned()]);
    assert_status!(client().post(confirm.link("Confirm my address")).send().await.unwrap(), 200);
    confirm
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn an_unconfirmed_subscription_is_forgotten_after_seven_days() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    save_settings(&app, &[("mail_on_held", None)]).await;
    comment(&app, "Subscribing, then forgetting", "Una", "una@reader.example", true).await;
    let confirm = smtp.wait_for(1).await.remove(0);
    let listed = app.get("/admin/mail").await.text().await.unwrap();
    assert!(listed.contains("una@reader.example") && listed.contains("not yet"), "the admin sees it unconfirmed");

    app.clock().advance(7 * 24 * 3600 + 1);
    hewn::store::mail::housekeeping(&app.store, app.clock().now()).await.unwrap();
    // (The admin's session has expired by now: the store answers.)
    let left = hewn::store::mail::subscriptions(&app.store, "una@", 10).await.unwrap();
    assert!(left.is_empty(), "forgotten after 7 days: {left:?}");
    // The link has expired with it.
    assert_status!(client().post(confirm.link("Confirm my address")).send().await.unwrap(), 403);
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn the_admins_reply_is_announced_but_never_to_a_blocked_address() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    save_settings(&app, &[("mail_on_held", None)]).await;
    confirmed_subscriber(&app, &smtp, "kim@reader.example", 0).await;
    confirmed_subscriber(&app, &smtp, "spammer@bad.example", 1).await;
    save_settings(&app, &[("mail_on_held", None), ("comment_block_words", Some("spammer@bad.example"))]).await;

    // The admin replies to the demo's approved comment from the panel.
    let r = post_form(
        &app,
        &format!("/admin/comments/{}/reply", crate::comments::DEMO_COMMENT),
        &[("reply", "Thanks, from the admin")],
    )
    .await;
    assert_status!(r, 303);
    app.clock().advance(15 * 60 + 1);
    let mails = smtp.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mails_after = smtp.received();
    assert_eq!(mails_after.len(), 3, "one notification, to Kim only: {mails_after:#?}");
    assert_eq!(mails[2].envelope_to, vec!["kim@reader.example".to_owned()]);
    assert!(mails[2].text.contains("Thanks, from the admin"));
    let outbox = app.get("/admin/mail?status=dropped").await.text().await.unwrap();
    assert!(outbox.contains("the address is on the block list"), "{outbox}");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn the_subscriptions_page_lists_an_addresss_posts_and_leaving_everything_means_confirming_again() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    save_settings(&app, &[("mail_on_held", None)]).await;
    confirmed_subscriber(&app, &smtp, "lou@reader.example", 0).await;
    let reply = comment(&app, "Something for Lou", "Max", "max@reader.example", false).await;
    assert_status!(post_form(&app, &format!("/admin/comments/{reply}/approve"), &[]).await, 303);
    app.clock().advance(15 * 60 + 1);
    let notify = smtp.wait_for(2).await.remove(1);

    let list = client().get(notify.link("All your subscriptions")).send().await.unwrap();
    assert_eq!(list.headers()["cache-control"], "private, no-store");
    let list = assert_status!(list, 200).body;
    assert!(list.contains("data-test=\"subscriptions\"") && list.contains("Year of the Stakhanovite"), "{list}");
    assert!(!list.contains("lou@reader.example"), "the page does not show the address");
    // A cut signature is refused.
    let cut = notify.link("All your subscriptions");
    assert_status!(client().get(&cut[..cut.len() - 2]).send().await.unwrap(), 403);

    let doc = crate::helpers::html(&list);
    let sel = scraper::Selector::parse("form").unwrap();
    let everything =
        doc.select(&sel).filter_map(|f| f.value().attr("action")).find(|a| a.contains("/all?")).unwrap().to_owned();
    assert_status!(client().post(&everything).send().await.unwrap(), 200);
    let admin_page = app.get("/admin/mail").await.text().await.unwrap();
    let subscriptions = admin_page.split("data-test=\"subscriptions\"").nth(1).unwrap();
    assert!(!subscriptions.contains("lou@reader.example"), "{subscriptions}");

    // Subscribing again (after the hour that limits confirmation mails) asks for confirmation again.
    app.clock().advance(3600);
    comment(&app, "Back again", "Lou", "lou@reader.example", true).await;
    let mails = smtp.wait_for(3).await;
    assert!(mails[2].header("Subject").unwrap().contains("confirm"), "{:?}", mails[2]);
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn no_address_or_smtp_password_reaches_the_log_or_help() {
    let smtp = Smtp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    {
        let store = hewn::store::Store::open(
            &hewn::config::DatabaseConfig::from_cli(
                &format!("sqlite://{}", db.display()),
                hewn::config::Synchronous::Normal,
            )
            .unwrap(),
        )
        .await
        .unwrap();
        hewn::store::init(&store, true).await.unwrap();
        let hash = hewn::domain::password::hash(PASSWORD).unwrap();
        let user = hewn::store::users::NewUser {
            username: ADMIN,
            display_name: "Owner",
            email: ADMIN_EMAIL,
            password_hash: &hash,
            now: hewn::domain::now(),
        };
        hewn::store::users::create(&store, &user).await.unwrap();
        store.close().await;
    }
    let url = format!("smtp://mailer:sekret-smtp-pass@127.0.0.1:{}?tls=none", smtp.port);
    let bin =
        crate::helpers::Binary::start(&db, &["--smtp-url", &url, "--mail-from", "Blog <blog@blog.example>"]).await;
    let mut fields = form("Logged nowhere", "Nia", "nia@reader.example");
    fields.push(("subscribe", "yes"));
    let r = client().post(format!("{}{DEMO_FORM}", bin.base)).form(&fields).send().await.unwrap();
    assert_status!(r, 303);
    let mails = smtp.wait_for(2).await;
    assert!(mails.iter().any(|m| m.envelope_to == vec!["nia@reader.example".to_owned()]));
    let log = bin.log();
    assert!(log.contains("mail sent"), "{log}");
    for secret in ["sekret-smtp-pass", "nia@reader.example", ADMIN_EMAIL] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .arg("--help")
        .env("HEWN_SMTP_URL", &url)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--smtp-url") && !help.contains("sekret-smtp-pass"), "{help}");
}

#[tokio::test]
#[ignore = "needs aiosmtpd"]
async fn the_admin_searches_and_deletes_subscriptions_and_a_client_cannot_mail_many_strangers() {
    let smtp = Smtp::start().await;
    let app = mail_app(&smtp).await;
    save_settings(&app, &[("mail_on_held", None)]).await;
    // One client asking for confirmations to many addresses: 5 an hour, then nothing.
    for i in 0..8 {
        comment(&app, &format!("Subscribing stranger {i}"), "Mallory", &format!("stranger{i}@else.example"), true)
            .await;
    }
    smtp.wait_for(5).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 5, "at most 5 confirmation mails an hour for one client");

    let found = app.get("/admin/mail?search=stranger3").await.text().await.unwrap();
    let rows = crate::helpers::texts(&crate::helpers::html(&found), "[data-test=subscription-row] td:first-child");
    assert_eq!(rows, ["stranger3@else.example"]);
    let id = hewn::store::mail::subscriptions(&app.store, "stranger3", 5).await.unwrap()[0].id;
    assert_status!(post_form(&app, &format!("/admin/mail/subscriptions/{id}/delete"), &[]).await, 303);
    assert!(hewn::store::mail::subscriptions(&app.store, "stranger3", 5).await.unwrap().is_empty());
    assert_eq!(hewn::store::mail::subscriptions(&app.store, "stranger", 50).await.unwrap().len(), 7);
}

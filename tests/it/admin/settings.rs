//! The settings page: every setting with help, validation, the date example, and
//! custom CSS served from its own URL.

use hewn::domain::datefmt;
use hewn::domain::settings::Settings;
use hewn::store::settings;

use super::support::{admin_app, csrf};
use crate::assert::{assert_redirect, assert_status};
use crate::helpers::{TestApp, client, html, texts};

/// Every field of the settings form as the page shows it now.
async fn current_fields(app: &TestApp) -> Vec<(String, String)> {
    let page = app.get("/admin/settings").await.text().await.unwrap();
    let doc = html(&page);
    let mut fields = Vec::new();
    let inputs = scraper::Selector::parse("form[data-test=settings-form] input, form[data-test=settings-form] textarea, form[data-test=settings-form] select").unwrap();
    let selected = scraper::Selector::parse("option[selected]").unwrap();
    for e in doc.select(&inputs) {
        let Some(name) = e.value().attr("name") else { continue };
        let value = match e.value().name() {
            "textarea" => e.text().collect(),
            "select" => e.select(&selected).next().map(|o| o.text().collect()).unwrap_or_default(),
            _ if e.value().attr("type") == Some("checkbox") => {
                if e.value().attr("checked").is_none() {
                    continue;
                }
                "1".to_owned()
            }
            _ => e.value().attr("value").unwrap_or_default().to_owned(),
        };
        fields.push((name.to_owned(), value));
    }
    fields
}

/// Submits the settings form with `changes` applied to what the page shows.
async fn submit(app: &TestApp, changes: &[(&str, Option<&str>)]) -> reqwest::Response {
    let mut fields = current_fields(app).await;
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        if let Some(v) = value {
            fields.push(((*name).to_owned(), (*v).to_owned()));
        }
    }
    fields.retain(|(n, _)| n != "_csrf");
    fields.push(("_csrf".to_owned(), csrf(app).await));
    app.client.post(app.url("/admin/settings")).form(&fields).send().await.unwrap()
}

#[tokio::test]
async fn every_setting_is_on_the_page_with_a_help_line() {
    let app = admin_app().await;

    let page = app.get("/admin/settings").await.text().await.unwrap();
    let doc = html(&page);

    for name in [
        "site_title",
        "tagline",
        "timezone",
        "date_format",
        "time_format",
        "posts_per_page",
        "custom_css",
        "comment_manual_approval",
        "comment_require_prior_approval",
        "comment_max_links",
        "comment_moderation_words",
        "comment_block_words",
        "comment_flood_seconds",
        "comment_close_after_days",
        "comment_thread_depth",
    ] {
        let help = texts(&doc, &format!("[data-test=field-{name}] .help"));
        assert_eq!(help.len(), 1, "{name} has no help line");
        assert!(help[0].len() > 10, "{name}: {help:?}");
    }
    let year = datefmt::format(hewn::domain::now(), &datefmt::zone("UTC"), "Y");
    assert!(texts(&doc, "[data-test=example-date_format]")[0].ends_with(&year), "the example shows today");
    assert!(page.contains("<option selected>UTC</option>"));
    assert!(page.contains("<option>Europe/London</option>"));
}

#[tokio::test]
async fn saved_settings_change_the_public_site() {
    let app = admin_app().await;

    let r = submit(
        &app,
        &[
            ("site_title", Some("My Own Blog")),
            ("tagline", Some("Notes & more")),
            ("date_format", Some("Y-m-d")),
            ("timezone", Some("Pacific/Pago_Pago")),
            ("posts_per_page", Some("5")),
            ("comment_manual_approval", Some("1")),
            ("comment_require_prior_approval", None),
            ("comment_moderation_words", Some("casino\r\nloan")),
        ],
    )
    .await;
    let index = app.get("/").await.text().await.unwrap();
    let stored = settings::load(&app.store).await.unwrap();
    let page = app.get("/admin/settings?notice=settings-saved").await.text().await.unwrap();

    assert_redirect!(r, 303, "/admin/settings?notice=settings-saved");
    assert_eq!(texts(&html(&index), "#site-title"), ["My Own Blog"]);
    assert_eq!(texts(&html(&index), ".site-tagline"), ["Notes & more"]);
    assert_eq!(
        texts(&html(&index), "[data-test=post-summary] time"),
        ["2013-10-11"],
        "10:00 UTC is the evening before in Pago Pago"
    );
    assert_eq!(stored.posts_per_page, 5);
    assert!(stored.discussion.manual_approval);
    assert!(!stored.discussion.require_prior_approval, "an unticked box turns the rule off");
    assert_eq!(stored.discussion.moderation_words, "casino\nloan");
    assert_eq!(texts(&html(&page), "[data-test=notice]"), ["Settings saved."]);
}

#[tokio::test]
async fn invalid_settings_are_explained_and_nothing_is_saved() {
    let app = admin_app().await;

    let r = submit(
        &app,
        &[
            ("site_title", Some("Should not stick")),
            ("timezone", Some("Mars/Olympus")),
            ("posts_per_page", Some("0")),
            ("date_format", Some("")),
        ],
    )
    .await;
    let status = r.status();
    let page = r.text().await.unwrap();
    let doc = html(&page);
    let stored = settings::load(&app.store).await.unwrap();

    assert_eq!(status, 422);
    assert!(texts(&doc, "[data-test=error-timezone]")[0].contains("not a known time zone"));
    assert!(texts(&doc, "[data-test=error-posts_per_page]")[0].contains("from 1 to 100"));
    assert!(texts(&doc, "[data-test=error-date_format]")[0].contains("cannot be empty"));
    assert!(page.contains("value=\"Should not stick\""), "the typed values are kept");
    assert_eq!(stored.site_title, Settings::default().site_title, "nothing was saved");
}

#[tokio::test]
async fn the_date_example_follows_the_format_as_typed() {
    let app = admin_app().await;
    let now = hewn::domain::now();

    let year = app.get("/admin/settings/date-example?format=Y").await;
    let content_type = year.headers()["content-type"].to_str().unwrap().to_owned();
    let year = year.text().await.unwrap();
    let zoned = app.get("/admin/settings/date-example?format=e&timezone=Europe/Berlin").await.text().await.unwrap();
    let anonymous = client().get(app.url("/admin/settings/date-example?format=Y")).send().await.unwrap();

    assert_eq!(year, datefmt::format(now, &datefmt::zone("UTC"), "Y"));
    assert!(content_type.starts_with("text/plain"));
    assert_eq!(zoned, "Europe/Berlin");
    assert_status!(anonymous, 303);
}

#[tokio::test]
async fn custom_css_is_served_with_validators_and_linked_after_the_stylesheet() {
    let app = admin_app().await;
    let before = app.get("/").await.text().await.unwrap();

    submit(&app, &[("custom_css", Some("body { color: rebeccapurple; }"))]).await;
    let index = app.get("/").await.text().await.unwrap();
    let css = client().get(app.url("/custom.css")).send().await.unwrap();
    let etag = css.headers()["etag"].to_str().unwrap().to_owned();
    let content_type = css.headers()["content-type"].to_str().unwrap().to_owned();
    let body = css.text().await.unwrap();
    let revalidated = client().get(app.url("/custom.css")).header("if-none-match", &etag).send().await.unwrap();

    assert!(!before.contains("/custom.css"), "no link while there is no custom CSS");
    let main = index.find("/static/style.").unwrap();
    let custom = index.find("href=\"/custom.css?v=").unwrap();
    assert!(custom > main, "the custom CSS comes after the main stylesheet");
    assert_eq!(body, "body { color: rebeccapurple; }");
    assert!(content_type.starts_with("text/css"));
    assert!(index.contains(&format!("/custom.css?v={}", etag.trim_matches('"'))), "the link is versioned by content");
    assert_status!(revalidated, 304);
}

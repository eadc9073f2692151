//! Invalid submissions (422 with the form re-shown) and malformed requests (a clear
//! 4xx page); neither stores anything.

use hewn::store::{comments, posts};

use super::{DEMO, DEMO_FORM, form, location, post_form, post_raw, row_with_body, rows};
use crate::assert::{assert_not_found, assert_status};
use crate::helpers::{html, spawn_app, texts};

const FORM: &str = "application/x-www-form-urlencoded";

fn attr(doc: &scraper::Html, selector: &str, name: &str) -> Option<String> {
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

#[tokio::test]
async fn an_invalid_form_is_shown_again_with_422_the_text_kept_and_each_message_by_its_field() {
    let app = spawn_app().await;
    let fields = [
        ("comment", "My long considered thoughts."),
        ("author", ""),
        ("email", "not-an-address"),
        ("url", "ftp://example.com"),
        ("comment_parent", "0"),
    ];

    let r = post_form(&app, &app.client, &fields).await;

    let r = assert_status!(r, 422);
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let body = r.body;
    let doc = html(&body);
    assert!(texts(&doc, "title")[0].starts_with("Error: "));
    assert_eq!(texts(&doc, "textarea#comment"), ["My long considered thoughts."]);
    assert_eq!(attr(&doc, "#email", "value").unwrap(), "not-an-address", "their own address, on their own page");
    assert_eq!(attr(&doc, "#url", "value").unwrap(), "ftp://example.com");
    let summary = texts(&doc, "[data-test=error-summary] li");
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert_eq!(attr(&doc, "[data-test=error-summary] a", "href").unwrap(), "#author");
    assert_eq!(texts(&doc, "#author-error"), ["Please enter your name."]);
    assert_eq!(attr(&doc, "#author", "aria-describedby").unwrap(), "author-error");
    assert_eq!(attr(&doc, "#author", "aria-invalid").unwrap(), "true");
    assert_eq!(attr(&doc, "#email", "aria-describedby").unwrap(), "email-notes email-error");
    assert!(texts(&doc, "#email-error")[0].contains("valid email address"));
    assert!(texts(&doc, "#url-error")[0].contains("http:// or https://"));
    assert!(attr(&doc, "#comment", "aria-describedby").is_none(), "a valid field is not marked");
    assert!(row_with_body(&app, "My long considered thoughts.").await.is_none());
}

#[tokio::test]
async fn every_field_rule_refuses_with_a_message() {
    let app = spawn_app().await;
    let long_name = "n".repeat(246);
    let long_email = format!("{}@example.com", "e".repeat(89));
    let long_url = format!("https://example.com/{}", "u".repeat(181));
    let cases: Vec<(&str, &str, &str)> = vec![
        ("comment", "   \r\n  ", "type your comment"),
        ("comment", "bell \u{7} ring", "control characters"),
        ("comment", "nul \u{0} byte", "control characters"),
        ("author", "   ", "enter your name"),
        ("author", &long_name, "too long"),
        ("author", "two\nlines", "one line"),
        ("email", "", "enter your email"),
        ("email", "a@b", "valid email"),
        ("email", "a b@example.com", "valid email"),
        ("email", &long_email, "too long"),
        ("url", "javascript:alert(1)", "http://"),
        ("url", "data:text/html,hi", "http://"),
        ("url", "/relative/path", "full address"),
        ("url", "http://user:pw@example.com", "user name or password"),
        ("url", &long_url, "too long"),
    ];
    for (field, value, message) in cases {
        let mut fields = vec![("comment", "valid text"), ("author", "Ann"), ("email", "ann@example.com"), ("url", "")];
        fields.iter_mut().find(|(n, _)| *n == field).unwrap().1 = value;

        let r = post_form(&app, &app.client, &fields).await;

        let r = assert_status!(r, 422, "{field}={value:?}");
        let doc = html(&r.body);
        let shown = texts(&doc, &format!("#{field}-error"));
        assert!(shown.len() == 1 && shown[0].contains(message), "{field}={value:?}: {shown:?}");
    }
    assert!(rows(&app).await.iter().all(|r| r.rule == "demo"), "nothing was stored");
}

#[tokio::test]
async fn values_are_trimmed_line_endings_normalised_and_bare_hosts_get_http() {
    let app = spawn_app().await;

    let r = post_form(
        &app,
        &app.client,
        &[
            ("comment", "  line one\r\nline two\t \r\n"),
            ("author", "  Ann  "),
            ("email", " ann@example.com "),
            ("url", " example.com "),
        ],
    )
    .await;

    assert_status!(r, 303);
    let row = row_with_body(&app, "line one\nline two").await.unwrap();
    assert_eq!((row.author_name.as_str(), row.author_email.as_str()), ("Ann", "ann@example.com"));
    assert_eq!(row.author_url, "http://example.com");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_stores_nothing() {
    let app = spawn_app().await;
    let body = format!("comment={}&author=Ann&email=ann%40example.com", "x".repeat(1024 * 1024));

    let (status, page) = post_raw(&app, DEMO_FORM, FORM, body.into_bytes()).await;

    assert_eq!(status, 413);
    assert_eq!(texts(&html(&page), "[data-test=error] h1"), ["Payload Too Large"]);
    assert_eq!(rows(&app).await.len(), 2);
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_4xx_page_and_store_nothing() {
    let app = spawn_app().await;
    let valid = b"comment=hello&author=Ann&email=ann%40example.com".to_vec();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (FORM, b"comment=%FF%FEhello&author=Ann&email=ann%40example.com".to_vec(), 400, "not valid UTF-8"),
        (FORM, b"comment=\xff\xfe&author=Ann&email=ann%40example.com".to_vec(), 400, "not valid UTF-8"),
        (FORM, b"comment=a&comment=b&author=Ann&email=ann%40example.com".to_vec(), 400, "more than once"),
        (FORM, b"comment=a&author=Ann&email=ann%40example.com&email=bob%40example.com".to_vec(), 400, "more than once"),
        (FORM, b"comment=a&author=Ann&email=ann%40example.com&comment_parent=x1".to_vec(), 400, "not a valid comment"),
        ("multipart/form-data; boundary=xyz", valid.clone(), 415, "application/x-www-form-urlencoded"),
        ("text/plain", valid.clone(), 415, "application/x-www-form-urlencoded"),
        ("application/json", br#"{"comment":"hello"}"#.to_vec(), 415, "application/x-www-form-urlencoded"),
        ("application/x-www-form-urlencoded; charset=iso-8859-1", valid.clone(), 415, "UTF-8"),
    ];
    for (content_type, body, expected, message) in cases {
        let (status, page) = post_raw(&app, DEMO_FORM, content_type, body.clone()).await;

        assert_eq!(status, expected, "{content_type} {}", String::from_utf8_lossy(&body));
        let doc = html(&page);
        assert_eq!(texts(&doc, "#site-title"), ["hewn"], "the site's own error page");
        assert!(texts(&doc, ".error-message")[0].contains(message), "{page}");
    }
    let no_type = app.client.post(app.url(DEMO_FORM)).body(valid).send().await.unwrap();
    assert_status!(no_type, 415);
    assert_eq!(rows(&app).await.len(), 2, "nothing was stored");
}

#[tokio::test]
async fn a_parent_must_be_an_approved_comment_of_the_same_post() {
    let app = spawn_app().await;
    super::no_flood(&app).await;
    let other = posts::insert(
        &app.store,
        &posts::NewPost {
            kind: hewn::domain::status::PostKind::Post,
            slug: "other",
            title: "Other",
            source: "x",
            source_format: "markdown",
            body_html: "<p>x</p>",
            excerpt: "x",
            status: hewn::domain::status::PostStatus::Published,
            author_name: "",
            author_id: None,
            menu_order: 0,
            comments_open: true,
            published_at: Some(1_500_000_000),
            now: 1_500_000_000,
        },
    )
    .await
    .unwrap();
    let elsewhere = comments::insert(
        &app.store,
        &comments::NewComment {
            post_id: other,
            parent_id: None,
            kind: hewn::domain::status::CommentKind::Comment,
            author_name: "Elsewhere",
            author_email: "",
            author_url: "",
            user_id: None,
            body: "x",
            body_html: "<p>x</p>",
            status: hewn::domain::status::CommentStatus::Approved,
            rule: "test",
            author_ip: "",
            user_agent: "",
            created_at: 1_500_000_000,
            avatar_key: "",
        },
    )
    .await
    .unwrap();
    let held = post_form(&app, &app.client, &form("held", "Ann", "ann@example.com")).await;
    let held = super::comment_id(&location(&held));
    let reply = |parent: String| {
        vec![
            ("comment".to_owned(), "my reply".to_owned()),
            ("author".to_owned(), "Bo".to_owned()),
            ("email".to_owned(), "bo@example.com".to_owned()),
            ("comment_parent".to_owned(), parent),
        ]
    };

    let other_post = app.client.post(app.url(DEMO_FORM)).form(&reply(elsewhere.to_string())).send().await.unwrap();
    let unknown = app.client.post(app.url(DEMO_FORM)).form(&reply("4242".to_owned())).send().await.unwrap();
    let pending = app.client.post(app.url(DEMO_FORM)).form(&reply(held.to_string())).send().await.unwrap();

    // One answer for all three, so that it tells nothing about hidden comments.
    for refused in [other_post, unknown] {
        let refused = assert_status!(refused, 422);
        let doc = html(&refused.body);
        assert!(texts(&doc, "[data-test=error-summary]")[0].contains("does not take replies"));
    }
    let pending = assert_status!(pending, 422);
    let page = pending.body;
    let doc = html(&page);
    assert!(texts(&doc, "[data-test=error-summary]")[0].contains("does not take replies"), "{page}");
    assert_eq!(attr(&doc, "input[name=comment_parent]", "value").unwrap(), "0");
    assert_eq!(texts(&doc, "textarea#comment"), ["my reply"]);
    assert!(row_with_body(&app, "my reply").await.is_none());
}

#[tokio::test]
async fn unknown_and_unpublished_posts_answer_404() {
    let app = spawn_app().await;
    posts::insert(
        &app.store,
        &posts::NewPost {
            kind: hewn::domain::status::PostKind::Post,
            slug: "draft",
            title: "Draft",
            source: "x",
            source_format: "markdown",
            body_html: "<p>x</p>",
            excerpt: "x",
            status: hewn::domain::status::PostStatus::Draft,
            author_name: "",
            author_id: None,
            menu_order: 0,
            comments_open: true,
            published_at: None,
            now: 1_500_000_000,
        },
    )
    .await
    .unwrap();

    for path in ["/posts/nope/comments", "/posts/draft/comments", "/posts/%FF/comments"] {
        let r = app.client.post(app.url(path)).form(&form("hi", "Ann", "ann@example.com")).send().await.unwrap();
        let r = assert_not_found!(r, "{path}");
        assert_eq!(texts(&html(&r.body), "[data-test=error] h1"), ["Page not found"]);
    }
    let get = app.get(DEMO_FORM).await;
    assert_status!(get, 405);
    assert_eq!(rows(&app).await.len(), 2);
}

#[tokio::test]
async fn no_junk_makes_the_server_fail() {
    let app = spawn_app().await;
    super::no_flood(&app).await;
    let bodies: Vec<Vec<u8>> = vec![
        vec![],
        b"&&&===&&".to_vec(),
        b"%".to_vec(),
        b"comment".to_vec(),
        b"comment=%".to_vec(),
        b"comment=%%%%&author=%2&email=%".to_vec(),
        b"=x&=y".to_vec(),
        b"comment_parent=99999999999999999999999999".to_vec(),
        b"comment=x&author=y&email=z%40example.com&comment_parent=0".to_vec(),
        (0u8..=255).collect(),
        "comment=\u{FFFF}\u{10FFFF}&author=\u{FFFE}&email=a%40b.co".as_bytes().to_vec(),
    ];
    for body in bodies {
        let (status, page) = post_raw(&app, DEMO_FORM, FORM, body.clone()).await;
        assert!((200..500).contains(&status), "{status} for {:?}", String::from_utf8_lossy(&body));
        assert!(page.contains("id=\"site-title\"") || page.is_empty(), "an HTML page for {body:?}");
    }
    assert_status!(app.get(DEMO).await, 200);
}

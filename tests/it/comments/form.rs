//! The reply form as readers see it: fields, replies and threads, closed comments.

use hewn::store::{posts, settings};

use super::{DEMO, DEMO_COMMENT, approve, comment_id, form, location, no_flood, post_form, row_with_body};
use crate::assert::assert_status;
use crate::helpers::{html, spawn_app, texts};

fn attr(doc: &scraper::Html, selector: &str, name: &str) -> Option<String> {
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

fn count(doc: &scraper::Html, selector: &str) -> usize {
    doc.select(&scraper::Selector::parse(selector).unwrap()).count()
}

fn closed_post(slug: &str, published_at: i64, open: bool) -> posts::NewPost<'_> {
    posts::NewPost {
        kind: hewn::domain::status::PostKind::Post,
        slug,
        title: "Another post",
        source: "Body",
        source_format: "markdown",
        body_html: "<p>Body</p>",
        excerpt: "Body",
        status: hewn::domain::status::PostStatus::Published,
        author_name: "",
        author_id: None,
        menu_order: 0,
        comments_open: open,
        published_at: Some(published_at),
        now: published_at,
    }
}

#[tokio::test]
async fn the_post_page_offers_the_wordpress_reply_form() {
    let app = spawn_app().await;

    let (status, body) = app.get_text(DEMO).await;

    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "#respond h2"), ["Leave a Reply"]);
    assert_eq!(
        texts(&doc, "#respond .comment-notes"),
        ["Your email address will not be published. Required fields are marked *"]
    );
    assert_eq!(attr(&doc, "#commentform", "action").unwrap(), "/posts/year-of-the-stakhanovite/comments#respond");
    assert_eq!(attr(&doc, "#commentform", "method").unwrap(), "post");
    for (id, label) in [("comment", "Comment *"), ("author", "Name *"), ("email", "Email *"), ("url", "Website")] {
        assert_eq!(texts(&doc, &format!("label[for={id}]")), [label], "{id}");
        assert_eq!(attr(&doc, &format!("#{id}"), "name").unwrap(), id);
    }
    assert_eq!(count(&doc, "textarea#comment[required][maxlength='65525']"), 1);
    assert_eq!(count(&doc, "input#author[type=text][required][maxlength='245'][autocomplete=name]"), 1);
    assert_eq!(count(&doc, "input#email[type=email][required][maxlength='100'][autocomplete=email]"), 1);
    assert_eq!(attr(&doc, "#email", "aria-describedby").unwrap(), "email-notes");
    assert_eq!(texts(&doc, "#email-notes"), ["Your email address will not be published."]);
    assert_eq!(count(&doc, "input#url[type=url][maxlength='200'][autocomplete=url]:not([required])"), 1);
    assert_eq!(
        texts(&doc, "label[for=wp-comment-cookies-consent]"),
        ["Save my name, email, and website in this browser for the next time I comment."]
    );
    assert_eq!(count(&doc, "input#wp-comment-cookies-consent[type=checkbox]:not([checked])"), 1);
    assert_eq!(attr(&doc, "input[type=hidden][name=comment_parent]", "value").unwrap(), "0");
    assert_eq!(texts(&doc, "#commentform button[type=submit]"), ["Post Comment", "Preview"]);
    assert_eq!(count(&doc, ".honeypot[aria-hidden=true] input[tabindex='-1'][autocomplete=off]"), 1);
    // The JSON-LD data block in the head is not a script that runs.
    assert_eq!(count(&doc, "script:not([type='application/ld+json'])"), 0, "the form needs no JavaScript");
}

#[tokio::test]
async fn an_approved_comment_is_redirected_to_its_anchor_with_303() {
    let app = spawn_app().await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();

    let r = post_form(&app, &app.client, &form("First!\n\nSecond *paragraph*.", "Ann", "ann@example.com")).await;

    let r = assert_status!(r, 303);
    let to = location(&r);
    let id = comment_id(&to);
    assert_eq!(to, format!("{DEMO}#comment-{id}"));
    let (_, body) = app.get_text(DEMO).await;
    let doc = html(&body);
    assert_eq!(texts(&doc, "#comments-title"), ["3 comments for “Year of the Stakhanovite”"]);
    assert_eq!(texts(&doc, &format!("li#comment-{id} [data-test=comment-author]")), ["Ann"]);
    let content = scraper::Selector::parse(&format!("li#comment-{id} .comment-content")).unwrap();
    let inner = doc.select(&content).next().unwrap().inner_html();
    assert!(inner.contains("<p>First!</p>") && inner.contains("<em>paragraph</em>"), "{inner}");
    assert_eq!(count(&doc, "[data-test=awaiting-moderation]"), 0);
}

#[tokio::test]
async fn every_approved_comment_has_a_reply_link_that_turns_the_form_into_a_reply() {
    let app = spawn_app().await;

    let (_, page) = app.get_text(DEMO).await;
    let (_, reply) = app.get_text(&format!("{DEMO}?replytocom={DEMO_COMMENT}")).await;

    let doc = html(&page);
    let links: Vec<String> = doc
        .select(&scraper::Selector::parse("[data-test=reply-link]").unwrap())
        .map(|e| e.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links, [format!("{DEMO}?replytocom=1#respond"), format!("{DEMO}?replytocom=2#respond")]);
    assert_eq!(attr(&doc, "[data-test=reply-link]", "aria-label").unwrap(), "Reply to B. Knickerbocker");
    let doc = html(&reply);
    assert_eq!(texts(&doc, "#reply-title"), ["Leave a Reply to B. Knickerbocker Cancel reply"]);
    assert_eq!(attr(&doc, "#cancel-comment-reply-link", "href").unwrap(), format!("{DEMO}#respond"));
    assert_eq!(attr(&doc, "input[name=comment_parent]", "value").unwrap(), "1");
    assert_eq!(attr(&doc, "link[rel=canonical]", "href").unwrap(), app.url(DEMO), "one canonical page");
}

#[tokio::test]
async fn replytocom_naming_no_approved_comment_of_the_post_shows_the_plain_form() {
    let app = spawn_app().await;
    let held = post_form(&app, &app.client, &form("held", "Ann", "ann@example.com")).await;
    let held = comment_id(&location(&held));

    for q in ["999", "abc", "-1", "", &held.to_string()] {
        let (status, body) = app.get_text(&format!("{DEMO}?replytocom={q}")).await;
        let doc = html(&body);
        assert_eq!(status, 200, "{q}");
        assert_eq!(texts(&doc, "#reply-title"), ["Leave a Reply"], "{q}");
        assert_eq!(attr(&doc, "input[name=comment_parent]", "value").unwrap(), "0", "{q}");
    }
}

#[tokio::test]
async fn replies_and_replies_to_replies_nest_under_their_parents() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();

    let reply = post_form(
        &app,
        &app.client,
        &[&form("a reply", "Bo", "bo@example.com")[..3], &[("comment_parent", "1")]].concat(),
    )
    .await;
    let reply = comment_id(&location(&reply));
    let parent = reply.to_string();
    let nested = post_form(
        &app,
        &app.client,
        &[&form("a reply to the reply", "Cy", "cy@example.com")[..3], &[("comment_parent", parent.as_str())]].concat(),
    )
    .await;
    let nested = comment_id(&location(&nested));

    let (_, body) = app.get_text(DEMO).await;
    let doc = html(&body);
    let path = format!("li#comment-1 > ol.children > li#comment-{reply} > ol.children > li#comment-{nested}");
    assert_eq!(count(&doc, &path), 1, "{body}");
    assert_eq!(row_with_body(&app, "a reply").await.unwrap().parent_id, Some(1));
    assert_eq!(row_with_body(&app, "a reply to the reply").await.unwrap().parent_id, Some(reply));
}

#[tokio::test]
async fn replies_beyond_the_depth_cap_attach_at_the_deepest_level() {
    let app = spawn_app().await;
    no_flood(&app).await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    settings::put(&app.store, "comment_thread_depth", "2").await.unwrap();

    let mut parent = DEMO_COMMENT;
    let mut ids = Vec::new();
    for text in ["level two", "level three", "level four"] {
        let p = parent.to_string();
        let r = post_form(
            &app,
            &app.client,
            &[&form(text, "Di", "di@example.com")[..3], &[("comment_parent", p.as_str())]].concat(),
        )
        .await;
        let r = assert_status!(r, 303, "{text}");
        parent = comment_id(&location(&r));
        ids.push(parent);
    }
    let (_, body) = app.get_text(DEMO).await;

    let doc = html(&body);
    for id in &ids {
        let at_depth_two = format!("li#comment-1 > ol.children > li#comment-{id}.depth-2");
        assert_eq!(count(&doc, &at_depth_two), 1, "comment {id} shows at the deepest level\n{body}");
        assert!(count(&doc, &format!("li#comment-{id} [data-test=reply-link]")) == 1, "still replyable");
    }
    assert_eq!(count(&doc, ".depth-3"), 0);
    assert_eq!(row_with_body(&app, "level four").await.unwrap().parent_id, Some(ids[1]), "the real parent is kept");
}

#[tokio::test]
async fn a_post_with_comments_closed_says_so_and_refuses_comments_with_403() {
    let app = spawn_app().await;
    posts::insert(&app.store, &closed_post("closed", hewn::domain::now() - 60, false)).await.unwrap();

    let (_, page) = app.get_text("/posts/closed").await;
    let r = app
        .client
        .post(app.url("/posts/closed/comments"))
        .form(&form("hi", "Ann", "ann@example.com"))
        .send()
        .await
        .unwrap();

    let doc = html(&page);
    assert_eq!(texts(&doc, "[data-test=comments-closed]"), ["Comments are closed."]);
    assert_eq!(count(&doc, "#commentform"), 0);
    let r = assert_status!(r, 403);
    assert_eq!(texts(&html(&r.body), ".error-message"), ["Comments are closed."]);
    assert!(row_with_body(&app, "hi").await.is_none());
}

#[tokio::test]
async fn comments_close_on_posts_older_than_the_configured_days() {
    let app = spawn_app().await;
    let now = hewn::domain::now();
    posts::insert(&app.store, &closed_post("recent", now - 3 * 86_400, true)).await.unwrap();
    settings::put(&app.store, "comment_close_after_days", "14").await.unwrap();

    let (_, old_page) = app.get_text(DEMO).await;
    let (_, recent_page) = app.get_text("/posts/recent").await;
    let old = post_form(&app, &app.client, &form("too late", "Ann", "ann@example.com")).await;
    let invalid = post_form(&app, &app.client, &form("too late and invalid", "", "")).await;
    let recent = app
        .client
        .post(app.url("/posts/recent/comments"))
        .form(&form("in time", "Ann", "ann@example.com"))
        .send()
        .await
        .unwrap();

    assert_eq!(texts(&html(&old_page), "[data-test=comments-closed]"), ["Comments are closed."]);
    assert_eq!(count(&html(&old_page), "[data-test=reply-link]"), 0, "no replies on a closed post");
    assert_eq!(count(&html(&recent_page), "#commentform"), 1);
    let old = assert_status!(old, 403);
    assert!(old.body.contains("Comments are closed."));
    assert_status!(invalid, 403);
    assert_status!(recent, 303);
    assert!(row_with_body(&app, "too late").await.is_none());
    assert!(row_with_body(&app, "in time").await.is_some());
}

#[tokio::test]
async fn comment_text_keeps_paragraphs_links_and_shows_html_as_text() {
    let app = spawn_app().await;
    settings::put(&app.store, "comment_require_prior_approval", "0").await.unwrap();
    let text = "See https://example.org/page and **this**.\nNext line.\n\n<b>not bold</b> `code`\n\n> quoted";

    let r = post_form(&app, &app.client, &form(text, "Ann", "ann@example.com")).await;
    let id = comment_id(&location(&r));
    approve(&app, id).await;
    let (_, body) = app.get_text(DEMO).await;

    let doc = html(&body);
    let sel = scraper::Selector::parse(&format!("li#comment-{id} .comment-content")).unwrap();
    let inner = doc.select(&sel).next().unwrap().inner_html();
    assert!(inner.contains(r#"<a href="https://example.org/page" rel="nofollow ugc noopener">"#), "{inner}");
    assert!(inner.contains("<strong>this</strong>.<br>"), "{inner}");
    assert!(inner.contains("&lt;b&gt;not bold&lt;/b&gt;"), "{inner}");
    assert!(inner.contains("<code>code</code>") && inner.contains("<blockquote>"), "{inner}");
}

#[tokio::test]
async fn with_threading_off_comments_have_no_reply_links() {
    let app = spawn_app().await;
    settings::put(&app.store, "comment_thread_depth", "1").await.unwrap();

    let (_, body) = app.get_text(DEMO).await;

    let doc = html(&body);
    assert_eq!(count(&doc, "[data-test=reply-link]"), 0);
    assert_eq!(count(&doc, "#commentform"), 1, "comments stay open");
}

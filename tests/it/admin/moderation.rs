//! The moderation queue: views, counts, search, every action one by one and in
//! bulk, emptying, editing, replying, the block list, and where emails may appear.

use hewn::domain::now;
use hewn::domain::status::CommentStatus;
use hewn::store::{moderation, settings};

use super::support::{ADMIN_EMAIL, admin_app, comment_status, demo_post_id, location, post_form, row_ids};
use crate::assert::{assert_not_found, assert_redirect, assert_status};
use crate::helpers::{client, html, texts};

#[tokio::test]
async fn the_queue_has_views_with_counts_newest_first_in_pages() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(app.comment(post).author("Reader").body("a pending comment").at(now() - 10_000 + i).create().await);
    }
    app.comment(post).author("Spammer").body("buy things").spam().create().await;

    let (status, first) = app.get_text("/admin/comments?status=pending").await;
    let (_, second) = app.get_text("/admin/comments?status=pending&page=2").await;
    let (_, all) = app.get_text("/admin/comments").await;
    let bad_page = app.get("/admin/comments?page=zero").await;

    assert_eq!(status, 200);
    let tabs = texts(&html(&first), "[data-test=tab]");
    assert_eq!(tabs, ["All 27", "Pending 25", "Approved 2", "Spam 1", "Trash 0"]);
    let first_ids = row_ids(&first);
    assert_eq!(first_ids.len(), 20);
    assert_eq!(first_ids[0], ids[24], "newest first");
    let second_ids = row_ids(&second);
    assert_eq!(second_ids.len(), 5);
    assert_eq!(*second_ids.last().unwrap(), ids[0]);
    assert!(first.contains("Page 1 of 2"));
    assert_eq!(row_ids(&all).len(), 20, "All shows pending and approved, not spam");
    assert_status!(bad_page, 400);
}

#[tokio::test]
async fn search_finds_comments_by_text_name_email_website_and_ip() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let target = app
        .comment(post)
        .author("Zelda Quill")
        .email("zq@mail.example")
        .url("https://quill.example/blog")
        .ip("192.0.2.77")
        .body("Thoughts on 100% effort_levels")
        .create()
        .await;
    app.comment(post).author("Someone Else").body("unrelated").create().await;

    for term in ["zelda", "ZQ@MAIL", "quill.example", "192.0.2.77", "100%", "effort_l", "thoughts on"] {
        let page = app.get(&format!("/admin/comments?status=all&s={}", urlencode(term))).await.text().await.unwrap();
        assert_eq!(row_ids(&page), [target], "search for {term:?}");
    }
    let none = app.get("/admin/comments?s=nothing-matches-this").await.text().await.unwrap();
    assert!(row_ids(&none).is_empty());
    assert!(none.contains("data-test=\"no-comments\""));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn each_row_shows_who_wrote_what_where_when_and_why_it_was_held() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let id = app
        .comment(post)
        .author("Ann Reader")
        .email("ann@reader.example")
        .url("https://ann.example")
        .ip("203.0.113.8")
        .rule("links")
        .body("See **this** https://spam.example")
        .create()
        .await;
    app.comment(post).author("Bob").body("hi").rule("custom-filter").create().await;

    let page = app.get("/admin/comments?status=pending").await.text().await.unwrap();
    let doc = html(&page);
    let row = format!("#comment-{id}");

    assert_eq!(texts(&doc, &format!("{row} [data-test=author]")), ["Ann Reader"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=email]")), ["ann@reader.example"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=url]")), ["https://ann.example"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=ip]")), ["203.0.113.8"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=status]")), ["Pending"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=rule]")), ["Too many links"]);
    assert_eq!(texts(&doc, &format!("{row} [data-test=post-link]")), ["Year of the Stakhanovite"]);
    assert!(page.contains(&format!("href=\"/posts/year-of-the-stakhanovite#comment-{id}\"")));
    assert!(texts(&doc, &format!("{row} [data-test=text]"))[0].contains("See this https://spam.example"));
    assert!(texts(&doc, &format!("{row} time"))[0].contains(" at "), "a date and time");
    assert!(texts(&doc, "[data-test=rule]").contains(&"custom-filter".to_owned()), "unknown rules shown as they are");
}

#[tokio::test]
async fn every_action_moves_a_comment_between_statuses() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let id = app.comment(post).author("Reader").body("moderate me").create().await;
    let act = |action: &'static str| {
        let app = &app;
        async move {
            let r =
                post_form(app, &format!("/admin/comments/{id}/{action}"), &[("back", "/admin/comments?status=all")])
                    .await;
            let r = assert_status!(r, 303, "{action}");
            let to = location(&r);
            (comment_status(app, id).await.unwrap_or_else(|| "deleted".to_owned()), to)
        }
    };

    let (approved, to) = act("approve").await;
    let public_after_approve = app.get("/posts/year-of-the-stakhanovite").await.text().await.unwrap();
    let (unapproved, _) = act("unapprove").await;
    let (delete_refused, delete_notice) = act("delete").await;
    let (spam, _) = act("spam").await;
    let (not_spam, _) = act("not-spam").await;
    let (approved_again, _) = act("approve").await;
    let (spam_from_approved, _) = act("spam").await;
    let (back_to_approved, _) = act("not-spam").await;
    let (trashed, _) = act("trash").await;
    let public_after_trash = app.get("/posts/year-of-the-stakhanovite").await.text().await.unwrap();
    let (restored, _) = act("restore").await;
    let (trashed_again, _) = act("trash").await;
    let (deleted, _) = act("delete").await;

    assert_eq!(approved, "approved");
    assert_eq!(to, "/admin/comments?status=all&notice=approve&n=1");
    assert!(public_after_approve.contains("moderate me"));
    assert_eq!(unapproved, "pending");
    assert_eq!(delete_refused, "pending", "only spam and trash can be deleted");
    assert!(delete_notice.ends_with("notice=delete&n=0"));
    assert_eq!(spam, "spam");
    assert_eq!(not_spam, "pending");
    assert_eq!(approved_again, "approved");
    assert_eq!(spam_from_approved, "spam");
    assert_eq!(back_to_approved, "approved", "not spam restores the status it had");
    assert_eq!(trashed, "trash");
    assert!(!public_after_trash.contains("moderate me"));
    assert_eq!(restored, "approved");
    assert_eq!(trashed_again, "trash");
    assert_eq!(deleted, "deleted");
    let notice = app.get("/admin/comments?status=all&notice=approve&n=1").await.text().await.unwrap();
    assert_eq!(texts(&html(&notice), "[data-test=notice]"), ["1 comment approved."]);
}

#[tokio::test]
async fn an_unknown_action_or_comment_is_a_404() {
    let app = admin_app().await;

    let unknown_action = post_form(&app, "/admin/comments/1/explode", &[]).await.status();
    let unknown_comment = post_form(&app, "/admin/comments/999999/approve", &[]).await.status();
    let bad_id = post_form(&app, "/admin/comments/abc/approve", &[]).await.status();

    assert_eq!([unknown_action, unknown_comment, bad_id].map(|s| s.as_u16()), [404, 404, 404]);
}

#[tokio::test]
async fn bulk_actions_apply_to_every_checked_comment_and_nothing_else() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let a = app.comment(post).author("A").body("one").create().await;
    let b = app.comment(post).author("B").body("two").create().await;
    let c = app.comment(post).author("C").body("three").create().await;
    let (a_s, b_s) = (a.to_string(), b.to_string());

    let r = post_form(
        &app,
        "/admin/comments/bulk",
        &[("action", "approve"), ("ids", &a_s), ("ids", &b_s), ("back", "/admin/comments?status=pending")],
    )
    .await;
    let no_action = post_form(&app, "/admin/comments/bulk", &[("action", ""), ("ids", &a_s)]).await;
    let trash = post_form(&app, "/admin/comments/bulk", &[("action", "trash"), ("ids", &a_s), ("ids", &b_s)]).await;
    let page = app.get(&location(&trash)).await.text().await.unwrap();

    assert_eq!(location(&r), "/admin/comments?status=pending&notice=approve&n=2");
    assert_status!(no_action, 400);
    assert_eq!(comment_status(&app, a).await.as_deref(), Some("trash"));
    assert_eq!(comment_status(&app, b).await.as_deref(), Some("trash"));
    assert_eq!(comment_status(&app, c).await.as_deref(), Some("pending"));
    assert_eq!(texts(&html(&page), "[data-test=notice]"), ["2 comments moved to the trash."]);
}

#[tokio::test]
async fn empty_spam_and_empty_trash_delete_only_their_own() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let mut ids = Vec::new();
    for status in ["spam", "spam", "trash", "pending"] {
        let c = app.comment(post).author("X").body("text");
        let c = match status {
            "spam" => c.spam(),
            "trash" => c.trashed(),
            _ => c.held(),
        };
        ids.push(c.create().await);
    }

    let spam_page = app.get("/admin/comments?status=spam").await.text().await.unwrap();
    let r = post_form(&app, "/admin/comments/empty/spam", &[("back", "/admin/comments?status=spam")]).await;
    let counts_after_spam = moderation::counts(&app.store).await.unwrap();
    post_form(&app, "/admin/comments/empty/trash", &[]).await;
    let bogus = post_form(&app, "/admin/comments/empty/approved", &[]).await;

    assert!(spam_page.contains("data-test=\"empty\""), "the spam view offers Empty spam");
    assert_eq!(location(&r), "/admin/comments?status=spam&notice=emptied&n=2");
    assert_eq!(counts_after_spam.spam, 0);
    assert_eq!(counts_after_spam.trash, 1);
    assert_eq!(comment_status(&app, ids[2]).await, None);
    assert_eq!(comment_status(&app, ids[3]).await.as_deref(), Some("pending"));
    assert_not_found!(bogus);
}

#[tokio::test]
async fn deleting_a_comment_keeps_its_replies_in_the_thread() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let top = app.comment(post).author("Top").body("the top comment").approved().create().await;
    let middle = app.comment(post).author("Middle").body("the middle reply").reply_to(top).approved().create().await;
    let bottom = app.comment(post).author("Bottom").body("the bottom reply").reply_to(middle).approved().create().await;

    post_form(&app, &format!("/admin/comments/{middle}/trash"), &[]).await;
    post_form(&app, &format!("/admin/comments/{middle}/delete"), &[]).await;
    let page = app.get("/posts/year-of-the-stakhanovite").await.text().await.unwrap();
    let doc = html(&page);

    assert_eq!(comment_status(&app, middle).await, None);
    assert_eq!(moderation::by_id(&app.store, bottom).await.unwrap().unwrap().parent_id, Some(top));
    assert_eq!(texts(&doc, &format!("#comment-{top} > ol.children > li [data-test=comment-author]")), ["Bottom"]);
}

#[tokio::test]
async fn spam_and_block_adds_the_email_or_ip_to_the_block_list() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let by_email = app.comment(post).author("Bot").email("bot@spam.example").body("spam").create().await;
    let by_ip = app.comment(post).author("Bot2").ip("192.0.2.200").body("spam").create().await;
    let (e, i) = (by_email.to_string(), by_ip.to_string());

    post_form(&app, &format!("/admin/comments/{by_email}/spam-block-email"), &[]).await;
    post_form(&app, &format!("/admin/comments/{by_ip}/spam-block-ip"), &[]).await;
    post_form(&app, "/admin/comments/bulk", &[("action", "spam-block-email"), ("ids", &e), ("ids", &i)]).await;
    let list = settings::load(&app.store).await.unwrap().discussion.block_words;

    assert_eq!(comment_status(&app, by_email).await.as_deref(), Some("spam"));
    assert_eq!(comment_status(&app, by_ip).await.as_deref(), Some("spam"));
    assert_eq!(list.lines().collect::<Vec<_>>(), ["bot@spam.example", "192.0.2.200"], "each entry once");
}

#[tokio::test]
async fn a_comment_can_be_edited_and_bad_fields_are_explained() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let id = app.comment(post).author("Typo Nmae").body("teh text").create().await;
    let path = format!("/admin/comments/{id}");

    let page = app.get(&format!("{path}/edit")).await;
    let page_status = page.status();
    let page = page.text().await.unwrap();
    let bad = post_form(
        &app,
        &path,
        &[
            ("author_name", "Typo Name"),
            ("author_email", "nope"),
            ("author_url", ""),
            ("body", "the text"),
            ("status", "approved"),
        ],
    )
    .await;
    let bad_status = bad.status();
    let bad_page = bad.text().await.unwrap();
    let unchanged = moderation::by_id(&app.store, id).await.unwrap().unwrap();
    let good = post_form(
        &app,
        &path,
        &[
            ("author_name", "Fixed Name"),
            ("author_email", "fixed@example.org"),
            ("author_url", "fixed.example"),
            ("body", "the *fixed* text"),
            ("status", "approved"),
        ],
    )
    .await;
    let saved = moderation::by_id(&app.store, id).await.unwrap().unwrap();

    assert_eq!(page_status, 200);
    assert!(page.contains("teh text"));
    assert_eq!(bad_status, 422);
    assert!(bad_page.contains("Enter an email address such as name@example.com."));
    assert!(bad_page.contains("Typo Name"), "what was typed is kept");
    assert_eq!(unchanged.author_name, "Typo Nmae");
    assert_eq!(location(&good), format!("/admin/comments/{id}/edit?notice=comment-saved"));
    assert_eq!(saved.author_name, "Fixed Name");
    assert_eq!(saved.author_email, "fixed@example.org");
    assert_eq!(saved.author_url, "http://fixed.example");
    assert_eq!(saved.status, hewn::domain::status::CommentStatus::Approved);
    assert!(saved.body_html.contains("<em>fixed</em>"), "{}", saved.body_html);
}

#[tokio::test]
async fn an_admin_reply_is_published_at_once_as_the_post_author() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let question = app.comment(post).author("Curious Reader").body("Is this true?").create().await;

    let empty = post_form(&app, &format!("/admin/comments/{question}/reply"), &[("reply", "  ")]).await;
    let r = post_form(&app, &format!("/admin/comments/{question}/reply"), &[("reply", "Yes, *really*.")]).await;
    let page = app.get("/posts/year-of-the-stakhanovite").await.text().await.unwrap();
    let doc = html(&page);
    let reply = moderation::recent(&app.store, 1).await.unwrap().remove(0);

    assert_status!(empty, 422);
    assert_redirect!(r, 303, "/admin/comments?notice=replied");
    assert_eq!(comment_status(&app, question).await.as_deref(), Some("approved"), "replying approves the question");
    assert_eq!(reply.status, hewn::domain::status::CommentStatus::Approved);
    assert_eq!(reply.parent_id, Some(question));
    assert!(reply.user_id.is_some());
    assert_eq!(reply.rule, "admin");
    let answer = format!("#comment-{question} > ol.children > li");
    assert_eq!(texts(&doc, &format!("{answer} [data-test=comment-author]")), ["The Owner"]);
    assert_eq!(texts(&doc, &format!("{answer} .author-badge")), ["Post author"]);
    assert!(texts(&doc, &format!("{answer} .comment-content"))[0].contains("Yes, really."));
}

#[tokio::test]
async fn the_dashboard_shows_what_needs_attention() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    app.comment(post).author("Waiting Walter").body("please approve").create().await;

    let page = app.get("/admin").await.text().await.unwrap();
    let doc = html(&page);

    assert_eq!(texts(&doc, "[data-test=dash-pending]"), ["1 pending comment"]);
    assert_eq!(texts(&doc, "[data-test=pending-badge]"), ["1 pending"]);
    assert!(texts(&doc, "[data-test=recent-comments] li")[0].contains("Waiting Walter"));
    assert!(texts(&doc, "[data-test=recent-posts] li")[0].contains("Year of the Stakhanovite"));
}

#[tokio::test]
async fn emails_show_in_the_panel_and_nowhere_public() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let reader_email = "secret-reader-7431@mail.example";
    let id = app.comment(post).author("Shy Reader").email(reader_email).body("I wrote this").create().await;
    post_form(&app, &format!("/admin/comments/{id}/reply"), &[("reply", "Thanks!")]).await;
    post_form(
        &app,
        "/admin/pages",
        &[("title", "About"), ("body", "About me"), ("status", "published"), ("intent", "save")],
    )
    .await;

    let panel = app.get("/admin/comments").await.text().await.unwrap();
    let edit = app.get(&format!("/admin/comments/{id}/edit")).await.text().await.unwrap();
    let anonymous = client();
    let mut public = String::new();
    for path in ["/", "/posts/year-of-the-stakhanovite", "/about", "/custom.css", "/no-such-page", "/posts/missing"] {
        public.push_str(&anonymous.get(app.url(path)).send().await.unwrap().text().await.unwrap());
    }

    assert!(panel.contains(reader_email));
    assert!(panel.contains(ADMIN_EMAIL), "the admin's own reply shows its address in the panel");
    assert!(edit.contains(reader_email));
    assert!(public.contains("I wrote this") && public.contains("Thanks!"), "the comments are public");
    assert!(!public.contains(reader_email), "a reader's email leaked");
    assert!(!public.contains(ADMIN_EMAIL), "the admin's email leaked");
}

#[tokio::test]
async fn a_bulk_request_with_too_many_ids_is_a_clear_400() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let id = app.comment(post).author("Kept").body("still pending").create().await;
    let ids: Vec<String> = (1..=600).map(|n| n.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = vec![("action", "approve")];
    fields.extend(ids.iter().map(|i| ("ids", i.as_str())));

    let r = post_form(&app, "/admin/comments/bulk", &fields).await;

    let r = assert_status!(r, 400);
    assert!(r.body.contains("Select at most 500 comments at a time."));
    assert_eq!(comment_status(&app, id).await.as_deref(), Some("pending"));
}

/// The panel's counts per status (pending, approved, spam, trash), as it shows them.
async fn shown_counts(app: &crate::helpers::TestApp) -> [i64; 4] {
    let c = moderation::counts(&app.store).await.unwrap();
    [c.pending, c.approved, c.spam, c.trash]
}

/// The same, counted row by row in the database.
async fn counted(app: &crate::helpers::TestApp) -> [i64; 4] {
    let mut db = app.db().await;
    let mut counts = [0; 4];
    for (n, status) in counts.iter_mut().zip(["pending", "approved", "spam", "trash"]) {
        *n = db.scalar("select count(*) from comments where status = $1", &[status.into()]).await;
    }
    db.close().await;
    counts
}

#[tokio::test]
async fn the_counts_per_status_follow_every_kind_of_write() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    let other = app.post().title("Counted").slug("counted").create().await;
    let mut ids = Vec::new();
    for (i, status) in ["pending", "approved", "spam", "trash", "approved", "spam"].into_iter().enumerate() {
        let on = if i % 2 == 0 { post } else { other };
        let c = app.comment(on).body(&format!("comment {i}"));
        let c = match status {
            "approved" => c.approved(),
            "spam" => c.spam(),
            "trash" => c.trashed(),
            _ => c,
        };
        ids.push(c.create().await);
    }
    let start = shown_counts(&app).await;
    assert_eq!(start, counted(&app).await, "after inserts");

    // Through the panel: one action, a bulk action, emptying the spam.
    post_form(&app, &format!("/admin/comments/{}/approve", ids[0]), &[]).await;
    assert_eq!(comment_status(&app, ids[0]).await.as_deref(), Some("approved"));
    assert_eq!(shown_counts(&app).await, counted(&app).await, "after approving");
    let (a, b) = (ids[1].to_string(), ids[4].to_string());
    post_form(&app, "/admin/comments/bulk", &[("action", "spam"), ("ids", &a), ("ids", &b)]).await;
    assert_eq!(comment_status(&app, ids[4]).await.as_deref(), Some("spam"));
    assert_eq!(shown_counts(&app).await, counted(&app).await, "after a bulk action");
    post_form(&app, "/admin/comments/empty/spam", &[]).await;
    let after_empty = shown_counts(&app).await;
    assert_eq!(after_empty, counted(&app).await, "after emptying the spam");
    assert_eq!(after_empty[2], 0, "no spam left");

    // By hand, as an operator would: a status changed, a row copied, one deleted, an
    // edit that leaves the status alone, and a post deleted with its comments.
    let mut db = app.db().await;
    db.exec("update comments set status = 'spam' where id = $1", &[ids[3].into()]).await;
    db.exec(
        "insert into comments (post_id, author_name, body, body_html, status, created_at) \
         select post_id, author_name, body, body_html, 'pending', created_at from comments where id = $1",
        &[ids[0].into()],
    )
    .await;
    db.exec("update comments set body = 'edited' where status = 'approved'", &[]).await;
    db.exec("delete from comments where id = $1", &[ids[0].into()]).await;
    db.close().await;
    let by_hand = counted(&app).await;
    assert_eq!(shown_counts(&app).await, by_hand, "after writes by hand");
    let all = [CommentStatus::Pending, CommentStatus::Approved, CommentStatus::Spam];
    let listed = moderation::count(&app.store, &all, "").await.unwrap();
    assert_eq!(listed, by_hand[0] + by_hand[1] + by_hand[2], "the All view pages through every comment but the trash");

    let before_delete = counted(&app).await;
    let mut db = app.db().await;
    db.exec("delete from posts where id = $1", &[other.into()]).await;
    db.close().await;
    let after_delete = counted(&app).await;
    assert_ne!(before_delete, after_delete, "the post had comments");
    assert_eq!(shown_counts(&app).await, after_delete, "after a post went with its comments");
}

/// The queue pages through a view by its tab's count when nothing is searched.
#[tokio::test]
async fn every_view_of_the_queue_lists_as_many_comments_as_its_tab_counts() {
    let app = admin_app().await;
    let post = demo_post_id(&app).await;
    app.comment(post).body("held").create().await;
    app.comment(post).body("spam").spam().create().await;
    app.comment(post).body("binned").trashed().create().await;

    let counts = moderation::counts(&app.store).await.unwrap();
    let views: [(&str, &[CommentStatus]); 5] = [
        ("all", &[CommentStatus::Pending, CommentStatus::Approved]),
        ("pending", &[CommentStatus::Pending]),
        ("approved", &[CommentStatus::Approved]),
        ("spam", &[CommentStatus::Spam]),
        ("trash", &[CommentStatus::Trash]),
    ];
    for (view, statuses) in views {
        let listed = moderation::count(&app.store, statuses, "").await.unwrap();
        assert_eq!(counts.of_view(view), listed, "{view}");
    }
    let page = app.get("/admin/comments?status=spam").await.text().await.unwrap();
    assert_eq!(texts(&html(&page), "[data-test=tab]"), ["All 3", "Pending 1", "Approved 2", "Spam 1", "Trash 1"]);
}

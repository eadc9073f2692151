//! Old WordPress addresses after an import: `301` to the new pages, `404` for what
//! readers cannot see, and old `#comment-N` anchors landing on their comments.

use super::{import, serve, uploads};
use crate::assert::{assert_not_found, assert_redirect, assert_status};
use crate::helpers::{html, texts};

#[tokio::test]
async fn old_wordpress_addresses_answer_301_with_the_new_address() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let app = serve(dir).await;

    for (old, new) in [
        ("/?p=10", "/posts/year-of-the-stakhanovite"),
        ("/?page_id=20", "/about"),
        ("/?p=10&feed=rss2", "/posts/year-of-the-stakhanovite/comments.xml"),
        ("/?cat=3", "/tags/local-news"),
        ("/?tag=stakhanov", "/tags/stakhanov"),
        ("/?attachment_id=40", "/media/2013/10/photo.png"),
        ("/?feed=rss2", "/feed.xml"),
        ("/?feed=comments-rss2", "/comments/feed.xml"),
        ("/?paged=2", "/?page=2"),
        ("/2013/10/12/year-of-the-stakhanovite/", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/12/year-of-the-stakhanovite", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/year-of-the-stakhanovite/", "/posts/year-of-the-stakhanovite"),
        ("/year-of-the-stakhanovite/", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/12/YEAR-of-the-Stakhanovite/", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/12/stakhanovite-year/", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/12/year-of-the-stakhanovite/feed/", "/posts/year-of-the-stakhanovite/comments.xml"),
        ("/2013/10/12/year-of-the-stakhanovite/comment-page-2/", "/posts/year-of-the-stakhanovite"),
        ("/2013/10/12/year-of-the-stakhanovite/amp/", "/posts/year-of-the-stakhanovite"),
        ("/2014/02/10/%D0%BC%D0%BE%D1%81%D0%BA%D0%B2%D0%B0-%D0%B7%D0%B8%D0%BC%D0%BE%D0%B9/", "/posts/moskva-zimoi"),
        ("/moscow-in-winter/", "/posts/moskva-zimoi"),
        ("/about/", "/about"),
        ("/about/team/", "/team"),
        ("/category/news/", "/tags/news"),
        ("/category/news/local/", "/tags/local-news"),
        ("/category/caf%C3%A9-culture/", "/tags/cafe-culture"),
        ("/category/news/page/2/", "/tags/news"),
        ("/tag/stakhanov/", "/tags/stakhanov"),
        ("/feed/", "/feed.xml"),
        ("/feed/atom/", "/feed.xml"),
        ("/comments/feed/", "/comments/feed.xml"),
        ("/wp-rss2.php", "/feed.xml"),
        ("/page/3/", "/?page=3"),
        ("/wp-content/uploads/2013/10/photo.png", "/media/2013/10/photo.png"),
        ("/2013/10/12/year-of-the-stakhanovite/photo/", "/media/2013/10/photo.png"),
        ("/posts/year-of-the-stakhanovite/", "/posts/year-of-the-stakhanovite"),
    ] {
        let response = app.get(old).await;
        assert_redirect!(response, 301, new, "{old}");
    }
}

#[tokio::test]
async fn links_to_what_readers_cannot_see_stay_not_found() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let app = serve(dir).await;

    for old in [
        "/?p=30",
        "/?p=32",
        "/?p=999",
        "/?cat=99",
        "/2014/01/07/private-diary/",
        "/2014/02/01/members-only/",
        "/2013/",
        "/2013/10/",
        "/nothing-here/",
        "/category/no-such-thing/",
        "/wp-content/uploads/2013/10/photo.png",
    ] {
        let response = app.get(old).await;
        let response = assert_not_found!(response, "{old}");
        assert!(response.body.contains("There is nothing here."), "{old} shows the site's 404 page");
    }
    // Query strings that are not WordPress's leave the front page alone.
    assert_status!(app.get("/?utm_source=x").await, 200);
}

#[tokio::test]
async fn old_comment_links_land_on_their_comment() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let app = serve(dir).await;

    // A browser keeps `#comment-105` of `/?p=10#comment-105` across the redirect.
    let response = app.get("/?p=10").await;
    let response = assert_status!(response, 301);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (status, body) = app.get_text(&location).await;

    assert_eq!(status, 200);
    let doc = html(&body);
    for id in [101, 102, 105, 107, 108, 109, 110] {
        assert_eq!(texts(&doc, &format!("li#comment-{id}")).len(), 1, "#comment-{id} is on the page");
        assert!(body.contains(&format!("href=\"#comment-{id}\"")), "#comment-{id} links to itself");
    }
}

#[tokio::test]
async fn a_blog_that_lived_under_a_path_keeps_its_links_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "wxr-1.0.xml", &[]);
    let app = serve(dir).await;

    for (old, new) in [
        ("/blog/2006/05/01/hello-world/", "/posts/hello-world"),
        ("/2006/05/01/hello-world/", "/posts/hello-world"),
        ("/blog/?p=1", "/posts/hello-world"),
        ("/?p=1", "/posts/hello-world"),
        ("/blog/category/general/", "/tags/general"),
        ("/blog/tag/retro/", "/tags/retro"),
        ("/blog/feed/", "/feed.xml"),
        ("/blog/", "/"),
    ] {
        let response = app.get(old).await;
        assert_redirect!(response, 301, new, "{old}");
    }
}

#[tokio::test]
async fn every_old_address_lands_on_a_page_that_exists() {
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &["--uploads", &uploads()]);
    let app = serve(dir).await;

    for old in [
        "/?p=10",
        "/?page_id=20",
        "/?p=10&feed=rss2",
        "/?cat=3",
        "/?tag=stakhanov",
        "/?attachment_id=40",
        "/?feed=rss2",
        "/?feed=comments-rss2",
        "/2013/10/12/year-of-the-stakhanovite/",
        "/2013/10/12/year-of-the-stakhanovite/feed/",
        "/about/",
        "/about/team/",
        "/category/news/",
        "/category/news/local/",
        "/tag/stakhanov/",
        "/feed/",
        "/comments/feed/",
        "/wp-content/uploads/2013/10/photo.png",
    ] {
        let moved = app.get(old).await;
        let moved = assert_status!(moved, 301, "{old}");
        let new = moved.headers()["location"].to_str().unwrap().to_owned();
        let landed = app.get(&new).await;
        assert_status!(landed, 200, "{old} -> {new}");
    }
}

#[tokio::test]
async fn imported_comments_wait_in_the_admin_panel_in_their_statuses() {
    use crate::admin::support::{ADMIN, PASSWORD, create_admin, login};
    let dir = tempfile::tempdir().unwrap();
    import(&dir, "site-1.2.xml", &[]);
    let app = serve(dir).await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);

    let pending = app.get("/admin/comments?status=pending").await.text().await.unwrap();
    let spam = app.get("/admin/comments?status=spam").await.text().await.unwrap();
    let trash = app.get("/admin/comments?status=trash").await.text().await.unwrap();
    let (_, public) = app.get_text("/posts/year-of-the-stakhanovite").await;

    assert!(pending.contains("Pending Person") && pending.contains("pending@example.org"), "{pending}");
    assert!(!pending.contains("Cheap Pills"));
    assert!(spam.contains("Cheap Pills") && spam.contains("spam@spam.example"), "{spam}");
    assert!(trash.contains("Trashed Talk"), "{trash}");
    for private in ["pending@example.org", "spam@spam.example", "trash@example.org", "Pending Person", "Cheap Pills"] {
        assert!(!public.contains(private), "{private} must stay in the panel");
    }
}

//! WordPress's featured image (the post meta `_thumbnail_id`, the id of an
//! attachment item) both ways: an import makes the imported image the post's
//! featured image, an export names the attachment item it writes for the file.

use super::formats::{write, wxr};
use super::{db_of, hewn, import_file, serve};
use crate::admin::support::{admin_app, post_form};
use crate::assert::assert_status;
use crate::featured::{jpeg, upload_image};
use crate::helpers::{TestApp, html};

/// A post (WordPress id 7, slug `harbour`) featuring the attachment `thumbnail`,
/// and a JPEG attachment (id 20) at `2019/05/boats.jpg`.
fn site(thumbnail: i64) -> String {
    let items = format!(
        "<item><title>Harbour walk</title><link>https://old.example/harbour/</link>\
         <content:encoded><![CDATA[<p>Along the quay.</p>]]></content:encoded>\
         <wp:post_id>7</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>\
         <wp:post_name><![CDATA[harbour]]></wp:post_name><wp:status>publish</wp:status>\
         <wp:post_type>post</wp:post_type>\
         <wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>\
         <wp:meta_value><![CDATA[{thumbnail}]]></wp:meta_value></wp:postmeta></item>\n\
         <item><title>Boats</title><link>https://old.example/harbour/boats/</link>\
         <wp:post_id>20</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>\
         <wp:post_name><![CDATA[boats]]></wp:post_name><wp:status>inherit</wp:status>\
         <wp:post_parent>7</wp:post_parent><wp:post_type>attachment</wp:post_type>\
         <wp:attachment_url>https://old.example/wp-content/uploads/2019/05/boats.jpg</wp:attachment_url>\
         <wp:postmeta><wp:meta_key>_wp_attached_file</wp:meta_key>\
         <wp:meta_value>2019/05/boats.jpg</wp:meta_value></wp:postmeta>\
         <wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>\
         <wp:meta_value>Boats in a harbour</wp:meta_value></wp:postmeta></item>"
    );
    wxr("http://wordpress.org/export/1.2/", &items)
}

/// The `src` of the featured images of a page.
fn featured_srcs(page: &str) -> Vec<String> {
    let doc = html(page);
    let sel = scraper::Selector::parse("[data-test=featured-image] img").unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("src").map(str::to_owned)).collect()
}

/// The `content` of `<meta property=…>`.
fn meta(page: &str, key: &str) -> Option<String> {
    let doc = html(page);
    let sel = scraper::Selector::parse(&format!("meta[property=\"{key}\"]")).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr("content").map(str::to_owned))
}

/// An uploads folder holding `files` (path under the folder, bytes).
fn uploads_with(root: &std::path::Path, files: &[(&str, &[u8])]) -> std::path::PathBuf {
    let uploads = root.join("uploads");
    for (path, bytes) in files {
        let at = uploads.join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, bytes).unwrap();
    }
    uploads
}

#[tokio::test]
async fn an_imported_posts_thumbnail_becomes_its_featured_image_with_its_link_preview() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let uploads = uploads_with(files.path(), &[("2019/05/boats.jpg", &jpeg(800, 600, 40))]);
    let file = write(files.path(), "site.xml", &site(20));

    let run = import_file(&dir, &file, &["--uploads", uploads.to_str().unwrap()]);

    assert!(!run.stdout.contains("featured image"), "{}", run.stdout);
    let app = serve(dir).await;
    let page = assert_status!(app.get("/posts/harbour").await, 200).body;
    assert_eq!(featured_srcs(&page), ["/media/2019/05/boats.jpg"], "{page}");
    assert_eq!(meta(&page, "og:image"), Some(app.url("/media/2019/05/boats.jpg")));
    assert_eq!(meta(&page, "og:image:width").as_deref(), Some("800"));
    assert_eq!(meta(&page, "og:image:alt").as_deref(), Some("Boats in a harbour"));
}

#[tokio::test]
async fn a_thumbnail_whose_attachment_was_not_imported_leaves_the_post_without_and_is_named() {
    let files = tempfile::tempdir().unwrap();
    let uploads = uploads_with(files.path(), &[("2019/05/boats.jpg", &jpeg(800, 600, 40))]);
    // Attachment 21 is not in the file; without --uploads, 20 is not imported either.
    for (thumbnail, extra, why) in [
        (21, vec!["--uploads", uploads.to_str().unwrap()], "the attachment was not imported as an image"),
        (20, vec![], "no --uploads folder given"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = write(files.path(), "site.xml", &site(thumbnail));

        let run = import_file(&dir, &file, &extra);

        assert!(run.stdout.contains(&format!("1 featured image not imported: {why}")), "{}", run.stdout);
        let app = serve(dir).await;
        let page = assert_status!(app.get("/posts/harbour").await, 200).body;
        assert_eq!(featured_srcs(&page), Vec::<String>::new(), "{thumbnail}");
        assert_eq!(meta(&page, "og:image"), None, "{thumbnail}");
    }
}

/// A post titled `title` saved published with the library image `featured`.
async fn featured_post(app: &TestApp, title: &str, featured: i64) {
    let r = post_form(
        app,
        "/admin/posts",
        &[
            ("intent", "save"),
            ("title", title),
            ("body", "Words."),
            ("status", "published"),
            ("featured", &featured.to_string()),
        ],
    )
    .await;
    assert_status!(r, 303);
}

/// The items of a WXR, and a field of one.
fn items(wxr: &str) -> Vec<&str> {
    wxr.split("<item>").skip(1).map(|i| i.split("</item>").next().unwrap()).collect()
}

fn field(item: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let value = item.split(&open).nth(1).and_then(|rest| rest.split(&format!("</{name}>")).next()).unwrap_or("");
    value.trim_start_matches("<![CDATA[").trim_end_matches("]]>").to_owned()
}

/// The value of a post meta key of an item.
fn post_meta(item: &str, key: &str) -> Option<String> {
    let marker = format!("<wp:meta_key><![CDATA[{key}]]></wp:meta_key>");
    let rest = item.split(&marker).nth(1)?;
    Some(field(rest, "wp:meta_value"))
}

#[tokio::test]
async fn the_export_names_each_featured_images_attachment_and_a_round_trip_keeps_it() {
    let app = admin_app().await;
    let (id, src) = upload_image(&app, "boats.jpg", jpeg(800, 600, 40), "Boats in a harbour").await;
    let (_, other) = upload_image(&app, "quay.jpg", jpeg(640, 480, 90), "").await;
    featured_post(&app, "Harbour", id).await;
    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Plain"), ("body", "No picture."), ("status", "published"), ("featured", "")],
    )
    .await;
    assert_status!(r, 303);

    let run = hewn(&app.database_url, &["export", "wordpress", "--base-url", "https://blog.example"]);

    assert!(run.success, "{}", run.stderr);
    let all = items(&run.stdout);
    let path = src.strip_prefix("/media/").unwrap();
    let attachment = all
        .iter()
        .find(|i| post_meta(i, "_wp_attached_file").as_deref() == Some(path))
        .unwrap_or_else(|| panic!("no attachment for {path} in {}", run.stdout));
    let post = all.iter().find(|i| field(i, "title") == "Harbour").unwrap();
    assert_eq!(post_meta(post, "_thumbnail_id"), Some(field(attachment, "wp:post_id")), "{post}");
    let plain = all.iter().find(|i| field(i, "title") == "Plain").unwrap();
    assert_eq!(post_meta(plain, "_thumbnail_id"), None);

    // Into an empty site, with the files the export's attachments name.
    let mut files = Vec::new();
    for served in [&src, &other] {
        files.push((served.strip_prefix("/media/").unwrap().to_owned(), app.get(served).await.bytes().await.unwrap()));
    }
    let folder = tempfile::tempdir().unwrap();
    let listed: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_ref())).collect();
    let uploads = uploads_with(folder.path(), &listed);
    let export = write(folder.path(), "export.xml", &run.stdout);
    let copy = tempfile::tempdir().unwrap();
    let _ = db_of(&copy);

    let imported = import_file(&copy, &export, &["--uploads", uploads.to_str().unwrap()]);

    assert!(!imported.stdout.contains("featured image"), "{}", imported.stdout);
    let moved = serve(copy).await;
    let page = assert_status!(moved.get("/posts/harbour").await, 200).body;
    assert_eq!(featured_srcs(&page), [src.as_str()], "{page}");
    assert_eq!(meta(&page, "og:image:alt").as_deref(), Some("Boats in a harbour"));
    let page = assert_status!(moved.get("/posts/plain").await, 200).body;
    assert_eq!(featured_srcs(&page), Vec::<String>::new());
}

//! Crafted uploads never run script in the site's origin: headless Chromium uploads
//! SVG and HTML with script, polyglots (a GIF and a JPEG carrying HTML, a GIF header
//! in front of HTML) and a PNG named `.svg` through the Media page, then opens every
//! address the uploads produced and the ones an attacker would guess, and no dialog
//! ever opens. Every file served carries `nosniff` and the sandboxing media policy.

use std::time::Duration;

use fantoccini::Locator;
use image::ImageFormat;

use crate::admin::browser::set_up_admin;
use crate::browser::Browser;
use crate::db::TestDb;
use crate::media::{encode, two_tone};

/// A JPEG with an HTML document in a comment segment, after its start marker.
fn jpeg_with_html() -> Vec<u8> {
    let jpeg = encode(&two_tone(64, 32), ImageFormat::Jpeg);
    let html = b"<html><body><script>alert('jpeg')</script><img src=x onerror=alert('jpeg2')></body></html>";
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xFE]);
    out.extend(u16::try_from(html.len() + 2).unwrap().to_be_bytes());
    out.extend(html);
    out.extend(&jpeg[2..]);
    out
}

/// Each crafted file: name, bytes, and whether it is accepted (re-encoded as an image).
fn crafted() -> Vec<(&'static str, Vec<u8>, bool)> {
    let mut gif_html = encode(&two_tone(16, 16), ImageFormat::Gif);
    gif_html.extend(b"<html><script>alert('gif')</script></html>");
    vec![
        (
            "evil.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert('svg')\"><script>alert('svg2')</script>\
              <image href=\"x\" onerror=\"alert('svg3')\"/></svg>"
                .to_vec(),
            false,
        ),
        (
            "evil.html",
            b"<!DOCTYPE html><script>alert('html')</script><img src=x onerror=alert('html2')>".to_vec(),
            false,
        ),
        ("page.jpg", b"\n <html><body onload=alert('named-jpg')><script>alert('named-jpg2')</script>".to_vec(), false),
        ("header.gif", b"GIF89a<html><script>alert('gif-header')</script></html>".to_vec(), false),
        ("polyglot.gif", gif_html, true),
        ("polyglot.jpg", jpeg_with_html(), true),
        ("image.svg", encode(&two_tone(20, 10), ImageFormat::Png), true),
    ]
}

/// Opens `url` and fails if a dialog opens (the payloads all call `alert`).
async fn assert_no_dialog(b: &Browser, url: &str) {
    b.client.goto(url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dialog = b.client.get_alert_text().await;
    assert!(dialog.is_err(), "{url} opened a dialog: {dialog:?}");
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn crafted_svg_html_and_polyglot_uploads_never_run_script() {
    let b = Browser::start((1200, 900)).await;
    set_up_admin(&b).await;
    let dir = tempfile::tempdir().unwrap();
    // The detector works: a page that does run script opens a dialog WebDriver sees.
    b.client.goto("data:text/html,<script>alert('control')</script>").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.client.get_alert_text().await.unwrap(), "control");
    b.client.dismiss_alert().await.unwrap();

    for (name, bytes, accepted) in crafted() {
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        b.client.goto(&b.url("/admin/media")).await.unwrap();
        b.wait_for("[data-test=media-files]").await.send_keys(file.to_str().unwrap()).await.unwrap();
        b.client.find(Locator::Css("[data-test=media-upload-submit]")).await.unwrap().click().await.unwrap();
        let outcome = b.wait_for("[data-test=notice], [data-test=error-files]").await;
        let shown = outcome.text().await.unwrap();
        let uploaded = outcome.attr("data-test").await.unwrap().as_deref() == Some("notice");
        assert_eq!(uploaded, accepted, "{name}: {shown}");
        assert!(b.client.get_alert_text().await.is_err(), "{name}: the Media page opened a dialog");
    }

    let mut db = TestDb::sqlite(&b.db_path).await;
    let paths: Vec<String> = db.column("select path from media order by id", &[]).await;
    let ids: Vec<i64> = db.column("select media_id from media_items order by media_id", &[]).await;
    assert_eq!(ids.len(), 3, "{paths:?}");
    let mut urls: Vec<String> = paths.iter().map(|p| format!("/media/{p}")).collect();
    // What an attacker would guess: the same names as markup, and the upload's own names.
    for p in &paths {
        let stem = p.rsplit_once('.').unwrap().0;
        for ext in ["svg", "html", "htm", "xml", "xhtml", "svgz"] {
            urls.push(format!("/media/{stem}.{ext}"));
        }
    }
    for (name, _, _) in crafted() {
        urls.push(format!("/media/{name}"));
        urls.push(format!("/media/u/{name}"));
    }
    urls.push("/admin/media".to_owned());
    urls.extend(ids.iter().map(|id| format!("/admin/media/{id}")));

    let http = crate::helpers::client();
    let mut served = 0;
    for url in &urls {
        assert_no_dialog(&b, &b.url(url)).await;
        let r = http.get(b.url(url)).send().await.unwrap();
        if !url.starts_with("/media/") || r.status() != 200 {
            continue;
        }
        served += 1;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(h["content-security-policy"], hewn::app::MEDIA_CONTENT_SECURITY_POLICY, "{url}");
        let content_type = h["content-type"].to_str().unwrap();
        assert!(
            ["image/png", "image/gif", "image/jpeg", "image/webp"].contains(&content_type),
            "{url}: {content_type}"
        );
        let body = r.bytes().await.unwrap();
        assert!(!body.windows(7).any(|w| w.eq_ignore_ascii_case(b"<script")), "{url} still carries the markup");
    }
    assert_eq!(served, paths.len(), "every stored file was opened and checked");

    // Opened on its own, a sandboxed image is still shown.
    let png = paths.iter().find(|p| p.ends_with(".png")).unwrap();
    b.client.goto(&b.url(&format!("/media/{png}"))).await.unwrap();
    b.wait_for("img").await;
    let width = b.client.execute("return document.images[0].naturalWidth;", vec![]).await.unwrap();
    b.screenshot("media-sandboxed-image").await;
    assert_eq!(width, serde_json::json!(20));
    b.close().await;
}

/// The value of the editor's text and where its cursor is.
async fn text_and_cursor(b: &Browser) -> (String, u64) {
    let v =
        b.client.execute("var t = document.getElementById('body'); return [t.value, t.selectionStart];", vec![]).await;
    let v = v.unwrap();
    (v[0].as_str().unwrap().to_owned(), v[1].as_u64().unwrap())
}

/// Waits until the editor's text holds `count` media links.
async fn wait_for_links(b: &Browser, count: usize) -> (String, u64) {
    for _ in 0..100 {
        let (text, cursor) = text_and_cursor(b).await;
        if text.matches("](/media/u/").count() >= count {
            return (text, cursor);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = b.client.find(Locator::Css("[data-test=media-drop-status]")).await.unwrap().text().await.unwrap();
    panic!("the editor never got {count} media links ({status})");
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn with_javascript_the_editor_places_chosen_and_dropped_files_at_the_cursor() {
    let b = Browser::start((1280, 900)).await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("harbour.jpg");
    std::fs::write(&photo, encode(&two_tone(800, 400), ImageFormat::Jpeg)).unwrap();
    set_up_admin(&b).await;
    b.client.goto(&b.url("/admin/posts/new")).await.unwrap();
    b.wait_for("#title").await.send_keys("Two pictures").await.unwrap();
    b.client.find(Locator::Css("#body")).await.unwrap().send_keys("Before.\nAfter.").await.unwrap();
    // The cursor after "Before.", where the first picture goes.
    b.client.execute("document.getElementById('body').setSelectionRange(7, 7);", vec![]).await.unwrap();

    // Chosen under Add media: uploaded in place, no new tab.
    b.client.find(Locator::Css("#editor-files")).await.unwrap().send_keys(&photo.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("[data-test=editor-upload]")).await.unwrap().click().await.unwrap();
    let (chosen, cursor) = wait_for_links(&b, 1).await;
    let tabs = b.client.windows().await.unwrap().len();
    b.screenshot("editor-placed-upload").await;

    // Dropped on the text (a PNG made in the page): placed at the cursor, which is
    // moved to the end first.
    b.client
        .execute(
            "var t = document.getElementById('body'); t.setSelectionRange(t.value.length, t.value.length);",
            vec![],
        )
        .await
        .unwrap();
    let drop = r#"
        var canvas = document.createElement('canvas');
        canvas.width = 300; canvas.height = 200;
        var g = canvas.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 300, 200);
        var done = arguments[0];
        canvas.toBlob(function (blob) {
            var files = new DataTransfer();
            files.items.add(new File([blob], 'red square.png', { type: 'image/png' }));
            var t = document.getElementById('body');
            var over = new DragEvent('dragover', { dataTransfer: files, bubbles: true, cancelable: true });
            t.dispatchEvent(over);
            var dropped = new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true });
            t.dispatchEvent(dropped);
            done([over.defaultPrevented, dropped.defaultPrevented]);
        }, 'image/png');
    "#;
    let prevented = b.client.execute_async(drop, vec![]).await.unwrap();
    let (dropped, _) = wait_for_links(&b, 2).await;
    let status = b.client.find(Locator::Css("[data-test=media-drop-status]")).await.unwrap().text().await.unwrap();

    // Both are in the library, and the post shows both.
    b.client.find(Locator::Css("[data-test=status]")).await.unwrap().select_by_value("published").await.unwrap();
    b.client.find(Locator::Css("[data-test=save]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=view-public]").await;
    b.client.goto(&b.url("/posts/two-pictures")).await.unwrap();
    b.wait_for("h1.entry-title").await;
    let widths = b
        .wait_for_value(
            "var i = document.querySelectorAll('.entry-content img'); \
             return Array.prototype.every.call(i, function (x) { return x.complete; }) \
               ? Array.prototype.map.call(i, function (x) { return x.naturalWidth; }) : null;",
        )
        .await;
    b.screenshot("editor-placed-post").await;

    let first = chosen.find("![](/media/u/").expect("an image's Markdown");
    assert_eq!(&chosen[..first], "Before.\n\n", "placed at the cursor, a blank line before: {chosen:?}");
    assert!(chosen.ends_with(".jpg)\n\nAfter."), "and after: {chosen:?}");
    assert_eq!(cursor, first as u64 + 2, "the cursor waits between the brackets, for the alt text");
    assert_eq!(tabs, 1, "no tab was opened");
    assert_eq!(prevented, serde_json::json!([true, true]), "the editor takes dragged files");
    assert!(dropped.starts_with(&chosen), "{dropped:?}");
    let tail = &dropped[chosen.len()..];
    assert!(tail.starts_with("\n\n![](/media/u/") && tail.ends_with("red-square.png)"), "{tail:?}");
    assert!(status.contains("Uploaded"), "{status}");
    let shown: Vec<u64> = widths.as_array().unwrap().iter().map(|w| w.as_u64().unwrap()).collect();
    assert!(shown.len() == 2 && shown.iter().all(|w| *w > 0), "both pictures shown on the post: {shown:?}");
    let mut db = TestDb::sqlite(&b.db_path).await;
    let names: Vec<String> = db.column("select name from media_items order by media_id", &[]).await;
    assert_eq!(names, ["harbour.jpg", "red square.png"]);
    b.close().await;
}

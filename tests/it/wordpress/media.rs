//! Images an import brings with `--uploads` join the media library as an upload
//! does: upright, without metadata, with their resized variants, and rendered with
//! `srcset` where posts show them at their old addresses.

use std::fmt::Write as _;

use image::{GenericImageView, ImageFormat};

use super::formats::{write, wxr};
use super::{db_of, import_file, open, serve};
use crate::admin::support::{ADMIN, PASSWORD, create_admin, login};
use crate::assert::assert_status;
use crate::helpers::html;
use crate::media::{contains, encode, jpeg_markers, two_tone, with_phone_metadata};

/// A WXR with one published post showing `/wp-content/uploads/{path}` for each path.
fn post_showing(paths: &[&str]) -> String {
    let mut content = String::new();
    for path in paths {
        let _ = write!(content, "<p><img src=\"https://old.example/wp-content/uploads/{path}\" alt=\"Harbour\"></p>");
    }
    let item = format!(
        "<item><title>Harbour walk</title><link>https://old.example/harbour/</link>\
         <content:encoded><![CDATA[{content}]]></content:encoded>\
         <wp:post_id>7</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>\
         <wp:post_name><![CDATA[harbour]]></wp:post_name><wp:status>publish</wp:status>\
         <wp:post_type>post</wp:post_type></item>"
    );
    wxr("http://wordpress.org/export/1.2/", &item)
}

#[tokio::test]
async fn an_imported_phone_photo_is_served_upright_stripped_with_variants_and_srcset() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let uploads = files.path().join("uploads");
    std::fs::create_dir_all(uploads.join("2019/05")).unwrap();
    // Turned by its orientation, 1000 × 2000 pixels.
    let photo = with_phone_metadata(&encode(&two_tone(2000, 1000), ImageFormat::Jpeg));
    assert!(contains(&photo, b"SERIAL-4242") && contains(&photo, b"SecretPhone"));
    std::fs::write(uploads.join("2019/05/phone.jpg"), &photo).unwrap();
    std::fs::write(uploads.join("2019/05/notes.txt"), "Plain notes\n").unwrap();
    let avif = include_bytes!("../../fixtures/media/phone-exif-xmp.avif");
    std::fs::write(uploads.join("2019/05/phone.avif"), avif).unwrap();
    let shown = ["2019/05/phone.jpg", "2019/05/notes.txt", "2019/05/phone.avif"];
    let file = write(files.path(), "site.xml", &post_showing(&shown));

    let run = import_file(&dir, &file, &["--uploads", uploads.to_str().unwrap()]);

    assert!(run.stdout.contains("media:     3 files"), "{}", run.stdout);
    let mut db = open(&db_of(&dir)).await;
    let widths: Vec<(i64, String)> = db
        .rows(
            "select v.width, v.kind from media_variants v join media m on m.id = v.media_id \
             where m.path = '2019/05/phone.jpg' order by v.width",
            &[],
        )
        .await;
    let item: (i64, i64) = db
        .row(
            "select i.width, i.height from media_items i join media m on m.id = i.media_id \
             where m.path = '2019/05/phone.jpg'",
            &[],
        )
        .await;
    let variants: Vec<String> = db
        .column("select v.path from media_variants mv join media v on v.id = mv.variant_id order by mv.width", &[])
        .await;
    db.close().await;
    assert_eq!(widths, [(480, "resized".to_owned()), (960, "resized".to_owned())]);
    assert_eq!(item, (1000, 2000));
    let app = serve(dir).await;

    // The file at its old uploads path is the stripped, upright one.
    let served = assert_status!(app.get("/media/2019/05/phone.jpg").await, 200).bytes;
    let markers = jpeg_markers(&served);
    assert!(!markers.iter().any(|m| (0xE1..=0xEF).contains(m)), "APPn segments left: {markers:x?}");
    for needle in [&b"Exif"[..], b"http://ns.adobe.com/xap", b"SERIAL-4242", b"SecretPhone", b"GPS"] {
        assert!(!contains(&served, needle), "{:?} is still served", String::from_utf8_lossy(needle));
    }
    assert_eq!(image::load_from_memory(&served).unwrap().dimensions(), (1000, 2000));
    for (path, width) in variants.iter().zip([480u32, 960]) {
        let bytes = assert_status!(app.get(&format!("/media/{path}")).await, 200, "{path}").bytes;
        assert_eq!(image::load_from_memory(&bytes).unwrap().dimensions(), (width, width * 2), "{path}");
        assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"SERIAL-4242"), "{path}");
    }
    // An AVIF keeps its picture and loses its Exif and XMP.
    let served = assert_status!(app.get("/media/2019/05/phone.avif").await, 200).bytes;
    assert_eq!(served.len(), avif.len());
    assert!(!contains(&served, b"SERIAL-4242") && !contains(&served, b"SecretPhone"));
    // A file of another kind is kept as it was.
    assert_eq!(assert_status!(app.get("/media/2019/05/notes.txt").await, 200).body, "Plain notes\n");

    // The post shows the photo at its old address, now with its sizes.
    let (_, body) = app.get_text("/posts/harbour").await;
    let doc = html(&body);
    let img = doc.select(&scraper::Selector::parse("img[src=\"/media/2019/05/phone.jpg\"]").unwrap()).next();
    let img = img.unwrap_or_else(|| panic!("no image in {body}"));
    let srcset = img.value().attr("srcset").unwrap_or_default();
    assert!(srcset.contains(&format!("/media/{} 480w", variants[0])), "{srcset}");
    assert_eq!((img.value().attr("width"), img.value().attr("height")), (Some("1000"), Some("2000")));

    // The Media page lists it with its size, as an upload.
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    let page = app.get("/admin/media").await.text().await.unwrap();
    let markdown: Vec<String> = html(&page)
        .select(&scraper::Selector::parse("[data-test=media-markdown]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .collect();
    assert!(markdown.iter().any(|m| m.ends_with("(/media/2019/05/phone.jpg)")), "{markdown:?}");
    assert!(!markdown.iter().any(|m| m.contains("/media/u/")), "variants are not items: {markdown:?}");
}

#[tokio::test]
async fn an_imported_image_that_cannot_be_read_is_left_out_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let uploads = files.path().join("uploads");
    std::fs::create_dir_all(uploads.join("2019/05")).unwrap();
    let photo = encode(&two_tone(64, 32), ImageFormat::Jpeg);
    // Cut in the middle of its image data (its header still says JPEG).
    std::fs::write(uploads.join("2019/05/broken.jpg"), &photo[..photo.len() / 2]).unwrap();
    std::fs::write(uploads.join("2019/05/good.jpg"), &photo).unwrap();
    let file = write(files.path(), "site.xml", &post_showing(&["2019/05/broken.jpg", "2019/05/good.jpg"]));

    let run = import_file(&dir, &file, &["--uploads", uploads.to_str().unwrap()]);

    assert!(run.stdout.contains("media:     1 files"), "{}", run.stdout);
    assert!(run.stdout.contains("uploads file 2019/05/broken.jpg: This image is damaged"), "{}", run.stdout);
    let mut db = open(&db_of(&dir)).await;
    let paths: Vec<String> = db.column("select path from media where path like '2019/%' order by path", &[]).await;
    db.close().await;
    assert_eq!(paths, ["2019/05/good.jpg"]);
}

//! The media library: uploads of every accepted type, each refusal, metadata
//! stripped from what is served, orientation, variants, headers and ranges, the
//! responsive markup in posts, and deleting a file a post uses.

use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};

use crate::admin::support::{ADMIN, PASSWORD, admin_app, create_admin, csrf, login, post_form};
use crate::assert::{assert_status, location};
use crate::helpers::{Spawn, TestApp, html, spawn_with};

/// An app whose upload limits are `limits`, with its admin logged in.
async fn app_with(limits: hewn::media::Limits) -> TestApp {
    let app = spawn_with(Spawn { media: Some(limits), ..Spawn::default() }).await;
    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    app
}

/// Uploads `files` (name, bytes) with the session's token; `keep` ticks "keep the original".
pub(crate) async fn upload(app: &TestApp, files: &[(&str, Vec<u8>)], keep: bool) -> reqwest::Response {
    let mut form = Form::new().text("_csrf", csrf(app).await);
    if keep {
        form = form.text("keep_original", "1");
    }
    for (name, bytes) in files {
        // The browser's claimed type is ignored: always the same here.
        form =
            form.part("files", Part::bytes(bytes.clone()).file_name(name.to_string()).mime_str("image/jpeg").unwrap());
    }
    app.client.post(app.url("/admin/media")).multipart(form).send().await.unwrap()
}

/// The Markdown of every item on the Media page, newest first.
pub(crate) async fn library_markdown(app: &TestApp) -> Vec<String> {
    let page = app.get("/admin/media").await.text().await.unwrap();
    let doc = html(&page);
    let sel = scraper::Selector::parse("[data-test=media-markdown]").unwrap();
    doc.select(&sel).map(|e| e.value().attr("value").unwrap().to_owned()).collect()
}

/// The `/media/…` address inside a Markdown snippet.
pub(crate) fn address(markdown: &str) -> String {
    markdown.rsplit_once('(').unwrap().1.trim_end_matches(')').to_owned()
}

async fn media_rows(app: &TestApp) -> i64 {
    let mut db = app.db().await;
    db.scalar("select count(*) from media", &[]).await
}

/// The error shown next to the file field.
fn field_error(page: &str) -> String {
    crate::helpers::texts(&html(page), "[data-test=error-files]").concat()
}

pub(crate) fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A photo `w` × `h`: red on the left half, blue on the right.
pub(crate) fn two_tone(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(
        w,
        h,
        |x, _| if x < w / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) },
    ))
}

/// `jpeg` with an EXIF block (orientation 6, a GPS position, a camera serial) and an
/// XMP block inserted after its start marker, as a phone writes them.
pub(crate) fn with_phone_metadata(jpeg: &[u8]) -> Vec<u8> {
    // TIFF, little endian: IFD0 at 8 with Orientation, BodySerialNumber and the GPS IFD pointer.
    let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend(kind.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    // IFD0: 3 entries (2 + 36 + 4 bytes) starts at 8, ends at 50; serial at 50, GPS IFD at 66.
    tiff.extend(3u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(0x8825, 4, 1, 66));
    tiff.extend(entry(0xA431, 2, 16, 50));
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len(), 50);
    tiff.extend(b"SERIAL-4242-XYZ\0");
    assert_eq!(tiff.len(), 66);
    // GPS IFD: LatitudeRef "N", Latitude at 84 (3 rationals).
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, 96));
    tiff.extend(0u32.to_le_bytes());
    tiff.resize(96, 0);
    for (n, d) in [(55u32, 1u32), (40, 1), (1234, 100)] {
        tiff.extend(n.to_le_bytes());
        tiff.extend(d.to_le_bytes());
    }
    let segment = |payload: Vec<u8>| {
        let mut s = vec![0xFF, 0xE1];
        s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend(payload);
        s
    };
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(tiff);
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description exif:GPSLatitude=\"55,40.12N\" \
        tiff:Model=\"SecretPhone\"/></rdf:RDF></x:xmpmeta>",
    );
    let mut out = jpeg[..2].to_vec();
    out.extend(segment(exif));
    out.extend(segment(xmp));
    out.extend(&jpeg[2..]);
    out
}

/// The marker bytes of a JPEG's segments before its image data.
pub(crate) fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
    }
    markers
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn bytes_of(app: &TestApp, path: &str) -> Vec<u8> {
    assert_status!(app.get(path).await, 200, "{path}").bytes
}

#[tokio::test]
async fn a_phone_photo_is_served_upright_without_exif_xmp_or_gps() {
    let app = admin_app().await;
    let photo = with_phone_metadata(&encode(&two_tone(640, 320), ImageFormat::Jpeg));
    assert!(contains(&photo, b"SERIAL-4242") && contains(&photo, b"SecretPhone"));

    let r = assert_status!(upload(&app, &[("IMG_0001.JPG", photo)], false).await, 303);

    assert!(location(&r).starts_with("/admin/media?notice=uploaded"));
    let markdown = library_markdown(&app).await;
    assert_eq!(markdown.len(), 1, "{markdown:?}");
    let served = bytes_of(&app, &address(&markdown[0])).await;
    let markers = jpeg_markers(&served);
    assert!(!markers.iter().any(|m| (0xE1..=0xEF).contains(m)), "APPn segments left: {markers:x?}");
    for needle in [&b"Exif"[..], b"http://ns.adobe.com/xap", b"SERIAL-4242", b"SecretPhone", b"GPS"] {
        assert!(!contains(&served, needle), "{:?} is still in the served file", String::from_utf8_lossy(needle));
    }
    // Orientation 6 (turn 90° clockwise): 640 × 320 becomes 320 × 640, the red left half on top.
    let upright = image::load_from_memory(&served).unwrap();
    assert_eq!(upright.dimensions(), (320, 640));
    let top = upright.get_pixel(160, 100);
    let bottom = upright.get_pixel(160, 540);
    assert!(top[0] > 150 && top[2] < 100, "top is {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is {bottom:?}");
}

#[tokio::test]
async fn variants_are_made_at_the_standard_widths_below_the_original_and_are_stripped_too() {
    let app = admin_app().await;
    // Turned by its orientation, this is 1000 × 2000 pixels.
    let photo = with_phone_metadata(&encode(&two_tone(2000, 1000), ImageFormat::Jpeg));

    assert_status!(upload(&app, &[("wide.jpg", photo)], false).await, 303);

    let mut db = app.db().await;
    let widths: Vec<i64> =
        db.column("select width from media_variants where kind = 'resized' order by width", &[]).await;
    assert_eq!(widths, vec![480, 960]);
    let paths: Vec<String> = db
        .column("select m.path from media_variants v join media m on m.id = v.variant_id order by v.width", &[])
        .await;
    for (path, width) in paths.iter().zip([480u32, 960]) {
        let served = bytes_of(&app, &format!("/media/{path}")).await;
        // Upright, a variant `width` wide is twice as high.
        assert_eq!(image::load_from_memory(&served).unwrap().dimensions(), (width, width * 2), "{path}");
        assert!(!contains(&served, b"Exif") && !contains(&served, b"SERIAL-4242"), "{path}");
    }
}

#[tokio::test]
async fn every_accepted_type_is_stored_with_the_type_its_bytes_say() {
    let app = admin_app().await;
    let png = encode(&two_tone(40, 20), ImageFormat::Png);
    let webp = webp_with_exif(&two_tone(40, 20));
    let gif = two_frame_gif();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.png", png),
        ("b.gif", gif),
        ("c.webp", webp),
        ("d.jpg", encode(&two_tone(40, 20), ImageFormat::Jpeg)),
        ("doc.bin", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec()),
        ("song.dat", [&b"ID3\x04\0\0\0\0\0\0"[..], &[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0]].concat()),
        ("voice.x", [&b"\0\0\0\x20ftypM4A \0\0\0\0"[..], &[0u8; 16]].concat()),
        ("opus.x", b"OggS\0\x02\0\0\0\0\0\0\0\0OpusHead".to_vec()),
        ("clip.x", [&b"\0\0\0\x18ftypisom\0\0\x02\0"[..], &[0u8; 8]].concat()),
        ("clip2.x", b"\x1A\x45\xDF\xA3\x8B\x42\x86\x81\x01\x42\x82\x84webm".to_vec()),
    ];

    let r = assert_status!(upload(&app, &files, false).await, 303);

    assert_eq!(location(&r), "/admin/media?notice=uploaded&n=10");
    let mut served = Vec::new();
    for markdown in library_markdown(&app).await {
        let r = assert_status!(app.get(&address(&markdown)).await, 200);
        let content_type = r.header("content-type").to_owned();
        let bytes = r.bytes;
        if content_type == "image/webp" {
            assert!(!contains(&bytes, b"EXIF") && !contains(&bytes, b"SERIAL-4242"));
            assert_eq!(image::load_from_memory(&bytes).unwrap().dimensions(), (40, 20));
        }
        if content_type == "image/gif" {
            use image::AnimationDecoder;
            let frames = image::codecs::gif::GifDecoder::new(Cursor::new(bytes.to_vec())).unwrap().into_frames();
            assert_eq!(frames.count(), 2, "the animation is kept");
        }
        served.push(content_type);
    }
    served.sort();
    assert_eq!(
        served,
        [
            "application/pdf",
            "audio/mp4",
            "audio/mpeg",
            "audio/ogg",
            "image/gif",
            "image/jpeg",
            "image/png",
            "image/webp",
            "video/mp4",
            "video/webm"
        ]
    );
}

/// A WebP (VP8X, lossless data, an EXIF chunk with a serial number) as a camera app writes it.
fn webp_with_exif(img: &DynamicImage) -> Vec<u8> {
    let plain = encode(img, ImageFormat::WebP);
    let vp8l = &plain[12..];
    let mut vp8x = b"VP8X".to_vec();
    vp8x.extend(10u32.to_le_bytes());
    vp8x.extend([0x08, 0, 0, 0]);
    vp8x.extend(&(img.width() - 1).to_le_bytes()[..3]);
    vp8x.extend(&(img.height() - 1).to_le_bytes()[..3]);
    let mut exif = b"EXIF".to_vec();
    let payload = b"II*\0SERIAL-4242-XYZ\0";
    exif.extend(u32::try_from(payload.len()).unwrap().to_le_bytes());
    exif.extend(payload);
    let body = [&vp8x[..], vp8l, &exif].concat();
    let mut out = b"RIFF".to_vec();
    out.extend(u32::try_from(body.len() + 4).unwrap().to_le_bytes());
    out.extend(b"WEBP");
    out.extend(body);
    out
}

fn two_frame_gif() -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame =
                Frame::from_parts(RgbaImage::from_pixel(8, 8, Rgba(colour)), 0, 0, Delay::from_numer_denom_ms(100, 1));
            encoder.encode_frame(frame).unwrap();
        }
    }
    out
}

/// Uploads `files` and expects the page again with `status`, an error naming
/// `expect` next to the field, and nothing stored.
async fn assert_refused(app: &TestApp, files: &[(&str, Vec<u8>)], status: u16, expect: &str) {
    let before = media_rows(app).await;
    let page = assert_status!(upload(app, files, false).await, status).body;
    let error = field_error(&page);
    assert!(error.contains(expect), "error {error:?} does not say {expect:?}");
    assert_eq!(media_rows(app).await, before, "something was stored");
}

#[tokio::test]
async fn wrong_bytes_svg_and_html_are_refused_with_415_and_a_broken_avif_with_422() {
    let app = admin_app().await;
    assert_refused(&app, &[("photo.jpg", b"just some text, not a photo".to_vec())], 415, "not accepted").await;
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    assert_refused(&app, &[("logo.svg", svg)], 415, "SVG and HTML").await;
    assert_refused(&app, &[("cat.png", b"\n<html><script>alert(1)</script>".to_vec())], 415, "SVG and HTML").await;
    assert_refused(&app, &[("new.avif", b"\0\0\0\x1cftypavif\0\0\0\0".to_vec())], 422, "AVIF").await;
}

#[tokio::test]
async fn a_good_file_is_not_stored_when_another_in_the_same_upload_is_refused() {
    let app = admin_app().await;
    let png = encode(&two_tone(40, 20), ImageFormat::Png);
    assert_refused(&app, &[("ok.png", png), ("bad.jpg", b"nope".to_vec())], 415, "bad.jpg").await;
}

#[tokio::test]
async fn oversized_files_too_many_pixels_and_too_many_files_are_refused_with_413() {
    let limits = hewn::media::Limits { max_file_bytes: 1024 * 1024, max_pixels: 1_000_000, max_files: 2 };
    let app = app_with(limits).await;

    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(1024 * 1024 + 10, b' ');
    assert_refused(&app, &[("big.pdf", big)], 413, "larger than 1 MiB").await;
    let many_pixels = encode(&DynamicImage::ImageRgb8(RgbImage::new(1200, 1000)), ImageFormat::Png);
    assert_refused(&app, &[("huge.png", many_pixels)], 413, "1200 × 1000").await;
    let small = encode(&two_tone(10, 10), ImageFormat::Png);
    let three = [("1.png", small.clone()), ("2.png", small.clone()), ("3.png", small)];
    assert_refused(&app, &three, 413, "At most 2 files").await;
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header_before_decoding() {
    let app = admin_app().await;
    // A 1 × 1 PNG whose header claims 100 000 × 100 000 pixels (10 gigapixels).
    let mut png = encode(&two_tone(1, 1), ImageFormat::Png);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());

    assert_refused(&app, &[("bomb.png", png)], 413, "100000 × 100000").await;
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[tokio::test]
async fn truncated_images_are_refused_with_422() {
    let app = admin_app().await;
    let jpeg = encode(&two_tone(200, 100), ImageFormat::Jpeg);
    assert_refused(&app, &[("cut.jpg", jpeg[..jpeg.len() / 2].to_vec())], 422, "damaged or incomplete").await;
    let png = encode(&two_tone(200, 100), ImageFormat::Png);
    assert_refused(&app, &[("cut.png", png[..png.len() - 30].to_vec())], 422, "damaged or incomplete").await;
}

#[tokio::test]
async fn a_jpeg_html_polyglot_is_served_re_encoded_without_the_markup() {
    let app = admin_app().await;
    let mut polyglot = encode(&two_tone(64, 64), ImageFormat::Jpeg);
    polyglot.extend(b"<html><script>alert(document.cookie)</script></html>");

    assert_status!(upload(&app, &[("poly.jpg", polyglot)], false).await, 303);

    let r = app.get(&address(&library_markdown(&app).await[0])).await;
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let bytes = r.bytes().await.unwrap();
    assert!(!contains(&bytes, b"<script"));
}

#[tokio::test]
async fn an_upload_without_the_form_token_is_refused() {
    let app = admin_app().await;
    let form = Form::new().part("files", Part::bytes(encode(&two_tone(8, 8), ImageFormat::Png)).file_name("a.png"));
    let r = app.client.post(app.url("/admin/media")).multipart(form).send().await.unwrap();
    assert_status!(r, 403);
    assert_eq!(media_rows(&app).await, 0);
}

#[tokio::test]
async fn the_original_is_kept_only_when_asked_and_never_replaces_the_stripped_file() {
    let app = admin_app().await;
    let photo = with_phone_metadata(&encode(&two_tone(100, 50), ImageFormat::Jpeg));

    assert_status!(upload(&app, &[("keep.jpg", photo.clone())], true).await, 303);

    let mut db = app.db().await;
    let original: String = db
        .scalar(
            "select m.path from media_variants v join media m on m.id = v.variant_id where v.kind = 'original'",
            &[],
        )
        .await;
    assert_eq!(bytes_of(&app, &format!("/media/{original}")).await, photo);
    let public = bytes_of(&app, &address(&library_markdown(&app).await[0])).await;
    assert!(!contains(&public, b"SERIAL-4242"));
}

#[tokio::test]
async fn variants_are_served_with_immutable_caching_etags_and_ranges() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("r.jpg", encode(&two_tone(1000, 500), ImageFormat::Jpeg))], false).await, 303);
    let mut db = app.db().await;
    let path: String = db
        .scalar("select m.path from media_variants v join media m on m.id = v.variant_id where v.width = 480", &[])
        .await;
    assert!(path.starts_with("u/") && path.ends_with("-480.jpg"), "{path}");

    let r = app.get(&format!("/media/{path}")).await;
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let whole = r.bytes().await.unwrap();
    let r = app.client.get(app.url(&format!("/media/{path}"))).header("range", "bytes=2-9").send().await.unwrap();
    let r = assert_status!(r, 206);
    assert_eq!(r.bytes, whole.slice(2..10));
    let r = app.client.get(app.url(&format!("/media/{path}"))).header("if-none-match", &etag).send().await.unwrap();
    assert_status!(r, 304);
}

#[tokio::test]
async fn an_uploaded_image_in_a_post_renders_with_srcset_size_and_lazy_loading_after_the_first() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("cat.jpg", encode(&two_tone(1000, 500), ImageFormat::Jpeg))], false).await, 303);
    let src = address(&library_markdown(&app).await[0]);
    let body = format!("![A red and blue cat]({src})\n\nText.\n\n![]({src})\n");

    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Cats"), ("body", &body), ("status", "published")],
    )
    .await;
    assert_status!(r, 303);

    let page = app.get("/posts/cats").await.text().await.unwrap();
    let doc = html(&page);
    let sel = scraper::Selector::parse(".entry-content img").unwrap();
    let imgs: Vec<_> = doc.select(&sel).map(|e| e.value().clone()).collect();
    assert!(imgs.len() >= 2, "{page}");
    let (first, second) = (&imgs[0], &imgs[1]);
    let base = src.trim_end_matches(".jpg");
    assert_eq!(first.attr("srcset"), Some(format!("{base}-480.jpg 480w, {base}-960.jpg 960w, {src} 1000w").as_str()));
    assert_eq!(first.attr("sizes"), Some(hewn::domain::responsive::SIZES));
    assert_eq!((first.attr("width"), first.attr("height")), (Some("1000"), Some("500")));
    assert_eq!(first.attr("alt"), Some("A red and blue cat"));
    assert_eq!(first.attr("decoding"), Some("async"));
    assert_eq!(first.attr("loading"), None, "the first image loads at once");
    assert_eq!(second.attr("loading"), Some("lazy"));
    assert_eq!(second.attr("alt"), Some(""));
    for candidate in first.attr("srcset").unwrap().split(", ") {
        let (url, width) = candidate.split_once(' ').unwrap();
        let bytes = bytes_of(&app, url).await;
        let w: u32 = width.trim_end_matches('w').parse().unwrap();
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), w, "{url}");
    }
}

#[tokio::test]
async fn deleting_a_file_a_post_uses_names_the_post_and_asks_first() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("used.jpg", encode(&two_tone(600, 300), ImageFormat::Jpeg))], false).await, 303);
    let src = address(&library_markdown(&app).await[0]);
    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Uses the photo"), ("body", &format!("![x]({src})")), ("status", "draft")],
    )
    .await;
    assert_status!(r, 303);
    let mut db = app.db().await;
    let id: i64 = db.scalar("select media_id from media_items", &[]).await;

    let r = post_form(&app, &format!("/admin/media/{id}/delete"), &[]).await;

    let page = assert_status!(r, 409).body;
    assert!(crate::helpers::texts(&html(&page), "[data-test=media-used-by] a").concat().contains("Uses the photo"));
    assert_status!(app.get(&src).await, 200);

    let r = post_form(&app, &format!("/admin/media/{id}/delete"), &[("confirm", "1")]).await;

    assert_status!(r, 303);
    assert_status!(app.get(&src).await, 404);
    assert_eq!(media_rows(&app).await, 0, "the variants went with it");
}

#[tokio::test]
async fn alt_text_title_and_caption_are_edited_on_the_item_page() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("a.png", encode(&two_tone(30, 30), ImageFormat::Png))], false).await, 303);
    let page = app.get("/admin/media").await.text().await.unwrap();
    assert!(page.contains("data-test=\"media-no-alt\""), "an image without alt text is flagged");
    let mut db = app.db().await;
    let id: i64 = db.scalar("select media_id from media_items", &[]).await;

    let r = post_form(
        &app,
        &format!("/admin/media/{id}"),
        &[("alt", "A square"), ("title", "Square"), ("caption", "Red and blue")],
    )
    .await;

    assert_status!(r, 303);
    let markdown = library_markdown(&app).await;
    assert!(markdown[0].starts_with("![A square](/media/u/"), "{markdown:?}");
    let page = app.get(&format!("/admin/media/{id}")).await.text().await.unwrap();
    assert!(page.contains("Red and blue"));
}

#[tokio::test]
async fn the_editor_has_an_add_media_upload_that_works_without_javascript() {
    let app = admin_app().await;
    let page = app.get("/admin/posts/new").await.text().await.unwrap();
    let doc = html(&page);
    let sel = scraper::Selector::parse("form[data-test=editor-add-media]").unwrap();
    let form = doc.select(&sel).next().expect("an Add media form");
    assert_eq!(form.value().attr("action"), Some("/admin/media"));
    assert_eq!(form.value().attr("enctype"), Some("multipart/form-data"));
    let first = form.select(&scraper::Selector::parse("input").unwrap()).next().unwrap();
    assert_eq!(first.value().attr("name"), Some("_csrf"), "the token is sent before the files");
    assert!(form.select(&scraper::Selector::parse("input[type=file][multiple]").unwrap()).next().is_some());
}

#[tokio::test]
async fn a_png_gets_smaller_lossless_webp_copies_offered_in_a_picture_element() {
    let app = admin_app().await;
    let png = encode(&two_tone(1000, 500), ImageFormat::Png);
    assert_status!(upload(&app, &[("chart.png", png)], false).await, 303);
    let src = address(&library_markdown(&app).await[0]);
    let body = format!("![A chart]({src})");
    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Chart"), ("body", &body), ("status", "published")],
    )
    .await;
    assert_status!(r, 303);

    let page = app.get("/posts/chart").await.text().await.unwrap();
    let doc = html(&page);
    let sel = scraper::Selector::parse(".entry-content picture > source[type=\"image/webp\"]").unwrap();
    let source = doc.select(&sel).next().unwrap_or_else(|| panic!("no WebP source in {page}"));
    let srcset = source.value().attr("srcset").unwrap();
    let base = src.trim_end_matches(".png");
    assert_eq!(srcset, format!("{base}-480.webp 480w, {base}-960.webp 960w, {base}.webp 1000w"));
    for candidate in srcset.split(", ") {
        let (url, width) = candidate.split_once(' ').unwrap();
        let r = assert_status!(app.get(url).await, 200);
        assert_eq!(r.header("content-type"), "image/webp");
        let decoded = image::load_from_memory_with_format(&r.bytes, ImageFormat::WebP).unwrap();
        assert_eq!(format!("{}w", decoded.width()), width);
    }
    let img = scraper::Selector::parse(".entry-content picture > img").unwrap();
    assert_eq!(doc.select(&img).next().unwrap().value().attr("src"), Some(src.as_str()));
}

#[tokio::test]
async fn hewn_copy_carries_the_library_with_its_variants() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("c.jpg", encode(&two_tone(1000, 500), ImageFormat::Jpeg))], true).await, 303);
    let dir = tempfile::tempdir().unwrap();
    let (target, url) = crate::backend::copy_target(dir.path()).await;

    hewn::store::copy::copy(&app.store, &target).await.unwrap();

    let mut copy = crate::db::TestDb::open(&url).await;
    let variants: Vec<String> = copy.column("select kind from media_variants order by width, kind", &[]).await;
    assert_eq!(variants, ["resized", "resized", "original"]);
    let name: String = copy.scalar("select name from media_items", &[]).await;
    assert_eq!(name, "c.jpg");
}

#[tokio::test]
async fn the_editor_warns_about_an_image_without_alt_text_but_saves_it() {
    let app = admin_app().await;
    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "preview"), ("title", "Alt"), ("body", "![](/media/u/x/a.jpg)"), ("status", "draft")],
    )
    .await;
    let page = assert_status!(r, 200).body;
    assert!(page.contains("data-test=\"alt-warning\""), "{page}");

    let r = post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Alt"), ("body", "![](/media/u/x/a.jpg)"), ("status", "draft")],
    )
    .await;
    let edit = location(&assert_status!(r, 303));
    let page = app.get(&edit).await.text().await.unwrap();
    assert!(page.contains("data-test=\"alt-warning\""));
    let described = post_form(
        &app,
        "/admin/posts",
        &[("intent", "preview"), ("title", "Alt"), ("body", "![A cat](/media/u/x/a.jpg)"), ("status", "draft")],
    )
    .await;
    assert!(!assert_status!(described, 200).body.contains("data-test=\"alt-warning\""));
}

/// A small AVIF made by `avifenc` with an Exif block (a GPS position, a camera
/// serial) and an XMP block (see tests/fixtures/media/README.md).
const PHONE_AVIF: &[u8] = include_bytes!("../fixtures/media/phone-exif-xmp.avif");

#[tokio::test]
async fn an_avif_is_served_as_one_full_size_file_without_its_exif_or_xmp() {
    let app = admin_app().await;
    for needle in [&b"SERIAL-4242"[..], b"SecretPhone", b"II*\0"] {
        assert!(contains(PHONE_AVIF, needle));
    }

    assert_status!(upload(&app, &[("phone.avif", PHONE_AVIF.to_vec())], false).await, 303);

    let markdown = library_markdown(&app).await;
    assert_eq!(markdown.len(), 1, "{markdown:?}");
    let src = address(&markdown[0]);
    let served = assert_status!(app.get(&src).await, 200);
    assert_eq!(served.headers()["content-type"], "image/avif");
    // The same file, byte for byte, but for the metadata blanked in place.
    assert_eq!(served.bytes.len(), PHONE_AVIF.len());
    for needle in [&b"SERIAL-4242"[..], b"SecretPhone", b"GPSLatitude", b"II*\0"] {
        assert!(!contains(&served.bytes, needle), "{:?} is still served", String::from_utf8_lossy(needle));
    }
    assert!(served.bytes.starts_with(&PHONE_AVIF[..32]), "the file type box is kept");
    let mut db = app.db().await;
    let size: (i64, i64) = db.row("select width, height from media_items", &[]).await;
    assert_eq!(size, (32, 16));
    assert_eq!(db.scalar::<i64>("select count(*) from media_variants", &[]).await, 0);
    // In a post: its size, and no other candidate than the file itself.
    let body = format!("![A harbour]({src})");
    let form = [("intent", "save"), ("title", "Harbour"), ("body", body.as_str()), ("status", "published")];
    assert_status!(post_form(&app, "/admin/posts", &form).await, 303);
    let page = app.get("/posts/harbour").await.text().await.unwrap();
    let doc = html(&page);
    let img = doc.select(&scraper::Selector::parse(".entry-content img").unwrap()).next().unwrap();
    assert_eq!(img.value().attr("src"), Some(src.as_str()));
    assert_eq!((img.value().attr("width"), img.value().attr("height")), (Some("32"), Some("16")));
    assert_eq!(img.value().attr("srcset"), None);
}

#[tokio::test]
async fn an_avif_declaring_too_many_pixels_is_refused_from_its_header() {
    let app = admin_app().await;
    let mut bomb = PHONE_AVIF.to_vec();
    let at = bomb.windows(4).position(|w| w == b"ispe").unwrap() + 8;
    bomb[at..at + 8].copy_from_slice(&[0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10]);

    assert_refused(&app, &[("huge.avif", bomb)], 413, "10000 × 10000 pixels; at most 50 megapixels").await;
}

/// A PDF of `mib` MiB (its bytes differ with `seed`).
fn pdf_of(mib: f64, seed: u8) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize((mib * 1024.0 * 1024.0) as usize, seed);
    pdf
}

/// Sets the Media page's upload limits (empty: the server's).
async fn set_limits(app: &TestApp, file_mib: &str, megapixels: &str, files: &str) -> reqwest::Response {
    let form = [("media_max_file_mib", file_mib), ("media_max_megapixels", megapixels), ("media_max_files", files)];
    post_form(app, "/admin/media/limits", &form).await
}

#[tokio::test]
async fn a_lower_file_size_setting_refuses_a_file_the_default_accepts_naming_the_limit() {
    let app = admin_app().await;
    assert_status!(upload(&app, &[("big.pdf", pdf_of(1.5, b'a'))], false).await, 303);
    let before = media_rows(&app).await;

    let r = assert_status!(set_limits(&app, "1", "", "").await, 303);
    assert_eq!(location(&r), "/admin/media?notice=media-limits-saved");

    assert_refused(&app, &[("bigger.pdf", pdf_of(1.5, b'b'))], 413, "larger than 1 MiB, the most accepted").await;
    assert_eq!(media_rows(&app).await, before);
    let page = app.get("/admin/media").await.text().await.unwrap();
    assert!(page.contains("At most 1 MiB a file"), "the form says the limit that applies");
    assert_status!(upload(&app, &[("small.pdf", pdf_of(0.5, b'c'))], false).await, 303);
}

#[tokio::test]
async fn lower_pixel_and_file_count_settings_refuse_what_the_defaults_accept() {
    let app = admin_app().await;
    let photo = encode(&two_tone(1200, 1000), ImageFormat::Jpeg);
    let small = encode(&two_tone(40, 20), ImageFormat::Png);

    assert_status!(set_limits(&app, "", "1", "1").await, 303);

    assert_refused(&app, &[("wide.jpg", photo.clone())], 413, "1200 × 1000 pixels; at most 1 megapixels").await;
    assert_refused(&app, &[("a.png", small.clone()), ("b.pdf", pdf_of(0.01, b'd'))], 413, "At most 1 files").await;
    assert_status!(set_limits(&app, "", "", "").await, 303);
    assert_status!(upload(&app, &[("wide.jpg", photo), ("a.png", small)], false).await, 303);
}

#[tokio::test]
async fn a_limit_setting_above_the_servers_flag_is_refused_next_to_its_field_and_nothing_is_saved() {
    // The server allows 2 MiB files: no setting may raise that.
    let app = app_with(hewn::media::Limits { max_file_bytes: 2 * 1024 * 1024, ..hewn::media::Limits::default() }).await;

    let r = set_limits(&app, "64", "10", "").await;

    let r = assert_status!(r, 422);
    let doc = html(&r.body);
    let error = crate::helpers::texts(&doc, "[data-test=error-media_max_file_mib]").concat();
    assert!(error.contains("At most 2") && error.contains("--media-max-file-mib"), "{error}");
    let kept = doc.select(&scraper::Selector::parse("#f-media_max_file_mib").unwrap()).next().unwrap();
    assert_eq!(kept.value().attr("value"), Some("64"), "the input is shown again");
    // The valid megapixel value was not saved either.
    let mut db = app.db().await;
    let saved: i64 = db.scalar("select count(*) from settings where name like 'media_max_%'", &[]).await;
    assert_eq!(saved, 0);
    assert_refused(&app, &[("big.pdf", pdf_of(2.5, b'e'))], 413, "larger than 2 MiB").await;
    let r = assert_status!(set_limits(&app, "0", "", "").await, 422);
    assert!(r.body.contains("Enter a whole number from 1 to 2"), "{}", r.body);
}

/// An ISO media box of `kind` holding `payload`.
fn iso_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = u32::try_from(payload.len() + 8).unwrap().to_be_bytes().to_vec();
    b.extend(kind);
    b.extend(payload);
    b
}

#[tokio::test]
async fn audio_and_video_are_served_without_their_tags_and_an_mp4_keeps_its_size() {
    let app = admin_app().await;
    let frames = [0xFF, 0xFB, 0x90, 0x64, 9, 9, 9, 9];
    let mp3 = [&b"ID3\x04\0\0\0\0\0\x0eTXXX\0\0\0\x04\0\0Home"[..], &frames, b"TAG", &[b'x'; 125]].concat();
    let udta = iso_box(b"udta", &iso_box(b"\xa9xyz", b"+55.6761+012.5683/"));
    let moov = iso_box(b"moov", &[iso_box(b"mvhd", &[1; 12]), udta].concat());
    let mp4 = [iso_box(b"ftyp", b"isom\0\0\x02\0"), moov, iso_box(b"mdat", b"frames")].concat();

    assert_status!(upload(&app, &[("walk.mp3", mp3), ("walk.mp4", mp4.clone())], false).await, 303);

    for markdown in library_markdown(&app).await {
        let served = assert_status!(app.get(&address(&markdown)).await, 200);
        match served.header("content-type") {
            "audio/mpeg" => assert_eq!(served.bytes, frames, "ID3v2 and ID3v1 are cut off"),
            "video/mp4" => {
                assert_eq!(served.bytes.len(), mp4.len());
                assert!(!contains(&served.bytes, b"+55.6761") && !contains(&served.bytes, b"udta"));
                assert!(contains(&served.bytes, b"mdatframes"));
            }
            other => panic!("unexpected {other}"),
        }
    }
}

/// Uploads as the editor's script does, asking for JSON.
async fn upload_for_script(app: &TestApp, files: &[(&str, Vec<u8>)]) -> (u16, serde_json::Value) {
    let mut form = Form::new().text("_csrf", csrf(app).await);
    for (name, bytes) in files {
        form = form.part("files", Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    let r = app
        .client
        .post(app.url("/admin/media"))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8");
    (status, serde_json::from_str(&r.text().await.unwrap()).unwrap())
}

#[tokio::test]
async fn the_editors_script_gets_the_markdown_of_its_uploads_or_the_reason_they_were_refused() {
    let app = admin_app().await;
    let photo = encode(&two_tone(600, 300), ImageFormat::Jpeg);
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();

    let (status, answer) = upload_for_script(&app, &[("Boats [1].jpg", photo), ("notes.pdf", pdf)]).await;
    let (refused, reason) = upload_for_script(&app, &[("evil.svg", b"<svg onload=alert(1)></svg>".to_vec())]).await;

    assert_eq!(status, 200, "{answer}");
    let placed: Vec<&str> = answer["markdown"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(placed.len(), 2, "{answer}");
    assert!(placed[0].starts_with("![](/media/u/") && placed[0].ends_with("/boats-1.jpg)"), "{placed:?}");
    assert!(placed[1].starts_with("[notes.pdf](/media/u/") && placed[1].ends_with("/notes.pdf)"), "{placed:?}");
    for m in &placed {
        assert_eq!(app.get(&address(m)).await.status(), 200, "{m} is served");
    }
    assert_eq!(library_markdown(&app).await.len(), 2, "the same items as in the library");
    assert_eq!(refused, 415);
    assert!(reason["error"].as_str().unwrap().contains("evil.svg"), "{reason}");
}

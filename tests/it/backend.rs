//! Which database the suite runs on: SQLite by default, PostgreSQL with
//! `HEWN_TEST_BACKEND=postgres` and `HEWN_TEST_DATABASE_URL` naming a server whose
//! user may create databases (`.ci/run` starts a private cluster). Every test gets a
//! fresh database: on PostgreSQL a copy of a template migrated once per test run,
//! dropped again once the test that made it has ended.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use hewn::config::{DatabaseConfig, Synchronous};
use hewn::store::Store;
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

/// True when the suite runs on PostgreSQL.
pub fn is_postgres() -> bool {
    std::env::var("HEWN_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The PostgreSQL server the suite uses (a maintenance database URL).
pub fn server_url() -> String {
    std::env::var("HEWN_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need a server: set HEWN_TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres \
             (a user that may create databases), as .ci/run does"
        )
    })
}

/// The URL of database `name` on the test server.
fn url_of(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static NEXT: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// Held by the thread a test runs on (libtest gives each test its own), so it goes
    /// when the test ends.
    static THIS_TEST: Arc<()> = Arc::new(());
}

/// The test running on this thread, for a database made for it on another thread.
pub fn this_test() -> Weak<()> {
    THIS_TEST.with(Arc::downgrade)
}

/// The PostgreSQL databases this process made and the tests they belong to. A test
/// database takes several megabytes, a whole pass gigabytes: each is dropped by the
/// next [`fresh_postgres`] once its test has ended, and the last few with the cluster.
static MADE: Mutex<Vec<(String, Weak<()>)>> = Mutex::new(Vec::new());

/// The database of `dir`: a SQLite file `hewn.db` in it, or a PostgreSQL database
/// copied from the migrated template (made on first use, then remembered in `dir`).
pub async fn fresh_url(dir: &Path) -> String {
    fresh_url_for(dir, this_test()).await
}

/// [`fresh_url`] for `test` (see [`this_test`]), from any thread.
pub async fn fresh_url_for(dir: &Path, test: Weak<()>) -> String {
    if !is_postgres() {
        return format!("sqlite://{}", dir.join("hewn.db").display());
    }
    // A directory given back by `TestApp::stop` keeps its database for the next app.
    let remembered = dir.join("database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return url;
    }
    let url = fresh_postgres_for(test).await;
    std::fs::write(&remembered, &url).unwrap();
    url
}

/// A new, migrated, empty PostgreSQL database (whatever the suite's backend), dropped
/// after the test running on this thread has ended.
pub async fn fresh_postgres() -> String {
    fresh_postgres_for(this_test()).await
}

async fn fresh_postgres_for(test: Weak<()>) -> String {
    let template = TEMPLATE.get_or_init(migrated_template).await;
    let name = format!("hewn_t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = PgConnection::connect(&server_url()).await.unwrap();
    let ended: Vec<String> = {
        let mut made = MADE.lock().unwrap();
        let (ended, live): (Vec<_>, Vec<_>) = made.drain(..).partition(|(_, test)| test.strong_count() == 0);
        *made = live;
        ended.into_iter().map(|(name, _)| name).collect()
    };
    for old in ended {
        // `force`: a connection its test left behind is closed, not waited for.
        sqlx::query(&format!("drop database if exists {old} with (force)")).execute(&mut admin).await.unwrap();
    }
    // Copies of one template made at the same moment can find it busy: try again.
    for attempt in 0.. {
        match sqlx::query(&format!("create database {name} template {template} strategy = file_copy"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => break,
            Err(e) if attempt < 50 && e.to_string().contains("being accessed by other users") => {
                tokio::time::sleep(std::time::Duration::from_millis(20 + attempt * 5)).await;
            }
            Err(e) => panic!("creating test database {name}: {e}"),
        }
    }
    MADE.lock().unwrap().push((name.clone(), test));
    let _ = admin.close().await;
    url_of(&name)
}

/// Creates and migrates this test process's template database; returns its name.
async fn migrated_template() -> String {
    let name = format!("hewn_tmpl_{}", std::process::id());
    let mut admin = PgConnection::connect(&server_url()).await.unwrap();
    sqlx::query(&format!("drop database if exists {name}")).execute(&mut admin).await.unwrap();
    sqlx::query(&format!("create database {name}")).execute(&mut admin).await.unwrap();
    let _ = admin.close().await;
    let store = Store::open(&DatabaseConfig::from_cli(&url_of(&name), Synchronous::Normal).unwrap()).await.unwrap();
    hewn::store::migrate(&store).await.unwrap();
    store.close().await;
    name
}

/// A fresh, migrated store on the other backend when the suite runs on PostgreSQL
/// (a SQLite file in `dir`), and a fresh one of the suite's own otherwise: where
/// `hewn copy` tests copy a site to. Returns it and its URL.
pub async fn copy_target(dir: &std::path::Path) -> (hewn::store::Store, String) {
    let url = if is_postgres() { format!("sqlite://{}", dir.join("copy.db").display()) } else { fresh_url(dir).await };
    let target = hewn::store::Store::open(
        &hewn::config::DatabaseConfig::from_cli(&url, hewn::config::Synchronous::Normal).unwrap(),
    )
    .await
    .unwrap();
    hewn::store::migrate(&target).await.unwrap();
    (target, url)
}

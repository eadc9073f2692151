//! PostgreSQL only: several hewn instances on one database behave as one site.
//! These need a server (`HEWN_TEST_DATABASE_URL`, see `backend`); `.ci/run` starts
//! one. Each test makes its own database, whatever backend the rest of the suite
//! runs on.

use hewn::store::sessions;

use crate::admin::support::{ADMIN, PASSWORD, create_admin, input_value, login_with};
use crate::assert::{assert_status, location};
use crate::backend::fresh_postgres;
use crate::comments::{DEMO, DEMO_FORM, form};
use crate::helpers::{Spawn, TestApp, client, spawn_with};

/// Two instances serving one new PostgreSQL database, with the demo content.
async fn two_instances() -> (TestApp, TestApp) {
    let url = fresh_postgres().await;
    let a = spawn_with(Spawn { database_url: Some(url.clone()), ..Spawn::default() }).await;
    let b = spawn_with(Spawn { database_url: Some(url), ..Spawn::default() }).await;
    (a, b)
}

/// `X-Hewn-Cache` of a GET of `path`, and its body.
async fn cached(app: &TestApp, c: &reqwest::Client, path: &str) -> (String, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let state = r.headers().get("x-hewn-cache").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (state, r.text().await.unwrap())
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_a_comment_approved_on_one_instance_shows_on_the_others_next_request() {
    let (a, b) = two_instances().await;
    create_admin(&a, ADMIN, PASSWORD).await;
    // A reader of B, whose copy of the post is warm.
    let reader = client();
    let _ = cached(&b, &reader, DEMO).await;
    let (warm, _) = cached(&b, &reader, DEMO).await;
    assert_eq!(warm, "hit");

    // A commenter posts through A: held for moderation, B's page stays warm.
    let r = a.client.post(a.url(DEMO_FORM)).form(&form("Held on A, approved later", "Ann", "ann@example.com")).send();
    let r = assert_status!(r.await.unwrap(), 303);
    let id: i64 = location(&r).rsplit_once("#comment-").unwrap().1.parse().unwrap();
    let (still_warm, page) = cached(&b, &reader, DEMO).await;
    assert_eq!(still_warm, "hit", "a held comment leaves every instance's cache warm");
    assert!(!page.contains("Held on A"));

    // The admin logs in on A and approves it there; the session also works on B.
    let admin = client();
    assert_status!(login_with(&a, &admin, ADMIN, PASSWORD).await, 303);
    let dashboard = admin.get(a.url("/admin")).send().await.unwrap().text().await.unwrap();
    let token = input_value(&dashboard, "_csrf");
    let approved = admin
        .post(a.url(&format!("/admin/comments/{id}/approve")))
        .form(&[("_csrf", token.as_str()), ("back", "/admin/comments")])
        .send()
        .await
        .unwrap();
    assert_status!(approved, 303);
    let on_b = admin.get(b.url("/admin/comments?status=approved")).send().await.unwrap();
    let on_b = assert_status!(on_b, 200, "a session made on A is valid on B");
    assert!(on_b.body.contains("Held on A, approved later"));

    // B's very next request shows it.
    let (state, page) = cached(&b, &reader, DEMO).await;
    assert_eq!(state, "miss");
    assert!(page.contains("Held on A, approved later"), "B shows what A approved at once");
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_a_write_made_with_psql_shows_on_every_instance() {
    let (a, b) = two_instances().await;
    for app in [&a, &b] {
        let _ = cached(app, &app.client, DEMO).await;
        assert_eq!(cached(app, &app.client, DEMO).await.0, "hit");
    }
    let mut db = a.db().await;
    db.exec("update posts set title = 'Renamed by hand' where slug = 'year-of-the-stakhanovite'", &[]).await;
    db.close().await;
    for app in [&a, &b] {
        let (state, page) = cached(app, &app.client, DEMO).await;
        assert_eq!(state, "miss", "{}", app.base);
        assert!(page.contains("Renamed by hand"), "{}", app.base);
    }
}

/// While readers keep B's version readings running back to back, a write
/// acknowledged a moment ago still shows on B's next request: a request never takes
/// a reading that was already on its way when it arrived.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_under_steady_reading_each_write_shows_on_the_next_request() {
    let (a, b) = two_instances().await;
    let _ = cached(&b, &b.client, DEMO).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (url, stop) = (b.url(DEMO), stop.clone());
            tokio::spawn(async move {
                let c = client();
                let mut answered = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let mut db = a.db().await;
    for i in 0..30 {
        let title = format!("Renamed by hand, time {i}");
        db.exec(
            "update posts set title = $1 where slug = 'year-of-the-stakhanovite'",
            &[crate::db::Bind::Text(title.clone())],
        )
        .await;
        let (_, page) = cached(&b, &b.client, DEMO).await;
        assert!(page.contains(&title), "write {i} is missing from B's next answer");
    }
    db.close().await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() > 0, "every reader was answered while the writes went on");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_flood_control_and_the_duplicate_check_hold_across_instances() {
    let (a, b) = two_instances().await;
    // One client (one address) posting through A, then at once through B.
    let first = a.client.post(a.url(DEMO_FORM)).form(&form("First words", "Ann", "ann@example.com")).send();
    assert_status!(first.await.unwrap(), 303);
    let flood = b.client.post(b.url(DEMO_FORM)).form(&form("Second words", "Ann", "ann@example.com")).send();
    assert_status!(flood.await.unwrap(), 429, "B knows what A stored a moment ago");

    hewn::store::settings::put(&a.store, "comment_flood_seconds", "0").await.unwrap();
    let again = b.client.post(b.url(DEMO_FORM)).form(&form("First words", "Ann", "ann@example.com")).send();
    assert_status!(again.await.unwrap(), 409, "the duplicate check sees A's comment too");

    // Racing submissions through both instances: each text is stored exactly once.
    let mut racing = Vec::new();
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let url = app.url(DEMO_FORM);
        racing.push(tokio::spawn(async move {
            let f = form("The same words at once", "Bo", "bo@example.com");
            client().post(url).form(&f).send().await.unwrap().status().as_u16()
        }));
    }
    let mut answers = Vec::new();
    for r in racing {
        answers.push(r.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|s| **s == 303).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 409).count(), 19, "{answers:?}");
    let mut db = a.db().await;
    let stored: i64 = db.scalar("select count(*) from comments where body = 'The same words at once'", &[]).await;
    db.close().await;
    assert_eq!(stored, 1);
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_login_throttling_counts_failures_on_every_instance() {
    let (a, b) = two_instances().await;
    create_admin(&a, ADMIN, PASSWORD).await;
    let limit = sessions::MAX_FAILURES_PER_NAME;
    let mut answers = Vec::new();
    for i in 0..=limit {
        let app = if i % 2 == 0 { &a } else { &b };
        answers.push(login_with(app, &client(), ADMIN, &format!("guess {i}")).await.status().as_u16());
    }
    let limit = usize::try_from(limit).unwrap();
    assert_eq!(answers[..limit], vec![422; limit], "{answers:?}");
    assert_eq!(answers[limit], 429, "failures on A and B count together: {answers:?}");
    // The right password from this client is refused too until the window passes.
    let right = login_with(&b, &client(), ADMIN, PASSWORD).await;
    assert_status!(right, 429);
}

/// Runs the `hewn` executable with `args` against the database at `url`.
fn hewn_at(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(args)
        .args(["--database-url", url])
        .env("HEWN_LOG", "warn")
        .env_remove("HEWN_BASE_URL")
        .output()
        .unwrap()
}

/// The public pages of a site, by path, as a reader gets them (the comment form's
/// signed render time, which differs with every render, left out).
async fn public_pages(app: &TestApp) -> Vec<(String, String)> {
    let mut pages = Vec::new();
    for path in ["/", DEMO, "/posts/moving-day", "/tags/travel", "/search?q=boxes", "/feed.xml", "/sitemap.xml"] {
        let r = client().get(app.url(path)).send().await.unwrap();
        let r = assert_status!(r, 200, "{path}");
        let body = r.body.replace(&app.base, "BASE");
        let body = match body.split_once("name=\"rendered\" value=\"") {
            Some((before, after)) => format!("{before}{}", after.split_once('"').map_or("", |(_, rest)| rest)),
            None => body,
        };
        pages.push((path.to_owned(), body));
    }
    pages
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_a_site_moves_to_postgresql_and_back_with_identical_pages() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("site.db").display());
    let site = spawn_with(Spawn { database_url: Some(sqlite.clone()), ..Spawn::default() }).await;
    let post = site.post().title("Moving day").body("Boxes everywhere, *and* a kettle.").tag("Travel").create().await;
    site.comment(post).author("Neighbour").body("Need a hand with the boxes?").approved().create().await;
    site.comment(post).author("Held").body("held for moderation").held().create().await;
    create_admin(&site, ADMIN, PASSWORD).await;
    let before = public_pages(&site).await;
    drop(site.stop().await);
    let dir_guard = dir;

    // Up to PostgreSQL: every row, and the same pages.
    let postgres = fresh_postgres().await;
    let up = hewn_at(&sqlite, &["copy", "--to", &postgres]);
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(String::from_utf8_lossy(&up.stdout).contains("2 posts and pages, 4 comments"), "{up:?}");
    let on_pg = spawn_with(Spawn { database_url: Some(postgres.clone()), ..Spawn::default() }).await;
    assert_eq!(public_pages(&on_pg).await, before);
    // The admin logs in with the same password, and new rows get new ids.
    assert_status!(login_with(&on_pg, &client(), ADMIN, PASSWORD).await, 303);
    let next = on_pg.post().title("After the move").create().await;
    assert!(next > post);

    // Refused: copying into a database that has a site already.
    let again = hewn_at(&sqlite, &["copy", "--to", &postgres]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"), "{again:?}");

    // A backup of the PostgreSQL site is a sound SQLite file serving the same pages.
    let backup = dir_guard.path().join("backup.db");
    let saved = hewn_at(&postgres, &["backup", backup.to_str().unwrap()]);
    assert!(saved.status.success(), "{}", String::from_utf8_lossy(&saved.stderr));
    let checked = hewn_at(&postgres, &["backup", "--check", backup.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let after_move = public_pages(&on_pg).await;
    drop(on_pg.stop().await);
    let restored = spawn_with(Spawn { database: Some(backup), ..Spawn::default() }).await;
    assert_eq!(public_pages(&restored).await, after_move);
}

/// A PostgreSQL cluster of the test's own, on a free loopback port, that the test
/// may stop and start (the shared one serves every other test). Made with the
/// server's own `initdb` and `pg_ctl`, run as the `postgres` user when the tests
/// run as root (PostgreSQL refuses root).
struct PrivateCluster {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    fn start() -> PrivateCluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's programs in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("pg_ctl").exists())
            .max()
            .expect("pg_ctl under /usr/lib/postgresql/*/bin");
        let dir = tempfile::tempdir().unwrap();
        if Self::as_root() {
            assert!(Self::run_plain("chown", &["-R", "postgres", dir.path().to_str().unwrap()]));
        }
        let cluster = PrivateCluster { bin, dir, port: crate::helpers::free_port() };
        let data = cluster.data();
        assert!(cluster.pg("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]));
        cluster.pg_ctl_start();
        cluster
    }

    fn as_root() -> bool {
        std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    }

    fn run_plain(program: &str, args: &[&str]) -> bool {
        std::process::Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_str().unwrap().to_owned()
    }

    /// Runs one of the server's programs (as `postgres` when root).
    fn pg(&self, program: &str, args: &[&str]) -> bool {
        let path = self.bin.join(program);
        let output = if Self::as_root() {
            std::process::Command::new("runuser").args(["-u", "postgres", "--"]).arg(&path).args(args).output()
        } else {
            std::process::Command::new(&path).args(args).output()
        };
        let output = output.unwrap();
        if !output.status.success() {
            eprintln!("{program}: {}", String::from_utf8_lossy(&output.stderr));
        }
        output.status.success()
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        assert!(self.pg("pg_ctl", &["-D", &self.data(), "-w", "-l", log.to_str().unwrap(), "-o", &options, "start"]));
    }

    /// Stops the server at once, as a crash would (no shutdown checkpoint, every
    /// connection cut).
    fn kill(&self) {
        assert!(self.pg("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]));
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.pg("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_postgresql_killed_under_comments_loses_no_acknowledged_one_and_hewn_recovers_alone() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cluster = PrivateCluster::start();
    let url = cluster.url("postgres");
    let app = spawn_with(Spawn {
        database_url: Some(url.clone()),
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Spawn::default()
    })
    .await;
    hewn::store::settings::put(&app.store, "comment_flood_seconds", "0").await.unwrap();

    let acknowledged = Arc::new(tokio::sync::Mutex::new(Vec::<String>::new()));
    let answers = Arc::new(tokio::sync::Mutex::new(Vec::<u16>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (target, acknowledged, answers, running) =
                (app.url(DEMO_FORM), acknowledged.clone(), answers.clone(), running.clone());
            tokio::spawn(async move {
                let c = client();
                let mut n = 0;
                while running.load(Ordering::Acquire) {
                    n += 1;
                    let body = format!("worker {w} comment {n}");
                    let sent = c
                        .post(&target)
                        .header("x-forwarded-for", format!("198.51.100.{}", w + 1))
                        .form(&form(&body, &format!("Worker {w}"), "w@example.com"))
                        .send()
                        .await;
                    let Ok(r) = sent else { continue };
                    let status = r.status().as_u16();
                    answers.lock().await.push(status);
                    if status == 303 {
                        acknowledged.lock().await.push(body);
                    }
                }
            })
        })
        .collect();
    let wait_for = |n: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            for _ in 0..2000 {
                if acknowledged.lock().await.len() >= n {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            panic!("fewer than {n} comments were acknowledged");
        }
    };

    wait_for(40).await;
    cluster.kill();
    let during = client().get(app.url("/healthz")).send().await.unwrap().status().as_u16();
    let acked_at_kill = acknowledged.lock().await.len();
    cluster.pg_ctl_start();
    // The same hewn, never restarted, takes comments again.
    wait_for(acked_at_kill + 40).await;
    running.store(false, Ordering::Release);
    for w in workers {
        w.await.unwrap();
    }
    let after = client().get(app.url("/healthz")).send().await.unwrap().status().as_u16();

    let mut db = app.db().await;
    let stored: std::collections::HashSet<String> =
        db.column::<String>("select body from comments", &[]).await.into_iter().collect();
    db.close().await;
    let acknowledged = acknowledged.lock().await.clone();
    let lost: Vec<&String> = acknowledged.iter().filter(|b| !stored.contains(*b)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let answers = answers.lock().await.clone();
    assert!(answers.iter().all(|s| [303, 503].contains(s)), "only stored (303) or busy (503): {answers:?}");
    assert_eq!(during, 503, "/healthz says the database is down");
    assert_eq!(after, 200, "and recovers by itself");
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_an_instance_that_would_not_get_its_connections_refuses_to_start_and_says_why() {
    let url = fresh_postgres().await;
    let refused = hewn_at(&url, &["migrate", "--db-max-connections", "100000"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("this instance needs 100003") && message.contains("N instances need N × 100003"),
        "{message}"
    );
    let fine = hewn_at(&url, &["migrate", "--db-max-connections", "4"]);
    assert!(fine.status.success(), "{}", String::from_utf8_lossy(&fine.stderr));
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_many_readers_at_once_share_the_version_readings_and_all_get_answers() {
    let (a, _b) = two_instances().await;
    let _ = cached(&a, &a.client, DEMO).await;
    let started = std::time::Instant::now();
    let readers: Vec<_> = (0..16)
        .map(|_| {
            let url = a.url(DEMO);
            tokio::spawn(async move {
                let c = client();
                let mut states = Vec::new();
                for _ in 0..10 {
                    let r = c.get(&url).send().await.unwrap();
                    states.push((r.status().as_u16(), r.headers().get("x-hewn-cache").cloned()));
                }
                states
            })
        })
        .collect();
    for r in readers {
        for (status, state) in r.await.unwrap() {
            assert_eq!(status, 200);
            assert_eq!(state.unwrap(), "hit");
        }
    }
    // 160 cached answers; a queue that never let a reading run would never end.
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

/// An import writes posts and comments with ids of its own: the site's next comment
/// and the editor's next post still get free ids (the import moved the sequences
/// past them). And while an import writes, a second one, from another process and
/// without its process id to go by, finds it alive and changes nothing.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_after_an_import_new_comments_and_posts_get_free_ids_and_a_second_import_waits() {
    use crate::admin::support::{login, post_form};
    use crate::wordpress::{fixture, hewn, import::import_caught_writing};

    let url = fresh_postgres().await;
    let app = spawn_with(Spawn { database_url: Some(url.clone()), ..Spawn::default() }).await;
    let site = fixture("site-1.2.xml");
    let run = hewn(&url, &["import", "wordpress", site.to_str().unwrap()]);
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let mut db = app.db().await;
    let (max_post, max_comment): (i64, i64) =
        db.row("select (select max(id) from posts), (select max(id) from comments)", &[]).await;
    db.close().await;

    let r = app.client.post(app.url(DEMO_FORM)).form(&form("Written after the import", "Ann", "ann@example.com"));
    let r = assert_status!(r.send().await.unwrap(), 303);
    let comment: i64 = location(&r).rsplit_once("#comment-").unwrap().1.parse().unwrap();
    assert!(comment > max_comment, "the new comment {comment} is numbered above the import's {max_comment}");

    create_admin(&app, ADMIN, PASSWORD).await;
    assert_status!(login(&app, ADMIN, PASSWORD).await, 303);
    let fields = [("intent", "save"), ("title", "Written after the import"), ("body", "New"), ("status", "published")];
    let r = assert_status!(post_form(&app, "/admin/posts", &fields).await, 303);
    let post: i64 = location(&r).split('/').nth(3).unwrap().parse().unwrap();
    assert!(post > max_post, "the new post {post} is numbered above the import's {max_post}");

    // A second import while the first writes.
    let child = import_caught_writing(&url, &app.dir.path().join("big.xml"), 400).await;
    let second = hewn(&url, &["import", "wordpress", fixture("wxr-1.0.xml").to_str().unwrap()]);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    assert!(!second.success, "{}", second.stdout);
    assert!(second.stderr.contains("another import is writing"), "{}", second.stderr);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut db = app.db().await;
    let hidden: i64 = db.scalar("select count(*) from posts where status = 'importing'", &[]).await;
    assert_eq!(hidden, 0);
    db.close().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and aiosmtpd"]
async fn postgres_only_two_instances_never_send_one_outbox_row_twice() {
    let smtp = crate::mail::Smtp::start().await;
    let url = fresh_postgres().await;
    let a = spawn_with(Spawn { database_url: Some(url.clone()), mail: Some(smtp.config()), ..Spawn::default() }).await;
    let b = spawn_with(Spawn { database_url: Some(url), mail: Some(smtp.config()), ..Spawn::default() }).await;
    let now = a.clock().now();
    for i in 0..40 {
        let store = if i % 2 == 0 { &a.store } else { &b.store };
        hewn::store::mail::queue_test(store, &format!("reader{i}@else.example"), now).await.unwrap();
    }
    let mails = smtp.wait_for(40).await;
    // Both senders keep polling for a while: nothing arrives twice.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mails_after = smtp.received();
    assert_eq!(mails_after.len(), 40, "{} messages for 40 rows", mails_after.len());
    let mut ids: Vec<&str> = mails.iter().filter_map(|m| m.header("Message-ID")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40);
}

/// A pool of PostgreSQL readers on a fresh database, at most `max` connections.
async fn readers(max: u32) -> hewn::store::postgres::readers::Readers {
    let url = fresh_postgres().await;
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    hewn::store::postgres::readers::Readers::new(options, max, std::time::Duration::from_secs(2))
}

/// The readers give a connection back with no round trip of their own: the next
/// statement runs on the same server process, and a statement whose caller gave
/// up halfway leaves nothing behind: its connection is closed, the next statement
/// gets its own answer on a new one.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_readers_keep_finished_connections_and_close_abandoned_ones() {
    let pool = readers(1).await;
    let pid = || sqlx::query_scalar::<_, i32>("select pg_backend_pid()").fetch_one(&pool);
    let first = pid().await.unwrap();
    assert_eq!(pid().await.unwrap(), first, "a finished statement's connection is used again");
    let rows: Vec<i32> = sqlx::query_scalar("select generate_series(1, 3)").fetch_all(&pool).await.unwrap();
    assert_eq!(rows, [1, 2, 3]);
    assert_eq!(pid().await.unwrap(), first, "so is one whose rows were all read");

    // Given up on halfway: a slow statement, and a stream read only in part.
    let slow = sqlx::query_scalar::<_, i32>("select 7 from pg_sleep(5)").fetch_one(&pool);
    assert!(tokio::time::timeout(std::time::Duration::from_millis(200), slow).await.is_err());
    let second = pid().await.unwrap();
    assert_ne!(second, first, "the abandoned connection is not used again");
    assert_eq!(sqlx::query_scalar::<_, i32>("select 41 + 1").fetch_one(&pool).await.unwrap(), 42);
    {
        let mut stream = sqlx::query_scalar::<_, i32>("select generate_series(1, 100000)").fetch(&pool);
        let first_row = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
        assert_eq!(first_row.unwrap().unwrap(), 1);
    }
    assert_ne!(pid().await.unwrap(), second, "nor is the one of a stream left unread");
    assert_eq!(sqlx::query_scalar::<_, String>("select 'fine'").fetch_one(&pool).await.unwrap(), "fine");
}

/// When every reader is in use, the next waits at most the acquire timeout and is
/// told the pool is busy (a 503 for a request), not left hanging; a failed
/// statement's connection is closed and the pool goes on.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_readers_time_out_when_all_are_busy_and_survive_failed_statements() {
    let pool = readers(1).await;
    let held = pool.acquire().await.unwrap();
    let started = std::time::Instant::now();
    let err = sqlx::query("select 1").execute(&pool).await.unwrap_err();
    assert!(matches!(err, sqlx::Error::PoolTimedOut), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(held);
    let err = sqlx::query("select 1/0").execute(&pool).await.unwrap_err();
    assert!(hewn::store::db::is_busy(&err) || err.to_string().contains("division by zero"), "{err}");
    assert_eq!(sqlx::query_scalar::<_, i64>("select 2::bigint").fetch_one(&pool).await.unwrap(), 2);
    pool.close().await;
    assert!(pool.is_closed());
    assert!(matches!(sqlx::query("select 1").execute(&pool).await.unwrap_err(), sqlx::Error::PoolClosed));
}

/// The writer keeps its connection between write transactions. One dropped without
/// its commit (an error, a cancelled request) is rolled back at once, so the
/// writers' advisory lock does not hold another instance's writer; one whose
/// server process was killed is replaced by the next write, which goes through.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_only_the_writer_rolls_back_abandoned_writes_at_once_and_replaces_a_lost_connection() {
    async fn pid(w: &mut hewn::store::postgres::writer::PgWrite) -> i32 {
        sqlx::query_scalar("select pg_backend_pid()").fetch_one(w.conn()).await.unwrap()
    }
    use hewn::store::postgres::{BEGIN_WRITE, writer::PgWriter};
    let url = fresh_postgres().await;
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let timeout = std::time::Duration::from_secs(10);
    let (a, b) = (
        PgWriter::connect(options.clone(), timeout).await.unwrap(),
        PgWriter::connect(options, timeout).await.unwrap(),
    );
    sqlx::query("create table t (n int)").execute(a.conn().await.unwrap().conn()).await.unwrap();

    let mut tx = a.begin(BEGIN_WRITE).await.unwrap();
    let first = pid(&mut tx).await;
    sqlx::query("insert into t values (1)").execute(tx.conn()).await.unwrap();
    drop(tx);
    // B gets the lock long before the 5 s lock timeout would have let it fail.
    let started = std::time::Instant::now();
    let mut other =
        tokio::time::timeout(std::time::Duration::from_secs(3), b.begin(BEGIN_WRITE)).await.unwrap().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let rows: i64 = sqlx::query_scalar("select count(*) from t").fetch_one(other.conn()).await.unwrap();
    assert_eq!(rows, 0, "the abandoned insert was rolled back");
    sqlx::query("insert into t values (2)").execute(other.conn()).await.unwrap();
    other.commit().await.unwrap();

    let mut tx = a.begin(BEGIN_WRITE).await.unwrap();
    assert_eq!(pid(&mut tx).await, first, "the same connection, kept");
    tx.commit().await.unwrap();

    // Its server process killed between two writes: the next one still succeeds.
    let killed: bool = sqlx::query_scalar("select pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(b.conn().await.unwrap().conn())
        .await
        .unwrap();
    assert!(killed);
    // Gone once PostgreSQL no longer lists it.
    let mut watcher = b.conn().await.unwrap();
    while sqlx::query_scalar::<_, bool>("select exists (select 1 from pg_stat_activity where pid = $1)")
        .bind(first)
        .fetch_one(watcher.conn())
        .await
        .unwrap()
    {
        tokio::task::yield_now().await;
    }
    drop(watcher);
    let mut tx = a.begin(BEGIN_WRITE).await.unwrap();
    assert_ne!(pid(&mut tx).await, first, "a new connection");
    sqlx::query("insert into t values (3)").execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    let rows: Vec<i32> =
        sqlx::query_scalar("select n from t order by n").fetch_all(b.conn().await.unwrap().conn()).await.unwrap();
    assert_eq!(rows, [2, 3]);
}

//! `hewn backup`: a consistent copy of the live database while it takes comments, and
//! `--check` telling a sound hewn backup from anything else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use hewn::store::{comments, posts};

use crate::db::TestDb;
use crate::helpers::spawn_app;
use crate::wordpress::{fixture, hewn_file as hewn};

async fn version_and_comments(db: &std::path::Path) -> (i64, i64) {
    let mut conn = TestDb::sqlite_read_only(db).await;
    let row = conn.row("select (select version from site_state), (select count(*) from comments)", &[]).await;
    conn.close().await;
    row
}

/// Waits until the writer has stored `count` comments (failing after a generous deadline).
async fn wait_for_writes(written: &AtomicU32, count: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while written.load(Ordering::Relaxed) < count {
        assert!(tokio::time::Instant::now() < deadline, "the writer stored fewer than {count} comments");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn sqlite_only_a_backup_taken_while_comments_arrive_is_one_consistent_snapshot() {
    let app = spawn_app().await;
    let (base_version, base_comments) = version_and_comments(&app.db_path).await;
    let post_id =
        posts::visible_by_slug(&app.store, hewn::domain::now(), "year-of-the-stakhanovite").await.unwrap().unwrap().id;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU32::new(0));
    let writer = {
        let (store, stop, counter) = (app.store.clone(), Arc::clone(&stop), Arc::clone(&written));
        tokio::spawn(async move {
            let mut written = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let c = comments::NewComment {
                    post_id,
                    parent_id: None,
                    kind: hewn::domain::status::CommentKind::Comment,
                    author_name: "Writer",
                    author_email: "writer@example.org",
                    author_url: "",
                    user_id: None,
                    body: "x",
                    body_html: "<p>x</p>",
                    status: hewn::domain::status::CommentStatus::Approved,
                    rule: "test",
                    author_ip: "127.0.0.1",
                    user_agent: "test",
                    created_at: hewn::domain::now(),
                    avatar_key: "",
                };
                comments::insert(&store, &c).await.unwrap();
                written += 1;
                counter.store(written, Ordering::Relaxed);
            }
            written
        })
    };
    // Comments are arriving before the backup begins and go on arriving after it ends.
    wait_for_writes(&written, 20).await;
    let target = app.dir.path().join("backup.db");

    let (db, out) = (app.db_path.clone(), target.clone());
    let run = tokio::task::spawn_blocking(move || hewn(&db, &["backup", out.to_str().unwrap()])).await.unwrap();
    wait_for_writes(&written, written.load(Ordering::Relaxed) + 5).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();

    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.starts_with(&format!("Backed up to {}", target.display())), "{}", run.stdout);
    let (version, count) = version_and_comments(&target).await;
    assert!(count > base_comments, "the backup has comments written before it began");
    // Every comment is one committed write that bumps the data version: a torn copy
    // would have a count and a version that disagree.
    assert_eq!(version - base_version, count - base_comments, "the copy is a single snapshot");
    let (_, live_count) = version_and_comments(&app.db_path).await;
    assert_eq!(live_count - base_comments, i64::from(written), "no comment was lost while the backup ran");
    let check = hewn(&app.db_path, &["backup", "--check", target.to_str().unwrap()]);
    assert!(check.success, "{}", check.stderr);
    assert!(
        check.stdout.contains("is a sound hewn backup") && check.stdout.contains("schema up to date"),
        "{}",
        check.stdout
    );
}

#[tokio::test]
async fn sqlite_only_the_check_rejects_damaged_and_foreign_files() {
    let app = spawn_app().await;
    let good = app.dir.path().join("good.db");
    assert!(hewn(&app.db_path, &["backup", good.to_str().unwrap()]).success);
    let bytes = std::fs::read(&good).unwrap();
    let damaged = app.dir.path().join("damaged.db");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let foreign = app.dir.path().join("foreign.db");
    {
        let mut conn = TestDb::sqlite_create(&foreign).await;
        conn.exec("create table notes (x)", &[]).await;
        conn.close().await;
    }

    for (file, expected) in [
        (damaged, "damaged"),
        (fixture("site-1.2.xml"), "not a SQLite database"),
        (foreign, "is not a hewn database"),
        (app.dir.path().join("missing.db"), "is not a file"),
    ] {
        let run = hewn(&app.db_path, &["backup", "--check", file.to_str().unwrap()]);
        assert!(!run.success, "{} passed the check", file.display());
        assert!(
            run.stderr.contains(expected) || run.stderr.contains("malformed"),
            "{}: {}",
            file.display(),
            run.stderr
        );
    }
}

#[tokio::test]
async fn sqlite_only_a_backup_replaces_a_file_only_when_forced_and_never_the_database_itself() {
    let app = spawn_app().await;
    let target = app.dir.path().join("b.db");
    std::fs::write(&target, b"keep me").unwrap();

    let refused = hewn(&app.db_path, &["backup", target.to_str().unwrap()]);
    let onto_itself = hewn(&app.db_path, &["backup", "--force", app.db_path.to_str().unwrap()]);
    let forced = hewn(&app.db_path, &["backup", "--force", target.to_str().unwrap()]);

    assert!(
        !refused.success && refused.stderr.contains("already exists (use --force to replace it)"),
        "{}",
        refused.stderr
    );
    assert!(
        !onto_itself.success && onto_itself.stderr.contains("cannot replace the database itself"),
        "{}",
        onto_itself.stderr
    );
    assert!(forced.success, "{}", forced.stderr);
    assert!(hewn(&app.db_path, &["backup", "--check", target.to_str().unwrap()]).success);
}

//! Many comments at once, and a server killed while they arrive: every acknowledged
//! comment is stored exactly once and the database stays sound.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;

use super::{DEMO_FORM, form, prepare_database, rows};
use crate::db::TestDb;
use crate::helpers::{Binary, Spawn, client, spawn_with};

/// Submissions arriving together are stored in one batch; each submitter is sent to
/// its own comment.
#[tokio::test]
async fn fifty_concurrent_comments_from_different_clients_are_each_stored_once() {
    let app = spawn_with(Spawn { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Spawn::default() }).await;
    let url = app.url(DEMO_FORM);

    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let text = format!("concurrent comment {i}");
                let email = format!("reader{i}@example.com");
                let r = client()
                    .post(url)
                    .header("x-forwarded-for", format!("198.51.100.{}", i + 1))
                    .form(&form(&text, &format!("Reader {i}"), &email))
                    .send()
                    .await
                    .unwrap();
                let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
                (r.status().as_u16(), location.to_owned())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }

    assert!(answers.iter().all(|(s, _)| *s == 303), "{answers:?}");
    let stored = rows(&app).await;
    for (i, (_, location)) in answers.iter().enumerate() {
        let text = format!("concurrent comment {i}");
        let matching: Vec<_> = stored.iter().filter(|r| r.body == text).collect();
        assert_eq!(matching.len(), 1, "{text}");
        assert_eq!(matching[0].author_ip, format!("198.51.100.{}", i + 1));
        assert!(location.ends_with(&format!("#comment-{}", matching[0].id)), "{text}: sent to {location}");
    }
    assert_eq!(stored.len(), 52, "the demo's two and the fifty");
}

/// Submissions arriving together are committed together, in order: flood control and
/// the duplicate check still see the ones before them.
#[tokio::test]
async fn racing_submissions_from_one_client_pass_flood_control_once() {
    let app = spawn_with(Spawn::default()).await;
    let url = app.url(DEMO_FORM);

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let text = format!("racing comment {i}");
                let r = client().post(url).form(&form(&text, "Racer", "racer@example.com")).send().await.unwrap();
                r.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }

    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 19, "{statuses:?}");
    assert_eq!(rows(&app).await.iter().filter(|r| r.body.starts_with("racing comment")).count(), 1);
}

/// Posts comments in a loop until the server stops answering, recording each text
/// that was acknowledged with 303.
async fn keep_posting(base: String, worker: usize, acked: Arc<Mutex<Vec<String>>>, count: Arc<AtomicUsize>) {
    let http = client();
    for n in 0.. {
        let text = format!("crash test worker {worker} comment {n}");
        let email = format!("w{worker}@example.com");
        let sent = http
            .post(format!("{base}{DEMO_FORM}"))
            .form(&form(&text, &format!("Worker {worker}"), &email))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().as_u16() == 303 => {
                acked.lock().await.push(text);
                count.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) => panic!("unexpected {} for {text}", r.status()),
            Err(_) => return, // the server is gone
        }
    }
}

#[tokio::test]
async fn a_server_killed_mid_stream_loses_no_acknowledged_comment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    prepare_database(&db).await;
    let mut acknowledged: Vec<String> = Vec::new();

    for round in 0..3 {
        let mut server = Binary::start(&db, &[]).await;
        let acked = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..6)
            .map(|w| tokio::spawn(keep_posting(server.base.clone(), round * 10 + w, acked.clone(), count.clone())))
            .collect();
        // Kill once the stream is well under way, while the workers keep sending.
        let target = 30 + round * 15;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while count.load(Ordering::SeqCst) < target {
            assert!(tokio::time::Instant::now() < deadline, "only {} comments in 60 s", count.load(Ordering::SeqCst));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.signal("KILL");
        let status = server.child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "killed, not exited");
        for w in workers {
            w.await.unwrap();
        }
        acknowledged.extend(acked.lock().await.drain(..));

        let restarted = Binary::start(&db, &[]).await;
        let mut conn = TestDb::sqlite_read_only(&db).await;
        let bodies: HashSet<String> = conn.column("select body from comments", &[]).await.into_iter().collect();
        let check: String = conn.scalar("pragma integrity_check", &[]).await;
        let dupes: i64 = conn.scalar("select count(*) - count(distinct body) from comments", &[]).await;
        conn.close().await;
        drop(restarted);

        eprintln!("round {round}: {} acknowledged in all, {} comments stored", acknowledged.len(), bodies.len());
        let missing: Vec<&String> = acknowledged.iter().filter(|t| !bodies.contains(*t)).collect();
        assert!(missing.is_empty(), "round {round}: acknowledged but lost: {missing:?}");
        assert_eq!(check, "ok", "round {round}");
        assert_eq!(dupes, 0, "round {round}: a comment stored twice");
    }
    assert!(acknowledged.len() >= 30 + 45 + 60, "{}", acknowledged.len());
}

//! The global flags (`--database-url`, `--log`, `--no-demo`, `--sqlite-synchronous`)
//! before and after every subcommand's name, over the real binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{client, free_port};

/// Runs `hewn` with `args`, returning its exit status, standard output and error.
fn hewn(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(args)
        .env_remove("HEWN_DATABASE_URL")
        .env_remove("HEWN_NO_DEMO")
        .env_remove("HEWN_LOG")
        .env_remove("HEWN_BASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The global flags naming the database `db`.
fn globals(db: &Path) -> Vec<String> {
    [
        "--database-url",
        &format!("sqlite://{}", db.display()),
        "--log",
        "warn",
        "--no-demo",
        "--sqlite-synchronous",
        "full",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `command` with the global flags in `position`: before the subcommand's name, after
/// its first word, or at the end.
fn placed(command: &[&str], position: usize, db: &Path) -> Vec<String> {
    let mut args: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
    let at = match position {
        0 => 0,
        1 => 1.min(args.len()),
        _ => args.len(),
    };
    args.splice(at..at, globals(db));
    args
}

#[test]
fn global_flags_work_before_and_after_every_subcommand() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress");
    let wxr = fixture.join("site-1.2.xml");
    let disqus = fixture.join("disqus.xml");
    for position in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("flags.db");
        let backup = dir.path().join("copy.db");
        let steps: [(&[&str], &str); 6] = [
            (&["migrate"], ""),
            (&["user", "list"], ""),
            (&["import", "wordpress", wxr.to_str().unwrap()], "Imported from"),
            (&["import", "disqus", disqus.to_str().unwrap()], "Imported from a Disqus export"),
            (&["export", "wordpress"], "Year of the"),
            (&["backup", backup.to_str().unwrap()], ""),
        ];
        for (command, says) in steps {
            let args = placed(command, position, &db);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();

            let (ok, stdout, stderr) = hewn(&args);

            assert!(ok, "hewn {args:?} failed: {stderr}");
            assert!(stdout.contains(says), "hewn {args:?}: {stdout}");
        }
        assert!(db.exists() && backup.exists(), "position {position}");
        // `--no-demo` reached `migrate`: a fresh database has no demo post.
        let fresh = dir.path().join("fresh.db");
        let run = |command: &[&str]| {
            let args = placed(command, position, &fresh);
            hewn(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        assert!(run(&["migrate"]).0);
        let (ok, export, _) = run(&["export", "wordpress"]);
        assert!(ok && export.contains("<channel>") && !export.contains("<item>"), "position {position}: {export}");
    }
}

#[tokio::test]
async fn serve_takes_the_global_flags_before_and_after_its_name() {
    for position in [0, 2] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("serve.db");
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let args = placed(&["serve", "--bind", &bind], position, &db);
        let mut child = Command::new(env!("CARGO_BIN_EXE_hewn"))
            .args(&args)
            .env_remove("HEWN_DATABASE_URL")
            .env_remove("HEWN_NO_DEMO")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut up = false;
        for _ in 0..400 {
            if let Ok(r) = client().get(format!("http://{bind}/healthz")).send().await
                && r.status().is_success()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let front = client().get(format!("http://{bind}/")).send().await.map(|r| r.status().as_u16());
        let _ = child.kill();
        let _ = child.wait();
        assert!(up, "hewn {args:?} did not start");
        assert_eq!(front.ok(), Some(200));
        assert!(db.exists(), "hewn {args:?} used another database");
    }
}

#[test]
fn a_serve_flag_before_another_subcommand_is_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let url = format!("sqlite://{}", db.display());

    let (ok, _, stderr) = hewn(&["--bind", "127.0.0.1:4000", "--database-url", &url, "migrate"]);

    assert!(!ok);
    assert!(stderr.contains("--bind is a flag of `hewn serve`"), "{stderr}");
    assert!(!db.exists());
}

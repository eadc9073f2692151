//! Accounts and sessions: the setup link, login and its throttle, session cookies,
//! expiry, logout, password changes and the `hewn user` commands.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use hewn::store::{sessions, users};

use super::support::{
    ADMIN, PASSWORD, admin_app, admin_app_with_fixed_clock, create_admin, csrf, input_value, location, login,
    login_with, post_form, proxied_app, session_cookie, set_cookies,
};
use crate::assert::{assert_not_found, assert_redirect, assert_status};
use crate::helpers::{Binary, Spawn, client, html, spawn_app, spawn_with, texts};

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_and_works_once() {
    let app = spawn_app().await;
    let token = users::issue_setup_token(&app.store, hewn::domain::now()).await.unwrap().unwrap();
    let form = |pw: &'static str| {
        vec![
            ("token", token.clone()),
            ("username", "Owner".to_owned()),
            ("display_name", "The Owner".to_owned()),
            ("email", "owner@example.org".to_owned()),
            ("password", pw.to_owned()),
            ("password_again", pw.to_owned()),
        ]
    };

    let without_token = app.get("/admin/setup").await;
    let wrong_token = app.get("/admin/setup?token=0123abcd").await;
    let (page_status, page) = app.get_text(&format!("/admin/setup?token={token}")).await;
    let too_short = app.client.post(app.url("/admin/setup")).form(&form("short")).send().await.unwrap();
    let too_short_status = too_short.status();
    let too_short_page = too_short.text().await.unwrap();
    let users_after_bad_form = users::count(&app.store).await.unwrap();
    let created = app.client.post(app.url("/admin/setup")).form(&form("a long passphrase")).send().await.unwrap();
    let dashboard = app.get("/admin").await;
    let again = app.get(&format!("/admin/setup?token={token}")).await;
    let replay = client().post(app.url("/admin/setup")).form(&form("another passphrase")).send().await.unwrap();

    assert_not_found!(without_token);
    assert_not_found!(wrong_token);
    assert_eq!(page_status, 200);
    assert!(page.contains("data-test=\"setup-form\""));
    assert_eq!(too_short_status, 422);
    assert!(too_short_page.contains("Use at least 8 characters."), "{too_short_page}");
    assert_eq!(input_value(&too_short_page, "username"), "Owner", "the form keeps what was typed");
    assert_eq!(users_after_bad_form, 0);
    let created = assert_redirect!(created, 303, "/admin?notice=welcome");
    assert!(session_cookie(&created).is_some());
    assert_status!(dashboard, 200);
    assert_not_found!(again);
    assert_not_found!(replay);
    assert_eq!(users::count(&app.store).await.unwrap(), 1);
    let user = users::all(&app.store).await.unwrap().remove(0);
    assert_eq!((user.username.as_str(), user.display_name.as_str()), ("owner", "The Owner"));
}

#[tokio::test]
async fn no_setup_link_is_issued_once_an_admin_exists() {
    let app = spawn_app().await;
    let early = users::issue_setup_token(&app.store, hewn::domain::now()).await.unwrap().unwrap();
    create_admin(&app, ADMIN, PASSWORD).await;

    let later = users::issue_setup_token(&app.store, hewn::domain::now()).await.unwrap();
    let status = app.get(&format!("/admin/setup?token={early}")).await.status();

    assert!(later.is_none());
    assert_eq!(status, 404, "an admin exists, so the old link is dead");
}

#[tokio::test]
async fn a_wrong_name_and_a_wrong_password_get_the_same_message() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;

    let wrong_name = login(&app, "nobody", PASSWORD).await;
    let wrong_name_status = wrong_name.status();
    let wrong_name_cookie = session_cookie(&wrong_name);
    let wrong_name_text = texts(&html(&wrong_name.text().await.unwrap()), "[data-test=login-error]");
    let wrong_password = login(&app, ADMIN, "not the password").await;
    let wrong_password_status = wrong_password.status();
    let wrong_password_text = texts(&html(&wrong_password.text().await.unwrap()), "[data-test=login-error]");
    let dashboard = app.get("/admin").await;

    assert_eq!(wrong_name_status, 422);
    assert_eq!(wrong_password_status, 422);
    assert_eq!(wrong_name_text, ["The user name or password is incorrect."]);
    assert_eq!(wrong_name_text, wrong_password_text);
    assert!(wrong_name_cookie.is_none());
    assert_status!(dashboard, 303);
}

#[tokio::test]
async fn login_ignores_case_in_the_name_and_returns_to_the_page_asked_for() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;

    let asked = app.get("/admin/comments?status=spam").await;
    let login_url = location(&asked);
    let page = app.client.get(app.url(&login_url)).send().await.unwrap().text().await.unwrap();
    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("username", "ADMIN"),
            ("password", PASSWORD),
            ("form_token", &input_value(&page, "form_token")),
            ("next", &input_value(&page, "next")),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(login_url, "/admin/login?next=%2Fadmin%2Fcomments%3Fstatus%3Dspam");
    assert_redirect!(r, 303, "/admin/comments?status=spam");
}

#[tokio::test]
async fn a_login_form_without_its_token_is_refused() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;

    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("username", ADMIN), ("password", PASSWORD), ("form_token", "forged")])
        .send()
        .await
        .unwrap();

    let r = assert_status!(r, 403);
    assert!(session_cookie(&r).is_none());
}

#[tokio::test]
async fn login_sets_a_new_http_only_same_site_session_cookie_every_time() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let value = |c: &str| c.split(';').next().unwrap().to_owned();

    let first = login(&app, ADMIN, PASSWORD).await;
    let first_cookie = session_cookie(&first).unwrap();
    let second = login_with(&app, &client(), ADMIN, PASSWORD).await;
    let second_cookie = session_cookie(&second).unwrap();
    let relogin = login_carrying(&app, &value(&first_cookie)).await;
    let relogin_cookie = session_cookie(&relogin).unwrap();
    let old_session = client().get(app.url("/admin")).header("cookie", value(&first_cookie)).send().await.unwrap();

    assert!(first_cookie.starts_with("hewn_session="), "{first_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(first_cookie.contains(attribute), "{attribute} missing: {first_cookie}");
    }
    assert!(!first_cookie.contains("Secure"), "plain http must not set Secure: {first_cookie}");
    assert_ne!(value(&first_cookie), value(&second_cookie));
    assert_ne!(value(&first_cookie), value(&relogin_cookie), "logging in again starts a new session id");
    assert_status!(old_session, 303, "the session replaced at login is ended");
}

/// Logs in with a fresh client that also sends `session` (a `name=value` cookie).
async fn login_carrying(app: &crate::helpers::TestApp, session: &str) -> reqwest::Response {
    let page = client().get(app.url("/admin/login")).send().await.unwrap();
    let token_cookie = set_cookies(&page).into_iter().find(|c| c.starts_with("hewn_login=")).unwrap();
    let token = input_value(&page.text().await.unwrap(), "form_token");
    client()
        .post(app.url("/admin/login"))
        .header("cookie", format!("{session}; {}", token_cookie.split(';').next().unwrap()))
        .form(&[("username", ADMIN), ("password", PASSWORD), ("form_token", &token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_open_session_skips_the_login_form() {
    let app = admin_app().await;

    let r = app.get("/admin/login?next=/admin/posts").await;

    assert_redirect!(r, 303, "/admin/posts");
}

#[tokio::test]
async fn a_session_id_planted_before_login_is_never_adopted() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let planted = "hewn_session=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    let r = login_carrying(&app, planted).await;
    let with_planted = client().get(app.url("/admin")).header("cookie", planted).send().await.unwrap();

    let r = assert_status!(r, 303);
    assert!(!session_cookie(&r).unwrap().starts_with(planted));
    assert_status!(with_planted, 303);
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = admin_app().await;
    let cookie_value = {
        let r = login_with(&app, &client(), ADMIN, PASSWORD).await;
        session_cookie(&r).unwrap().split(';').next().unwrap().to_owned()
    };
    let other = client();

    let before = other.get(app.url("/admin")).header("cookie", &cookie_value).send().await.unwrap();
    let page = other.get(app.url("/admin")).header("cookie", &cookie_value).send().await.unwrap().text().await.unwrap();
    let r = other
        .post(app.url("/admin/logout"))
        .header("cookie", &cookie_value)
        .form(&[("_csrf", input_value(&page, "_csrf"))])
        .send()
        .await
        .unwrap();
    let after = other.get(app.url("/admin")).header("cookie", &cookie_value).send().await.unwrap();
    let first_session_still_in = app.get("/admin").await;

    assert_status!(before, 200);
    let r = assert_redirect!(r, 303, "/admin/login?notice=logged-out");
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("hewn_session=;") && c.contains("Max-Age=0")));
    assert_status!(after, 303, "the old cookie no longer opens the panel");
    assert_status!(first_session_still_in, 200, "other sessions are not affected");
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let cookie = session_cookie(&login(&app, ADMIN, PASSWORD).await).unwrap().split(';').next().unwrap().to_owned();

    let dir = app.stop().await;
    let app = spawn_with(Spawn { dir: Some(dir), ..Spawn::default() }).await;
    let r = client().get(app.url("/admin")).header("cookie", &cookie).send().await.unwrap();

    assert_status!(r, 200);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = admin_app_with_fixed_clock().await;
    let before = app.get("/admin").await;

    app.clock().advance(sessions::IDLE_TIMEOUT + 1);
    let after = app.get("/admin/comments").await;

    assert_status!(before, 200);
    let after = assert_status!(after, 303);
    assert!(location(&after).starts_with("/admin/login"));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_even_when_in_use() {
    let app = admin_app_with_fixed_clock().await;

    // In use every six hours, so it never idles out, until its lifetime is over.
    let step = sessions::IDLE_TIMEOUT / 2;
    let mut while_in_use = Vec::new();
    for _ in 1..sessions::ABSOLUTE_LIFETIME / step {
        app.clock().advance(step);
        while_in_use.push(app.get("/admin").await.status().as_u16());
    }
    app.clock().advance(step + 1);
    let after = app.get("/admin").await;

    assert!(while_in_use.iter().all(|s| *s == 200), "{while_in_use:?}");
    assert_redirect!(after, 303, "/admin/login");
}

/// A login attempt from the client at `ip`, with its own cookie jar.
async fn login_from(app: &crate::helpers::TestApp, ip: &str, name: &str, pw: &str) -> reqwest::Response {
    let c = client();
    let page = c.get(app.url("/admin/login")).header("x-forwarded-for", ip).send().await.unwrap();
    let token = input_value(&page.text().await.unwrap(), "form_token");
    c.post(app.url("/admin/login"))
        .header("x-forwarded-for", ip)
        .form(&[("username", name), ("password", pw), ("form_token", &token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn five_failures_for_a_name_lock_that_client_out_until_the_window_passes() {
    let app = proxied_app().await;
    let attacker = "203.0.113.66";

    let mut failures = Vec::new();
    for _ in 0..5 {
        failures.push(login_from(&app, attacker, ADMIN, "guess").await.status().as_u16());
    }
    let locked = login_from(&app, attacker, ADMIN, PASSWORD).await;
    let locked_status = locked.status();
    let retry_after: i64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let locked_cookie = session_cookie(&locked);
    let bystander = login_from(&app, "198.51.100.20", ADMIN, PASSWORD).await;
    app.clock().advance(sessions::THROTTLE_WINDOW);
    let after_window = login_from(&app, attacker, ADMIN, PASSWORD).await;

    assert_eq!(failures, [422; 5]);
    assert_eq!(locked_status, 429, "even the right password is refused during the lockout");
    assert!((1..=sessions::THROTTLE_WINDOW).contains(&retry_after), "{retry_after}");
    assert!(locked_cookie.is_none());
    assert_status!(bystander, 303, "other clients can still log in");
    assert_status!(after_window, 303);
}

#[tokio::test]
async fn twenty_failures_for_any_names_lock_the_client_out() {
    let app = proxied_app().await;
    let sprayer = "203.0.113.99";

    let mut statuses = Vec::new();
    for i in 0..20 {
        statuses.push(login_from(&app, sprayer, &format!("user{i}"), "guess").await.status().as_u16());
    }
    let locked = login_from(&app, sprayer, ADMIN, PASSWORD).await;
    let elsewhere = login_from(&app, "2001:db8:aa::1", ADMIN, PASSWORD).await;

    assert_eq!(statuses, [422; 20], "no single name reached five failures");
    assert_status!(locked, 429);
    assert_status!(elsewhere, 303);
}

#[tokio::test]
async fn changing_the_password_needs_the_old_one_and_logs_out_other_sessions() {
    let app = admin_app().await;
    let other = client();
    assert_status!(login_with(&app, &other, ADMIN, PASSWORD).await, 303);

    let wrong = post_form(
        &app,
        "/admin/profile/password",
        &[("current_password", "nope"), ("password", "new passphrase"), ("password_again", "new passphrase")],
    )
    .await;
    let wrong_status = wrong.status();
    let wrong_page = wrong.text().await.unwrap();
    let changed = post_form(
        &app,
        "/admin/profile/password",
        &[("current_password", PASSWORD), ("password", "new passphrase"), ("password_again", "new passphrase")],
    )
    .await;
    let this_session = app.get("/admin").await;
    let other_session = other.get(app.url("/admin")).send().await.unwrap();
    let old_password = login_with(&app, &client(), ADMIN, PASSWORD).await;
    let new_password = login_with(&app, &client(), ADMIN, "new passphrase").await;

    assert_eq!(wrong_status, 422);
    assert!(wrong_page.contains("That is not your current password."));
    assert_status!(changed, 303);
    assert_status!(this_session, 200);
    assert_status!(other_session, 303);
    assert_status!(old_password, 422);
    assert_status!(new_password, 303);
}

#[tokio::test]
async fn the_profile_changes_the_name_shown_on_replies() {
    let app = admin_app().await;

    let bad = post_form(&app, "/admin/profile", &[("display_name", "Ann"), ("email", "not-an-email")]).await;
    let ok = post_form(&app, "/admin/profile", &[("display_name", "Ann Author"), ("email", "ann@example.org")]).await;
    let page = app.get("/admin/profile").await.text().await.unwrap();

    assert_status!(bad, 422);
    assert_status!(ok, 303);
    assert_eq!(input_value(&page, "display_name"), "Ann Author");
    assert_eq!(texts(&html(&page), "[data-test=profile-link]"), ["Ann Author"]);
}

/// Runs `hewn` with `args` against `db`, feeding `stdin`; returns exit code and stderr.
fn run_hewn(db: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hewn"))
        .args(args)
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .env("HEWN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test]
async fn hewn_user_add_and_passwd_manage_accounts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");

    let added = run_hewn(
        &db,
        &["user", "add", "Editor", "--email", "ed@example.org", "--password-stdin"],
        "first passphrase\n",
    );
    let duplicate = run_hewn(&db, &["user", "add", "editor", "--password-stdin"], "other passphrase\n");
    let short = run_hewn(&db, &["user", "add", "second", "--password-stdin"], "short\n");
    let no_terminal = run_hewn(&db, &["user", "add", "third"], "");
    let listed = run_hewn(&db, &["user", "list"], "");
    let mut server = Binary::start(&db, &[]).await;
    let base = server.base.clone();
    let app_client = client();
    let try_login = |pw: &'static str| {
        let c = app_client.clone();
        let base = base.clone();
        async move {
            let page = c.get(format!("{base}/admin/login")).send().await.unwrap().text().await.unwrap();
            let token = input_value(&page, "form_token");
            c.post(format!("{base}/admin/login"))
                .form(&[("username", "editor"), ("password", pw), ("form_token", &token)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let before = try_login("first passphrase").await;
    let session_works = app_client.get(format!("{base}/admin")).send().await.unwrap();
    let reset = run_hewn(&db, &["user", "passwd", "editor", "--password-stdin"], "second passphrase\r\n");
    let session_after_reset = app_client.get(format!("{base}/admin")).send().await.unwrap();
    let old = try_login("first passphrase").await;
    let new = try_login("second passphrase").await;
    let missing = run_hewn(&db, &["user", "passwd", "ghost", "--password-stdin"], "whatever long\n");
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10)).await;

    assert_eq!(added.0, 0, "{}", added.1);
    assert_ne!(duplicate.0, 0);
    assert!(duplicate.1.contains("already a user named"), "{}", duplicate.1);
    assert_ne!(short.0, 0);
    assert!(short.1.contains("at least 8 characters"), "{}", short.1);
    assert_ne!(no_terminal.0, 0);
    assert!(no_terminal.1.contains("--password-stdin"), "{}", no_terminal.1);
    assert!(listed.1.contains("editor\tEditor\tadmin"), "{}", listed.1);
    assert!(!server.log().contains("/admin/setup?token="), "an account exists, so no setup link");
    assert_eq!(before, 303);
    assert_status!(session_works, 200);
    assert_eq!(reset.0, 0, "{}", reset.1);
    assert_status!(session_after_reset, 303, "a password reset logs the account out");
    assert_eq!(old, 422);
    assert_eq!(new, 303);
    assert_ne!(missing.0, 0);
}

#[tokio::test]
async fn serve_logs_a_setup_link_that_opens_the_first_admin_form_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Binary::start(&dir.path().join("hewn.db"), &[]).await;
    let log = server.log();
    let link = log.split_whitespace().find(|w| w.contains("/admin/setup?token=")).unwrap().to_owned();
    let token = link.rsplit('=').next().unwrap().to_owned();
    let c = client();

    let page = c.get(&link).send().await.unwrap();
    let created = c
        .post(format!("{}/admin/setup", server.base))
        .form(&[
            ("token", token.as_str()),
            ("username", "me"),
            ("password", "a fine passphrase"),
            ("password_again", "a fine passphrase"),
        ])
        .send()
        .await
        .unwrap()
        .status();
    let dashboard = c.get(format!("{}/admin", server.base)).send().await.unwrap();
    let reused = client().get(&link).send().await.unwrap();

    assert!(link.starts_with(&format!("{}/admin/setup?token=", server.base)), "{link}");
    assert_eq!(token.len(), 64);
    assert_status!(page, 200);
    assert_eq!(created, 303);
    assert_status!(dashboard, 200);
    assert_not_found!(reused);
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hewn.db");
    let (code, out) = run_hewn(&db, &["user", "add", "admin", "--password-stdin"], "https passphrase\n");
    assert_eq!(code, 0, "{out}");
    let server = Binary::start(&db, &["--base-url", "https://blog.example"]).await;
    let c = client();

    let page = c.get(format!("{}/admin/login", server.base)).send().await.unwrap();
    let login_cookie = set_cookies(&page).join(" | ");
    let token = input_value(&page.text().await.unwrap(), "form_token");
    let cookie_header = login_cookie.split(';').next().unwrap().to_owned();
    let r = c
        .post(format!("{}/admin/login", server.base))
        .header("cookie", cookie_header)
        .form(&[("username", "admin"), ("password", "https passphrase"), ("form_token", &token)])
        .send()
        .await
        .unwrap();
    let session = set_cookies(&r).into_iter().find(|c| c.starts_with("__Host-hewn_session=")).unwrap_or_default();

    assert!(login_cookie.starts_with("__Host-hewn_login="), "{login_cookie}");
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    assert_status!(r, 303);
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(session.contains(attribute), "{attribute} missing: {session}");
    }
    assert!(!session.contains("Domain="), "{session}");
}

#[tokio::test]
async fn the_csrf_token_is_tied_to_the_session() {
    let app = admin_app().await;
    let first = csrf(&app).await;
    let other = client();
    login_with(&app, &other, ADMIN, PASSWORD).await;
    let page = other.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();

    let second = input_value(&page, "_csrf");
    let cross = other.post(app.url("/admin/logout")).form(&[("_csrf", first.as_str())]).send().await.unwrap();

    assert_eq!(first.len(), 64);
    assert_ne!(first, second);
    assert_status!(cross, 403, "one session's token does not work for another");
}

#[tokio::test]
async fn a_login_form_opened_twice_still_works() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;

    let first = app.get("/admin/login").await.text().await.unwrap();
    let second = app.get("/admin/login").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("username", ADMIN), ("password", PASSWORD), ("form_token", &input_value(&first, "form_token"))])
        .send()
        .await
        .unwrap();

    assert_eq!(input_value(&first, "form_token"), input_value(&second, "form_token"));
    assert_status!(r, 303);
}

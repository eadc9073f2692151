//! Login under attack: the per-account limit against guessing from many addresses,
//! the device cookie that keeps the owner's browser out of it, and login forms that
//! are refused before any password is hashed.

use hewn::store::sessions;

use super::support::{ADMIN, PASSWORD, input_value, proxied_app, run_sql, set_cookies};
use crate::assert::assert_status;
use crate::helpers::{TestApp, client};

/// A login attempt from `ip` with the browser `c` (its cookie jar comes along).
async fn attempt(app: &TestApp, c: &reqwest::Client, ip: &str, name: &str, pw: &str) -> reqwest::Response {
    let page = c.get(app.url("/admin/login")).header("x-forwarded-for", ip).send().await.unwrap();
    let token = input_value(&page.text().await.unwrap(), "form_token");
    c.post(app.url("/admin/login"))
        .header("x-forwarded-for", ip)
        .form(&[("username", name), ("password", pw), ("form_token", &token)])
        .send()
        .await
        .unwrap()
}

/// The owner's browser after an earlier login, its session since ended.
async fn owners_browser(app: &TestApp) -> (reqwest::Client, String) {
    let browser = client();
    let first = attempt(app, &browser, "192.0.2.10", ADMIN, PASSWORD).await;
    let first = assert_status!(first, 303);
    let device = set_cookies(&first).into_iter().find(|c| c.starts_with("hewn_device=")).unwrap_or_default();
    run_sql(app, "delete from sessions").await;
    (browser, device)
}

async fn failures_stored(app: &TestApp) -> i64 {
    app.db().await.scalar("select count(*) from login_failures", &[]).await
}

#[tokio::test]
async fn thirty_guesses_from_thirty_addresses_lock_the_account_but_not_its_owners_browser() {
    let app = proxied_app().await;
    let (owner, device_cookie) = owners_browser(&app).await;

    let mut guesses = Vec::new();
    let mut retry_after = String::new();
    let mut locked_page = String::new();
    for i in 1..=30 {
        let r = attempt(&app, &client(), &format!("203.0.113.{i}"), ADMIN, &format!("guess {i}")).await;
        guesses.push(r.status().as_u16());
        if r.status() == 429 {
            retry_after = r.headers()["retry-after"].to_str().unwrap().to_owned();
            locked_page = r.text().await.unwrap();
        }
    }
    let owner_again = attempt(&app, &owner, "198.51.100.7", ADMIN, PASSWORD).await;
    let new_browser = attempt(&app, &client(), "198.51.100.8", ADMIN, PASSWORD).await;
    let forged = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let forged_login = {
        let page = forged.get(app.url("/admin/login")).send().await.unwrap();
        let token = input_value(&page.text().await.unwrap(), "form_token");
        let fake = format!("hewn_device={}.{}.{}", app.clock().now() + 1000, "ab".repeat(16), "cd".repeat(16));
        forged
            .post(app.url("/admin/login"))
            .header("x-forwarded-for", "198.51.100.9")
            .header("cookie", format!("hewn_login={token}; {fake}"))
            .form(&[("username", ADMIN), ("password", PASSWORD), ("form_token", &token)])
            .send()
            .await
            .unwrap()
            .status()
    };
    app.clock().advance(sessions::THROTTLE_WINDOW);
    let after_window = attempt(&app, &client(), "198.51.100.8", ADMIN, PASSWORD).await;

    let limit = sessions::MAX_FAILURES_PER_ACCOUNT as usize;
    assert_eq!(guesses[..limit], vec![422; limit], "{guesses:?}");
    assert_eq!(guesses[limit..], vec![429; 30 - limit], "{guesses:?}");
    let retry_after: i64 = retry_after.parse().unwrap();
    assert!((1..=sessions::THROTTLE_WINDOW).contains(&retry_after), "{retry_after}");
    assert!(locked_page.contains("Too many failed logins for this account"), "{locked_page}");
    assert!(device_cookie.contains("HttpOnly") && device_cookie.contains("SameSite=Lax"), "{device_cookie}");
    assert!(device_cookie.contains("Max-Age=15552000"), "{device_cookie}");
    assert_status!(owner_again, 303, "the owner's browser still logs in");
    assert_status!(new_browser, 429, "an unknown browser waits, even with the right password");
    assert_eq!(forged_login, 429, "a forged device cookie counts for nothing");
    assert_status!(after_window, 303);
}

#[tokio::test]
async fn names_that_do_not_exist_are_limited_alike() {
    let app = proxied_app().await;

    let mut statuses = Vec::new();
    for i in 1..=sessions::MAX_FAILURES_PER_ACCOUNT + 1 {
        statuses.push(attempt(&app, &client(), &format!("203.0.113.{i}"), "nobody", "guess").await.status().as_u16());
    }

    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[tokio::test]
async fn a_device_cookie_that_keeps_failing_no_longer_gets_past_the_limit() {
    let app = proxied_app().await;
    let (owner, _) = owners_browser(&app).await;
    for i in 1..=sessions::MAX_FAILURES_PER_ACCOUNT {
        attempt(&app, &client(), &format!("203.0.113.{i}"), ADMIN, "guess").await;
    }

    let mut with_cookie = Vec::new();
    for i in 1..=sessions::MAX_FAILURES_PER_DEVICE {
        with_cookie.push(attempt(&app, &owner, &format!("198.51.100.{i}"), ADMIN, "typo").await.status().as_u16());
    }
    let then = attempt(&app, &owner, "198.51.100.99", ADMIN, PASSWORD).await;

    assert!(with_cookie.iter().all(|s| *s == 422), "the device got past the account limit: {with_cookie:?}");
    assert_status!(then, 429);
}

#[tokio::test]
async fn login_forms_with_invalid_utf8_or_huge_passwords_are_refused_without_a_guess_counted() {
    let app = proxied_app().await;
    let c = client();
    let page = c.get(app.url("/admin/login")).send().await.unwrap();
    let token = input_value(&page.text().await.unwrap(), "form_token");
    let raw = |password: String| {
        c.post(app.url("/admin/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username=admin&form_token={token}&password={password}"))
            .send()
    };

    let invalid = raw("%FF%FEabc".to_owned()).await.unwrap();
    let invalid_status = invalid.status();
    let invalid_page = invalid.text().await.unwrap();
    let huge = raw("a".repeat(1024 * 1024)).await.unwrap();
    let long = raw("a".repeat(2000)).await.unwrap();
    let long_status = long.status();
    let long_page = long.text().await.unwrap();
    let stored = failures_stored(&app).await;
    let right = raw(PASSWORD.replace(' ', "+")).await.unwrap();

    assert_eq!(invalid_status, 400);
    assert!(invalid_page.contains("not valid UTF-8"), "{invalid_page}");
    assert_status!(huge, 413);
    assert_eq!(long_status, 400);
    assert!(long_page.contains("longer than any password"), "{long_page}");
    assert_eq!(stored, 0, "refused forms are not guesses");
    assert_status!(right, 303);
}

//! Logging in and out, the first admin's setup link, and the admin's own profile.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{
    CurrentAdmin, Form, device_cookie_name, layout, login_cookie_name, safe_next, session_cookie_name, with_notice,
    with_status,
};
use crate::app::AppState;
use crate::domain::FieldErrors;
use crate::domain::form_body::{self, BodyError};
use crate::domain::password::{self, Verified};
use crate::domain::signing::{DEVICE_COOKIE_SECONDS, DevicePass, Secret};
use crate::domain::{accounts, random_token, secret};
use crate::error::AppError;
use crate::routes::cookies;
use crate::routes::extract::{ClientIp, Query, unreadable_body};
use crate::routes::see_other;
use crate::store::{self, sessions, users};
use crate::views::admin::AdminLayout;
use crate::views::admin::auth::{AccountForm, LoginPage, ProfilePage, SetupPage};
use crate::views::render;

/// The one message for a wrong name or a wrong password, so that a failed login
/// does not tell whether the account exists.
pub const BAD_LOGIN: &str = "The user name or password is incorrect.";

/// Bytes of randomness in the login form's token.
const LOGIN_TOKEN_BYTES: usize = 16;
/// Bytes of randomness in a device cookie's nonce.
const DEVICE_NONCE_BYTES: usize = 16;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    notice: Option<String>,
}

#[derive(Debug, Default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
    form_token: String,
}

/// `GET /admin/login`.
pub async fn show_login(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(&q.next).to_owned();
    if let Some(value) = cookies::get(&headers, session_cookie_name(&app.config))
        && store::sessions::find(&app.store, value, app.now()).await?.is_some()
    {
        return Ok(see_other(&next));
    }
    let page = LoginView { username: String::new(), next, error: String::new(), notice: q.notice };
    login_page(&app, &headers, StatusCode::OK, page).await
}

/// What the login form shows.
struct LoginView {
    username: String,
    next: String,
    error: String,
    notice: Option<String>,
}

/// Renders the login form with its form token, also set in a cookie. A token the
/// browser already holds is kept, so that two open login tabs both work.
async fn login_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    view: LoginView,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let layout = AdminLayout::new(&settings, "Log in", "login", None, 0).with_notice(view.notice.as_deref(), None);
    let form_token = cookies::get(headers, login_cookie_name(&app.config))
        .map(str::to_owned)
        .filter(|t| t.len() == LOGIN_TOKEN_BYTES * 2 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| random_token(LOGIN_TOKEN_BYTES));
    let page = LoginPage {
        layout,
        username: view.username,
        next: view.next,
        form_token: form_token.clone(),
        error: view.error,
    };
    let html = render(&page)?;
    let mut response = with_status(status, html);
    cookies::set(&mut response, login_cookie_name(&app.config), &form_token, None, app.config.is_https());
    Ok(response)
}

/// The key login failures are counted under: the IPv4 address, or the /64 network
/// of an IPv6 address (one subscriber usually holds a whole /64).
pub fn throttle_client(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Largest login form accepted: a password of [`password::MAX_PASSWORD_CHARS`]
/// characters of four bytes each, percent-encoded, with the other fields.
pub const LOGIN_BODY_LIMIT: usize = 32 * 1024;

/// The fields of the login form.
const LOGIN_FIELDS: &[&str] = &["username", "password", "next", "form_token"];

/// `POST /admin/login`: throttled per client and per account (a browser with a device
/// cookie for the account gets past the latter), one message for every bad login, a
/// new session id on success. A form that is not valid UTF-8, or a password longer
/// than any hewn accepts, is refused without hashing anything.
pub async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = read_login_form(&headers, body)?;
    let next = safe_next(&form.next).to_owned();
    let expected = cookies::get(&headers, login_cookie_name(&app.config)).unwrap_or_default();
    if expected.is_empty() || !secret::constant_time_eq(expected, &form.form_token) {
        let error = "The login form expired or came from another site. Please log in again.".to_owned();
        let view = LoginView { username: form.username, next, error, notice: None };
        return login_page(&app, &headers, StatusCode::FORBIDDEN, view).await;
    }
    if password::is_longer_than_any(&form.password) {
        return Err(AppError::BadRequest(format!(
            "That password is longer than any password this site accepts ({} characters at most).",
            password::MAX_PASSWORD_CHARS
        )));
    }
    let client = throttle_client(ip);
    let name: String = form.username.trim().to_lowercase().chars().take(accounts::MAX_USERNAME_CHARS).collect();
    let now = app.now();
    if let Some(retry_after) = sessions::lockout(&app.store, &client, &name, now).await? {
        let error = format!("Too many failed logins from your network. Try again in {}.", minutes(retry_after));
        return too_many(&app, &headers, LoginView { username: form.username, next, error, notice: None }, retry_after)
            .await;
    }
    let secret = app.secret().await?;
    let device = trusted_device(&app, &headers, &secret, &name, now).await?;
    if device.is_none()
        && let Some(retry_after) = sessions::account_lockout(&app.store, &name, now).await?
    {
        let error = format!(
            "Too many failed logins for this account. For the next {}, it can be logged in to only from a \
             browser that has logged in to it before.",
            minutes(retry_after)
        );
        return too_many(&app, &headers, LoginView { username: form.username, next, error, notice: None }, retry_after)
            .await;
    }
    let credentials = users::credentials(&app.store, &name).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = password::verify_blocking(form.password.clone(), stored).await?;
    let user_id = match (verified, credentials) {
        (Verified::Yes | Verified::YesRehash, Some(c)) => c.id,
        _ => {
            sessions::record_failure(&app.store, &client, &name, device.as_deref(), now).await?;
            tracing::info!(known_device = device.is_some(), "failed login");
            let view = LoginView { username: form.username, next, error: BAD_LOGIN.to_owned(), notice: None };
            return login_page(&app, &headers, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
    };
    if verified == Verified::YesRehash {
        let hash = password::hash_blocking(form.password).await?;
        users::set_password(&app.store, user_id, &hash, false).await?;
    }
    sessions::clear_failures(&app.store, &client, &name).await?;
    // A session that came with the request is ended: login always starts a new one.
    if let Some(old) = cookies::get(&headers, session_cookie_name(&app.config)) {
        sessions::delete(&app.store, &secret::hash_token(old)).await?;
    }
    start_session(&app, user_id, &name, &next).await
}

/// Reads the login form strictly: UTF-8, each field once, within [`LOGIN_BODY_LIMIT`].
fn read_login_form(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<LoginForm, AppError> {
    let body = body.map_err(unreadable_body)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let fields = form_body::parse(content_type, &body, LOGIN_FIELDS).map_err(|e| match e {
        BodyError::UnsupportedMediaType => AppError::UnsupportedMediaType(e.to_string()),
        other => AppError::BadRequest(other.to_string()),
    })?;
    Ok(LoginForm {
        username: fields.text("username").to_owned(),
        password: fields.text("password").to_owned(),
        next: fields.text("next").to_owned(),
        form_token: fields.text("form_token").to_owned(),
    })
}

/// The nonce of the request's device cookie when it is valid for `name` and has not
/// failed too often; `None` otherwise.
async fn trusted_device(
    app: &AppState,
    headers: &HeaderMap,
    secret: &Secret,
    name: &str,
    now: i64,
) -> Result<Option<String>, AppError> {
    let Some(pass) = cookies::get(headers, device_cookie_name(&app.config))
        .and_then(DevicePass::from_cookie_value)
        .filter(|p| p.verify(secret, name, now))
    else {
        return Ok(None);
    };
    if sessions::device_locked(&app.store, name, &pass.nonce, now).await? {
        return Ok(None);
    }
    Ok(Some(pass.nonce))
}

/// `N minutes` for a wait in seconds, rounded up.
fn minutes(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

/// The login form again with 429 and `Retry-After`.
async fn too_many(
    app: &AppState,
    headers: &HeaderMap,
    view: LoginView,
    retry_after: i64,
) -> Result<Response, AppError> {
    let mut response = login_page(app, headers, StatusCode::TOO_MANY_REQUESTS, view).await?;
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    Ok(response)
}

/// Starts a session and answers with a redirect carrying its cookie, and a new
/// device cookie for `username` (see [`DevicePass`]).
async fn start_session(app: &AppState, user_id: i64, username: &str, to: &str) -> Result<Response, AppError> {
    let session = sessions::create(&app.store, user_id, app.now()).await?;
    let mut response = see_other(to);
    let max_age = Some(sessions::ABSOLUTE_LIFETIME);
    cookies::set(
        &mut response,
        session_cookie_name(&app.config),
        &session.cookie_value,
        max_age,
        app.config.is_https(),
    );
    cookies::clear(&mut response, login_cookie_name(&app.config), app.config.is_https());
    let secret = app.secret().await?;
    let device =
        DevicePass::sign(&secret, username, random_token(DEVICE_NONCE_BYTES), app.now() + DEVICE_COOKIE_SECONDS);
    cookies::set(
        &mut response,
        device_cookie_name(&app.config),
        &device.cookie_value(),
        Some(DEVICE_COOKIE_SECONDS),
        app.config.is_https(),
    );
    tracing::info!(user_id, "logged in");
    Ok(response)
}

/// `POST /admin/logout`.
pub async fn logout(State(app): State<AppState>, admin: CurrentAdmin) -> Result<Response, AppError> {
    sessions::delete(&app.store, &admin.0.id_hash).await?;
    let mut response = see_other("/admin/login?notice=logged-out");
    cookies::clear(&mut response, session_cookie_name(&app.config), app.config.is_https());
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    token: String,
    username: String,
    display_name: String,
    email: String,
    password: String,
    password_again: String,
}

/// `GET /admin/setup?token=...`: the form that creates the first admin. Without a
/// live token, or once an admin exists, there is nothing here.
pub async fn show_setup(State(app): State<AppState>, Query(q): Query<SetupQuery>) -> Result<Response, AppError> {
    if !users::setup_token_is_valid(&app.store, &q.token).await? {
        return Err(AppError::NotFound);
    }
    setup_page(&app, StatusCode::OK, q.token, AccountForm::default(), FieldErrors::default()).await
}

async fn setup_page(
    app: &AppState,
    status: StatusCode,
    token: String,
    mut form: AccountForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let layout = AdminLayout::new(&settings, "Create the admin account", "setup", None, 0);
    form.password.clear();
    form.password_again.clear();
    Ok(with_status(status, render(&SetupPage { layout, token, form, errors })?))
}

/// `POST /admin/setup`: creates the first admin, uses up the link, and logs in.
pub async fn setup(State(app): State<AppState>, Form(form): Form<SetupForm>) -> Result<Response, AppError> {
    if !users::setup_token_is_valid(&app.store, &form.token).await? {
        return Err(AppError::NotFound);
    }
    let account = AccountForm {
        username: form.username,
        display_name: form.display_name,
        email: form.email,
        password: form.password,
        password_again: form.password_again,
    };
    let (valid, errors) = validate_account(&account);
    let Some((username, display_name, email)) = valid else {
        return setup_page(&app, StatusCode::UNPROCESSABLE_ENTITY, form.token, account, errors).await;
    };
    let hash = password::hash_blocking(account.password.clone()).await?;
    let new = users::NewUser {
        username: &username,
        display_name: &display_name,
        email: &email,
        password_hash: &hash,
        now: app.now(),
    };
    match users::create_first(&app.store, &form.token, &new).await? {
        users::Created::Yes(id) => {
            tracing::info!(user_id = id, "created the first admin through the setup link");
            start_session(&app, id, &username, "/admin?notice=welcome").await
        }
        users::Created::NameTaken | users::Created::SetupClosed => Err(AppError::NotFound),
    }
}

/// Checks a new account's fields: the normalised name, display name and email, or
/// the errors per field.
pub fn validate_account(form: &AccountForm) -> (Option<(String, String, String)>, FieldErrors) {
    let mut errors = FieldErrors::default();
    let username = accounts::username(&form.username).map_err(|e| errors.add("username", e)).ok();
    let display_name = accounts::display_name(&form.display_name, username.as_deref().unwrap_or(""))
        .map_err(|e| errors.add("display_name", e))
        .ok();
    let email = accounts::email(&form.email).map_err(|e| errors.add("email", e)).ok();
    if let Err(e) = password::check_new(&form.password) {
        errors.add("password", e);
    } else if form.password != form.password_again {
        errors.add("password_again", "The two passwords differ.");
    }
    match (username, display_name, email) {
        (Some(u), Some(d), Some(e)) if errors.is_empty() => (Some((u, d, e)), errors),
        _ => (None, errors),
    }
}

/// `GET /admin/profile`.
pub async fn show_profile(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let s = &admin.0;
    let page = ProfilePage {
        layout: layout(&app, &admin, "Your profile", "profile").await?.with_notice(q.notice.as_deref(), None),
        username: s.username.clone(),
        display_name: s.display_name.clone(),
        email: s.email.clone(),
        errors: FieldErrors::default(),
        sessions: sessions::count_for_user(&app.store, s.user_id, app.now()).await?,
    };
    Ok(render(&page)?.into_response())
}

/// `?notice=` (and `&n=`) after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
    pub n: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    display_name: String,
    email: String,
}

/// `POST /admin/profile`: display name and email.
pub async fn update_profile(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let s = &admin.0;
    let display_name =
        accounts::display_name(&form.display_name, &s.username).map_err(|e| errors.add("display_name", e));
    let email = accounts::email(&form.email).map_err(|e| errors.add("email", e));
    match (display_name, email) {
        (Ok(d), Ok(e)) => {
            users::update_profile(&app.store, s.user_id, &d, &e).await?;
            Ok(see_other("/admin/profile?notice=profile-saved"))
        }
        _ => profile_again(&app, &admin, form.display_name, form.email, errors).await,
    }
}

async fn profile_again(
    app: &AppState,
    admin: &CurrentAdmin,
    display_name: String,
    email: String,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let page = ProfilePage {
        layout: layout(app, admin, "Your profile", "profile").await?,
        username: admin.0.username.clone(),
        display_name,
        email,
        errors,
        sessions: sessions::count_for_user(&app.store, admin.0.user_id, app.now()).await?,
    };
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    password_again: String,
}

/// `POST /admin/profile/password`: needs the current password; logs out every
/// other session of the account.
pub async fn change_password(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let s = &admin.0;
    let mut errors = FieldErrors::default();
    let stored = users::password_hash(&app.store, s.user_id).await?;
    if password::verify_blocking(form.current_password, stored).await? == Verified::No {
        errors.add("current_password", "That is not your current password.");
    }
    if let Err(e) = password::check_new(&form.password) {
        errors.add("password", e);
    } else if form.password != form.password_again {
        errors.add("password_again", "The two passwords differ.");
    }
    if !errors.is_empty() {
        return profile_again(&app, &admin, s.display_name.clone(), s.email.clone(), errors).await;
    }
    let hash = password::hash_blocking(form.password).await?;
    users::set_password(&app.store, s.user_id, &hash, false).await?;
    sessions::delete_others(&app.store, s.user_id, &s.id_hash).await?;
    Ok(see_other(&with_notice("/admin/profile", "password-changed", None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() -> anyhow::Result<()> {
        assert_eq!(throttle_client("203.0.113.9".parse()?), "203.0.113.9");
        assert_eq!(throttle_client("2001:db8:1:2:aaaa::1".parse()?), "2001:db8:1:2::/64");
        assert_eq!(throttle_client("2001:db8:1:2:bbbb::9".parse()?), "2001:db8:1:2::/64");
        Ok(())
    }

    #[test]
    fn accounts_need_a_name_and_matching_passwords() {
        let form = AccountForm {
            username: "Alice".into(),
            password: "long enough".into(),
            password_again: "long enougH".into(),
            ..Default::default()
        };
        let (valid, errors) = validate_account(&form);
        assert!(valid.is_none());
        assert_eq!(errors.get("password_again"), "The two passwords differ.");
        let (valid, _) = validate_account(&AccountForm { password_again: "long enough".into(), ..form });
        assert_eq!(valid, Some(("alice".to_owned(), "alice".to_owned(), String::new())));
    }
}

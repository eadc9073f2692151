//! Login sessions and login throttling, both in the database so that they survive
//! restarts and hold across several instances.
//!
//! A session's cookie value is random; only its SHA-256 is stored. A session ends
//! after [`IDLE_TIMEOUT`] without a request, or [`ABSOLUTE_LIFETIME`] after login,
//! whichever comes first.

use sqlx::FromRow;

use super::{Result, Store};
use crate::domain::{random_token, secret};
use crate::with_db;

/// A session unused this long has ended.
pub const IDLE_TIMEOUT: i64 = 12 * 60 * 60;
/// No session lasts longer than this after its login.
pub const ABSOLUTE_LIFETIME: i64 = 7 * 24 * 60 * 60;
/// `last_seen_at` is refreshed at most this often, to keep reads from writing.
pub const TOUCH_INTERVAL: i64 = 60;
/// Bytes of randomness in a session id and in a CSRF token.
const TOKEN_BYTES: usize = 32;

/// The login throttle's window.
pub const THROTTLE_WINDOW: i64 = 15 * 60;
/// Failed logins for one name from one client that lock that client out.
pub const MAX_FAILURES_PER_NAME: i64 = 5;
/// Failed logins for any names from one client that lock that client out.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;
/// Failed logins for one name, from all clients without a device cookie for it, that
/// make the name refuse such clients (browsers with a device cookie still get in).
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
/// Failed logins for one name with one device cookie that make the cookie count for nothing.
pub const MAX_FAILURES_PER_DEVICE: i64 = 5;

/// A live session and its user.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
}

/// A session just created: the cookie value (never stored) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
}

/// Starts a session for `user_id` with a fresh random id, and clears out sessions
/// that have ended.
pub async fn create(store: &Store, user_id: i64, now: i64) -> Result<NewSession> {
    let cookie_value = random_token(TOKEN_BYTES);
    let csrf_token = random_token(TOKEN_BYTES);
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("delete from sessions where last_seen_at <= $1 or created_at <= $2")
        .bind(now - IDLE_TIMEOUT)
        .bind(now - ABSOLUTE_LIFETIME)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) values ($1, $2, $3, $4, $4)",
    )
    .bind(secret::hash_token(&cookie_value))
    .bind(user_id)
    .bind(&csrf_token)
    .bind(now)
    .execute(cx)
    .await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(NewSession { cookie_value, csrf_token })
}

/// The live session a cookie value names, if any.
pub async fn find(store: &Store, cookie_value: &str, now: i64) -> Result<Option<Session>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Session>(
        "select s.id_hash, s.csrf_token, s.created_at, s.last_seen_at, \
           u.id as user_id, u.username, u.display_name, u.email \
         from sessions s join users u on u.id = s.user_id \
         where s.id_hash = $1 and s.last_seen_at > $2 and s.created_at > $3",
    )
    .bind(secret::hash_token(cookie_value))
    .bind(now - IDLE_TIMEOUT)
    .bind(now - ABSOLUTE_LIFETIME)
    .fetch_optional(db)
    .await)
}

/// Records that a session was used now (the idle timeout counts from here).
pub async fn touch(store: &Store, id_hash: &str, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("update sessions set last_seen_at = $1 where id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Ends a session.
pub async fn delete(store: &Store, id_hash: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("delete from sessions where id_hash = $1").bind(id_hash).execute(cx).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Ends every session of a user but `keep` (e.g. after a password change).
pub async fn delete_others(store: &Store, user_id: i64, keep: &str) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let n = with_db!(tx.conn(), cx => sqlx::query("delete from sessions where user_id = $1 and id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

/// How many live sessions a user has.
pub async fn count_for_user(store: &Store, user_id: i64, now: i64) -> Result<i64> {
    with_db!(store.reader(), db => sqlx::query_scalar("select count(*) from sessions where user_id = $1 and last_seen_at > $2 and created_at > $3")
        .bind(user_id)
        .bind(now - IDLE_TIMEOUT)
        .bind(now - ABSOLUTE_LIFETIME)
        .fetch_one(db)
        .await)
}

/// When `client` is locked out of logging in as `username`, the seconds until it
/// may try again: the window must pass over the failure that completed the count.
pub async fn lockout(store: &Store, client: &str, username: &str, now: i64) -> Result<Option<i64>> {
    let since = now - THROTTLE_WINDOW;
    let per_name: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
        "select failed_at from login_failures where client = $1 and username = $2 and failed_at > $3 \
         order by failed_at desc limit 1 offset $4",
    )
    .bind(client)
    .bind(username)
    .bind(since)
    .bind(MAX_FAILURES_PER_NAME - 1)
    .fetch_optional(db)
    .await)?;
    let per_client: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
        "select failed_at from login_failures where client = $1 and failed_at > $2 \
         order by failed_at desc limit 1 offset $3",
    )
    .bind(client)
    .bind(since)
    .bind(MAX_FAILURES_PER_CLIENT - 1)
    .fetch_optional(db)
    .await)?;
    Ok(retry_after([per_name, per_client], now))
}

/// The seconds until the window has passed over the latest of `completing` failures.
fn retry_after(completing: impl IntoIterator<Item = Option<i64>>, now: i64) -> Option<i64> {
    let until = completing.into_iter().flatten().map(|t| t + THROTTLE_WINDOW).max();
    until.map(|u| (u - now).max(1))
}

/// When `username` refuses clients without a device cookie for it (too many failures
/// for the name from all of them), the seconds until it takes them again.
pub async fn account_lockout(store: &Store, username: &str, now: i64) -> Result<Option<i64>> {
    let completing: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
        "select failed_at from login_failures where username = $1 and device is null and failed_at > $2 \
         order by failed_at desc limit 1 offset $3",
    )
    .bind(username)
    .bind(now - THROTTLE_WINDOW)
    .bind(MAX_FAILURES_PER_ACCOUNT - 1)
    .fetch_optional(db)
    .await)?;
    Ok(retry_after([completing], now))
}

/// True when the device cookie `device` has failed too often for `username` to let
/// its browser past [`account_lockout`].
pub async fn device_locked(store: &Store, username: &str, device: &str, now: i64) -> Result<bool> {
    let failures: i64 = with_db!(store.reader(), db => sqlx::query_scalar(
        "select count(*) from login_failures where username = $1 and device = $2 and failed_at > $3",
    )
    .bind(username)
    .bind(device)
    .bind(now - THROTTLE_WINDOW)
    .fetch_one(db)
    .await)?;
    Ok(failures >= MAX_FAILURES_PER_DEVICE)
}

/// Records a failed login (`device`: the nonce of the valid device cookie it came
/// with, if any), and forgets failures older than the window.
pub async fn record_failure(store: &Store, client: &str, username: &str, device: Option<&str>, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("delete from login_failures where failed_at <= $1")
        .bind(now - THROTTLE_WINDOW)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    with_db!(tx.conn(), cx => sqlx::query("insert into login_failures (client, username, device, failed_at) values ($1, $2, $3, $4)")
        .bind(client)
        .bind(username)
        .bind(device)
        .bind(now)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Forgets a client's failures for a name after it logged in as that name.
pub async fn clear_failures(store: &Store, client: &str, username: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("delete from login_failures where client = $1 and username = $2")
        .bind(client)
        .bind(username)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

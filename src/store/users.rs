//! Users (the admins who log in) and the one-time links that create the first one.

use sqlx::FromRow;

use super::db::Conn;
use super::{Result, Store};
use crate::domain::{random_token, secret};
use crate::with_db;

/// A user as the panel shows it (admin-only: it has the email address).
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

/// What a login needs: the user and their password hash.
#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
}

/// A user to create; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub now: i64,
}

/// Whether a user was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Yes(i64),
    /// The name is taken.
    NameTaken,
    /// The setup link is unknown, used, or no longer needed (a user exists).
    SetupClosed,
}

/// Bytes of randomness in a setup link's token.
const SETUP_TOKEN_BYTES: usize = 32;

/// How many users exist.
pub async fn count(store: &Store) -> Result<i64> {
    with_db!(store.reader(), db => sqlx::query_scalar("select count(*) from users").fetch_one(db).await)
}

/// Every user, by name.
pub async fn all(store: &Store) -> Result<Vec<User>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, User>("select id, username, display_name, email, role, created_at from users order by username")
        .fetch_all(db)
        .await)
}

/// A user by id.
pub async fn by_id(store: &Store, id: i64) -> Result<Option<User>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, User>("select id, username, display_name, email, role, created_at from users where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await)
}

/// The credentials of the user with this (normalised) name.
pub async fn credentials(store: &Store, username: &str) -> Result<Option<Credentials>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, Credentials>("select id, password_hash from users where lower(username) = lower($1)")
        .bind(username)
        .fetch_optional(db)
        .await)
}

/// The password hash of a user by id.
pub async fn password_hash(store: &Store, id: i64) -> Result<Option<String>> {
    with_db!(store.reader(), db => sqlx::query_scalar("select password_hash from users where id = $1").bind(id).fetch_optional(db).await)
}

async fn insert_in(mut conn: Conn<'_>, user: &NewUser<'_>) -> Result<Created> {
    let taken: Option<i64> = with_db!(conn.reborrow(), cx => sqlx::query_scalar("select id from users where lower(username) = lower($1)")
        .bind(user.username)
        .fetch_optional(cx)
        .await)?;
    if taken.is_some() {
        return Ok(Created::NameTaken);
    }
    let id = with_db!(conn.reborrow(), cx => sqlx::query_scalar(
        "insert into users (username, display_name, email, password_hash, role, created_at) \
         values ($1, $2, $3, $4, 'admin', $5) returning id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.email)
    .bind(user.password_hash)
    .bind(user.now)
    .fetch_one(cx)
    .await)?;
    // Setup links exist only while there is no user.
    with_db!(conn.reborrow(), cx => sqlx::query("delete from setup_tokens").execute(cx).await.map(|r| r.rows_affected()))?;
    Ok(Created::Yes(id))
}

/// Creates an admin (from the command line).
pub async fn create(store: &Store, user: &NewUser<'_>) -> Result<Created> {
    let mut tx = store.begin_write().await?;
    let created = insert_in(tx.conn(), user).await?;
    tx.commit().await?;
    Ok(created)
}

/// Creates the first admin through a setup link, using up the link. Fails (changing
/// nothing) when the token is unknown or a user already exists.
pub async fn create_first(store: &Store, token: &str, user: &NewUser<'_>) -> Result<Created> {
    let mut tx = store.begin_write().await?;
    let users: i64 = with_db!(tx.conn(), cx => sqlx::query_scalar("select count(*) from users").fetch_one(cx).await)?;
    let used = with_db!(tx.conn(), cx => sqlx::query("delete from setup_tokens where token_hash = $1")
        .bind(secret::hash_token(token))
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    if users > 0 || used != 1 {
        return Ok(Created::SetupClosed);
    }
    let created = insert_in(tx.conn(), user).await?;
    if matches!(created, Created::Yes(_)) {
        tx.commit().await?;
    }
    Ok(created)
}

/// Replaces a user's password hash. With `sign_out`, also ends all their sessions.
pub async fn set_password(store: &Store, id: i64, password_hash: &str, sign_out: bool) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query("update users set password_hash = $1 where id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?
        == 1;
    if sign_out {
        with_db!(tx.conn(), cx => sqlx::query("delete from sessions where user_id = $1").bind(id).execute(cx).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Changes a user's display name and email address.
pub async fn update_profile(store: &Store, id: i64, display_name: &str, email: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("update users set display_name = $1, email = $2 where id = $3")
        .bind(display_name)
        .bind(email)
        .bind(id)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// When no user exists, stores a new setup token and returns it (for the link the
/// server logs). Returns `None` once a user exists.
pub async fn issue_setup_token(store: &Store, now: i64) -> Result<Option<String>> {
    let mut tx = store.begin_write().await?;
    let users: i64 = with_db!(tx.conn(), cx => sqlx::query_scalar("select count(*) from users").fetch_one(cx).await)?;
    if users > 0 {
        return Ok(None);
    }
    let token = random_token(SETUP_TOKEN_BYTES);
    with_db!(tx.conn(), cx => sqlx::query("insert into setup_tokens (token_hash, created_at) values ($1, $2)")
        .bind(secret::hash_token(&token))
        .bind(now)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some(token))
}

/// True when `token` is a live setup link: it was issued and no user exists yet.
pub async fn setup_token_is_valid(store: &Store, token: &str) -> Result<bool> {
    if token.is_empty() {
        return Ok(false);
    }
    let valid: i64 = with_db!(store.reader(), db => sqlx::query_scalar(
        "select count(*) from setup_tokens where token_hash = $1 and not exists (select 1 from users)",
    )
    .bind(secret::hash_token(token))
    .fetch_one(db)
    .await)?;
    Ok(valid == 1)
}

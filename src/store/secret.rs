//! The site secret: generated on the first start, kept in the settings table so that
//! every instance sharing the database signs alike. `HEWN_SECRET` overrides it.

use super::{Result, Store};
use crate::domain::random_token;
use crate::domain::signing::Secret;
use crate::with_db;

/// The settings row that holds the generated secret.
const SECRET_KEY: &str = "site_secret";
/// Random bytes in a generated secret.
const SECRET_BYTES: usize = 32;

/// Makes sure the database has a secret. Concurrent first starts agree: the first
/// insert wins and the others keep it.
pub async fn ensure(store: &Store) -> Result<()> {
    if stored(store).await?.is_some() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query("insert into settings (name, value) values ($1, $2) on conflict (name) do nothing")
        .bind(SECRET_KEY)
        .bind(random_token(SECRET_BYTES))
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// The secret to sign with: the operator's override, else the stored one (created
/// now if a database somehow lacks it).
pub async fn site_secret(store: &Store, configured: Option<&Secret>) -> Result<Secret> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    if let Some(secret) = stored(store).await? {
        return Ok(secret);
    }
    ensure(store).await?;
    stored(store).await?.ok_or(sqlx::Error::RowNotFound)
}

async fn stored(store: &Store) -> Result<Option<Secret>> {
    let value: Option<String> = with_db!(store.reader(), db => sqlx::query_scalar("select value from settings where name = $1")
        .bind(SECRET_KEY)
        .fetch_optional(db)
        .await)?;
    Ok(value.filter(|v| !v.is_empty()).map(Secret::new))
}

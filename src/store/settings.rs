//! Settings rows: name/value pairs read into [`Settings`].

use super::{Result, Store};
use crate::domain::settings::Settings;
use crate::with_db;

/// Reads every stored setting over the defaults, with the pages for the navigation.
pub async fn load(store: &Store) -> Result<Settings> {
    let mut settings = load_values(store).await?;
    settings.nav = super::pages::nav(store, store.now()).await?;
    Ok(settings)
}

/// Reads every stored setting over the defaults, leaving the navigation empty: for
/// work that renders no page.
pub async fn load_values(store: &Store) -> Result<Settings> {
    let rows: Vec<(String, String)> =
        with_db!(store.reader(), db => sqlx::query_as("select name, value from settings").fetch_all(db).await)?;
    Ok(Settings::from_pairs(rows.iter().map(|(n, v)| (n.as_str(), v.as_str()))))
}

/// Stores one setting value (the caller has validated it).
pub async fn put(store: &Store, name: &str, value: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into settings (name, value) values ($1, $2) \
         on conflict (name) do update set value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(cx)
    .await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Stores several setting values in one transaction (the caller has validated them).
pub async fn put_all(store: &Store, pairs: &[(&str, String)]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for (name, value) in pairs {
        with_db!(tx.conn(), cx => sqlx::query(
            "insert into settings (name, value) values ($1, $2) \
             on conflict (name) do update set value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(cx)
        .await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

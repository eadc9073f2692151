//! Work every serving instance does in the background, on its own schedule: erasing
//! commenters' IP addresses and user agents after the retention period. Each task
//! reads before it writes, so several instances on one database do not double it.

use std::time::Duration;

use crate::app::AppState;
use crate::store::{self, Store};

/// How often the retention task looks for addresses to erase.
const RETENTION_EVERY: Duration = Duration::from_secs(10 * 60);

/// Starts the background tasks of a serving instance; they stop with the store.
pub fn spawn(app: AppState) {
    tokio::spawn(async move {
        loop {
            if app.store.is_closed() {
                break;
            }
            match run_retention(&app.store, app.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(comments = n, "erased IP addresses and user agents past the retention period"),
                Err(e) => tracing::warn!(error = %e, "the retention task could not run"),
            }
            tokio::time::sleep(RETENTION_EVERY).await;
        }
    });
}

/// Erases IP addresses and user agents older than `comment_ip_retention_days` (none
/// when it is 0); returns how many comments changed.
pub async fn run_retention(store: &Store, now: i64) -> Result<u64, sqlx::Error> {
    let settings = store::settings::load_values(store).await?;
    let days = i64::from(settings.discussion.ip_retention_days);
    if days == 0 {
        return Ok(0);
    }
    store::commenters::erase_old_addresses(store, now - days * 86_400).await
}

//! `hewn migrate`.

use crate::config::Cli;
use crate::store;

/// Creates or upgrades the database schema, then returns.
pub(super) async fn run(cli: &Cli) -> anyhow::Result<()> {
    let database = cli.database()?;
    let store = store::Store::open(&database).await?;
    store::init(&store, !cli.no_demo).await?;
    tracing::info!("database is up to date");
    store.close().await;
    Ok(())
}

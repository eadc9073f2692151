//! `hewn copy`: moves a whole site from one database to another (SQLite to
//! PostgreSQL when a site outgrows one machine, or back), checking the row counts.

use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

use crate::config::{Cli, DatabaseConfig};
use crate::store::{self, Store};

/// Flags of `hewn copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The database to copy from (default: `--database-url`).
    #[arg(long)]
    pub from: Option<String>,

    /// The database to copy into: a new, empty one (`postgres://…` or `sqlite://PATH`).
    #[arg(long)]
    pub to: String,
}

/// Copies every row of the `--from` database into the empty `--to` database.
pub(super) async fn run(cli: &Cli, args: &CopyArgs) -> anyhow::Result<()> {
    let mut from = cli.database()?;
    if let Some(url) = &args.from {
        from = DatabaseConfig { url: DatabaseConfig::from_cli(url, from.synchronous)?.url, ..from };
    }
    let to = DatabaseConfig { url: DatabaseConfig::from_cli(&args.to, from.synchronous)?.url, ..from.clone() };
    if from.url == to.url {
        bail!("--from and --to name the same database");
    }
    let started = Instant::now();
    let source = Store::open(&from).await.with_context(|| format!("opening {}", from.display_url()))?;
    store::migrate(&source).await?;
    let target = Store::open(&to).await.with_context(|| format!("opening {}", to.display_url()))?;
    store::migrate(&target).await?;
    let copied = store::copy::copy(&source, &target).await;
    source.close().await;
    target.close().await;
    let copied = copied.with_context(|| format!("copying into {}", to.display_url()))?;
    println!(
        "Copied {} to {} in {:.1} s: {} posts and pages, {} comments, {} media files, {} users (row counts checked)",
        from.display_url(),
        to.display_url(),
        started.elapsed().as_secs_f64(),
        copied.rows("posts"),
        copied.rows("comments"),
        copied.rows("media"),
        copied.rows("users")
    );
    Ok(())
}

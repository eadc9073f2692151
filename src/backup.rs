//! `hewn backup FILE` writes a consistent copy of the live database while hewn keeps
//! serving; `hewn backup --check FILE` verifies a copy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::cli::backup::BackupArgs;
use crate::config::Cli;
use crate::store::sqlite::backup::{self, Check};
use crate::store::staging::database_file;

/// `hewn backup ...`.
pub async fn run(cli: &Cli, args: &BackupArgs) -> anyhow::Result<()> {
    if args.check {
        let check = backup::check(&args.file).await?;
        println!("{} is a sound hewn backup: {}", args.file.display(), describe(&check));
        return Ok(());
    }
    let database = cli.database()?;
    let started = Instant::now();
    let check = write(&database.url, &args.file, args.force).await?;
    let size = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up to {} ({:.1} MB) in {:.1} s: {}",
        args.file.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        describe(&check)
    );
    Ok(())
}

/// Writes a backup of the database at `database_url` to `target` and checks it. The
/// copy is made beside `target` and renamed into place once complete and synced, so
/// `target` is never a half-written file.
pub async fn write(database_url: &str, target: &Path, force: bool) -> anyhow::Result<Check> {
    let postgres = crate::store::postgres::is_url(database_url);
    if !postgres {
        let source = database_file(database_url)?;
        if !source.is_file() {
            bail!("there is no database at {}", source.display());
        }
        if same_file(&source, target) {
            bail!("the backup cannot replace the database itself");
        }
    }
    if target.exists() && !force {
        bail!("{} already exists (use --force to replace it)", target.display());
    }
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let result = async {
        if postgres {
            copy_into_sqlite(database_url, &partial).await?;
        } else {
            backup::vacuum_into(database_url, &partial).await?;
        }
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).context("syncing the backup to disk")?;
        let check = backup::check(&partial).await.context("the fresh copy failed its check")?;
        std::fs::rename(&partial, target).with_context(|| format!("moving the backup to {}", target.display()))?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(check)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// A PostgreSQL site's backup: a new SQLite file with hewn's schema, filled by the
/// copier from one repeatable-read snapshot (consistent while the site serves).
async fn copy_into_sqlite(database_url: &str, file: &Path) -> anyhow::Result<()> {
    use crate::config::{DatabaseConfig, Synchronous};
    use crate::store::{self, Store};
    let source = Store::open(&DatabaseConfig::from_cli(database_url, Synchronous::Normal)?).await?;
    let url = format!("sqlite://{}", file.display());
    let target = Store::open(&DatabaseConfig::from_cli(&url, Synchronous::Full)?).await?;
    let result = async {
        store::migrate(&target).await?;
        store::copy::copy(&source, &target).await.context("copying the database")?;
        anyhow::Ok(())
    }
    .await;
    source.close().await;
    // Closing the last connection folds the write-ahead log into the file.
    target.close().await;
    result
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn describe(c: &Check) -> String {
    let schema = if c.behind == 0 {
        "schema up to date".to_owned()
    } else {
        format!("schema {} migrations behind (hewn upgrades it on opening)", c.behind)
    };
    format!(
        "{} posts and pages, {} comments, {} media files, data version {}, {schema}",
        c.posts, c.comments, c.media, c.version
    )
}

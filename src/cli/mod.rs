//! The command line: the subcommands, one module each holding its flags (and for
//! `serve`, `migrate` and `user`, what it does; `import`, `export` and `backup` run in
//! `wordpress::import`, `wordpress::export` and `backup`).

pub mod backup;
pub mod copy;
pub mod export;
pub mod import;
mod migrate;
mod serve;
pub mod spam;
pub mod user;

use anyhow::Context;
use clap::Subcommand;

use crate::config::{Cli, ServeArgs};

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the blog (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage admin accounts: add one, reset a password, list them.
    User(user::UserArgs),
    /// Import posts, pages, tags and comments from a WordPress export, or comments from a Disqus export.
    Import(import::ImportArgs),
    /// Export every post, page, tag and comment as a WordPress export, to standard output.
    Export(export::ExportArgs),
    /// Write a consistent copy of the live database to a file (or check one).
    Backup(backup::BackupArgs),
    /// Copy the whole site into another, empty database (SQLite to PostgreSQL, or back).
    Copy(copy::CopyArgs),
    /// The spam filter: retrain it from every stored decision, or measure it.
    Spam(spam::SpamArgs),
}

/// Runs the command the user asked for on a fresh Tokio runtime.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => serve::run(&cli, &cli.serve).await,
        Some(Command::Serve(args)) => serve::run(&cli, args).await,
        Some(Command::Migrate) => migrate::run(&cli).await,
        Some(Command::User(args)) => user::run(&cli, args).await,
        Some(Command::Import(args)) => crate::wordpress::import::run(&cli, args).await,
        Some(Command::Export(args)) => crate::wordpress::export::run(&cli, args).await,
        Some(Command::Backup(args)) => crate::backup::run(&cli, args).await,
        Some(Command::Copy(args)) => copy::run(&cli, args).await,
        Some(Command::Spam(args)) => spam::run(&cli, args).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::backup::BackupArgs;
    use super::export::{ExportArgs, ExportFormat};
    use super::import::{ImportArgs, ImportFormat};
    use super::*;

    #[test]
    fn import_export_and_backup_parse_their_flags() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from(["hewn", "import", "wordpress", "site.xml", "--uploads", "up", "--dry-run"])?;
        let Some(Command::Import(ImportArgs { format: ImportFormat::Wordpress(args) })) = cli.command else {
            anyhow::bail!("expected import")
        };
        assert_eq!(
            (args.file.to_str(), args.uploads.as_deref().and_then(|p| p.to_str())),
            (Some("site.xml"), Some("up"))
        );
        assert!(args.dry_run && !args.quiet);

        let cli = Cli::try_parse_from(["hewn", "export", "wordpress", "-o", "out.xml", "--database-url", "x.db"])?;
        let Some(Command::Export(ExportArgs { format: ExportFormat::Wordpress(args) })) = cli.command else {
            anyhow::bail!("expected export")
        };
        assert_eq!(args.output.as_deref().and_then(|p| p.to_str()), Some("out.xml"));
        assert_eq!(cli.database_url, "x.db");

        let cli = Cli::try_parse_from(["hewn", "backup", "--check", "b.db"])?;
        assert!(matches!(cli.command, Some(Command::Backup(BackupArgs { check: true, force: false, .. }))));
        assert!(Cli::try_parse_from(["hewn", "backup", "--check", "--force", "b.db"]).is_err());
        assert!(Cli::try_parse_from(["hewn", "import", "joomla", "x.xml"]).is_err());
        let cli = Cli::try_parse_from(["hewn", "import", "disqus", "comments.xml", "--dry-run", "-q"])?;
        let Some(Command::Import(ImportArgs { format: ImportFormat::Disqus(args) })) = cli.command else {
            anyhow::bail!("expected import disqus")
        };
        assert!(args.dry_run && args.quiet && args.file.to_str() == Some("comments.xml"));
        Ok(())
    }
}

//! Flags of the subcommands that move data in and out: `import`, `export` and `backup`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `hewn import FORMAT ...`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub format: ImportFormat,
}

/// What `hewn import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportFormat {
    /// A WordPress export (WXR 1.0 to 1.2, from Tools → Export in WordPress 3 to 6).
    Wordpress(WordpressImportArgs),
    /// A Disqus comments export: its comments land on the posts their threads link to.
    Disqus(DisqusImportArgs),
}

/// Flags of `hewn import disqus`.
#[derive(Debug, Args)]
pub struct DisqusImportArgs {
    /// The export file (`.xml`, from Disqus's Admin → Moderation → Export).
    pub file: PathBuf,

    /// Read and check the whole file and report what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `hewn import wordpress`.
#[derive(Debug, Args)]
pub struct WordpressImportArgs {
    /// The export file (`.xml`).
    pub file: PathBuf,

    /// A local copy of the old site's `wp-content/uploads` folder: attachments and the
    /// images posts use are copied into the database and served by hewn.
    #[arg(long, value_name = "DIR")]
    pub uploads: Option<PathBuf>,

    /// Read and check the whole file and report what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `hewn export FORMAT ...`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub format: ExportFormat,
}

/// What `hewn export` writes.
#[derive(Debug, Subcommand)]
pub enum ExportFormat {
    /// A WordPress export (WXR 1.2) with every post, page, tag and comment.
    Wordpress(WordpressExportArgs),
}

/// Flags of `hewn export wordpress`.
#[derive(Debug, Args)]
pub struct WordpressExportArgs {
    /// Write to this file instead of standard output (replaced only once complete).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Absolute URL of the site, for the links in the export (default: derived from `HEWN_BIND`).
    #[arg(long, env = "HEWN_BASE_URL")]
    pub base_url: Option<String>,
}

/// Flags of `hewn backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (or, with `--check`, to verify).
    pub file: PathBuf,

    /// Verify an existing backup instead of writing one.
    #[arg(long)]
    pub check: bool,

    /// Replace FILE if it exists.
    #[arg(long, conflicts_with = "check")]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{Cli, Command};

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

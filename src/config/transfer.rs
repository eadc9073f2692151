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

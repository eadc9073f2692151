//! Flags of `hewn import` (the import itself runs in `wordpress::import`).

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

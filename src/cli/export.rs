//! Flags of `hewn export` (the export itself runs in `wordpress::export`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

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

//! Flags of `hewn backup` (the backup itself runs in `crate::backup`).

use std::path::PathBuf;

use clap::Args;

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

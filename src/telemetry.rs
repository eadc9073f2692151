//! Logging: `tracing` to standard error, filtered by `HEWN_LOG` or `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when neither `HEWN_LOG` nor `RUST_LOG` is set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Starts the global subscriber. `filter` comes from `--log` / `HEWN_LOG`;
/// `RUST_LOG` is the fallback. Safe to call more than once (later calls do nothing).
pub fn init(filter: Option<&str>) {
    let filter = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| DEFAULT_FILTER.to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

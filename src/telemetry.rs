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
    let filter = silence_content_loggers(filter);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Crates whose debug logs quote the text they process (html5ever, under the HTML
/// sanitiser, logs every token of a comment): always off, whatever the filter says,
/// so that no log line carries a comment, an email or a form body.
const CONTENT_LOGGERS: [&str; 2] = ["html5ever=off", "markup5ever=off"];

fn silence_content_loggers(mut filter: EnvFilter) -> EnvFilter {
    for directive in CONTENT_LOGGERS {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

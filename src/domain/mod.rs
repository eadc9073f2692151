//! Domain logic with no I/O: validated values, rendering of user text, dates, threads.

pub mod comment_text;
pub mod datefmt;
pub mod markdown;
pub mod settings;
pub mod thread;

pub use markdown::SafeHtml;

/// The current time as unix seconds (UTC), the one representation stored everywhere.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

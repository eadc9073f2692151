//! Domain logic with no I/O: validated values, rendering of user text, dates, threads.

pub mod accounts;
pub mod archive;
pub mod clock;
pub mod comment_form;
pub mod comment_text;
pub mod datefmt;
pub mod editor;
pub mod field_errors;
pub mod form_body;
pub mod markdown;
pub mod moderation;
pub mod password;
pub mod percent;
pub mod privacy;
pub mod queue;
pub mod render_limits;
pub mod responsive;
pub mod sanitize;
pub mod search;
pub mod secret;
pub mod settings;
pub mod signing;
pub mod slug;
pub mod spam;
pub mod status;
pub mod thread;

pub use field_errors::FieldErrors;
pub use markdown::SafeHtml;

/// The system time as unix seconds (UTC), the one representation stored everywhere.
/// Code that has a store or the app state reads [`clock::Clock`] instead, so tests can set it.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A random token of `bytes` random bytes, hex-encoded: for session ids, CSRF
/// tokens, setup links and secrets.
pub fn random_token(bytes: usize) -> String {
    use rand::RngExt;
    use std::fmt::Write;
    let mut rng = rand::rng();
    let mut out = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let b: u8 = rng.random();
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The SHA-256 of `bytes`, in lowercase hex: a file's digest (media paths and
/// `sha256` columns) and a stored token's.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_tokens_are_hex_and_differ() {
        let (a, b) = (super::random_token(32), super::random_token(32));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}

//! hewn's integration tests: the real app on an ephemeral loopback port, a fresh
//! SQLite file per test, and HTTP (or headless Chromium) against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup;
mod browser;
mod helpers;
mod reading;
mod wordpress;

//! hewn's integration tests: the real app on an ephemeral loopback port, a fresh
//! SQLite file per test, and HTTP (or headless Chromium) against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::string_slice)]

pub mod admin;
mod archive;
mod assert;
mod backend;
mod backup;
mod browser;
mod cache;
mod commenters;
mod comments;
mod conditional;
mod corpus;
mod crawlers;
mod db;
mod featured;
mod feeds;
mod fixtures;
mod global_flags;
mod helpers;
pub mod mail;
pub(crate) mod media;
mod media_browser;
mod media_cache;
mod postgres;
mod reading;
mod search;
mod server;
mod spam;
mod validity;
mod wordpress;

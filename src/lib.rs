//! hewn: a self-hosted blog server with moderated comments.

pub mod app;
pub mod assets;
pub mod backup;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod http_cache;
pub mod mail;
pub mod media;
pub mod media_cache;
pub mod page_cache;
pub mod request_limits;
pub mod routes;
pub mod server;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod views;
pub mod wordpress;
pub mod zero_copy;

pub use app::AppState;
pub use config::Config;
pub use error::AppError;
pub use store::Store;

//! The admin panel: accounts, sessions, CSRF, moderation, the editor and settings.

mod accounts;
pub(crate) mod browser;
mod login_limits;
mod moderation;
mod posts;
mod routes;
mod scripts;
mod settings;
pub mod support;

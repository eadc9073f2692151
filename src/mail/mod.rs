//! Mail: the SMTP server and sender address the operator gives ([`smtp`]), the
//! messages hewn writes ([`compose`]), and the task that sends what the outbox holds
//! ([`sender`]).
//!
//! Events (a comment stored, a comment approved, a subscription) write outbox rows in
//! their own transaction (`store::mail`); nothing on a request path talks SMTP. A
//! message is composed when it is sent, from what the database holds then, and keeps
//! the `Message-ID` of its outbox row however often it is retried.

pub mod compose;
pub mod sender;
pub mod smtp;

pub use smtp::{MailConfig, SmtpSettings};

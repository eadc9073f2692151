//! The SMTP server and the sender address: parsed from `HEWN_SMTP_URL` and
//! `HEWN_MAIL_FROM`, and the transport that talks to the server. The password is
//! kept out of every `Debug`, message and log line.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one conversation with the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465).
    Tls,
    /// `smtp://`: STARTTLS, required: nothing is sent if the server does not offer it.
    StartTls,
    /// `smtp://…?tls=none`: plain text, for a relay on the same machine or network.
    None,
}

/// Where mail goes: `smtp://host:25`, `smtp://user:pass@host:587`, `smtps://host:465`,
/// `smtp://host:25?tls=none`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl SmtpSettings {
    /// Parses an SMTP URL. Errors never quote the URL (it may hold a password).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| format!("the SMTP URL (HEWN_SMTP_URL, --smtp-url) is not a URL: {e}"))?;
        let (mut security, default_port) = match url.scheme() {
            "smtp" => (Security::StartTls, 25),
            "smtps" => (Security::Tls, 465),
            other => {
                return Err(format!("the SMTP URL must start with smtp:// or smtps://, not {other}://"));
            }
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("the SMTP URL has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if security == Security::StartTls => security = Security::None,
                ("tls", "none") => return Err("smtps:// always uses TLS; use smtp://…?tls=none for plain text".into()),
                ("tls", "starttls" | "required") => {}
                (key, _) => return Err(format!("the SMTP URL has an unknown parameter {key:?} (only tls=none)")),
            }
        }
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(decode);
        Ok(Self { host, port: url.port().unwrap_or(default_port), security, user, password })
    }

    /// The server as the admin panel and the logs show it: no password.
    pub fn display(&self) -> String {
        let scheme = if self.security == Security::Tls { "smtps" } else { "smtp" };
        let user = self.user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
        let tls = match self.security {
            Security::Tls => "TLS",
            Security::StartTls => "STARTTLS required",
            Security::None => "no TLS",
        };
        format!("{scheme}://{user}{}:{} ({tls})", self.host, self.port)
    }
}

/// Mail is on: where it goes and whom it comes from.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp: SmtpSettings,
    /// `Blog name <blog@example.org>`.
    pub from: Mailbox,
}

impl MailConfig {
    /// Reads `--smtp-url` and `--mail-from`; without a sender address, mail comes
    /// from `hewn@` the site's host.
    pub fn from_flags(smtp_url: &str, mail_from: Option<&str>, base_url: &str) -> Result<Self, String> {
        let smtp = SmtpSettings::parse(smtp_url)?;
        let from = match mail_from {
            Some(raw) => raw.trim().parse::<Mailbox>().map_err(|e| {
                format!("the sender address (HEWN_MAIL_FROM, --mail-from) {raw:?} is not an address like Blog <blog@example.org>: {e}")
            })?,
            None => {
                let host = url::Url::parse(base_url).ok().and_then(|u| u.host_str().map(str::to_owned));
                let host = host.unwrap_or_else(|| "localhost".to_owned());
                format!("hewn <hewn@{host}>").parse::<Mailbox>().map_err(|_| {
                    format!("no sender address could be made from the site's host {host:?}: set HEWN_MAIL_FROM")
                })?
            }
        };
        Ok(Self { smtp, from })
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: the server was unreachable or answered 4xx.
    Temporary(String),
    /// The server refused the message for good (5xx).
    Permanent(String),
}

/// The connection to the SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let builder = match settings.security {
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
            Security::Tls | Security::StartTls => {
                let tls = TlsParameters::new(settings.host.clone())
                    .map_err(|e| format!("TLS for {} cannot be set up: {e}", settings.host))?;
                let tls = if settings.security == Security::Tls { Tls::Wrapper(tls) } else { Tls::Required(tls) };
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host).tls(tls)
            }
        };
        let mut builder = builder.port(settings.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self { transport: builder.build() })
    }

    /// Sends one message, telling a temporary failure from a permanent one.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(describe(&e))),
            Err(e) => Err(SendError::Temporary(describe(&e))),
        }
    }
}

/// The server's answer, or what went wrong on the way (never the credentials, which
/// lettre's errors do not carry).
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_host_port_and_security() -> Result<(), String> {
        let s = SmtpSettings::parse("smtp://mail.example.org")?;
        assert_eq!((s.host.as_str(), s.port, s.security), ("mail.example.org", 25, Security::StartTls));
        let s = SmtpSettings::parse("smtp://ann:p%40ss@mail.example.org:587")?;
        assert_eq!(
            (s.port, s.security, s.user.as_deref(), s.password.as_deref()),
            (587, Security::StartTls, Some("ann"), Some("p@ss"))
        );
        let s = SmtpSettings::parse("smtps://mail.example.org")?;
        assert_eq!((s.port, s.security), (465, Security::Tls));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525?tls=none")?;
        assert_eq!((s.port, s.security), (2525, Security::None));
        for bad in ["http://x", "smtp://", "smtps://h?tls=none", "smtp://h?relay=1", "not a url"] {
            assert!(SmtpSettings::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn the_password_never_shows() -> Result<(), String> {
        let s = SmtpSettings::parse("smtp://ann:hunter2secret@mail.example.org:587")?;
        for shown in [s.display(), format!("{s:?}")] {
            assert!(!shown.contains("hunter2secret"), "{shown}");
            assert!(shown.contains("ann@mail.example.org:587"), "{shown}");
        }
        let e = SmtpSettings::parse("ftp://ann:hunter2secret@x").err().unwrap_or_default();
        assert!(!e.contains("hunter2secret"), "{e}");
        Ok(())
    }

    #[test]
    fn the_sender_address_is_checked() {
        assert!(MailConfig::from_flags("smtp://h", Some("Blog <blog@example.org>"), "http://x").is_ok());
        assert!(MailConfig::from_flags("smtp://h", Some("Blog <blog@example.org>\r\nBcc: x@y.z"), "http://x").is_err());
        let c = MailConfig::from_flags("smtp://h", None, "https://blog.example.org");
        assert_eq!(c.map(|c| c.from.email.to_string()).ok().as_deref(), Some("hewn@blog.example.org"));
    }
}

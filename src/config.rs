//! Typed configuration: every setting has a flag and a `HEWN_*` environment variable, read once.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, ValueEnum};
use ipnet::IpNet;

use crate::domain::signing::Secret;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hewn.db";
/// The default number of PostgreSQL reader connections per instance.
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
/// The default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

/// hewn: a self-hosted blog server with moderated comments.
#[derive(Debug, Parser)]
#[command(name = "hewn", version, about)]
pub struct Cli {
    /// Database to use: `sqlite://PATH` (created if missing), a plain file path, or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB` (also `postgresql://`, `?sslmode=`, `?host=/socket/dir`).
    #[arg(long, global = true, env = "HEWN_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// PostgreSQL: most connections this instance opens for reading (it opens one more
    /// for writing, and an import one more again).
    #[arg(long, global = true, env = "HEWN_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    pub db_max_connections: u32,

    /// Log filter, e.g. `info` or `hewn=debug,tower_http=warn` (falls back to `RUST_LOG`).
    #[arg(long, global = true, env = "HEWN_LOG")]
    pub log: Option<String>,

    /// Do not insert the demo post when the database is initialised.
    #[arg(long, global = true, env = "HEWN_NO_DEMO")]
    pub no_demo: bool,

    /// How SQLite syncs commits to disk (see the README's durability notes).
    #[arg(long, global = true, env = "HEWN_SQLITE_SYNCHRONOUS", value_enum, default_value_t = Synchronous::Normal)]
    pub sqlite_synchronous: Synchronous,

    #[command(subcommand)]
    pub command: Option<crate::cli::Command>,

    /// `hewn` with no subcommand serves, taking `serve`'s flags.
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message on an error.
    ///
    /// The global flags (`--database-url`, `--log`, `--no-demo`,
    /// `--sqlite-synchronous`) go before or after the subcommand name. `serve`'s
    /// own flags are taken before any subcommand only when there is none (`hewn
    /// --bind ...` serves); with a subcommand they are refused rather than ignored.
    pub fn parse_args() -> Self {
        Self::parse_from_iter(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] over the given arguments (the first is the program name).
    pub fn parse_from_iter<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let serve_flags = ServeArgs::augment_args(clap::Command::new("serve"));
            let given = serve_flags
                .get_arguments()
                .find(|a| matches.value_source(a.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine));
            if let Some(flag) = given {
                let flag = flag.get_long().unwrap_or_else(|| flag.get_id().as_str());
                let message = if name == "serve" {
                    format!("--{flag} is a flag of `hewn serve`: put it after `serve`")
                } else {
                    format!("--{flag} is a flag of `hewn serve`; `hewn {name}` does not take it")
                };
                return Err(command.error(clap::error::ErrorKind::ArgumentConflict, message));
            }
        }
        Self::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }
}

/// Flags of `hewn serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HEWN_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,

    /// Absolute URL of the site as readers reach it, used in links and feeds
    /// (default: derived from the bind address).
    #[arg(long, env = "HEWN_BASE_URL")]
    pub base_url: Option<String>,

    /// Reverse proxies (IP addresses or CIDR ranges, comma-separated) whose
    /// `X-Forwarded-For` names the real client. From any other peer it is ignored.
    #[arg(long, env = "HEWN_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    /// Secret for signed links and cookies, at least 32 characters (default: one
    /// generated on first start and kept in the database, shared by every instance).
    #[arg(long, env = "HEWN_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub secret: Option<Secret>,

    /// Memory for rendered pages kept ready to serve, in MiB (0 turns the page cache off).
    #[arg(long, env = "HEWN_PAGE_CACHE_MIB", default_value_t = crate::page_cache::DEFAULT_BUDGET_MIB)]
    pub page_cache_mib: usize,

    /// Time a client has to send a request's headers, e.g. `10s` or `500ms`; the
    /// connection is closed when they are not complete by then.
    #[arg(long, env = "HEWN_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// A connection with no request in progress and no bytes moving for this long is closed.
    #[arg(long, env = "HEWN_IDLE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// A request whose body stops arriving for this long gets 408 Request Timeout.
    #[arg(long, env = "HEWN_BODY_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// Open connections in total; further ones are answered 503 at once (lowered to fit
    /// the process's file limit).
    #[arg(long, env = "HEWN_MAX_CONNECTIONS", default_value_t = ServerLimits::DEFAULT.max_connections)]
    pub max_connections: usize,

    /// Open connections from one client address (an IPv4 address or an IPv6 /64);
    /// further ones are answered 429 at once. Trusted proxies count only in the total.
    #[arg(long, env = "HEWN_MAX_CONNECTIONS_PER_CLIENT", default_value_t = ServerLimits::DEFAULT.max_connections_per_client)]
    pub max_connections_per_client: usize,

    /// SMTP server for mail: `smtp://HOST:25`, `smtp://USER:PASSWORD@HOST:587` (STARTTLS
    /// required; add `?tls=none` for a local relay), `smtps://HOST:465`. Without it, mail is off.
    #[arg(long, env = "HEWN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of hewn's mail, e.g. `Blog name <blog@example.org>` (default: hewn@ the site's host).
    #[arg(long, env = "HEWN_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Largest uploaded file, in MiB.
    #[arg(long, env = "HEWN_MEDIA_MAX_FILE_MIB", default_value_t = crate::media::DEFAULT_MAX_FILE_MIB)]
    pub media_max_file_mib: u64,

    /// Most pixels of an uploaded image, in megapixels (checked from its header, before decoding).
    #[arg(long, env = "HEWN_MEDIA_MAX_MEGAPIXELS", default_value_t = crate::media::DEFAULT_MAX_MEGAPIXELS)]
    pub media_max_megapixels: u64,

    /// Most files in one upload.
    #[arg(long, env = "HEWN_MEDIA_MAX_FILES", default_value_t = crate::media::DEFAULT_MAX_FILES)]
    pub media_max_files: usize,

    /// Memory for media files served from memory, in MiB (0 turns the media cache off).
    #[arg(long, env = "HEWN_MEDIA_CACHE_MIB", default_value_t = crate::media_cache::DEFAULT_BUDGET_MIB)]
    pub media_cache_mib: usize,
}

/// A duration as `10s`, `500ms` or a bare number of seconds.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit_ms) = if let Some(n) = raw.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = raw.strip_suffix('s') {
        (n, 1000)
    } else {
        (raw, 1000)
    };
    let n: u64 = number.trim().parse().map_err(|_| format!("{raw:?} is not a duration like 10s or 500ms"))?;
    if n == 0 {
        return Err("a timeout of zero would close every connection".to_owned());
    }
    Ok(Duration::from_millis(n.saturating_mul(unit_ms)))
}

/// How long the server waits for slow clients and how many connections it holds open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time to receive a request's complete header block.
    pub header_timeout: Duration,
    /// Time a connection may sit with nothing in progress and nothing moving.
    pub idle_timeout: Duration,
    /// Longest pause while a request body arrives (answered 408).
    pub body_timeout: Duration,
    /// Open connections in total.
    pub max_connections: usize,
    /// Open connections per client address (IPv4 address, IPv6 /64); trusted proxies are exempt.
    pub max_connections_per_client: usize,
}

impl ServerLimits {
    /// The defaults of the flags.
    pub const DEFAULT: Self = Self {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(10),
        max_connections: 1024,
        max_connections_per_client: 64,
    };
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A secret as given; its length is checked in [`Config::from_cli`], whose error
/// does not quote it.
fn parse_secret(raw: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::operator(raw))
}

/// An IP address (a single host) or a CIDR range.
fn parse_proxy(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))
}

/// SQLite's `synchronous` pragma, as offered to operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Synchronous {
    /// Commits survive a killed process; a power loss may drop the newest commits.
    Normal,
    /// Every commit is fsynced: commits also survive a power loss, at a cost in write speed.
    Full,
}

/// The settings the running server needs, resolved from the command line and environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub bind: SocketAddr,
    /// Without a trailing slash, e.g. `https://blog.example` or `http://127.0.0.1:3000`.
    pub base_url: String,
    pub demo: bool,
    /// Peers trusted to report the client address in `X-Forwarded-For`.
    pub trusted_proxies: Vec<IpNet>,
    /// The operator's signing secret; `None` uses the one kept in the database.
    pub secret: Option<Secret>,
    /// Page cache budget in MiB; 0 turns it off.
    pub page_cache_mib: usize,
    /// Timeouts and connection caps of the HTTP server.
    pub limits: ServerLimits,
    /// The SMTP server and sender; `None`: mail is off.
    pub mail: Option<crate::mail::MailConfig>,
    /// Limits on uploaded media.
    pub media: crate::media::Limits,
    /// Media cache budget in MiB; 0 turns it off.
    pub media_cache_mib: usize,
}

/// Where the data lives and how it is written.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// A `sqlite://` or `postgres://` URL.
    pub url: String,
    /// How SQLite syncs commits (PostgreSQL keeps its own `synchronous_commit`).
    pub synchronous: Synchronous,
    /// PostgreSQL reader connections of this instance.
    pub max_connections: u32,
}

impl DatabaseConfig {
    /// Normalises a user-given database location into a `sqlite://` or
    /// `postgres://` URL.
    pub fn from_cli(raw: &str, synchronous: Synchronous) -> anyhow::Result<Self> {
        let raw = raw.trim();
        let url = if raw.starts_with("sqlite:") {
            raw.to_owned()
        } else if let Some(rest) = raw.strip_prefix("postgresql://") {
            format!("postgres://{rest}")
        } else if raw.starts_with("postgres://") {
            raw.to_owned()
        } else if raw.contains("://") {
            bail!("unsupported database URL scheme in {raw:?} (expected sqlite://PATH or postgres://…)");
        } else if raw.is_empty() {
            bail!("the database URL is empty");
        } else {
            format!("sqlite://{raw}")
        };
        Ok(Self { url, synchronous, max_connections: DEFAULT_DB_MAX_CONNECTIONS })
    }

    /// True when the data lives in PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres://")
    }

    /// The URL with any password left out, for messages and logs.
    pub fn display_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.url.clone(),
        }
    }
}

impl Cli {
    /// The database the global flags name.
    pub fn database(&self) -> anyhow::Result<DatabaseConfig> {
        let mut database = DatabaseConfig::from_cli(&self.database_url, self.sqlite_synchronous)?;
        database.max_connections = self.db_max_connections.max(1);
        Ok(database)
    }
}

impl Config {
    /// Builds the server configuration from the parsed command line.
    pub fn from_cli(cli: &Cli, serve: &ServeArgs) -> anyhow::Result<Self> {
        let database = cli.database()?;
        if let Some(secret) = &serve.secret {
            secret.check_length().map_err(anyhow::Error::msg)?;
        }
        let base_url = match &serve.base_url {
            Some(url) => normalise_base_url(url)?,
            None => derive_base_url(serve.bind),
        };
        let mail = match &serve.smtp_url {
            Some(url) if !url.trim().is_empty() => Some(
                crate::mail::MailConfig::from_flags(url, serve.mail_from.as_deref(), &base_url)
                    .map_err(anyhow::Error::msg)?,
            ),
            _ => None,
        };
        Ok(Self {
            mail,
            database,
            bind: serve.bind,
            base_url,
            demo: !cli.no_demo,
            trusted_proxies: serve.trusted_proxies.clone(),
            secret: serve.secret.clone(),
            page_cache_mib: serve.page_cache_mib,
            limits: ServerLimits {
                header_timeout: serve.header_timeout,
                idle_timeout: serve.idle_timeout,
                body_timeout: serve.body_timeout,
                max_connections: serve.max_connections.max(1),
                max_connections_per_client: serve.max_connections_per_client.max(1),
            },
            media: crate::media::Limits {
                max_file_bytes: serve.media_max_file_mib.max(1).saturating_mul(1024 * 1024),
                max_pixels: serve.media_max_megapixels.max(1).saturating_mul(1_000_000),
                max_files: serve.media_max_files.max(1),
            },
            media_cache_mib: serve.media_cache_mib,
        })
    }

    /// Replaces a base URL derived from a bind address after the real port is known
    /// (binding port 0 picks one).
    pub fn with_bound_addr(mut self, addr: SocketAddr, explicit_base_url: bool) -> Self {
        self.bind = addr;
        if !explicit_base_url {
            self.base_url = derive_base_url(addr);
        }
        self
    }

    /// True when readers reach the site over TLS (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// `http://HOST:PORT` for a bind address; an unspecified address becomes `localhost`.
pub fn derive_base_url(bind: SocketAddr) -> String {
    let port = bind.port();
    match bind {
        SocketAddr::V4(a) if a.ip().is_unspecified() => format!("http://localhost:{port}"),
        SocketAddr::V6(a) if a.ip().is_unspecified() => format!("http://localhost:{port}"),
        SocketAddr::V4(a) => format!("http://{}:{port}", a.ip()),
        SocketAddr::V6(a) => format!("http://[{}]:{port}", a.ip()),
    }
}

/// Checks that a configured base URL is absolute http(s) and drops a trailing slash.
pub fn normalise_base_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .with_context(|| format!("base URL {raw:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        bail!("base URL {raw:?} has no host");
    }
    Ok(url.to_owned())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;
    use crate::cli::Command;

    #[test]
    fn plain_paths_become_sqlite_urls() -> anyhow::Result<()> {
        let db = DatabaseConfig::from_cli("data/blog.db", Synchronous::Normal)?;
        assert_eq!(db.url, "sqlite://data/blog.db");
        assert!(DatabaseConfig::from_cli("mysql://x", Synchronous::Normal).is_err());
        Ok(())
    }

    #[test]
    fn base_url_is_derived_from_the_bind_address() -> anyhow::Result<()> {
        assert_eq!(derive_base_url("127.0.0.1:3000".parse()?), "http://127.0.0.1:3000");
        assert_eq!(derive_base_url("0.0.0.0:8080".parse()?), "http://localhost:8080");
        assert_eq!(normalise_base_url("https://blog.example/")?, "https://blog.example");
        assert!(normalise_base_url("blog.example").is_err());
        Ok(())
    }

    #[test]
    fn no_subcommand_means_serve_with_its_flags() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from(["hewn", "--bind", "127.0.0.1:4000", "--database-url", "x.db"])?;
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind.port(), 4000);
        let cli = Cli::try_parse_from(["hewn", "migrate", "--database-url", "y.db"])?;
        assert!(matches!(cli.command, Some(Command::Migrate)));
        assert_eq!(cli.database_url, "y.db");
        Ok(())
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() -> anyhow::Result<()> {
        let globals = ["--database-url", "g.db", "--log", "warn", "--no-demo", "--sqlite-synchronous", "full"];
        let command = ["import", "wordpress", "site.xml"];
        let before: Vec<&str> = ["hewn"].iter().chain(&globals).chain(&command).copied().collect();
        let after: Vec<&str> = ["hewn"].iter().chain(&command).chain(&globals).copied().collect();
        let between: Vec<&str> =
            ["hewn", "import"].iter().chain(&globals).chain(&["wordpress", "site.xml"]).copied().collect();
        for args in [before, after, between] {
            let cli = Cli::parse_from_iter(&args)?;
            assert!(matches!(cli.command, Some(Command::Import(_))), "{args:?}");
            assert_eq!(
                (cli.database_url.as_str(), cli.log.as_deref(), cli.no_demo, cli.sqlite_synchronous),
                ("g.db", Some("warn"), true, Synchronous::Full),
                "{args:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn serve_flags_before_another_subcommand_are_refused() -> anyhow::Result<()> {
        let err = Cli::parse_from_iter(["hewn", "--bind", "127.0.0.1:4000", "migrate"]).err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("--bind is a flag of `hewn serve`"), "{err}");
        assert!(Cli::parse_from_iter(["hewn", "--bind", "127.0.0.1:4000", "serve"]).is_err());
        let cli = Cli::parse_from_iter(["hewn", "--database-url", "x.db", "serve", "--bind", "127.0.0.1:4000"])?;
        let Some(Command::Serve(args)) = cli.command else { anyhow::bail!("expected serve") };
        assert_eq!((cli.database_url.as_str(), args.bind.port()), ("x.db", 4000));
        Ok(())
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from(["hewn", "serve", "--trusted-proxies", "10.0.0.0/8, ::1,192.168.1.5"])?;
        let Some(Command::Serve(args)) = cli.command else { anyhow::bail!("expected serve") };
        assert_eq!(args.trusted_proxies.len(), 3);
        assert!(args.trusted_proxies[0].contains(&"10.1.2.3".parse::<IpAddr>()?));
        assert!(Cli::try_parse_from(["hewn", "--trusted-proxies", "nope"]).is_err());
        Ok(())
    }

    #[test]
    fn server_limits_take_durations_and_default_sanely() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from([
            "hewn",
            "--header-timeout",
            "500ms",
            "--idle-timeout",
            "3",
            "--max-connections",
            "0",
        ])?;
        let config = Config::from_cli(&cli, &cli.serve)?;
        assert_eq!(config.limits.header_timeout, Duration::from_millis(500));
        assert_eq!(config.limits.idle_timeout, Duration::from_secs(3));
        assert_eq!(config.limits.body_timeout, ServerLimits::DEFAULT.body_timeout);
        assert_eq!(config.limits.max_connections, 1, "at least one connection");
        assert!(Cli::try_parse_from(["hewn", "--idle-timeout", "0s"]).is_err());
        assert!(Cli::try_parse_from(["hewn", "--body-timeout", "soon"]).is_err());
        Ok(())
    }
}

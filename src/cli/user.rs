//! Admin accounts from the command line (`hewn user add|passwd|list`) and the
//! first-run setup link that `hewn serve` logs while no account exists.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::config::{Cli, Config};
use crate::domain::{accounts, password};
use crate::store::{self, Store, users};

/// `hewn user ...`.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

/// The account subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an admin account (the password is asked for, or read from standard input).
    Add {
        /// The user name to log in with (letters, digits and . _ - @; case does not matter).
        name: String,
        /// The name shown on posts and replies (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
        /// The account's email address (never shown publicly).
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an account and log out all of its sessions.
    Passwd {
        name: String,
        /// Read the password from standard input instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
}

/// Runs a `hewn user` subcommand.
pub async fn run(cli: &Cli, args: &UserArgs) -> anyhow::Result<()> {
    let database = cli.database()?;
    let store = Store::open(&database).await?;
    store::init(&store, !cli.no_demo).await?;
    let result = match &args.command {
        UserCommand::Add { name, display_name, email, password_stdin } => {
            add(&store, name, display_name.as_deref(), email.as_deref(), *password_stdin).await
        }
        UserCommand::Passwd { name, password_stdin } => passwd(&store, name, *password_stdin).await,
        UserCommand::List => list(&store).await,
    };
    store.close().await;
    result
}

async fn add(
    store: &Store,
    name: &str,
    display_name: Option<&str>,
    email: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let username = accounts::username(name).map_err(anyhow::Error::msg)?;
    let display_name = accounts::display_name(display_name.unwrap_or(name), &username).map_err(anyhow::Error::msg)?;
    let email = accounts::email(email.unwrap_or("")).map_err(anyhow::Error::msg)?;
    if users::credentials(store, &username).await?.is_some() {
        bail!("there is already a user named {username:?} (use `hewn user passwd {username}` to reset its password)");
    }
    let password = read_new_password(password_stdin)?;
    let hash = password::hash_blocking(password).await?;
    let new = users::NewUser {
        username: &username,
        display_name: &display_name,
        email: &email,
        password_hash: &hash,
        now: store.now(),
    };
    match users::create(store, &new).await? {
        users::Created::Yes(_) => {
            eprintln!("Created the admin {username:?}. Log in at /admin/login.");
            Ok(())
        }
        users::Created::NameTaken | users::Created::SetupClosed => bail!("there is already a user named {username:?}"),
    }
}

async fn passwd(store: &Store, name: &str, password_stdin: bool) -> anyhow::Result<()> {
    let username = accounts::username(name).map_err(anyhow::Error::msg)?;
    let Some(user) = users::credentials(store, &username).await? else {
        bail!("there is no user named {username:?} (`hewn user list` shows them)");
    };
    let password = read_new_password(password_stdin)?;
    let hash = password::hash_blocking(password).await?;
    users::set_password(store, user.id, &hash, true).await?;
    eprintln!("Changed the password of {username:?} and logged out its sessions.");
    Ok(())
}

async fn list(store: &Store) -> anyhow::Result<()> {
    for u in users::all(store).await? {
        println!("{}\t{}\t{}", u.username, u.display_name, u.role);
    }
    Ok(())
}

/// A new password: from standard input (one line; the newline is dropped), or
/// asked for twice on the terminal without echo.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut raw = String::new();
        std::io::stdin().read_to_string(&mut raw).context("reading the password from standard input")?;
        let line = raw.strip_suffix('\n').unwrap_or(&raw);
        line.strip_suffix('\r').unwrap_or(line).to_owned()
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("there is no terminal to ask for the password on; pass it on standard input with --password-stdin");
        }
        let first = rpassword::prompt_password("New password: ").context("reading the password")?;
        let second = rpassword::prompt_password("The same password again: ").context("reading the password")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    };
    password::check_new(&password).map_err(|e| anyhow::anyhow!("that password is not accepted: {e}"))?;
    Ok(password)
}

/// While no account exists, logs a one-time link that opens the page creating the
/// first admin (a new link on every start; any of them stops working once an
/// account exists).
pub async fn announce_setup_link(store: &Store, config: &Config) -> anyhow::Result<()> {
    if let Some(token) = users::issue_setup_token(store, store.now()).await? {
        tracing::warn!(
            "no admin account yet: open {}/admin/setup?token={token} to create one (the link works once), \
             or run `hewn user add NAME`",
            config.base_url
        );
    }
    Ok(())
}

//! Subcommands: each one resolves its configuration and calls into the library.

use anyhow::Context;

use crate::config::{Cli, Command, Config, DatabaseConfig};
use crate::{app, store};

/// Runs the command the user asked for on a fresh Tokio runtime.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(dispatch(cli))
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => serve(&cli, &cli.serve).await,
        Some(Command::Serve(args)) => serve(&cli, args).await,
        Some(Command::Migrate) => migrate(&cli).await,
        Some(Command::User(args)) => crate::accounts::run(&cli, args).await,
        Some(Command::Import(args)) => crate::wordpress::import::run(&cli, args).await,
        Some(Command::Export(args)) => crate::wordpress::export::run(&cli, args).await,
        Some(Command::Backup(args)) => crate::backup::run(&cli, args).await,
    }
}

async fn serve(cli: &Cli, args: &crate::config::ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::from_cli(cli, args)?;
    config.limits = crate::server::fit_to_file_limit(config.limits, crate::server::raise_file_limit());
    let explicit_base_url = args.base_url.is_some();
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let config = config.with_bound_addr(addr, explicit_base_url);
    let store = store::Store::open(&config.database).await?;
    store::init(&store, config.demo).await?;
    crate::accounts::announce_setup_link(&store, &config).await?;
    app::serve(listener, store, config, app::shutdown_signal()).await
}

async fn migrate(cli: &Cli) -> anyhow::Result<()> {
    let database = DatabaseConfig::from_cli(&cli.database_url, cli.sqlite_synchronous)?;
    let store = store::Store::open(&database).await?;
    store::init(&store, !cli.no_demo).await?;
    tracing::info!("database is up to date");
    store.close().await;
    Ok(())
}

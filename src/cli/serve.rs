//! `hewn serve` (and `hewn` with no subcommand).

use anyhow::Context;

use crate::config::{Cli, Config, ServeArgs};
use crate::{app, store};

/// Binds, opens and initialises the database, and serves until a shutdown signal.
pub(super) async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::from_cli(cli, args)?;
    config.limits = crate::server::fit_to_file_limit(config.limits, crate::server::raise_file_limit());
    let explicit_base_url = args.base_url.is_some();
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let config = config.with_bound_addr(addr, explicit_base_url);
    let store = store::Store::open(&config.database).await?;
    store::init(&store, config.demo).await?;
    super::user::announce_setup_link(&store, &config).await?;
    app::serve(listener, store, config, app::shutdown_signal()).await
}

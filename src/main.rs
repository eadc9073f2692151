//! The `hewn` binary: parse the command line, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hewn::config::Cli::parse();
    hewn::telemetry::init(cli.log.as_deref());
    match hewn::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("hewn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

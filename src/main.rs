//! The `hewn` binary: parse the command line, start logging, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hewn::config::Cli::parse_args();
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

//! `chimpassist serve`: parse settings, start logging, build the application, run until
//! SIGTERM or Ctrl-C, then shut down gracefully.

use chimpassist_server::config::{Cli, Command};
use chimpassist_server::{startup::Application, telemetry};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Serve(config) = Cli::parse().command;
    let config = config.with_aliases();
    telemetry::init(&config.log, config.log_json);
    let app = Application::build(config).await?;
    tracing::info!(port = app.port(), "chimpassist listening");
    app.run_until_stopped(chimpassist_server::startup::shutdown_signal())
        .await
}

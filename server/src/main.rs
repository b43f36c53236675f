use clap::Parser as _;
use tessera_server::cli::{Cli, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tessera_server::telemetry::init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

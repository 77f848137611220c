//! `keygate`: the command-line front of Keygate. Parsing and wiring only; the rules live in the
//! library crates.

mod code;
mod error;
mod uri;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Keygate: authenticator and 2FA admin server.
#[derive(Debug, Parser)]
#[command(
    name = "keygate",
    version,
    about = "Keygate: authenticator codes, otpauth links and the 2FA admin server",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the current (or a given time's) one-time code for a secret or an otpauth URI.
    Code(code::CodeArgs),
    /// Read otpauth:// URIs and Google Authenticator exports.
    #[command(subcommand)]
    Uri(uri::UriCommand),
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Code(args) => code::run(args),
        Command::Uri(command) => uri::run(command),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One plain sentence: clap's message without the usage block and tips after it.
            let rendered = e.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.starts_with("Usage:"))
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("tip:"))
                .collect();
            eprintln!("{} (see keygate --help)", message.join(" "));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

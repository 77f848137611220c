//! `keygate`: the command-line front of Keygate. Parsing and wiring only; the rules live in the
//! library crates.

mod accounts;
mod clipboard;
mod code;
mod error;
mod server;
mod sources;
mod uri;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

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
    /// Where the vault keeps its database (default: $KEYGATE_DATA_DIR, else the platform's
    /// data directory, e.g. ~/.local/share/keygate).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
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
    /// Add accounts from links, QR images, the screen, the clipboard or typed-in details.
    Add(accounts::AddArgs),
    /// List the accounts with their current codes.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one account's code (HOTP: advances the counter).
    Show(accounts::ShowArgs),
    /// Remove an account and its secret.
    Rm {
        /// An account id (or its first characters), or part of its issuer or name.
        query: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Change an account's issuer or name.
    Rename {
        /// An account id (or its first characters), or part of its issuer or name.
        query: String,
        /// The new issuer.
        #[arg(long)]
        issuer: Option<String>,
        /// The new account name.
        #[arg(long)]
        account: Option<String>,
    },
    /// Write an account's QR code to an .svg or .png file (to move it to a phone).
    Qr {
        /// An account id (or its first characters), or part of its issuer or name.
        query: String,
        /// The picture to write (.svg or .png).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the text of every QR code found, without adding anything.
    Scan {
        /// Image files.
        files: Vec<PathBuf>,
        /// Capture every monitor.
        #[arg(long)]
        screen: bool,
        /// Read the image on the clipboard.
        #[arg(long)]
        clipboard: bool,
    },
    /// Check that the database and the keyring agree; --repair removes orphan keyring entries.
    Doctor {
        /// Delete keyring entries that no account uses.
        #[arg(long)]
        repair: bool,
    },
    /// Run the admin server (HTTPS with a self-signed certificate unless told otherwise).
    Serve(server::ServeArgs),
    /// Manage the admin server's users from the command line.
    #[command(subcommand)]
    Admin(server::AdminCommand),
    /// List what is unsafe in a server configuration (exit 1 if anything is).
    Check {
        /// Check the deployment settings (the only check so far; required for clarity).
        #[arg(long, required = true)]
        deploy: bool,
        #[command(flatten)]
        serve: server::ServeArgs,
    },
    /// Holds a copied code on the clipboard and clears it (started by `show --copy`).
    #[command(hide = true)]
    ClipboardGuard,
}

/// A value as given, or standard input when it is `-` (keeps secrets out of `ps`).
pub(crate) fn stdin_if_dash(value: &str) -> Result<Zeroizing<String>, CliError> {
    if value != "-" {
        return Ok(Zeroizing::new(value.to_string()));
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|source| CliError::Io {
            what: "could not read standard input",
            source,
        })?;
    Ok(Zeroizing::new(input.trim().to_string()))
}

fn run(cli: Cli) -> Result<(), CliError> {
    // The one rule for where Keygate keeps its data (vault, server database, master key, TLS
    // key): `--data-dir`, else KEYGATE_DATA_DIR, else the platform directory. Resolved lazily,
    // since `code`, `uri` and `scan` need no directory and must work where none can be found.
    let explicit = cli.data_dir;
    let data_dir = move || keygate_vault::resolve_data_dir(explicit);
    match cli.command {
        Command::Code(args) => code::run(args),
        Command::Uri(command) => uri::run(command),
        Command::Add(args) => accounts::add(data_dir()?, args),
        Command::List { json } => accounts::list(data_dir()?, json),
        Command::Show(args) => accounts::show(data_dir()?, args),
        Command::Rm { query, yes } => accounts::remove(data_dir()?, &query, yes),
        Command::Rename {
            query,
            issuer,
            account,
        } => accounts::rename(data_dir()?, &query, issuer, account),
        Command::Qr { query, out, force } => accounts::qr(data_dir()?, &query, &out, force),
        Command::Scan {
            files,
            screen,
            clipboard,
        } => accounts::scan(files, screen, clipboard),
        Command::Doctor { repair } => accounts::doctor(data_dir()?, repair),
        Command::Serve(args) => server::serve(data_dir()?, args),
        Command::Admin(command) => server::admin(data_dir()?, command),
        Command::Check { deploy: _, serve } => server::check(data_dir()?, serve),
        Command::ClipboardGuard => clipboard::guard(),
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

//! `keygate uri`: inspect otpauth URIs and expand Google Authenticator exports.

use clap::Subcommand;
use keygate_otp::{migration, uri, Account};
use serde::Serialize;

use crate::error::CliError;

/// Subcommands of `keygate uri`.
#[derive(Debug, Subcommand)]
pub(crate) enum UriCommand {
    /// Print one JSON object describing an otpauth:// URI (the secret only with --show-secret).
    Parse {
        /// The URI.
        uri: String,
        /// Include the normalized base32 secret in the output.
        #[arg(long)]
        show_secret: bool,
    },
    /// Print one otpauth:// URI per account of Google Authenticator export links (give every
    /// QR code of a multi-part export).
    Migration {
        /// One or more otpauth-migration:// links.
        #[arg(required = true)]
        links: Vec<String>,
    },
}

/// The JSON shape of `keygate uri parse`.
#[derive(Serialize)]
struct Parsed<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    issuer: Option<&'a str>,
    account: &'a str,
    algorithm: &'static str,
    digits: u32,
    /// Seconds per code for time-based kinds, null for HOTP.
    period: Option<u64>,
    /// The counter for HOTP, null otherwise.
    counter: Option<u64>,
    weak_secret: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl<'a> Parsed<'a> {
    fn new(a: &'a Account, show_secret: bool) -> Self {
        Parsed {
            kind: a.kind.as_str(),
            issuer: a.issuer.as_deref(),
            account: &a.name,
            algorithm: a.algorithm.as_str(),
            digits: a.digits,
            period: a.kind.is_time_based().then_some(a.period),
            counter: (!a.kind.is_time_based()).then_some(a.counter),
            weak_secret: a.weak_secret(),
            secret: show_secret.then(|| a.secret.to_base32().to_string()),
        }
    }
}

/// Runs a `keygate uri` subcommand.
pub(crate) fn run(command: UriCommand) -> Result<(), CliError> {
    match command {
        UriCommand::Parse { uri, show_secret } => {
            let account = uri::parse(&uri)?;
            let json = serde_json::to_string(&Parsed::new(&account, show_secret))
                .map_err(|e| CliError::Usage(format!("could not write JSON: {e}")))?;
            println!("{json}");
        }
        UriCommand::Migration { links } => {
            let batches = links
                .iter()
                .map(|link| migration::parse(link))
                .collect::<Result<Vec<_>, _>>()?;
            for account in migration::join(batches)? {
                println!("{}", uri::emit(&account));
            }
        }
    }
    Ok(())
}

//! `keygate code`: one code from a secret or a URI.

use clap::Args;
use keygate_otp::{unix_now, uri, Account, Algorithm, Kind, Secret};

use crate::error::CliError;
use crate::stdin_if_dash;

/// Arguments of `keygate code`.
#[derive(Debug, Args)]
pub(crate) struct CodeArgs {
    /// Base32 secret (`-` reads it from standard input, which keeps it out of `ps`).
    #[arg(long, required_unless_present = "uri", conflicts_with = "uri")]
    secret: Option<String>,
    /// An otpauth:// or motp:// URI instead of --secret (`-` reads it from standard input).
    #[arg(long)]
    uri: Option<String>,
    /// HMAC algorithm: SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1", conflicts_with_all = ["uri", "steam"])]
    algorithm: String,
    /// Number of digits (6 to 10).
    #[arg(long, default_value_t = 6, conflicts_with_all = ["uri", "steam"])]
    digits: u32,
    /// TOTP period in seconds (1 to 3600).
    #[arg(long, default_value_t = 30, conflicts_with_all = ["uri", "counter", "steam"])]
    period: u64,
    /// HOTP counter: makes the code counter-based instead of time-based.
    #[arg(long, conflicts_with_all = ["uri", "steam"])]
    counter: Option<u64>,
    /// A Steam Guard code (5 characters).
    #[arg(long, conflicts_with = "uri")]
    steam: bool,
    /// Unix time to compute the code for (default: now).
    #[arg(long)]
    time: Option<u64>,
    /// PIN for Yandex and mOTP URIs.
    #[arg(long)]
    pin: Option<String>,
}

/// Builds the account the arguments describe.
fn account(args: CodeArgs) -> Result<(Account, Option<String>, u64), CliError> {
    let time = args.time.unwrap_or_else(unix_now);
    if let Some(text) = args.uri {
        let text = stdin_if_dash(&text)?;
        return Ok((uri::parse(&text)?, args.pin, time));
    }
    let secret_text = stdin_if_dash(&args.secret.unwrap_or_default())?;
    let secret = Secret::from_base32(&secret_text)?;
    let algorithm: Algorithm = args.algorithm.parse()?;
    let (kind, counter) = match (args.steam, args.counter) {
        (true, _) => (Kind::Steam, 0),
        (false, Some(counter)) => (Kind::Hotp, counter),
        (false, None) => (Kind::Totp, 0),
    };
    let account = Account::new(
        kind,
        secret,
        None,
        "",
        algorithm,
        args.digits,
        args.period,
        counter,
    )?;
    Ok((account, args.pin, time))
}

/// Prints the code.
pub(crate) fn run(args: CodeArgs) -> Result<(), CliError> {
    let (account, pin, time) = account(args)?;
    let code = match (account.kind.needs_pin(), pin) {
        (true, Some(pin)) => account.code_with_pin_at(time, &pin)?,
        (true, None) => {
            return Err(CliError::Usage(format!(
                "{} codes need a PIN: pass --pin",
                account.kind
            )))
        }
        (false, _) => account.code_at(time)?,
    };
    println!("{code}");
    Ok(())
}

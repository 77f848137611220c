//! The staff authenticator commands: add, list, show, rm, rename, qr, scan, doctor.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use keygate_otp::{unix_now, uri, Account, Algorithm, Kind, Secret};
use keygate_vault::{AddOutcome, Entry, KeyringStore, Vault};
use serde::Serialize;

use crate::clipboard;
use crate::error::CliError;
use crate::sources;
use crate::stdin_if_dash;
use keygate_otp::import::{self, Input};

/// Opens the vault in the resolved data directory, on the OS keyring.
fn open(dir: PathBuf) -> Result<Vault<KeyringStore>, CliError> {
    Ok(Vault::open(dir, KeyringStore::new()?)?)
}

/// Where `add` and `scan` read QR codes from.
#[derive(Debug, Args)]
pub(crate) struct QrSources {
    /// Image files (PNG, JPEG, WebP, BMP, GIF) whose QR codes to read.
    #[arg(long = "scan", value_name = "FILE", num_args = 1..)]
    files: Vec<PathBuf>,
    /// Capture every monitor and read every QR code on it.
    #[arg(long)]
    screen: bool,
    /// Read the QR codes in the image on the clipboard.
    #[arg(long)]
    clipboard: bool,
}

impl QrSources {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && !self.screen && !self.clipboard
    }

    fn read(&self) -> Result<Vec<Input>, CliError> {
        let mut payloads = sources::from_files(&self.files)?;
        if self.screen {
            payloads.extend(sources::from_screen()?);
        }
        if self.clipboard {
            payloads.extend(sources::from_clipboard()?);
        }
        Ok(payloads)
    }
}

/// Arguments of `keygate add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// otpauth://, motp:// or otpauth-migration:// links.
    links: Vec<String>,
    #[command(flatten)]
    qr: QrSources,
    /// Manual entry: the issuer (service) name.
    #[arg(long, requires = "secret")]
    issuer: Option<String>,
    /// Manual entry: the account name.
    #[arg(long, requires = "secret")]
    account: Option<String>,
    /// Manual entry: the base32 secret (`-` reads it from standard input).
    #[arg(long)]
    secret: Option<String>,
    /// Manual entry: SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1", requires = "secret")]
    algorithm: String,
    /// Manual entry: digits (6 to 10).
    #[arg(long, default_value_t = 6, requires = "secret")]
    digits: u32,
    /// Manual entry: period in seconds.
    #[arg(long, default_value_t = 30, requires = "secret")]
    period: u64,
    /// Manual entry: HOTP with this counter.
    #[arg(long, requires = "secret", conflicts_with = "steam")]
    counter: Option<u64>,
    /// Manual entry: a Steam Guard account.
    #[arg(long, requires = "secret")]
    steam: bool,
}

impl AddArgs {
    fn manual(&self) -> Result<Option<Account>, CliError> {
        let Some(secret) = &self.secret else {
            return Ok(None);
        };
        let secret = stdin_if_dash(secret)?;
        let (kind, counter) = match (self.steam, self.counter) {
            (true, _) => (Kind::Steam, 0),
            (false, Some(counter)) => (Kind::Hotp, counter),
            (false, None) => (Kind::Totp, 0),
        };
        Ok(Some(Account::new(
            kind,
            Secret::from_base32(&secret)?,
            self.issuer.clone(),
            self.account.clone().unwrap_or_default(),
            self.algorithm.parse::<Algorithm>()?,
            self.digits,
            self.period,
            counter,
        )?))
    }
}

/// `keygate add`: everything is read and checked first; then all accounts are added.
pub(crate) fn add(data_dir: PathBuf, args: AddArgs) -> Result<(), CliError> {
    if args.links.is_empty() && args.qr.is_empty() && args.secret.is_none() {
        return Err(CliError::Usage(
            "give a link, --scan FILE, --screen, --clipboard or --secret".into(),
        ));
    }
    let mut payloads = sources::from_args(&args.links);
    payloads.extend(args.qr.read()?);
    let mut accounts = import::accounts(&payloads)?;
    accounts.extend(args.manual()?);
    if accounts.is_empty() {
        return Err(CliError::Usage("nothing to add".into()));
    }
    let vault = open(data_dir)?;
    let mut out = std::io::stdout().lock();
    let mut first_error = None;
    let mut failed = 0;
    for (account, outcome) in accounts.iter().zip(vault.add_many(&accounts)) {
        match outcome {
            Ok(AddOutcome::Added(entry)) => {
                writeln!(out, "added: {} [{}]", entry.label(), entry.id.short()).map_err(io)?
            }
            Ok(AddOutcome::Duplicate(entry)) => writeln!(
                out,
                "already present: {} [{}]",
                entry.label(),
                entry.id.short()
            )
            .map_err(io)?,
            Err(error) => {
                writeln!(out, "not added: {}", account.label()).map_err(io)?;
                failed += 1;
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        None => Ok(()),
        Some(error) => Err(CliError::From {
            origin: format!("{failed} of {} account(s) not added", accounts.len()),
            message: error.to_string(),
        }),
    }
}

fn io(source: std::io::Error) -> CliError {
    CliError::Io {
        what: "could not write the output",
        source,
    }
}

/// One row of `keygate list --json`.
#[derive(Serialize)]
struct Listed<'a> {
    id: String,
    issuer: Option<&'a str>,
    account: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    code: Option<String>,
    seconds_left: Option<u64>,
    problem: Option<String>,
}

/// `keygate list`: every account with its current code (HOTP: none until asked).
pub(crate) fn list(data_dir: PathBuf, json: bool) -> Result<(), CliError> {
    let vault = open(data_dir)?;
    let unlocked = vault.unlock()?;
    let now = unix_now();
    let codes = unlocked.codes_at(now);
    let rows: Vec<Listed> = unlocked
        .entries()
        .iter()
        .zip(codes)
        .map(|(entry, code)| Listed {
            id: entry.id.to_string(),
            issuer: entry.issuer.as_deref(),
            account: &entry.name,
            kind: entry.kind.as_str(),
            code: code.code,
            seconds_left: code.seconds_left,
            problem: unlocked.problem(&entry.id),
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(&rows)
            .map_err(|e| CliError::Usage(format!("could not write JSON: {e}")))?;
        writeln!(out, "{text}").map_err(io)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no accounts yet: add one with `keygate add`").map_err(io)?;
        return Ok(());
    }
    let issuer_width = rows
        .iter()
        .map(|r| r.issuer.unwrap_or("").chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let account_width = rows
        .iter()
        .map(|r| r.account.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    writeln!(
        out,
        "{:<8}  {:<issuer_width$}  {:<account_width$}  {:<10}  LEFT",
        "ID", "ISSUER", "ACCOUNT", "CODE"
    )
    .map_err(io)?;
    for (row, entry) in rows.iter().zip(unlocked.entries()) {
        let code = match (&row.code, &row.problem) {
            (Some(code), _) => code.clone(),
            (None, Some(_)) => "(missing)".into(),
            (None, None) if entry.kind == Kind::Hotp => "(hotp)".into(),
            (None, None) => "(pin)".into(),
        };
        let left = row
            .seconds_left
            .map(|s| format!("{s}s"))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<8}  {:<issuer_width$}  {:<account_width$}  {:<10}  {left}",
            entry.id.short(),
            row.issuer.unwrap_or(""),
            row.account,
            code
        )
        .map_err(io)?;
    }
    if let Some(problem) = rows.iter().find_map(|r| r.problem.as_ref()) {
        writeln!(out, "warning: {problem}").map_err(io)?;
    }
    Ok(())
}

/// Arguments of `keygate show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// An account id (or its first characters), or part of its issuer or name.
    query: String,
    /// Copy the code to the clipboard; it is cleared after 30 s if it still holds the code.
    #[arg(long)]
    copy: bool,
    /// PIN for Yandex and mOTP accounts.
    #[arg(long)]
    pin: Option<String>,
}

/// `keygate show`: one account's code. HOTP advances (and commits) the counter first.
pub(crate) fn show(data_dir: PathBuf, args: ShowArgs) -> Result<(), CliError> {
    let vault = open(data_dir)?;
    let entry = vault.find(&args.query)?;
    let code = if entry.kind == Kind::Hotp {
        vault.hotp_next(&entry.id)?
    } else {
        let account = vault.load_account(&entry.id)?;
        match (&args.pin, account.kind.needs_pin()) {
            (Some(pin), true) => account.code_with_pin_at(unix_now(), pin)?,
            (None, true) => {
                return Err(CliError::Usage(format!(
                    "{} codes need a PIN: pass --pin",
                    account.kind
                )))
            }
            (_, false) => account.code_now()?,
        }
    };
    println!("{code}");
    if args.copy {
        clipboard::copy_and_clear_later(&code)?;
        eprintln!(
            "copied; the clipboard is cleared in {} s",
            clipboard::clear_after_secs()
        );
    }
    Ok(())
}

/// `keygate rm`: asks first on a terminal unless `--yes`.
pub(crate) fn remove(data_dir: PathBuf, query: &str, yes: bool) -> Result<(), CliError> {
    let vault = open(data_dir)?;
    let entry = vault.find(query)?;
    if !yes
        && std::io::stdin().is_terminal()
        && !confirm(&format!("Remove {} and its secret? [y/N] ", entry.label()))?
    {
        return Err(CliError::Usage("nothing removed".into()));
    }
    let removed = vault.remove(&entry.id)?;
    println!("removed: {} [{}]", removed.label(), removed.id.short());
    Ok(())
}

fn confirm(question: &str) -> Result<bool, CliError> {
    eprint!("{question}");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| CliError::Io {
            what: "could not read the answer",
            source,
        })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `keygate rename`.
pub(crate) fn rename(
    data_dir: PathBuf,
    query: &str,
    issuer: Option<String>,
    account: Option<String>,
) -> Result<(), CliError> {
    if issuer.is_none() && account.is_none() {
        return Err(CliError::Usage("give --issuer, --account or both".into()));
    }
    let vault = open(data_dir)?;
    let entry: Entry = vault.find(query)?;
    let issuer = issuer.or(entry.issuer.clone());
    let name = account.unwrap_or(entry.name.clone());
    let renamed = vault.rename(&entry.id, issuer.as_deref(), &name)?;
    println!("renamed: {} [{}]", renamed.label(), renamed.id.short());
    Ok(())
}

/// `keygate qr`: writes the account's otpauth link as a QR picture, readable only by the user.
pub(crate) fn qr(data_dir: PathBuf, query: &str, out: &Path, force: bool) -> Result<(), CliError> {
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let vault = open(data_dir)?;
    let entry = vault.find(query)?;
    let link = zeroize::Zeroizing::new(uri::emit(&vault.load_account(&entry.id)?));
    let bytes = match extension.as_deref() {
        Some("svg") => keygate_qr::encode_svg(&link)?.into_bytes(),
        Some("png") => keygate_qr::encode_png(&link, 8)?,
        _ => {
            return Err(CliError::Usage(
                "the output file must end in .svg or .png".into(),
            ))
        }
    };
    write_private(out, &bytes, force)?;
    println!(
        "wrote {} (it contains the secret: delete it once scanned)",
        out.display()
    );
    Ok(())
}

/// Creates the file with mode 0600 (the picture holds the secret); refuses to overwrite unless
/// `force`.
fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| CliError::File {
        path: path.to_path_buf(),
        source,
    })?;
    file.write_all(bytes).map_err(|source| CliError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// `keygate scan`: prints every payload found, adds nothing.
pub(crate) fn scan(files: Vec<PathBuf>, screen: bool, clipboard: bool) -> Result<(), CliError> {
    let sources = QrSources {
        files,
        screen,
        clipboard,
    };
    if sources.is_empty() {
        return Err(CliError::Usage(
            "give image files, --screen or --clipboard".into(),
        ));
    }
    let mut out = std::io::stdout().lock();
    for payload in sources.read()? {
        writeln!(out, "{}", payload.text).map_err(io)?;
    }
    Ok(())
}

/// `keygate doctor`: reports (and with `repair` fixes) rows and keyring entries that disagree.
pub(crate) fn doctor(data_dir: PathBuf, repair: bool) -> Result<(), CliError> {
    let vault = open(data_dir)?;
    let report = vault.doctor(repair)?;
    println!("{report}");
    if report.problems_left() > 0 {
        return Err(CliError::Usage(format!(
            "{} problem(s) left{}",
            report.problems_left(),
            if repair {
                ""
            } else {
                "; run `keygate doctor --repair`"
            }
        )));
    }
    Ok(())
}

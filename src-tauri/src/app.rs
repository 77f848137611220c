//! What the Tauri commands do, as plain functions over a [`Desktop`] so tests can call them
//! against a real vault without a window. Business rules stay in the library crates.

use std::path::{Path, PathBuf};

use keygate_otp::import::{self, Input};
use keygate_otp::throttle::{Throttle, DEFAULT_FACTOR};
use keygate_otp::{unix_now, uri, Account};
use keygate_vault::{AccountId, AddOutcome, Entry, SecretStore, Unlocked, Vault};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::DesktopError;
use crate::manual::ManualEntry;

/// One row of the account list.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    /// The account's id (a string the UI passes back).
    pub id: String,
    /// Who issued it.
    pub issuer: Option<String>,
    /// The account name.
    pub name: String,
    /// `totp`, `hotp`, `steam`, ...
    pub kind: String,
    /// Code length.
    pub digits: u32,
    /// Seconds per code (time-based kinds).
    pub period: u64,
    /// The current code; `None` for HOTP (on demand) or when the secret is unavailable.
    pub code: Option<String>,
    /// Seconds until the code changes.
    pub seconds_left: Option<u64>,
    /// Why there is no code, when the secret is unavailable.
    pub problem: Option<String>,
    /// Pinned by the user.
    pub favourite: bool,
    /// The code that follows, when a time-based code has at most [`NEXT_CODE_WITHIN`] s left.
    pub next_code: Option<String>,
    /// The user's note.
    pub note: Option<String>,
}

/// How many seconds before a time-based code changes the next one is shown too.
pub const NEXT_CODE_WITHIN: u64 = 5;

/// The idle time after which the window locks, unless `KEYGATE_IDLE_LOCK_SECS` says otherwise.
pub const DEFAULT_IDLE_LOCK_SECS: u64 = 300;

/// The environment variable that sets the idle auto-lock delay in seconds (0 disables it).
pub const IDLE_LOCK_ENV: &str = "KEYGATE_IDLE_LOCK_SECS";

/// The app's settings the window needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Seconds without input before the app locks itself; 0 means never.
    pub idle_lock_secs: u64,
}

impl Settings {
    /// The settings from a value of `KEYGATE_IDLE_LOCK_SECS` (`None`: unset); a value that is
    /// not a whole number of seconds is an error naming the variable.
    pub fn from_idle_lock_value(value: Option<&str>) -> Result<Settings, String> {
        let idle_lock_secs = match value.map(str::trim) {
            None | Some("") => DEFAULT_IDLE_LOCK_SECS,
            Some(text) => text.parse().map_err(|_| {
                format!("{IDLE_LOCK_ENV} must be a whole number of seconds (0 disables the idle lock), not {text:?}")
            })?,
        };
        Ok(Settings { idle_lock_secs })
    }

    /// The settings from the environment; an invalid value falls back to the default (and says
    /// so on standard error).
    pub fn from_env() -> Settings {
        let value = std::env::var(IDLE_LOCK_ENV).ok();
        Settings::from_idle_lock_value(value.as_deref()).unwrap_or_else(|problem| {
            eprintln!("keygate-desktop: {problem}; using {DEFAULT_IDLE_LOCK_SECS} s");
            Settings {
                idle_lock_secs: DEFAULT_IDLE_LOCK_SECS,
            }
        })
    }
}

/// What an add did to one account.
#[derive(Debug, Clone, Serialize)]
pub struct AddedView {
    /// `Issuer (name)`.
    pub label: String,
    /// True when added, false when it was already present.
    pub added: bool,
    /// Why it was not added, when it failed.
    pub error: Option<String>,
}

/// The longest wait imposed after wrong app passwords, in seconds.
pub const APP_PASSWORD_MAX_DELAY: u64 = 60;

/// The app's state: the data directory, the open vault and, while unlocked, the secrets.
pub struct Desktop<S: SecretStore> {
    vault: Vault<S>,
    unlocked: Option<Unlocked>,
    /// Wrong app passwords so far (in memory only): 1 s, 2 s, 4 s … at most
    /// [`APP_PASSWORD_MAX_DELAY`] before the next attempt.
    password_throttle: Throttle,
}

impl<S: SecretStore> Desktop<S> {
    /// Opens the vault in `data_dir` with `store` holding the secrets; starts locked.
    pub fn open(data_dir: &Path, store: S) -> Result<Self, DesktopError> {
        Ok(Desktop {
            vault: Vault::open(data_dir, store)?,
            unlocked: None,
            password_throttle: Throttle::default(),
        })
    }

    /// Whether secrets are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.unlocked.is_some()
    }

    /// Reads every secret from the keyring once and keeps them in memory; with an app password
    /// set this is refused (use [`Self::unlock_with`]).
    pub fn unlock(&mut self) -> Result<(), DesktopError> {
        self.unlock_with(None)
    }

    /// Unlocks now with the app password, if one is set (see [`Self::unlock_with_at`]).
    pub fn unlock_with(&mut self, password: Option<&str>) -> Result<(), DesktopError> {
        self.unlock_with_at(password, unix_now())
    }

    /// Unlocks at `time` (Unix seconds): when an app password is set, a missing or wrong one is
    /// refused before any secret is read, and after a wrong one further attempts are refused
    /// for 1 s, 2 s, 4 s … (at most [`APP_PASSWORD_MAX_DELAY`]). Already unlocked, it only
    /// re-reads the secrets.
    pub fn unlock_with_at(
        &mut self,
        password: Option<&str>,
        time: u64,
    ) -> Result<(), DesktopError> {
        if self.unlocked.is_none() {
            self.check_app_password_at(password, time)?;
        }
        self.unlocked = Some(self.vault.unlock()?);
        Ok(())
    }

    /// Whether an app password is set.
    pub fn has_app_password(&self) -> Result<bool, DesktopError> {
        Ok(self.vault.has_app_password()?)
    }

    /// Sets, changes (`new`) or removes (`new` = `None`) the app password; only while unlocked,
    /// and with the `current` one when one is set (a wrong one counts towards the throttle).
    pub fn set_app_password(
        &mut self,
        current: Option<&str>,
        new: Option<&str>,
    ) -> Result<(), DesktopError> {
        self.set_app_password_at(current, new, unix_now())
    }

    /// [`Self::set_app_password`] at `time` (Unix seconds).
    pub fn set_app_password_at(
        &mut self,
        current: Option<&str>,
        new: Option<&str>,
        time: u64,
    ) -> Result<(), DesktopError> {
        self.unlocked()?;
        self.throttle_check(time)?;
        let result = self.vault.set_app_password(current, new);
        self.count_attempt(&result, time);
        Ok(result?)
    }

    /// Seconds before an app password may be tried again at `time`, `None` if it may be now.
    pub fn app_password_retry_after(&self, time: u64) -> Option<u64> {
        let last = self.password_throttle.last_failure?;
        let required = self
            .password_throttle
            .required_delay(DEFAULT_FACTOR)
            .min(APP_PASSWORD_MAX_DELAY);
        let elapsed = time.saturating_sub(last);
        (elapsed < required).then(|| required - elapsed)
    }

    fn throttle_check(&self, time: u64) -> Result<(), DesktopError> {
        match self.app_password_retry_after(time) {
            Some(seconds) => Err(DesktopError::Throttled(seconds)),
            None => Ok(()),
        }
    }

    /// The vault's app password check (passes when none is set), throttled.
    fn check_app_password_at(
        &mut self,
        password: Option<&str>,
        time: u64,
    ) -> Result<(), DesktopError> {
        self.throttle_check(time)?;
        let result = self.vault.verify_app_password(password);
        self.count_attempt(&result, time);
        Ok(result?)
    }

    /// A wrong password is a failure; a right one clears the count; anything else leaves it.
    fn count_attempt(&mut self, result: &keygate_vault::Result<()>, time: u64) {
        match result {
            Ok(()) => self.password_throttle = self.password_throttle.succeeded(),
            Err(keygate_vault::Error::WrongAppPassword) => {
                self.password_throttle = self.password_throttle.failed(time);
            }
            Err(_) => {}
        }
    }

    /// Drops every secret from memory (they are wiped on drop).
    pub fn lock(&mut self) {
        if let Some(unlocked) = self.unlocked.take() {
            unlocked.lock();
        }
    }

    fn unlocked(&self) -> Result<&Unlocked, DesktopError> {
        self.unlocked.as_ref().ok_or(DesktopError::Locked)
    }

    /// Re-reads the secrets after a change, keeping the lock state.
    fn refresh(&mut self) -> Result<(), DesktopError> {
        if self.unlocked.is_some() {
            self.unlocked = Some(self.vault.unlock()?);
        }
        Ok(())
    }

    /// Every account with its code at `time` (Unix seconds).
    pub fn list_at(&self, time: u64) -> Result<Vec<AccountView>, DesktopError> {
        let unlocked = self.unlocked()?;
        let codes = unlocked.codes_at(time);
        Ok(unlocked
            .entries()
            .iter()
            .zip(codes)
            .map(|(entry, code)| AccountView {
                next_code: match (&code.code, code.seconds_left) {
                    (Some(_), Some(left)) if left <= NEXT_CODE_WITHIN => {
                        unlocked.code_at(&entry.id, time + left).ok()
                    }
                    _ => None,
                },
                note: entry.note.clone(),
                id: entry.id.to_string(),
                issuer: entry.issuer.clone(),
                name: entry.name.clone(),
                kind: entry.kind.as_str().to_string(),
                digits: entry.digits,
                period: entry.period,
                code: code.code,
                seconds_left: code.seconds_left,
                problem: unlocked.problem(&entry.id),
                favourite: entry.favourite,
            })
            .collect())
    }

    /// Every account with its code now.
    pub fn list_now(&self) -> Result<Vec<AccountView>, DesktopError> {
        self.list_at(unix_now())
    }

    /// Adds the accounts of pasted otpauth://, motp:// or otpauth-migration:// links (one or
    /// more, separated by white space). Everything is parsed before anything is added.
    pub fn add_links(&mut self, text: &str) -> Result<Vec<AddedView>, DesktopError> {
        let payloads: Vec<Input> = text
            .split_whitespace()
            .enumerate()
            .map(|(i, link)| Input::link(format!("link {}", i + 1), link))
            .collect();
        if payloads.is_empty() {
            return Err(DesktopError::Nothing(
                "paste an otpauth:// or otpauth-migration:// link".into(),
            ));
        }
        self.add_payloads(&payloads)
    }

    /// Reads the image on the clipboard and adds the accounts of every QR code in it.
    pub fn add_clipboard(&mut self) -> Result<Vec<AddedView>, DesktopError> {
        let texts = match keygate_qr::capture::scan_clipboard() {
            Err(keygate_qr::Error::NoClipboardImage | keygate_qr::Error::Capture(_))
                if clipboard_holds_text() =>
            {
                return Err(DesktopError::Nothing(
                    "the clipboard holds text, not an image: copy a picture of the QR code, or \
                     paste a link into the link box"
                        .into(),
                ));
            }
            result => result?,
        };
        self.add_qr_texts(texts, "the clipboard's image")
    }

    /// Adds an account typed in by hand; its problems, one per wrong field, are the error.
    pub fn add_manual(&mut self, entry: &ManualEntry) -> Result<Vec<AddedView>, DesktopError> {
        let account = entry.account().map_err(DesktopError::Fields)?;
        self.add_accounts(&[account])
    }

    /// Adds the accounts of every QR code in an image file.
    pub fn add_image(&mut self, path: &Path) -> Result<Vec<AddedView>, DesktopError> {
        let texts = keygate_qr::decode_file(path)?;
        let origin = path.display().to_string();
        self.add_qr_texts(texts, &origin)
    }

    /// Captures every monitor and adds the accounts of every QR code found.
    pub fn add_screen(&mut self) -> Result<Vec<AddedView>, DesktopError> {
        let started = std::time::Instant::now();
        tracing::info!("scanning the screens");
        let texts = keygate_qr::capture::scan_screens();
        // How many codes and how long, never what they say.
        tracing::info!(
            codes = texts.as_ref().map_or(0, Vec::len),
            ms = started.elapsed().as_millis() as u64,
            "screen scan finished"
        );
        self.add_qr_texts(texts?, "the screen")
    }

    fn add_qr_texts(
        &mut self,
        texts: Vec<String>,
        origin: &str,
    ) -> Result<Vec<AddedView>, DesktopError> {
        if texts.is_empty() {
            return Err(DesktopError::Nothing(format!(
                "no QR code was found on {origin}"
            )));
        }
        let payloads: Vec<Input> = texts
            .into_iter()
            .map(|text| Input::scanned(origin, text))
            .collect();
        self.add_payloads(&payloads)
    }

    fn add_payloads(&mut self, payloads: &[Input]) -> Result<Vec<AddedView>, DesktopError> {
        let accounts = import::accounts(payloads)?;
        if accounts.is_empty() {
            return Err(DesktopError::Nothing("nothing to add".into()));
        }
        self.add_accounts(&accounts)
    }

    fn add_accounts(&mut self, accounts: &[Account]) -> Result<Vec<AddedView>, DesktopError> {
        let views = accounts
            .iter()
            .zip(self.vault.add_many(accounts))
            .map(|(account, outcome)| match outcome {
                Ok(AddOutcome::Added(entry)) => AddedView {
                    label: entry.label(),
                    added: true,
                    error: None,
                },
                Ok(AddOutcome::Duplicate(entry)) => AddedView {
                    label: entry.label(),
                    added: false,
                    error: None,
                },
                Err(error) => AddedView {
                    label: account.label(),
                    added: false,
                    error: Some(error.to_string()),
                },
            })
            .collect();
        self.refresh()?;
        Ok(views)
    }

    /// Removes an account (metadata and keyring secret).
    pub fn delete(&mut self, id: &str) -> Result<Entry, DesktopError> {
        let entry = self.vault.remove(&parse_id(id)?)?;
        self.refresh()?;
        Ok(entry)
    }

    /// Changes an account's issuer, name and note; an empty issuer or note clears it.
    pub fn edit(
        &mut self,
        id: &str,
        issuer: &str,
        name: &str,
        note: &str,
    ) -> Result<Entry, DesktopError> {
        let id = parse_id(id)?;
        let issuer = issuer.trim();
        let issuer = (!issuer.is_empty()).then_some(issuer);
        self.vault.rename(&id, issuer, name.trim())?;
        let entry = self.vault.set_note(&id, Some(note))?;
        self.refresh()?;
        Ok(entry)
    }

    /// Marks or unmarks an account as a favourite.
    pub fn set_favourite(&mut self, id: &str, favourite: bool) -> Result<Entry, DesktopError> {
        let entry = self.vault.set_favourite(&parse_id(id)?, favourite)?;
        self.refresh()?;
        Ok(entry)
    }

    /// Moves an account to `position` in the vault's order (0 first; past the end means last).
    pub fn move_account(&mut self, id: &str, position: u32) -> Result<(), DesktopError> {
        self.vault.move_to(&parse_id(id)?, position)?;
        self.refresh()
    }

    /// The account as an SVG QR code of its otpauth link, to move it to another device. It holds
    /// the secret: the caller shows it only after the user confirmed, and never logs it.
    pub fn account_qr(&self, id: &str) -> Result<String, DesktopError> {
        let account = self.unlocked()?.account(&parse_id(id)?)?;
        let link = Zeroizing::new(uri::emit(account));
        Ok(keygate_qr::encode_svg(&link)?)
    }

    /// Advances an HOTP counter (committed first) and returns the code for the counter it had.
    pub fn hotp_next(&mut self, id: &str) -> Result<String, DesktopError> {
        let id = parse_id(id)?;
        let unlocked = self.unlocked.as_mut().ok_or(DesktopError::Locked)?;
        Ok(unlocked.hotp_next(&self.vault, &id)?)
    }

    /// The vault itself (the console keeps the embedded server's key among its secrets).
    pub fn vault(&self) -> &Vault<S> {
        &self.vault
    }

    /// The current code of one account (for copying), computed from the secrets in memory.
    pub fn code_now(&self, id: &str) -> Result<String, DesktopError> {
        Ok(self.unlocked()?.code_now(&parse_id(id)?)?)
    }
}

/// Whether the clipboard holds text (read and wiped: it may be a secret link).
fn clipboard_holds_text() -> bool {
    arboard::Clipboard::new()
        .and_then(|mut clipboard| clipboard.get_text())
        .map(Zeroizing::new)
        .is_ok_and(|text| !text.trim().is_empty())
}

fn parse_id(id: &str) -> Result<AccountId, DesktopError> {
    id.parse().map_err(|_| DesktopError::BadId)
}

/// Where the app keeps its data: `KEYGATE_DATA_DIR` or the platform data directory.
pub fn data_dir() -> Result<PathBuf, DesktopError> {
    Ok(keygate_vault::resolve_data_dir(None)?)
}

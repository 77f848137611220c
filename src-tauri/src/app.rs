//! What the Tauri commands do, as plain functions over a [`Desktop`] so tests can call them
//! against a real vault without a window. Business rules stay in the library crates.

use std::path::{Path, PathBuf};

use keygate_otp::import::{self, Input};
use keygate_otp::unix_now;
use keygate_vault::{AccountId, AddOutcome, Entry, SecretStore, Unlocked, Vault};
use serde::Serialize;

use crate::error::DesktopError;

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

/// The app's state: the data directory, the open vault and, while unlocked, the secrets.
pub struct Desktop<S: SecretStore> {
    vault: Vault<S>,
    unlocked: Option<Unlocked>,
}

impl<S: SecretStore> Desktop<S> {
    /// Opens the vault in `data_dir` with `store` holding the secrets; starts locked.
    pub fn open(data_dir: &Path, store: S) -> Result<Self, DesktopError> {
        Ok(Desktop {
            vault: Vault::open(data_dir, store)?,
            unlocked: None,
        })
    }

    /// Whether secrets are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.unlocked.is_some()
    }

    /// Reads every secret from the keyring once and keeps them in memory.
    pub fn unlock(&mut self) -> Result<(), DesktopError> {
        self.unlocked = Some(self.vault.unlock()?);
        Ok(())
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
            self.unlock()?;
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

    /// Adds the accounts of every QR code in an image file.
    pub fn add_image(&mut self, path: &Path) -> Result<Vec<AddedView>, DesktopError> {
        let texts = keygate_qr::decode_file(path)?;
        let origin = path.display().to_string();
        self.add_qr_texts(texts, &origin)
    }

    /// Captures every monitor and adds the accounts of every QR code found.
    pub fn add_screen(&mut self) -> Result<Vec<AddedView>, DesktopError> {
        let texts = keygate_qr::capture::scan_screens()?;
        self.add_qr_texts(texts, "the screen")
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
        let views = accounts
            .iter()
            .zip(self.vault.add_many(&accounts))
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

    /// Renames an account; an empty issuer clears it.
    pub fn rename(&mut self, id: &str, issuer: &str, name: &str) -> Result<Entry, DesktopError> {
        let issuer = issuer.trim();
        let issuer = (!issuer.is_empty()).then_some(issuer);
        let entry = self.vault.rename(&parse_id(id)?, issuer, name.trim())?;
        self.refresh()?;
        Ok(entry)
    }

    /// Advances an HOTP counter (committed first) and returns the code for the counter it had.
    pub fn hotp_next(&mut self, id: &str) -> Result<String, DesktopError> {
        let id = parse_id(id)?;
        let unlocked = self.unlocked.as_mut().ok_or(DesktopError::Locked)?;
        Ok(unlocked.hotp_next(&self.vault, &id)?)
    }

    /// The current code of one account (for copying), computed from the secrets in memory.
    pub fn code_now(&self, id: &str) -> Result<String, DesktopError> {
        Ok(self.unlocked()?.code_now(&parse_id(id)?)?)
    }
}

fn parse_id(id: &str) -> Result<AccountId, DesktopError> {
    id.parse().map_err(|_| DesktopError::BadId)
}

/// Where the app keeps its data: `KEYGATE_DATA_DIR` or the platform data directory.
pub fn data_dir() -> Result<PathBuf, DesktopError> {
    Ok(keygate_vault::resolve_data_dir(None)?)
}

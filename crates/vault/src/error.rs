//! The one error type of the vault.

use std::path::PathBuf;

use thiserror::Error;

use crate::AccountId;

/// The platform keyring's name, for messages.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) const KEYRING_NAME: &str = "Secret Service";
/// The platform keyring's name, for messages.
#[cfg(target_os = "macos")]
pub(crate) const KEYRING_NAME: &str = "macOS Keychain";
/// The platform keyring's name, for messages.
#[cfg(windows)]
pub(crate) const KEYRING_NAME: &str = "Windows Credential Manager";
/// The platform keyring's name, for messages.
#[cfg(not(any(unix, windows)))]
pub(crate) const KEYRING_NAME: &str = "OS keyring";

/// What to do when the platform keyring cannot be reached, per platform.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) const START_KEYRING_HINT: &str = "start gnome-keyring or KWallet and unlock it \
     (on a machine without a desktop: run under dbus-run-session with \
     `gnome-keyring-daemon --unlock`, as scripts/with-keyring.sh does)";
/// What to do when the platform keyring cannot be reached, per platform.
#[cfg(target_os = "macos")]
pub(crate) const START_KEYRING_HINT: &str =
    "log in to a macOS user session so the Keychain is available";
/// What to do when the platform keyring cannot be reached, per platform.
#[cfg(windows)]
pub(crate) const START_KEYRING_HINT: &str =
    "log in to a Windows user session so the Credential Manager is available";
/// What to do when the platform keyring cannot be reached, per platform.
#[cfg(not(any(unix, windows)))]
pub(crate) const START_KEYRING_HINT: &str = "this platform has no supported keyring";

/// Everything that can go wrong in the vault. Messages are plain sentences that say what to do;
/// they never contain secret material.
#[derive(Debug, Error)]
pub enum Error {
    /// The OS keyring (Secret Service, Keychain, Credential Manager) cannot be reached.
    #[error("the {name} is not available ({reason}): {hint}", name = KEYRING_NAME, hint = START_KEYRING_HINT)]
    KeyringUnavailable {
        /// What the keyring library reported.
        reason: String,
    },
    /// The keyring exists but is locked (or the unlock prompt was dismissed).
    #[error("the keyring is locked ({reason}): unlock it (for example in Seahorse, or by logging in again) and try again")]
    KeyringLocked {
        /// What the keyring library reported.
        reason: String,
    },
    /// Any other keyring failure.
    #[error("the keyring failed: {0}")]
    Keyring(String),
    /// A keyring entry exists but does not hold a valid secret.
    #[error("the keyring entry {key} does not hold a valid secret ({reason}); remove the account and add it again")]
    CorruptSecret {
        /// The entry's key (not secret).
        key: String,
        /// Why, without the content.
        reason: String,
    },
    /// An account row has no secret in the keyring.
    #[error("the secret of account {0} is missing from the keyring; run `keygate doctor` (the account must be added again)")]
    SecretMissing(AccountId),
    /// The account was removed from the vault, but its keyring entry could not be deleted.
    #[error("account {id} was removed, but its secret is still in the keyring ({reason}); run `keygate doctor --repair` once the keyring is available")]
    CleanupPending {
        /// The removed account.
        id: AccountId,
        /// Why the keyring entry could not be deleted.
        reason: String,
    },
    /// A batch add stopped early because the keyring failed for an earlier account.
    #[error("not added: an earlier account in the same batch failed with a keyring error")]
    NotAttempted,
    /// The SQLite database failed.
    #[error("the vault database failed: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database was written by a newer Keygate.
    #[error("the vault database {path} has schema version {found}, but this Keygate only knows up to {supported}; upgrade Keygate")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` found.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A row holds a value this build cannot read (hand-edited or corrupted database).
    #[error("account {id} in the vault database is damaged: {reason}")]
    DamagedRow {
        /// The row's id as stored.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Creating or reading the data directory failed.
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No data directory could be determined.
    #[error("cannot determine a data directory (no home directory); pass --data-dir or set KEYGATE_DATA_DIR")]
    NoDataDir,
    /// Not a valid account id.
    #[error("\"{0}\" is not an account id (expected a UUID)")]
    InvalidId(String),
    /// An application secret name must be ASCII letters, digits and dashes.
    #[error("invalid application secret name {0:?}")]
    InvalidAppSecretName(String),
    /// The app password given is not the one set.
    #[error("wrong app password")]
    WrongAppPassword,
    /// An app password is set, and none was given.
    #[error("Keygate has an app password: enter it")]
    AppPasswordRequired,
    /// A new app password is shorter than the minimum.
    #[error("the app password must have at least {min} characters")]
    AppPasswordTooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// Hashing a new app password failed (the password is not kept).
    #[error("the app password could not be hashed: {0}")]
    AppPasswordHash(String),
    /// The stored app password hash cannot be read.
    #[error("the app password stored in the keyring is damaged ({reason}); delete the keyring entry {key} (e.g. in Seahorse) to remove the app password, then set it again")]
    DamagedAppPassword {
        /// The keyring entry's key (not secret).
        key: String,
        /// What is wrong, without the content.
        reason: String,
    },
    /// No account has this id or matches this query.
    #[error("no account matches \"{0}\"")]
    NotFound(String),
    /// A query matches several accounts.
    #[error("\"{query}\" matches {count} accounts: {}; use more of the id or a longer name", candidates.join(", "))]
    Ambiguous {
        /// The query.
        query: String,
        /// How many accounts match.
        count: usize,
        /// The matching accounts as `short-id Issuer (name)`.
        candidates: Vec<String>,
    },
    /// An empty search query.
    #[error("the account query is empty; give an id, an issuer or an account name")]
    EmptyQuery,
    /// Renaming would make two accounts identical (same issuer, name and secret).
    #[error("another account ({0}) already has this issuer, name and secret")]
    WouldDuplicate(AccountId),
    /// The operation needs an HOTP account.
    #[error("account {0} is not an HOTP account")]
    NotHotp(AccountId),
    /// HOTP codes are only shown by advancing the counter.
    #[error("account {0} is an HOTP account: its code is shown only when asked for, which advances the counter")]
    HotpOnDemand(AccountId),
    /// A counter or period too large for the database (above 2^63 - 1).
    #[error("{field} {value} is too large to store")]
    TooLarge {
        /// Which field.
        field: &'static str,
        /// The value.
        value: u64,
    },
    /// The OTP engine rejected something (e.g. a code needs a PIN).
    #[error(transparent)]
    Otp(#[from] keygate_otp::Error),
}

impl Error {
    /// Whether the error is about the keyring being unreachable or locked, so that retrying other
    /// accounts right away is pointless.
    pub fn is_keyring_unavailable(&self) -> bool {
        matches!(
            self,
            Error::KeyringUnavailable { .. } | Error::KeyringLocked { .. }
        )
    }
}

/// Result alias for the vault.
pub type Result<T> = std::result::Result<T, Error>;

//! The staff vault: account metadata in SQLite, secrets in the OS keyring.
//!
//! - [`Vault`]: open a data directory, add/list/find/rename/remove accounts, [`Vault::unlock`]
//!   every secret in one pass, advance HOTP counters, [`Vault::doctor`] orphans, check the
//!   optional app password ([`Vault::check_app_password`]).
//! - [`SecretStore`]: the one narrow interface secrets pass through; [`KeyringStore`] is the
//!   real one, [`MemoryStore`] is for unit tests, [`CountingStore`] counts calls.
//! - [`resolve_data_dir`]: `--data-dir`, `KEYGATE_DATA_DIR`, or the platform data directory.

#![deny(missing_docs)]

mod app_password;
mod data_dir;
mod doctor;
mod entry;
mod error;
mod fingerprint;
mod id;
mod keyring_store;
mod schema;
mod store;
mod unlocked;
mod vault;

pub use app_password::{APP_PASSWORD_SECRET, MIN_APP_PASSWORD_CHARS};
pub use data_dir::{resolve_data_dir, DATA_DIR_ENV};
pub use doctor::Report;
pub use entry::{AddOutcome, Entry};
pub use error::{Error, Result};
pub use id::AccountId;
pub use keyring_store::{KeyringStore, KEYRING_SERVICE};
pub use schema::SCHEMA_VERSION;
pub use store::{CallCounts, CountingStore, MemoryStore, SecretStore};
pub use unlocked::{Code, Unlocked};
pub use vault::{Vault, DATABASE_FILE};

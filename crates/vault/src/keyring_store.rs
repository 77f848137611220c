//! The OS keyring as a [`SecretStore`]: the only module that sees the `keyring` crate.
//!
//! Each secret is one entry with service [`KEYRING_SERVICE`] and the vault's key as user name,
//! stored as canonical base32 text (so `secret-tool lookup service keygate username KEY` shows
//! what an authenticator app would accept). On Linux this is the Secret Service (gnome-keyring,
//! KWallet) over D-Bus; on macOS the Keychain; on Windows the Credential Manager.

use std::collections::HashMap;

use keygate_otp::Secret;
use zeroize::{Zeroize, Zeroizing};

use crate::store::SecretStore;
use crate::{Error, Result};

/// The keyring service name of every Keygate entry.
pub const KEYRING_SERVICE: &str = "keygate";

/// The platform keyring. Creating one checks that the keyring can be reached; a locked keyring
/// shows up on the first read or write.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// Connects to the platform keyring (service [`KEYRING_SERVICE`]), or explains why it cannot.
    pub fn new() -> Result<Self> {
        if let Err(err) = keyring::Entry::store_status() {
            return Err(Error::KeyringUnavailable {
                reason: err.to_string(),
            });
        }
        Ok(KeyringStore {
            service: KEYRING_SERVICE.to_string(),
        })
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, key).map_err(|err| map_error(err, key))
    }
}

impl SecretStore for KeyringStore {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        let text = secret.to_base32();
        self.entry(key)?
            .set_password(&text)
            .map_err(|err| map_error(err, key))
    }

    fn load(&self, key: &str) -> Result<Option<Secret>> {
        match self.entry(key)?.get_password() {
            Ok(text) => {
                let text = Zeroizing::new(text);
                Secret::from_base32(&text)
                    .map(Some)
                    .map_err(|err| Error::CorruptSecret {
                        key: key.to_string(),
                        reason: err.to_string(),
                    })
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_error(err, key)),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_error(err, key)),
        }
    }

    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        // Searching needs the default store that `keyring` installs on first use.
        if let Err(err) = keyring::Entry::store_status() {
            return Err(Error::KeyringUnavailable {
                reason: err.to_string(),
            });
        }
        let spec = HashMap::from([("service", self.service.as_str())]);
        let found = match keyring_core::Entry::search(&spec) {
            Ok(found) => found,
            Err(keyring_core::Error::NotSupportedByStore(_)) => return Ok(None),
            Err(err) => return Err(map_error(err, "(search)")),
        };
        let mut keys = Vec::with_capacity(found.len());
        for entry in found {
            let attributes = entry
                .get_attributes()
                .map_err(|err| map_error(err, "(search)"))?;
            if let Some(user) = attributes.get("username") {
                keys.push(user.clone());
            }
        }
        keys.sort();
        Ok(Some(keys))
    }
}

/// Turns a keyring error into a vault error that says what to do, dropping (and wiping) any
/// secret bytes some variants carry.
fn map_error(err: keyring::Error, key: &str) -> Error {
    match err {
        keyring::Error::NoDefaultStore => Error::KeyringUnavailable {
            reason: match keyring::Entry::store_status() {
                Err(status) => status.to_string(),
                Ok(()) => "no default credential store".to_string(),
            },
        },
        // The Secret Service reports a locked collection, a dismissed unlock prompt or a missing
        // result this way.
        keyring::Error::NoStorageAccess(platform) => Error::KeyringLocked {
            reason: platform.to_string(),
        },
        keyring::Error::PlatformFailure(platform) => {
            let reason = platform.to_string();
            if reason.contains("no secret service provider") {
                Error::KeyringUnavailable { reason }
            } else {
                Error::Keyring(reason)
            }
        }
        keyring::Error::BadEncoding(mut bytes) => {
            bytes.zeroize();
            Error::CorruptSecret {
                key: key.to_string(),
                reason: "the entry is not UTF-8 text".to_string(),
            }
        }
        keyring::Error::BadDataFormat(mut bytes, platform) => {
            bytes.zeroize();
            Error::CorruptSecret {
                key: key.to_string(),
                reason: platform.to_string(),
            }
        }
        keyring::Error::Ambiguous(entries) => Error::Keyring(format!(
            "{} keyring entries have the user name {key}; delete the extra ones (e.g. with Seahorse)",
            entries.len()
        )),
        other => Error::Keyring(other.to_string()),
    }
}

//! The optional app password: an Argon2id hash (PHC string) kept in the keyring as the vault's
//! application secret `password`. The desktop app asks for it before it reads the secrets.
//!
//! It guards the app, not the keyring: whoever can read the unlocked keyring can read the
//! account secrets without it.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use keygate_otp::Secret;
use zeroize::Zeroizing;

use crate::store::SecretStore;
use crate::{Error, Result, Vault};

/// The application secret name the hash is stored under (`VAULT-ID/app.password`).
pub const APP_PASSWORD_SECRET: &str = "password";

/// The fewest characters an app password may have.
pub const MIN_APP_PASSWORD_CHARS: usize = 8;

/// Argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1), as the server's passwords.
fn argon() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid"),
    )
}

impl<S: SecretStore> Vault<S> {
    /// Whether an app password is set.
    pub fn has_app_password(&self) -> Result<bool> {
        Ok(self.app_secret_get(APP_PASSWORD_SECRET)?.is_some())
    }

    /// Whether `password` is the app password (`false` when none is set). The Argon2 check
    /// compares in constant time.
    pub fn check_app_password(&self, password: &str) -> Result<bool> {
        match self.app_secret_get(APP_PASSWORD_SECRET)? {
            Some(stored) => self.matches(&stored, password),
            None => Ok(false),
        }
    }

    /// Checks what unlocking was given: with no app password set anything passes; with one set,
    /// `None` is [`Error::AppPasswordRequired`] and a wrong one [`Error::WrongAppPassword`].
    pub fn verify_app_password(&self, password: Option<&str>) -> Result<()> {
        let Some(stored) = self.app_secret_get(APP_PASSWORD_SECRET)? else {
            return Ok(());
        };
        match password {
            None => Err(Error::AppPasswordRequired),
            Some(password) if self.matches(&stored, password)? => Ok(()),
            Some(_) => Err(Error::WrongAppPassword),
        }
    }

    /// Whether `password` matches the stored PHC string `stored`.
    fn matches(&self, stored: &Secret, password: &str) -> Result<bool> {
        let damaged = |reason: String| Error::DamagedAppPassword {
            key: self.app_secret_key(APP_PASSWORD_SECRET),
            reason,
        };
        let text = std::str::from_utf8(stored.expose()).map_err(|_| damaged("not text".into()))?;
        let hash = PasswordHash::new(text).map_err(|e| damaged(e.to_string()))?;
        if hash.algorithm != Algorithm::Argon2id.ident() {
            return Err(damaged("not an Argon2id hash".into()));
        }
        Ok(argon().verify_password(password.as_bytes(), &hash).is_ok())
    }

    /// Sets, changes (`new`) or removes (`new` = `None`) the app password. When one is set,
    /// `current` must be it; a new one needs [`MIN_APP_PASSWORD_CHARS`] characters.
    pub fn set_app_password(&self, current: Option<&str>, new: Option<&str>) -> Result<()> {
        if let Some(new) = new {
            if new.chars().count() < MIN_APP_PASSWORD_CHARS {
                return Err(Error::AppPasswordTooShort {
                    min: MIN_APP_PASSWORD_CHARS,
                });
            }
        }
        self.verify_app_password(current)?;
        let Some(new) = new else {
            return self.app_secret_delete(APP_PASSWORD_SECRET);
        };
        let mut salt = Zeroizing::new([0u8; 16]);
        getrandom::fill(salt.as_mut()).expect("the operating system's random source failed");
        let salt = SaltString::encode_b64(salt.as_ref()).expect("16 bytes make a valid salt");
        let hash = argon()
            .hash_password(new.as_bytes(), &salt)
            .map_err(|e| Error::AppPasswordHash(e.to_string()))?;
        let hash = Zeroizing::new(hash.to_string());
        self.app_secret_set(APP_PASSWORD_SECRET, &Secret::from_bytes(hash.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn vault() -> (tempfile::TempDir, Vault<MemoryStore>) {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), MemoryStore::new()).unwrap();
        (dir, vault)
    }

    #[test]
    fn set_check_change_and_remove() {
        let (_dir, vault) = vault();
        assert!(!vault.has_app_password().unwrap());
        assert!(!vault.check_app_password("anything at all").unwrap());
        vault.verify_app_password(None).unwrap();

        vault.set_app_password(None, Some("correct horse")).unwrap();
        assert!(vault.has_app_password().unwrap());
        assert!(vault.check_app_password("correct horse").unwrap());
        assert!(!vault.check_app_password("correct horsE").unwrap());
        assert!(!vault.check_app_password("").unwrap());
        assert!(matches!(
            vault.verify_app_password(None),
            Err(Error::AppPasswordRequired)
        ));
        assert!(matches!(
            vault.verify_app_password(Some("wrong one")),
            Err(Error::WrongAppPassword)
        ));
        vault.verify_app_password(Some("correct horse")).unwrap();

        // Stored as an Argon2id PHC string with OWASP's parameters, under the vault's own key.
        let stored = vault.app_secret_get(APP_PASSWORD_SECRET).unwrap().unwrap();
        let text = std::str::from_utf8(stored.expose()).unwrap();
        assert!(
            text.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{text}"
        );
        assert!(!text.contains("correct horse"));
        let key = vault.app_secret_key(APP_PASSWORD_SECRET);
        assert!(key.ends_with("/app.password"));
        assert!(vault.store().load(&key).unwrap().is_some());

        // Changing needs the current one.
        for current in [None, Some("not it at all")] {
            assert!(vault
                .set_app_password(current, Some("battery staple"))
                .is_err());
        }
        assert!(vault.check_app_password("correct horse").unwrap());
        vault
            .set_app_password(Some("correct horse"), Some("battery staple"))
            .unwrap();
        assert!(!vault.check_app_password("correct horse").unwrap());
        assert!(vault.check_app_password("battery staple").unwrap());

        // Removing needs it too.
        assert!(matches!(
            vault.set_app_password(Some("correct horse"), None),
            Err(Error::WrongAppPassword)
        ));
        vault
            .set_app_password(Some("battery staple"), None)
            .unwrap();
        assert!(!vault.has_app_password().unwrap());
        assert!(vault.store().is_empty());
        vault.verify_app_password(None).unwrap();
        // Removing when none is set is harmless.
        vault.set_app_password(None, None).unwrap();
    }

    #[test]
    fn short_passwords_are_refused_and_salts_differ() {
        let (_dir, vault) = vault();
        let err = vault.set_app_password(None, Some("1234567")).unwrap_err();
        assert!(matches!(err, Error::AppPasswordTooShort { min: 8 }));
        assert!(err.to_string().contains("at least 8 characters"));
        assert!(!vault.has_app_password().unwrap());
        // Characters, not bytes: eight accented letters are enough.
        vault.set_app_password(None, Some("éééééééé")).unwrap();
        let first = vault.app_secret_get(APP_PASSWORD_SECRET).unwrap().unwrap();
        vault
            .set_app_password(Some("éééééééé"), Some("éééééééé"))
            .unwrap();
        let second = vault.app_secret_get(APP_PASSWORD_SECRET).unwrap().unwrap();
        assert_ne!(first.expose(), second.expose(), "a fresh salt each time");
        assert!(vault.check_app_password("éééééééé").unwrap());
    }

    #[test]
    fn a_damaged_hash_is_an_error_not_a_pass() {
        let (_dir, vault) = vault();
        vault
            .app_secret_set(
                APP_PASSWORD_SECRET,
                &Secret::from_bytes(b"not a hash".to_vec()),
            )
            .unwrap();
        let err = vault.check_app_password("anything").unwrap_err();
        assert!(matches!(err, Error::DamagedAppPassword { .. }), "{err}");
        assert!(vault.verify_app_password(Some("anything")).is_err());
        assert!(vault.set_app_password(None, None).is_err());
    }

    #[test]
    fn app_secret_names_are_checked() {
        let (_dir, vault) = vault();
        for name in ["", "a/b", "x.y", "spaced name"] {
            assert!(matches!(
                vault.app_secret_get(name),
                Err(Error::InvalidAppSecretName(_))
            ));
            assert!(vault.app_secret_delete(name).is_err());
            assert!(vault
                .app_secret_set(name, &Secret::from_bytes(vec![1]))
                .is_err());
        }
    }
}

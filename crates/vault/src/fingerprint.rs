//! Non-secret fingerprints of secrets, for duplicate detection without reading the keyring.
//!
//! `fingerprint = HMAC-SHA256(vault key, secret)`, where the vault key is 32 random bytes made
//! when the vault is created and kept in the same database (`vault_meta.fingerprint_key`).
//!
//! Why this is safe to store next to the metadata:
//! - HMAC-SHA256 is one-way: the fingerprint does not reveal the secret.
//! - Anyone holding the database also holds the key, so the key acts as a per-vault salt, not as
//!   a secret. What protects the OTP secret is its size: services issue random secrets of at
//!   least 80 bits (usually 160), and testing 2^80 candidates is far beyond any attacker, so a
//!   salted fast hash is enough (a slow KDF would buy nothing for a random 80-bit value, and
//!   would slow every add).
//! - The per-vault key means equal secrets in two vaults have different fingerprints, and no
//!   precomputed table applies across vaults.
//! - The limit: a secret someone chose by hand (e.g. the demo `JBSWY3DPEHPK3PXP`) could be
//!   confirmed by guessing it. Such a secret is weak whatever we store.

use hmac::{Hmac, Mac};
use keygate_otp::Secret;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length of the per-vault fingerprint key and of a fingerprint.
pub(crate) const FINGERPRINT_LEN: usize = 32;

/// A fresh random fingerprint key.
pub(crate) fn new_key() -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(vec![0u8; FINGERPRINT_LEN]);
    // Without an OS random source there is no safe way to make keys or ids at all.
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    key
}

/// The fingerprint of `secret` under the vault's key.
pub(crate) fn fingerprint(key: &[u8], secret: &Secret) -> [u8; FINGERPRINT_LEN] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(secret.expose());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_on_key_and_secret_and_hides_the_secret() {
        let key_a = new_key();
        let key_b = new_key();
        assert_ne!(*key_a, *key_b);
        let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let other = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJR").unwrap();
        let fp = fingerprint(&key_a, &secret);
        assert_eq!(fp, fingerprint(&key_a, &secret));
        assert_ne!(fp, fingerprint(&key_a, &other));
        assert_ne!(fp, fingerprint(&key_b, &secret));
        // Known answer (RFC 4231 test case 2 shape: key "Jefe"), so the construction cannot
        // silently change and orphan every stored fingerprint.
        let jefe = fingerprint(
            b"Jefe",
            &Secret::from_bytes(b"what do ya want for nothing?".to_vec()),
        );
        assert_eq!(
            data_encoding::HEXLOWER.encode(&jefe),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(!fp
            .windows(secret.expose().len())
            .any(|w| w == secret.expose()));
    }
}

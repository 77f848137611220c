//! Keys and hashing: the master key and what is derived from it (device-secret AEAD, CSRF MAC,
//! code pepper), Argon2id password hashes, and random tokens.
//!
//! The master key never lives in the database: a stolen DB file alone yields no TOTP/HOTP
//! secret, and backup and email codes are hashed under a key the thief does not have.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm as ArgonAlgorithm, Argon2, Params, Version};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use keygate_otp::Secret;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;

/// Version byte at the front of every device-secret ciphertext (room for key rotation).
const SECRET_FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 32-byte master key. Zeroized on drop, never printed.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(bytes.as_mut());
        MasterKey(bytes)
    }

    /// Parses a key as written in a key file or variable: 64 hex digits or base64 of 32 bytes
    /// (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let decoded = Zeroizing::new(
            data_encoding::HEXLOWER_PERMISSIVE
                .decode(text.as_bytes())
                .ok()
                .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
                .or_else(|| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(text)
                        .ok()
                })
                .ok_or_else(|| Error::Config("the secret key is neither hex nor base64".into()))?,
        );
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| {
            Error::Config(format!(
                "the secret key must be {KEY_LEN} bytes (64 hex digits), not {}",
                decoded.len()
            ))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key as 64 lower-case hex digits (what a generated key file contains).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(self.0.as_ref()))
    }

    fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"keygate-server"), self.0.as_ref());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        hk.expand(purpose, out.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// The working keys derived from the master key, one per purpose.
pub struct Keys {
    aead: XChaCha20Poly1305,
    csrf: Zeroizing<[u8; KEY_LEN]>,
    pepper: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        // Length-prefix each part so ("ab","c") and ("a","bc") differ.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// Derives the working keys.
    pub fn new(master: &MasterKey) -> Self {
        let aead_key = master.derive(b"device secrets v1");
        Keys {
            aead: XChaCha20Poly1305::new(aead_key.as_ref().into()),
            csrf: master.derive(b"csrf tokens v1"),
            pepper: master.derive(b"code hashes v1"),
        }
    }

    /// Encrypts a device secret; `device_id` is bound as associated data so a ciphertext moved
    /// to another row does not decrypt.
    pub fn encrypt_secret(&self, device_id: i64, secret: &Secret) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = device_aad(device_id);
        let ciphertext = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.expose(),
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Internal("device secret encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(SECRET_FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Decrypts a device secret written by [`Keys::encrypt_secret`].
    pub(crate) fn decrypt_secret(&self, device_id: i64, blob: &[u8]) -> Result<Secret> {
        let undecryptable = || {
            Error::Internal(format!(
                "the secret of device {device_id} does not decrypt (wrong secret key?)"
            ))
        };
        if blob.len() < 1 + NONCE_LEN || blob[0] != SECRET_FORMAT_V1 {
            return Err(undecryptable());
        }
        let (nonce, ciphertext) = blob[1..].split_at(NONCE_LEN);
        let aad = device_aad(device_id);
        let mut plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| undecryptable())?;
        let secret = Secret::from_bytes(plain.clone());
        plain.zeroize();
        Ok(secret)
    }

    /// The CSRF token bound to a session cookie value: it changes whenever the session rotates.
    pub(crate) fn csrf_token(&self, session_cookie: &str) -> String {
        b64(&hmac(
            self.csrf.as_ref(),
            &[b"csrf", session_cookie.as_bytes()],
        ))
    }

    /// Constant-time check of a presented CSRF token.
    pub(crate) fn csrf_matches(&self, session_cookie: &str, presented: &str) -> bool {
        let expected = self.csrf_token(session_cookie);
        expected.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// The salted, peppered hash of a short code (backup or email code, ASVS 2.6.2 / 2.7.5).
    pub(crate) fn code_hash(&self, salt: &[u8], code: &str) -> [u8; 32] {
        hmac(self.pepper.as_ref(), &[b"code", salt, code.as_bytes()])
    }

    /// Constant-time check of a code against a stored hash.
    pub(crate) fn code_matches(&self, salt: &[u8], code: &str, hash: &[u8]) -> bool {
        self.code_hash(salt, code).ct_eq(hash).into()
    }
}

fn device_aad(device_id: i64) -> Vec<u8> {
    format!("keygate device {device_id}").into_bytes()
}

/// URL-safe base64 without padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes from the OS CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    OsRng.fill_bytes(&mut out);
    out
}

/// A random token of 32 bytes (256 bits), URL-safe base64: session identifiers, API keys.
pub fn random_token() -> String {
    b64(&random_bytes(32))
}

/// SHA-256 of a high-entropy token (session id, API key): what is stored instead of it. No
/// salt or slow hash is needed for 256-bit random values.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A uniformly random decimal code of `digits` digits.
pub(crate) fn random_digits(digits: u32) -> String {
    let modulus = 10u64.pow(digits);
    // Rejection sampling: no modulo bias.
    let limit = u64::MAX - u64::MAX % modulus;
    loop {
        let v = OsRng.next_u64();
        if v < limit {
            return format!("{:0width$}", v % modulus, width = digits as usize);
        }
    }
}

/// Argon2id password hashing with OWASP's parameters (19 MiB, 2 passes, 1 lane) and a dummy
/// hash so unknown users cost the same time as known ones.
pub struct PasswordHasher {
    argon: Argon2<'static>,
    // Made on first use: a command that only creates a user should not pay for it.
    dummy: std::sync::OnceLock<String>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", self.argon.params())
            .finish()
    }
}

/// What checking a password decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PasswordCheck {
    /// The password matches.
    pub ok: bool,
    /// The hash was made with other parameters: store a fresh one.
    pub needs_rehash: bool,
}

impl PasswordHasher {
    /// OWASP Password Storage Cheat Sheet: Argon2id, m=19456 KiB, t=2, p=1.
    pub fn owasp() -> Self {
        Self::with_params(Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid"))
    }

    /// A hasher with explicit parameters.
    pub(crate) fn with_params(params: Params) -> Self {
        PasswordHasher {
            argon: Argon2::new(ArgonAlgorithm::Argon2id, Version::V0x13, params),
            dummy: std::sync::OnceLock::new(),
        }
    }

    /// Prepares the dummy hash now, so the first unknown user is not slower than the rest.
    pub(crate) fn warm_up(&self) {
        self.dummy();
    }

    fn dummy(&self) -> &str {
        self.dummy.get_or_init(|| {
            self.argon
                .hash_password(&random_bytes(32), &SaltString::generate(&mut OsRng))
                .expect("hashing random bytes cannot fail")
                .to_string()
        })
    }

    /// A PHC-format Argon2id hash of `password`.
    pub fn hash(&self, password: &str) -> Result<String> {
        self.argon
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    }

    /// Checks `password` against a stored hash; `None` (unknown user) checks against a dummy
    /// hash so the time taken is the same, and always fails.
    pub(crate) fn verify(&self, stored: Option<&str>, password: &str) -> PasswordCheck {
        let real = stored.is_some();
        let Ok(parsed) = PasswordHash::new(stored.unwrap_or(self.dummy())) else {
            tracing::error!("a stored password hash is not a valid PHC string");
            let _ = self.argon.verify_password(
                password.as_bytes(),
                &PasswordHash::new(self.dummy()).expect("dummy hash parses"),
            );
            return PasswordCheck {
                ok: false,
                needs_rehash: false,
            };
        };
        let ok = self
            .argon
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        let needs_rehash = parsed.algorithm != ArgonAlgorithm::Argon2id.ident()
            || Params::try_from(&parsed).map_or(true, |p| {
                p.m_cost() != self.argon.params().m_cost()
                    || p.t_cost() != self.argon.params().t_cost()
                    || p.p_cost() != self.argon.params().p_cost()
            });
        PasswordCheck {
            ok: ok && real,
            needs_rehash: ok && real && needs_rehash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::with_params(Params::new(256, 1, 1, None).unwrap())
    }

    #[test]
    fn secrets_round_trip_and_are_bound_to_their_device() {
        let keys = Keys::new(&MasterKey::generate());
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
        let blob = keys.encrypt_secret(7, &secret).unwrap();
        assert!(!blob
            .windows(secret.expose().len())
            .any(|w| w == secret.expose()));
        assert_eq!(keys.decrypt_secret(7, &blob).unwrap(), secret);
        assert!(keys.decrypt_secret(8, &blob).is_err());
        let other = Keys::new(&MasterKey::generate());
        assert!(other.decrypt_secret(7, &blob).is_err());
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(keys.decrypt_secret(7, &tampered).is_err());
    }

    #[test]
    fn master_key_parses_hex_and_base64_only_at_32_bytes() {
        let key = MasterKey::generate();
        let hex = key.to_hex();
        let again = MasterKey::parse(&format!("  {}\n", hex.as_str())).unwrap();
        assert_eq!(again.to_hex().as_str(), hex.as_str());
        let b64 = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        assert!(MasterKey::parse(&b64).is_ok());
        assert!(MasterKey::parse("abcd").is_err());
        assert!(MasterKey::parse("not a key!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey([redacted])");
    }

    #[test]
    fn csrf_tokens_follow_the_session() {
        let keys = Keys::new(&MasterKey::generate());
        let t = keys.csrf_token("session-a");
        assert!(keys.csrf_matches("session-a", &t));
        assert!(!keys.csrf_matches("session-b", &t));
        assert!(!keys.csrf_matches("session-a", ""));
    }

    #[test]
    fn code_hashes_are_salted_and_keyed() {
        let keys = Keys::new(&MasterKey::generate());
        let h1 = keys.code_hash(b"salt1", "123456");
        assert_ne!(h1, keys.code_hash(b"salt2", "123456"));
        assert!(keys.code_matches(b"salt1", "123456", &h1));
        assert!(!keys.code_matches(b"salt1", "123457", &h1));
        let other = Keys::new(&MasterKey::generate());
        assert!(!other.code_matches(b"salt1", "123456", &h1));
    }

    #[test]
    fn passwords_verify_and_flag_old_parameters() {
        let hasher = fast();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let ok = hasher.verify(Some(&hash), "correct horse battery");
        assert_eq!(
            ok,
            PasswordCheck {
                ok: true,
                needs_rehash: false
            }
        );
        assert!(!hasher.verify(Some(&hash), "wrong").ok);
        assert!(!hasher.verify(None, "anything").ok);
        assert!(!hasher.verify(Some("garbage"), "anything").ok);
        let stronger = PasswordHasher::with_params(Params::new(512, 1, 1, None).unwrap());
        let check = stronger.verify(Some(&hash), "correct horse battery");
        assert!(check.ok && check.needs_rehash);
    }

    #[test]
    fn random_digits_have_the_right_shape() {
        for _ in 0..200 {
            let code = random_digits(6);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(random_token(), random_token());
        assert_eq!(token_hash("x").len(), 32);
    }
}

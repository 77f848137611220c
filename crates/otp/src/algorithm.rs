//! HMAC hash algorithms and their many spellings.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};

use crate::Error;

/// The HMAC hash of an HOTP/TOTP credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA1, the default everywhere.
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// The canonical name used in otpauth URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// HMAC of `message` under `key`.
    pub fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            // HMAC accepts keys of any length, so this cannot fail.
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .expect("HMAC takes keys of any length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, message),
            Algorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, message),
            Algorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, message),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Accepts the spellings seen in the wild: `SHA1`, `sha-256`, `HmacSHA512`, `SHA_256`,
    /// `algorithm.sha256` (a serialised Java/Kotlin enum some exporters leak).
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut norm: String = s
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        for prefix in ["algorithm", "hmac"] {
            if let Some(rest) = norm.strip_prefix(prefix) {
                norm = rest.to_string();
            }
        }
        match norm.as_str() {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            _ => Err(Error::UnsupportedAlgorithm(
                s.trim().chars().take(32).collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_odd_spellings() {
        for (text, alg) in [
            ("SHA1", Algorithm::Sha1),
            ("sha1", Algorithm::Sha1),
            ("SHA-1", Algorithm::Sha1),
            ("sha256", Algorithm::Sha256),
            ("SHA_256", Algorithm::Sha256),
            ("algorithm.sha256", Algorithm::Sha256),
            ("HmacSHA512", Algorithm::Sha512),
            (" Sha512 ", Algorithm::Sha512),
        ] {
            assert_eq!(text.parse::<Algorithm>().unwrap(), alg, "{text}");
        }
        let err = "MD5".parse::<Algorithm>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported algorithm \"MD5\" (use SHA1, SHA256 or SHA512)"
        );
        assert!("sha3".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }
}

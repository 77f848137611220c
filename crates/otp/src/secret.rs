//! Shared secrets: tolerant base32/hex decoding, zeroized on drop, never printed.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Result};

/// Secrets shorter than this are accepted but reported as weak (RFC 4226 asks for 128 bits; many
/// services still issue 80).
pub const WEAK_SECRET_BITS: usize = 128;

/// A shared OTP secret (raw key bytes). Zeroized on drop; `Debug` shows only its length;
/// equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

/// RFC 4648 base32 without padding and without the trailing-bit check: authenticators (pyotp,
/// Google Authenticator) ignore the bits past the last whole byte, so we do too.
fn base32_spec() -> data_encoding::Encoding {
    let mut spec = data_encoding::BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    spec.encoding()
        .expect("static base32 specification is valid")
}

impl Secret {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    /// Decodes base32 the way users paste it: any case, spaces, dashes, missing or extra `=`.
    pub fn from_base32(text: &str) -> Result<Self> {
        let mut cleaned = Zeroizing::new(String::with_capacity(text.len()));
        for (index, c) in text.chars().enumerate() {
            match c {
                ' ' | '\t' | '\n' | '\r' | '-' | '=' => {}
                c if c.is_ascii_alphabetic() || ('2'..='7').contains(&c) => {
                    cleaned.push(c.to_ascii_uppercase())
                }
                _ => {
                    return Err(Error::InvalidSecret {
                        encoding: "base32",
                        reason: format!(
                            "character {} is not a base32 letter (A-Z, 2-7)",
                            index + 1
                        ),
                    })
                }
            }
        }
        // Padding is only legal at the end; "AB=CD" is corruption, not decoration.
        let trimmed = text.trim_end_matches(|c: char| c == '=' || c.is_whitespace());
        if trimmed.contains('=') {
            return Err(Error::InvalidSecret {
                encoding: "base32",
                reason: "padding (=) appears before the end".into(),
            });
        }
        if cleaned.is_empty() {
            return Err(Error::EmptySecret);
        }
        if matches!(cleaned.len() % 8, 1 | 3 | 6) {
            return Err(Error::InvalidSecret {
                encoding: "base32",
                reason: format!(
                    "{} letters cannot be a whole number of bytes (a letter is missing or extra)",
                    cleaned.len()
                ),
            });
        }
        base32_spec()
            .decode(cleaned.as_bytes())
            .map(Secret)
            .map_err(|e| Error::InvalidSecret {
                encoding: "base32",
                reason: format!("decoding failed at letter {}", e.position + 1),
            })
    }

    /// Decodes hexadecimal (mOTP secrets), any case, spaces ignored.
    pub fn from_hex(text: &str) -> Result<Self> {
        let cleaned: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
        if cleaned.is_empty() {
            return Err(Error::EmptySecret);
        }
        data_encoding::HEXLOWER_PERMISSIVE
            .decode(cleaned.as_bytes())
            .map(Secret)
            .map_err(|e| Error::InvalidSecret {
                encoding: "hex",
                reason: format!("decoding failed at character {}", e.position + 1),
            })
    }

    /// The raw key bytes. Callers must not log or persist them in plaintext.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Canonical base32: upper case, no padding.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32_spec().encode(&self.0))
    }

    /// Lower-case hexadecimal.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(&self.0))
    }

    /// Length of the key in bits.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }

    /// True when shorter than 128 bits.
    pub fn is_weak(&self) -> bool {
        self.bits() < WEAK_SECRET_BITS
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_case_spaces_dashes_and_padding() {
        let canonical = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        for variant in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "jbsw-y3dp-ehpk-3pxp",
            "JBSWY3DPEHPK3PXP========",
            " JBSWY3DPEHPK3PXP\n",
        ] {
            assert_eq!(
                Secret::from_base32(variant).unwrap(),
                canonical,
                "{variant}"
            );
        }
        assert_eq!(canonical.expose(), b"Hello!\xde\xad\xbe\xef");
    }

    #[test]
    fn accepts_unpadded_partial_blocks() {
        // 80-bit secrets as GitHub/Discord issue them: 16 letters, no padding.
        let s = Secret::from_base32("GEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(s.bits(), 80);
        assert!(s.is_weak());
        // 26 letters = 16 bytes (trailing bits ignored).
        let s = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY").unwrap();
        assert_eq!(s.bits(), 128);
        assert!(!s.is_weak());
    }

    #[test]
    fn rejects_invalid_base32_clearly() {
        let err = Secret::from_base32("JBSW1Y3D").unwrap_err();
        assert!(err.to_string().contains("character 5"), "{err}");
        assert!(!err.to_string().contains("JBSW"));
        assert_eq!(
            Secret::from_base32("  == ").unwrap_err(),
            Error::EmptySecret
        );
        assert!(Secret::from_base32("ABC").is_err()); // 3 letters: no whole byte count
        assert!(Secret::from_base32("AB=CDEFG").is_err());
        assert!(Secret::from_base32("JBSWY3DPEHPK3PXP€").is_err());
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let s = Secret::from_hex("e3152afee62599c8").unwrap();
        assert_eq!(s.to_hex().as_str(), "e3152afee62599c8");
        assert!(Secret::from_hex("e3152afee62599c").is_err());
        assert!(Secret::from_hex("zz").is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret([redacted; 10 bytes])");
    }
}

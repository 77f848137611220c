//! Code generation: HOTP (RFC 4226), TOTP (RFC 6238), Steam Guard, Yandex and mOTP.
//!
//! Hand-written on the RustCrypto HMAC crates rather than on `totp-rs`, because totp-rs refuses
//! the 80-bit secrets that GitHub, Discord, PayPal and Okta issue, panics at 10 digits, and has
//! neither an HOTP counter nor a T0. `tests/totp_rs_gaps.rs` shows each of these and checks that
//! both agree wherever totp-rs works.

use md5::Digest;

use crate::{Algorithm, Error, Result, Secret};

/// Fewest digits a decimal HOTP/TOTP code may have.
pub const MIN_DIGITS: u32 = 6;
/// Most digits a decimal HOTP/TOTP code may have (a 31-bit value has 10 decimal digits).
pub const MAX_DIGITS: u32 = 10;
/// Largest TOTP period in seconds.
pub const MAX_PERIOD: u64 = 3600;
/// Steam Guard's alphabet (no vowels or look-alikes).
pub const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";
/// Steam codes have 5 characters.
pub const STEAM_DIGITS: u32 = 5;
/// Yandex codes have 8 latin letters.
pub const YANDEX_DIGITS: u32 = 8;
/// mOTP codes have 6 hex characters.
pub const MOTP_DIGITS: u32 = 6;
/// mOTP's period is 10 s.
pub const MOTP_PERIOD: u64 = 10;

/// Checks the digit count of a decimal HOTP/TOTP code.
pub fn check_digits(digits: u32) -> Result<()> {
    if (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        Ok(())
    } else {
        Err(Error::InvalidDigits {
            digits,
            min: MIN_DIGITS,
            max: MAX_DIGITS,
        })
    }
}

/// Checks a TOTP period.
pub fn check_period(period: u64) -> Result<()> {
    if (1..=MAX_PERIOD).contains(&period) {
        Ok(())
    } else {
        Err(Error::InvalidPeriod(period))
    }
}

/// The RFC 4226 dynamically truncated 31-bit value for `counter`.
pub fn hotp_value(secret: &Secret, counter: u64, algorithm: Algorithm) -> u32 {
    truncate(&algorithm.hmac(secret.expose(), &counter.to_be_bytes()))
}

fn truncate(mac: &[u8]) -> u32 {
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff
}

/// Formats a truncated value as a zero-padded decimal code of `digits` digits.
pub fn decimal(value: u32, digits: u32) -> String {
    let value = u64::from(value) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The HOTP code for `counter`.
pub fn hotp(secret: &Secret, counter: u64, algorithm: Algorithm, digits: u32) -> Result<String> {
    check_digits(digits)?;
    Ok(decimal(hotp_value(secret, counter, algorithm), digits))
}

/// The TOTP time step `T = (time - t0) / period`.
pub fn time_step(time: u64, period: u64, t0: u64) -> Result<u64> {
    check_period(period)?;
    time.checked_sub(t0)
        .map(|elapsed| elapsed / period)
        .ok_or(Error::TimeBeforeT0 { time, t0 })
}

/// The TOTP code at `time` (Unix seconds).
pub fn totp(
    secret: &Secret,
    time: u64,
    period: u64,
    t0: u64,
    algorithm: Algorithm,
    digits: u32,
) -> Result<String> {
    hotp(secret, time_step(time, period, t0)?, algorithm, digits)
}

/// The Steam Guard code at `time`: HMAC-SHA1 over 30 s steps, five letters of Steam's alphabet.
pub fn steam(secret: &Secret, time: u64) -> String {
    steam_from_value(hotp_value(secret, time / 30, Algorithm::Sha1))
}

fn steam_from_value(mut value: u32) -> String {
    let mut code = String::with_capacity(STEAM_DIGITS as usize);
    for _ in 0..STEAM_DIGITS {
        code.push(STEAM_ALPHABET[(value % 26) as usize] as char);
        value /= 26;
    }
    code
}

/// Yandex Key's secret is 16 bytes; exports carry 26 (with a PIN-length and checksum tail).
pub fn yandex_key(secret: &Secret) -> Result<&[u8]> {
    match secret.expose().len() {
        16 | 26 => Ok(&secret.expose()[..16]),
        bytes => Err(Error::SecretLength {
            kind: "Yandex",
            bytes,
            expected: "16 or 26 bytes",
        }),
    }
}

/// The Yandex Key code at `time`: as Aegis computes it (SHA-256 of PIN||secret as the HMAC key,
/// 63-bit truncation, base-26 letters).
pub fn yandex(secret: &Secret, pin: &str, time: u64) -> Result<String> {
    let key = yandex_key(secret)?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(pin.as_bytes());
    hasher.update(key);
    let mut key_hash = zeroize::Zeroizing::new(hasher.finalize().to_vec());
    if key_hash[0] == 0 {
        key_hash.remove(0);
    }
    let mac = Algorithm::Sha256.hmac(&key_hash, &(time / 30).to_be_bytes());
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&mac[offset..offset + 8]);
    bytes[0] &= 0x7f;
    let mut value = u64::from_be_bytes(bytes) % 26u64.pow(YANDEX_DIGITS);
    let mut letters = [b'a'; YANDEX_DIGITS as usize];
    for slot in letters.iter_mut().rev() {
        *slot = b'a' + (value % 26) as u8;
        value /= 26;
    }
    Ok(String::from_utf8_lossy(&letters).into_owned())
}

/// The mOTP (Mobile-OTP) code at `time`: the first 6 hex characters of
/// MD5(time/10 || hex(secret) || PIN).
pub fn motp(secret: &Secret, pin: &str, time: u64) -> String {
    let mut hasher = md5::Md5::new();
    hasher.update((time / MOTP_PERIOD).to_string().as_bytes());
    hasher.update(secret.to_hex().as_bytes());
    hasher.update(pin.as_bytes());
    let digest = hasher.finalize();
    data_encoding::HEXLOWER.encode(&digest)[..MOTP_DIGITS as usize].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret(len: usize) -> Secret {
        Secret::from_bytes(
            b"1234567890"
                .iter()
                .cycle()
                .take(len)
                .copied()
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn rfc4226_appendix_d() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        let truncated = [
            1284755224u32,
            1094287082,
            137359152,
            1726969429,
            1640338314,
            868254676,
            1918287922,
            82162583,
            673399871,
            645520489,
        ];
        let secret = rfc_secret(20);
        for (counter, (code, value)) in expected.iter().zip(truncated).enumerate() {
            assert_eq!(hotp_value(&secret, counter as u64, Algorithm::Sha1), value);
            assert_eq!(
                hotp(&secret, counter as u64, Algorithm::Sha1, 6).unwrap(),
                format!("{code:06}")
            );
        }
    }

    #[test]
    fn rfc6238_appendix_b() {
        let rows: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in rows {
            for (alg, len, want) in [
                (Algorithm::Sha1, 20, sha1),
                (Algorithm::Sha256, 32, sha256),
                (Algorithm::Sha512, 64, sha512),
            ] {
                assert_eq!(totp(&rfc_secret(len), time, 30, 0, alg, 8).unwrap(), want);
            }
        }
    }

    #[test]
    fn ten_digits_and_bounds() {
        let secret = rfc_secret(20);
        assert_eq!(hotp(&secret, 0, Algorithm::Sha1, 10).unwrap(), "1284755224");
        assert_eq!(hotp(&secret, 7, Algorithm::Sha1, 10).unwrap(), "0082162583");
        assert!(hotp(&secret, 0, Algorithm::Sha1, 5).is_err());
        assert!(hotp(&secret, 0, Algorithm::Sha1, 11).is_err());
        assert!(totp(&secret, 0, 0, 0, Algorithm::Sha1, 6).is_err());
        assert!(totp(&secret, 0, 3601, 0, Algorithm::Sha1, 6).is_err());
        assert_eq!(
            totp(&secret, 5, 30, 10, Algorithm::Sha1, 6).unwrap_err(),
            Error::TimeBeforeT0 { time: 5, t0: 10 }
        );
        // T0 shifts the step: time 100 with t0 40 is step 2.
        assert_eq!(
            totp(&secret, 100, 30, 40, Algorithm::Sha1, 6).unwrap(),
            hotp(&secret, 2, Algorithm::Sha1, 6).unwrap()
        );
    }

    #[test]
    fn steam_uses_its_alphabet() {
        let secret = rfc_secret(20);
        let code = steam(&secret, 59);
        assert_eq!(code.len(), 5);
        assert!(code.bytes().all(|b| STEAM_ALPHABET.contains(&b)));
        // Same HMAC value as the RFC 6238 SHA1 row at t=59 (1094287082), spelled in base 26.
        assert_eq!(steam_from_value(1094287082), steam(&secret, 59));
        let mut v = 1094287082u32;
        let mut want = String::new();
        for _ in 0..5 {
            want.push(STEAM_ALPHABET[(v % 26) as usize] as char);
            v /= 26;
        }
        assert_eq!(code, want);
    }

    #[test]
    fn yandex_matches_aegis_vectors() {
        let vectors = [
            (
                "5239",
                "6SB2IKNM6OBZPAVBVTOHDKS4FAAAAAAADFUTQMBTRY",
                1641559648,
                "umozdicq",
            ),
            (
                "7586",
                "LA2V6KMCGYMWWVEW64RNP3JA3IAAAAAAHTSG4HRZPI",
                1581064020,
                "oactmacq",
            ),
            (
                "7586",
                "LA2V6KMCGYMWWVEW64RNP3JA3IAAAAAAHTSG4HRZPI",
                1581090810,
                "wemdwrix",
            ),
            (
                "5210481216086702",
                "JBGSAU4G7IEZG6OY4UAXX62JU4AAAAAAHTSG4HXU3M",
                1581091469,
                "dfrpywob",
            ),
            (
                "5210481216086702",
                "JBGSAU4G7IEZG6OY4UAXX62JU4AAAAAAHTSG4HXU3M",
                1581093059,
                "vunyprpd",
            ),
        ];
        for (pin, secret, time, want) in vectors {
            let secret = Secret::from_base32(secret).unwrap();
            assert_eq!(yandex(&secret, pin, time).unwrap(), want);
        }
        assert!(yandex(&rfc_secret(10), "1234", 0).is_err());
    }

    #[test]
    fn motp_matches_aegis_vectors() {
        let vectors = [
            (165892298, "e7d8b6", "1234", "e3152afee62599c8"),
            (123456789, "4ebfb2", "1234", "e3152afee62599c8"),
            (1659540020, "ced7b1", "9999", "bbb1912bb5c515be"),
            (1659540022, "ced7b1", "9999", "bbb1912bb5c515be"),
            (1659539870, "1a14f8", "9999", "bbb1912bb5c515be"),
            (1659539878, "1a14f8", "9999", "bbb1912bb5c515be"),
        ];
        for (time, want, pin, secret) in vectors {
            assert_eq!(motp(&Secret::from_hex(secret).unwrap(), pin, time), want);
        }
    }
}

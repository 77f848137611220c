//! Proves why Keygate's OTP engine is hand-written instead of built on `totp-rs` 6, and that the
//! two agree wherever totp-rs works:
//!
//! - (a) totp-rs's checked builder refuses the 80-bit secrets GitHub, Discord and others issue;
//!   keygate computes a code for them (the same one totp-rs's unchecked builder gives).
//! - (b) totp-rs refuses 9 and 10 digits when checked and panics at 10 when unchecked;
//!   keygate gives 9- and 10-digit codes (the 9-digit ones equal totp-rs's unchecked result).
//! - (c) totp-rs has no HOTP counter and no T0 in its API; they can only be emulated by
//!   abusing a 1-second step, which this file does to show the arithmetic still matches.
//! - (d) on hundreds of random cases inside totp-rs's supported range (secrets >= 16 bytes,
//!   6..=8 digits, SHA1/SHA256/SHA512, steps 1..=3600 s) both produce identical codes.

use keygate_otp::code::{hotp, totp};
use keygate_otp::{Algorithm, Secret};
use totp_rs::{Builder, TotpError};

/// GitHub/Discord-style secret: 16 base32 letters, 10 bytes, 80 bits.
const SECRET_80_BITS: &str = "GEZDGNBVGY3TQOJQ";
const SEED: u64 = 0x746f_7470_2d72_7321;

fn theirs(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

fn builder(secret: &Secret, algorithm: Algorithm, digits: u32, step: u64) -> Builder {
    Builder::new()
        .with_algorithm(theirs(algorithm))
        .with_digits(u8::try_from(digits).expect("digits fit in u8"))
        .with_secret(secret.expose().to_vec())
        .with_step_duration(step)
}

/// SplitMix64 with a fixed seed, so any failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[test]
fn a_totp_rs_refuses_80_bit_secrets_keygate_does_not() {
    let secret = Secret::from_base32(SECRET_80_BITS).unwrap();
    assert_eq!(secret.expose().len(), 10);

    let checked = builder(&secret, Algorithm::Sha1, 6, 30).build();
    assert_eq!(
        checked.unwrap_err(),
        TotpError::SecretTooShort { bits: 80 },
        "totp-rs's checked builder should refuse an 80-bit secret"
    );

    let unchecked = builder(&secret, Algorithm::Sha1, 6, 30).build_noncompliant();
    for time in [0, 59, 1_111_111_109, 1_700_000_000, 4_000_000_000] {
        let ours = totp(&secret, time, 30, 0, Algorithm::Sha1, 6)
            .expect("keygate computes codes for 80-bit secrets");
        assert_eq!(ours.len(), 6);
        assert_eq!(ours, unchecked.generate(time).to_string(), "t={time}");
    }
}

#[test]
fn b_totp_rs_cannot_do_ten_digits_keygate_can() {
    let secret = Secret::from_bytes(b"12345678901234567890".to_vec());

    // Checked builder: 6..=8 digits only.
    for digits in [9, 10] {
        assert_eq!(
            builder(&secret, Algorithm::Sha1, digits, 30)
                .build()
                .unwrap_err(),
            TotpError::InvalidDigits {
                digits: digits as u8
            }
        );
    }

    // Unchecked: 9 digits works and agrees with keygate...
    let nine = builder(&secret, Algorithm::Sha1, 9, 30).build_noncompliant();
    assert_eq!(
        totp(&secret, 59, 30, 0, Algorithm::Sha1, 9).unwrap(),
        nine.generate(59).to_string()
    );

    // ...10 digits panics (10^10 does not fit in its u32 modulus).
    let ten = builder(&secret, Algorithm::Sha1, 10, 30).build_noncompliant();
    let panic = std::panic::catch_unwind(|| ten.generate(59).to_string())
        .expect_err("totp-rs was expected to panic at 10 digits");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(message.contains("digits"), "unexpected panic: {message}");

    // keygate: RFC 6238 SHA1 at t=59 truncates to 1094287082 (RFC 4226 appendix D, counter 1).
    assert_eq!(
        totp(&secret, 59, 30, 0, Algorithm::Sha1, 10).unwrap(),
        "1094287082"
    );
}

/// totp-rs has no HOTP type, no counter and no T0 parameter: `Totp::generate(time)` always
/// computes `time / step`. Nothing to assert about an API that does not exist; what can be
/// shown is that emulating them (step 1 turns the "time" into the counter, and subtracting T0
/// by hand) gives keygate's HOTP and T0-shifted TOTP codes.
#[test]
fn c_hotp_and_t0_only_by_emulation() {
    let mut rng = Rng(SEED ^ 0xc);
    for _ in 0..200 {
        let secret = Secret::from_bytes((0..20).map(|_| rng.next() as u8).collect::<Vec<_>>());
        let counter = rng.next();
        let one_second = builder(&secret, Algorithm::Sha1, 6, 1).build().unwrap();
        assert_eq!(
            hotp(&secret, counter, Algorithm::Sha1, 6).unwrap(),
            one_second.generate(counter).to_string(),
            "HOTP counter {counter}"
        );

        let t0 = rng.range(0, 1_000_000_000);
        let time = rng.range(t0, 4_000_000_000);
        let thirty = builder(&secret, Algorithm::Sha1, 6, 30).build().unwrap();
        assert_eq!(
            totp(&secret, time, 30, t0, Algorithm::Sha1, 6).unwrap(),
            thirty.generate(time - t0).to_string(),
            "TOTP t={time} t0={t0}"
        );
    }
}

#[test]
fn d_agrees_with_totp_rs_within_its_range() {
    let mut rng = Rng(SEED);
    let algorithms = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
    for _ in 0..600 {
        let len = rng.range(16, 64) as usize;
        let secret = Secret::from_bytes((0..len).map(|_| rng.next() as u8).collect::<Vec<_>>());
        let algorithm = algorithms[rng.range(0, 2) as usize];
        let digits = rng.range(6, 8) as u32;
        let step = rng.range(1, 3600);
        let time = rng.range(0, 4_000_000_000);
        let reference = builder(&secret, algorithm, digits, step)
            .build()
            .expect("inside totp-rs's supported range");
        assert_eq!(
            totp(&secret, time, step, 0, algorithm, digits).unwrap(),
            reference.generate(time).to_string(),
            "secret={} algorithm={algorithm} digits={digits} step={step} time={time}",
            secret.to_base32().as_str()
        );
    }
}

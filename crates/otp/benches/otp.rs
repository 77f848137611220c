//! Benchmarks of the OTP engine: code generation (HOTP, TOTP with each hash, Steam), otpauth
//! URI parsing, and token verification (django-otp semantics).
//!
//! Run with `cargo bench -p keygate-otp` (add `-- --quick` for a fast, rougher run).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use keygate_otp::code::{hotp, steam, totp};
use keygate_otp::verify::{
    verify_hotp_at, verify_totp_at, HotpConfig, HotpState, TotpConfig, TotpState,
};
use keygate_otp::{uri, Algorithm, Secret};

/// A fixed instant (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;
/// A typical provisioning URI, as a service's QR code carries it.
const URI: &str = "otpauth://totp/ACME%20Co:alice%40example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";

/// RFC 4226/6238 test secrets: 20, 32 and 64 bytes of "1234567890" repeated.
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

fn generation(c: &mut Criterion) {
    let sha1 = rfc_secret(20);
    let sha256 = rfc_secret(32);
    let sha512 = rfc_secret(64);
    let mut group = c.benchmark_group("code");
    group.bench_function("hotp_sha1_6", |b| {
        b.iter(|| hotp(black_box(&sha1), black_box(42), Algorithm::Sha1, 6))
    });
    group.bench_function("totp_sha256_8", |b| {
        b.iter(|| {
            totp(
                black_box(&sha256),
                black_box(NOW),
                30,
                0,
                Algorithm::Sha256,
                8,
            )
        })
    });
    group.bench_function("totp_sha512_6", |b| {
        b.iter(|| {
            totp(
                black_box(&sha512),
                black_box(NOW),
                30,
                0,
                Algorithm::Sha512,
                6,
            )
        })
    });
    group.bench_function("steam", |b| {
        b.iter(|| steam(black_box(&sha1), black_box(NOW)))
    });
    group.finish();
}

fn uri_parsing(c: &mut Criterion) {
    assert!(uri::parse(URI).is_ok(), "the benchmark URI must parse");
    c.bench_function("uri/parse_totp", |b| b.iter(|| uri::parse(black_box(URI))));
}

fn verification(c: &mut Criterion) {
    let secret = rfc_secret(20);
    let mut group = c.benchmark_group("verify");

    // TOTP, default config (SHA1, 6 digits, 30 s, tolerance 1): 3 HMACs whatever the token.
    let config = TotpConfig::default();
    let token = totp(
        &secret,
        NOW,
        config.step,
        0,
        config.algorithm,
        config.digits,
    )
    .unwrap();
    let accepted = verify_totp_at(&secret, &config, TotpState::default(), &token, NOW).unwrap();
    assert!(
        accepted.outcome.is_accepted(),
        "benchmark token must verify"
    );
    group.bench_function("totp_accepted", |b| {
        b.iter(|| {
            verify_totp_at(
                black_box(&secret),
                &config,
                TotpState::default(),
                black_box(&token),
                NOW,
            )
        })
    });
    // A wrong token (throttling off, so every attempt does the full check).
    let no_throttle = TotpConfig {
        throttle_factor: 0,
        ..config
    };
    let wrong = if token == "000000" {
        "000001"
    } else {
        "000000"
    };
    group.bench_function("totp_invalid", |b| {
        b.iter(|| {
            verify_totp_at(
                black_box(&secret),
                &no_throttle,
                TotpState::default(),
                black_box(wrong),
                NOW,
            )
        })
    });

    // HOTP, default config (look-ahead 5): 6 HMACs whatever the token.
    let hotp_config = HotpConfig::default();
    let hotp_token = hotp(&secret, 3, hotp_config.algorithm, hotp_config.digits).unwrap();
    let hotp_accepted = verify_hotp_at(
        &secret,
        &hotp_config,
        HotpState::default(),
        &hotp_token,
        NOW,
    )
    .unwrap();
    assert!(hotp_accepted.outcome.is_accepted());
    group.bench_function("hotp_accepted_lookahead", |b| {
        b.iter(|| {
            verify_hotp_at(
                black_box(&secret),
                &hotp_config,
                HotpState::default(),
                black_box(&hotp_token),
                NOW,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, generation, uri_parsing, verification);
criterion_main!(benches);

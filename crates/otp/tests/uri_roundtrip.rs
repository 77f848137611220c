//! Property: for every valid account, `parse(emit(x)) == x`, and parsing never panics.

use keygate_otp::{uri, Account, Algorithm, Kind, Secret};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Printable text including the characters that break naive URI code: : + # % & ? = / space.
    prop::string::string_regex("[ -~äöüß€日本:+#%&?=/]{0,24}").unwrap()
}

fn account() -> impl Strategy<Value = Account> {
    (
        prop_oneof![
            Just(Kind::Totp),
            Just(Kind::Hotp),
            Just(Kind::Steam),
            Just(Kind::Yandex),
            Just(Kind::Motp)
        ],
        prop::collection::vec(any::<u8>(), 1..64),
        prop::option::of(text()),
        text(),
        prop_oneof![
            Just(Algorithm::Sha1),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha512)
        ],
        6u32..=10,
        1u64..=3600,
        any::<u64>(),
    )
        .prop_filter_map(
            "valid account",
            |(kind, mut key, issuer, name, alg, digits, period, counter)| {
                if kind == Kind::Yandex {
                    key.resize(16, 7);
                }
                Account::new(
                    kind,
                    Secret::from_bytes(key),
                    issuer,
                    name,
                    alg,
                    digits,
                    period,
                    counter,
                )
                .ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn emit_then_parse_is_identity(a in account()) {
        let emitted = uri::emit(&a);
        prop_assert_eq!(uri::parse(&emitted).unwrap(), a, "{}", emitted);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,80}") {
        let _ = uri::parse(&s);
        let _ = uri::parse(&format!("otpauth://totp/{s}"));
        let _ = uri::parse(&format!("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&{s}"));
    }
}

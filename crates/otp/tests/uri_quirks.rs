//! Real-world otpauth URIs and their quirks: each row is a URI as some service or exporter
//! writes it and what a user expects Keygate to make of it (or the error it must give).

use keygate_otp::{uri, Algorithm, Error, Kind};

const S: &str = "JBSWY3DPEHPK3PXP";

struct Row {
    what: &'static str,
    uri: String,
    kind: Kind,
    issuer: Option<&'static str>,
    name: &'static str,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    counter: u64,
}

fn row(
    what: &'static str,
    uri: impl Into<String>,
    issuer: Option<&'static str>,
    name: &'static str,
) -> Row {
    Row {
        what,
        uri: uri.into(),
        kind: Kind::Totp,
        issuer,
        name,
        algorithm: Algorithm::Sha1,
        digits: 6,
        period: 30,
        counter: 0,
    }
}

fn rows() -> Vec<Row> {
    vec![
        row("Google's example", format!("otpauth://totp/Example:alice@google.com?secret={S}&issuer=Example"), Some("Example"), "alice@google.com"),
        row("colon encoded as %3A", format!("otpauth://totp/ACME%20Co%3Ajohn.doe@email.com?secret={S}&issuer=ACME%20Co"), Some("ACME Co"), "john.doe@email.com"),
        row("lower-case %3a", format!("otpauth://totp/ACME%3ajohn?secret={S}"), Some("ACME"), "john"),
        row("space after the colon (Authy/Ente)", format!("otpauth://totp/Cloudflare:%20user@example.com?secret={S}&issuer=Cloudflare"), Some("Cloudflare"), "user@example.com"),
        row("raw space after the colon", format!("otpauth://totp/Cloudflare: user@example.com?secret={S}&issuer=Cloudflare"), Some("Cloudflare"), "user@example.com"),
        row("Microsoft 365: label prefix differs, parameter wins, prefix kept", format!("otpauth://totp/Some+Company%3Ame%40somecompany.net?secret={S}&issuer=Microsoft"), Some("Microsoft"), "Some Company:me@somecompany.net"),
        row("issuer only in the label", format!("otpauth://totp/GitHub:octocat?secret={S}"), Some("GitHub"), "octocat"),
        row("issuer only as parameter", format!("otpauth://totp/octocat?secret={S}&issuer=GitHub"), Some("GitHub"), "octocat"),
        row("no issuer at all", format!("otpauth://totp/alice?secret={S}"), None, "alice"),
        row("plus as space in the label", format!("otpauth://totp/My+Bank:John+Smith?secret={S}&issuer=My+Bank"), Some("My Bank"), "John Smith"),
        row("unencoded # in the account name", format!("otpauth://totp/ACME:john#doe@x.com?secret={S}&issuer=ACME"), Some("ACME"), "john#doe@x.com"),
        row("encoded %2B stays a plus", format!("otpauth://totp/ACME:me%2Btag@x.com?secret={S}&issuer=ACME"), Some("ACME"), "me+tag@x.com"),
        row("prefix case differs from parameter", format!("otpauth://totp/github:octocat?secret={S}&issuer=GitHub"), Some("GitHub"), "octocat"),
        row("lower-case secret", format!("otpauth://totp/x?secret={}", S.to_lowercase()), None, "x"),
        row("secret with spaces", "otpauth://totp/x?secret=JBSW%20Y3DP%20EHPK%203PXP", None, "x"),
        row("secret with dashes", "otpauth://totp/x?secret=JBSW-Y3DP-EHPK-3PXP", None, "x"),
        row("secret with = padding", format!("otpauth://totp/x?secret={S}%3D%3D%3D%3D"), None, "x"),
        row("secret with raw = padding", format!("otpauth://totp/x?secret={S}===="), None, "x"),
        row("upper-case scheme and type", format!("OTPAUTH://TOTP/x?secret={S}"), None, "x"),
        row("parameters in any case", format!("otpauth://totp/x?SECRET={S}&Issuer=Y"), Some("Y"), "x"),
        row("unknown parameters ignored", format!("otpauth://totp/x?secret={S}&image=https%3A%2F%2Fx%2Flogo.png&color=red"), None, "x"),
        row("empty label", format!("otpauth://totp/?secret={S}&issuer=Solo"), Some("Solo"), ""),
        row("no label and no slash", format!("otpauth://totp?secret={S}"), None, ""),
        row("surrounding whitespace", format!("  otpauth://totp/x?secret={S}\n"), None, "x"),
        row("unicode names", format!("otpauth://totp/%C3%9Cber%20Bank:J%C3%BCrgen?secret={S}&issuer=%C3%9Cber%20Bank"), Some("Über Bank"), "Jürgen"),
        Row { algorithm: Algorithm::Sha256, ..row("lower-case algorithm", format!("otpauth://totp/x?secret={S}&algorithm=sha256"), None, "x") },
        Row { algorithm: Algorithm::Sha256, ..row("enum-style algorithm", format!("otpauth://totp/x?secret={S}&algorithm=algorithm.sha256"), None, "x") },
        Row { algorithm: Algorithm::Sha512, ..row("hyphenated algorithm", format!("otpauth://totp/x?secret={S}&algorithm=SHA-512"), None, "x") },
        Row { digits: 8, ..row("digits with spaces", format!("otpauth://totp/x?secret={S}&digits=%208%20"), None, "x") },
        Row { digits: 8, ..row("digits quoted", format!("otpauth://totp/x?secret={S}&digits=%228%22"), None, "x") },
        Row { period: 60, ..row("period with spaces", format!("otpauth://totp/x?secret={S}&period=60%20"), None, "x") },
        Row { digits: 10, period: 3600, ..row("10 digits, an hour", format!("otpauth://totp/x?secret={S}&digits=10&period=3600"), None, "x") },
        Row { kind: Kind::Hotp, counter: 42, ..row("hotp with counter", format!("otpauth://hotp/Bank:me?secret={S}&issuer=Bank&counter=42"), Some("Bank"), "me") },
        Row { kind: Kind::Steam, digits: 5, ..row("otpauth://steam/", format!("otpauth://steam/Steam:gaben?secret={S}&issuer=Steam"), Some("Steam"), "gaben") },
        Row { kind: Kind::Steam, digits: 5, ..row("totp with issuer Steam", format!("otpauth://totp/Steam:gaben?secret={S}&issuer=Steam"), Some("Steam"), "gaben") },
        Row { kind: Kind::Steam, digits: 5, ..row("encoder=steam", format!("otpauth://totp/gaben?secret={S}&encoder=steam"), None, "gaben") },
        Row { kind: Kind::Motp, digits: 6, period: 10, ..row("motp:// with hex secret", "motp://Corp:alice?secret=e3152afee62599c8", Some("Corp"), "alice") },
        Row { kind: Kind::Yandex, digits: 8, algorithm: Algorithm::Sha256, ..row("yaotp", "otpauth://yaotp/alice?secret=LA2V6KMCGYMWWVEW64RNP3JA3IAAAAAAHTSG4HRZPI&pin_length=4", None, "alice") },
        row("duplicate parameter: first wins", format!("otpauth://totp/x?secret={S}&issuer=A&issuer=B"), Some("A"), "x"),
        row("80-bit secret (GitHub, Discord)", "otpauth://totp/GitHub:me?secret=GEZDGNBVGY3TQOJQ&issuer=GitHub", Some("GitHub"), "me"),
    ]
}

#[test]
fn real_world_quirks_parse() {
    let rows = rows();
    assert!(rows.len() >= 30);
    for r in rows {
        let a = uri::parse(&r.uri).unwrap_or_else(|e| panic!("{}: {e}", r.what));
        assert_eq!(a.kind, r.kind, "{}", r.what);
        assert_eq!(a.issuer.as_deref(), r.issuer, "{}", r.what);
        assert_eq!(a.name, r.name, "{}", r.what);
        assert_eq!(a.algorithm, r.algorithm, "{}", r.what);
        assert_eq!(a.digits, r.digits, "{}", r.what);
        assert_eq!(a.period, r.period, "{}", r.what);
        assert_eq!(a.counter, r.counter, "{}", r.what);
        // Whatever came in, what goes out reads back the same.
        assert_eq!(uri::parse(&uri::emit(&a)).unwrap(), a, "{}", r.what);
    }
}

#[test]
fn secret_variants_decode_to_the_same_key() {
    let canonical = uri::parse(&format!("otpauth://totp/x?secret={S}"))
        .unwrap()
        .secret;
    let variants = rows();
    let variants: Vec<_> = variants
        .iter()
        .filter(|r| {
            r.what.contains("secret") && r.kind == Kind::Totp && !r.what.starts_with("80-bit")
        })
        .collect();
    assert!(variants.len() >= 5);
    for r in variants {
        assert_eq!(uri::parse(&r.uri).unwrap().secret, canonical, "{}", r.what);
    }
}

#[test]
fn weak_secrets_are_flagged() {
    assert!(uri::parse("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ")
        .unwrap()
        .weak_secret());
    assert!(
        !uri::parse("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
            .unwrap()
            .weak_secret()
    );
}

#[test]
fn malformed_uris_are_clear_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "does not start with otpauth://"),
        ("https://example.com", "does not start with otpauth://"),
        ("otpauth://totp/x", "secret parameter is missing"),
        ("otpauth://totp/x?issuer=A", "secret parameter is missing"),
        ("otpauth://totp/x?secret=", "secret is empty"),
        ("otpauth://totp/x?secret=JBSW1Y3D", "not valid base32"),
        (
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP",
            "needs a counter",
        ),
        (
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=-1",
            "counter must be a whole number",
        ),
        (
            "otpauth://xotp/x?secret=JBSWY3DPEHPK3PXP",
            "unknown type \"xotp\"",
        ),
        (
            "otpauth:///x?secret=JBSWY3DPEHPK3PXP",
            "type (totp or hotp) is missing",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six",
            "digits must be a whole number",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=4",
            "4 digits is not supported",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=99999999999",
            "is not supported",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
            "period of 0 seconds",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=7200",
            "period of 7200 seconds",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "unsupported algorithm \"MD5\"",
        ),
        (
            "otpauth://totp/%FF%FE?secret=JBSWY3DPEHPK3PXP",
            "label is not valid UTF-8",
        ),
        (
            "otpauth://yaotp/x?secret=JBSWY3DPEHPK3PXP",
            "Yandex needs 16 or 26 bytes",
        ),
        ("motp://x?secret=zz", "not valid hex"),
        (
            "otpauth-migration://offline?data=abc",
            "Google Authenticator export",
        ),
    ];
    for (input, expected) in cases {
        let err: Error = uri::parse(input).expect_err(input);
        let message = err.to_string();
        assert!(
            message.contains(expected),
            "{input:?}: {message:?} should mention {expected:?}"
        );
        assert!(
            !message.contains("JBSWY3DP"),
            "{input:?}: error leaks the secret: {message}"
        );
    }
}

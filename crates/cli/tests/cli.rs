//! The `keygate` binary's contract, as outside checks call it: exact output on stdout, one plain
//! sentence on stderr and a non-zero exit on every error.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn keygate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .output()
        .expect("run keygate")
}

fn keygate_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keygate");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = keygate(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a failing command and returns its single stderr line.
fn fails(args: &[&str]) -> String {
    let out = keygate(args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
    err
}

// RFC 6238 seeds in base32.
const SHA1_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SHA256_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const SHA512_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

#[test]
fn code_reproduces_rfc6238() {
    for (alg, seed, time, want) in [
        ("SHA1", SHA1_SEED, "59", "94287082"),
        ("SHA256", SHA256_SEED, "1111111109", "68084774"),
        ("SHA512", SHA512_SEED, "20000000000", "47863826"),
    ] {
        let out = ok(&[
            "code",
            "--secret",
            seed,
            "--algorithm",
            alg,
            "--digits",
            "8",
            "--time",
            time,
        ]);
        assert_eq!(out, format!("{want}\n"), "{alg} at {time}");
    }
}

#[test]
fn code_defaults_period_and_hotp() {
    // Default: SHA1, 6 digits, 30 s.
    assert_eq!(
        ok(&["code", "--secret", SHA1_SEED, "--time", "59"]),
        "287082\n"
    );
    // 60 s period: t=59 is step 0 → HOTP(0).
    assert_eq!(
        ok(&["code", "--secret", SHA1_SEED, "--period", "60", "--time", "59"]),
        "755224\n"
    );
    // HOTP RFC 4226 counters.
    assert_eq!(
        ok(&["code", "--secret", SHA1_SEED, "--counter", "0"]),
        "755224\n"
    );
    assert_eq!(
        ok(&["code", "--secret", SHA1_SEED, "--counter", "9"]),
        "520489\n"
    );
    assert_eq!(
        ok(&[
            "code",
            "--secret",
            SHA1_SEED,
            "--counter",
            "7",
            "--digits",
            "10"
        ]),
        "0082162583\n"
    );
    // Secret from stdin keeps it out of the process list.
    let out = keygate_stdin(
        &["code", "--secret", "-", "--time", "59"],
        &format!("{SHA1_SEED}\n"),
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "287082\n");
}

#[test]
fn code_steam_and_uri() {
    let steam = ok(&["code", "--secret", SHA1_SEED, "--steam", "--time", "59"]);
    let steam = steam.trim_end();
    assert_eq!(steam.len(), 5);
    assert!(
        steam
            .bytes()
            .all(|b| b"23456789BCDFGHJKMNPQRTVWXY".contains(&b)),
        "{steam}"
    );
    let via_uri = ok(&[
        "code",
        "--uri",
        &format!("otpauth://steam/Steam:me?secret={SHA1_SEED}"),
        "--time",
        "59",
    ]);
    assert_eq!(via_uri.trim_end(), steam);

    let uri = format!(
        "otpauth://totp/ACME:me?secret={SHA256_SEED}&algorithm=SHA256&digits=8&issuer=ACME"
    );
    assert_eq!(
        ok(&["code", "--uri", &uri, "--time", "1111111109"]),
        "68084774\n"
    );
    let hotp = format!("otpauth://hotp/x?secret={SHA1_SEED}&counter=3");
    assert_eq!(ok(&["code", "--uri", &hotp]), "969429\n");
    let motp = "motp://Corp:alice?secret=e3152afee62599c8";
    assert_eq!(
        ok(&[
            "code",
            "--uri",
            motp,
            "--pin",
            "1234",
            "--time",
            "123456789"
        ]),
        "4ebfb2\n"
    );
    assert!(fails(&["code", "--uri", motp]).contains("need a PIN"));
}

#[test]
fn code_errors_are_one_sentence() {
    assert!(fails(&["code", "--secret", "JBSW1Y3D"]).contains("not valid base32"));
    assert!(fails(&["code", "--secret", SHA1_SEED, "--digits", "4"])
        .contains("4 digits is not supported"));
    assert!(
        fails(&["code", "--secret", SHA1_SEED, "--period", "0"]).contains("period of 0 seconds")
    );
    assert!(
        fails(&["code", "--secret", SHA1_SEED, "--algorithm", "MD5"])
            .contains("unsupported algorithm")
    );
    assert!(fails(&["code", "--uri", "https://example.com"]).contains("otpauth://"));
    assert!(
        fails(&["code", "--uri", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP"]).contains("counter")
    );
    // Usage errors too: one line, exit 2.
    let out = keygate(&["code"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    fails(&["code", "--secret", SHA1_SEED, "--counter", "1", "--steam"]);
    fails(&["code", "--secret", SHA1_SEED, "--time", "soon"]);
}

#[test]
fn uri_parse_prints_json_without_secret_unless_asked() {
    let uri = "otpauth://totp/Some+Company%3Ame%40x.net?secret=jbsw-y3dp-ehpk-3pxp&issuer=Microsoft&digits=%208";
    let out = ok(&["uri", "parse", uri]);
    assert_eq!(out.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["type"], "totp");
    assert_eq!(v["issuer"], "Microsoft");
    assert_eq!(v["account"], "Some Company:me@x.net");
    assert_eq!(v["algorithm"], "SHA1");
    assert_eq!(v["digits"], 8);
    assert_eq!(v["period"], 30);
    assert_eq!(v["counter"], serde_json::Value::Null);
    assert_eq!(v["weak_secret"], true);
    assert!(v.get("secret").is_none());
    assert!(!out.to_uppercase().contains("JBSWY3DP"));

    let shown: serde_json::Value =
        serde_json::from_str(&ok(&["uri", "parse", uri, "--show-secret"])).unwrap();
    assert_eq!(shown["secret"], "JBSWY3DPEHPK3PXP");

    let hotp: serde_json::Value = serde_json::from_str(&ok(&[
        "uri",
        "parse",
        "otpauth://hotp/Bank:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7&algorithm=sha512",
    ]))
    .unwrap();
    assert_eq!(
        (hotp["type"].as_str(), hotp["counter"].as_u64()),
        (Some("hotp"), Some(7))
    );
    assert_eq!(hotp["algorithm"], "SHA512");
    assert_eq!(hotp["weak_secret"], false);
    assert_eq!(hotp["issuer"], "Bank");

    assert!(fails(&["uri", "parse", "otpauth://totp/x"]).contains("secret parameter is missing"));
}

#[test]
fn uri_migration_expands_every_batch() {
    use keygate_otp::{migration, uri, Account, Algorithm, Kind, Secret};
    let accounts: Vec<Account> = (0..7u8)
        .map(|i| {
            let kind = if i == 3 { Kind::Hotp } else { Kind::Totp };
            let alg = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][usize::from(i % 3)];
            Account::new(
                kind,
                Secret::from_bytes(vec![i + 1; 20]),
                Some(format!("Issuer {i}")),
                format!("user{i}@example.com"),
                alg,
                if i % 2 == 0 { 6 } else { 8 },
                30,
                u64::from(i) * 10,
            )
            .unwrap()
        })
        .collect();
    let links = migration::emit(&accounts, 42).unwrap();
    assert_eq!(links.len(), 2, "at most 5 accounts per QR code");
    // Given in any order, all batches expand to the same accounts in order.
    let out = ok(&["uri", "migration", &links[1], &links[0]]);
    let expected: Vec<String> = accounts.iter().map(uri::emit).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    // A missing QR code is named.
    let err = fails(&["uri", "migration", &links[1]]);
    assert!(err.contains("missing QR code(s) 1 of 2"), "{err}");
    assert!(
        fails(&["uri", "migration", "otpauth-migration://offline?data=%%%"])
            .contains("otpauth-migration")
    );
}

//! Proves that `keygate_otp::code::{totp, hotp}` produce the same codes as Python's `pyotp`, an
//! independent implementation, on thousands of random cases: secrets of 10..=64 bytes, times up
//! to 4,000,000,000, periods 1..=3600 s, SHA1/SHA256/SHA512, 6..=10 digits, counters over the
//! whole u64 range; and that both refuse the same digit counts (pyotp supports 6..=10).
//!
//! Cases come from a fixed-seed PRNG, so a failure reproduces exactly. They are sent as JSON
//! lines to `tests/pyotp_oracle.py` on stdin; its answers come back on stdout.
//!
//! Needs `python3` (or the interpreter named by `KEYGATE_PYTHON`) with pyotp installed
//! (`pip install pyotp`). Without it the tests fail, unless `KEYGATE_SKIP_PYOTP=1` is set.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use keygate_otp::code::{hotp, totp};
use keygate_otp::{Algorithm, Secret};
use serde_json::{json, Value};

/// Fixed seed: change it to explore other cases, keep it to reproduce a failure.
const SEED: u64 = 0x6b65_7967_6174_6521;
/// Random TOTP cases (about half use a period pyotp accepts natively, 1..=120 s).
const TOTP_CASES: usize = 3000;
/// Random HOTP cases.
const HOTP_CASES: usize = 600;
/// Cases pyotp must have accepted through its own constructors, without the oracle lifting its
/// NIST policy checks (112-bit secrets, 120 s interval cap).
const MIN_NATIVE_TOTP: usize = 1000;
const MIN_NATIVE_HOTP: usize = 300;

/// SplitMix64: tiny, fixed, good enough to spread test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (the modulo bias is irrelevant here).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.next() % span,
            None => self.next(),
        }
    }

    /// A random secret of 10..=64 bytes (80-bit GitHub-style keys up to a SHA-512 block).
    fn secret(&mut self) -> Secret {
        let len = self.range(10, 64);
        Secret::from_bytes((0..len).map(|_| self.next() as u8).collect::<Vec<_>>())
    }

    fn algorithm(&mut self) -> Algorithm {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][self.range(0, 2) as usize]
    }
}

#[derive(Clone, Copy, Debug)]
enum Input {
    Totp { time: u64, period: u64 },
    Hotp { counter: u64 },
}

struct Case {
    secret: Secret,
    algorithm: Algorithm,
    digits: u32,
    input: Input,
}

impl Case {
    fn ours(&self) -> keygate_otp::Result<String> {
        match self.input {
            Input::Totp { time, period } => {
                totp(&self.secret, time, period, 0, self.algorithm, self.digits)
            }
            Input::Hotp { counter } => hotp(&self.secret, counter, self.algorithm, self.digits),
        }
    }

    fn to_json(&self, id: usize) -> Value {
        let secret = self.secret.to_base32();
        let mut line = json!({
            "id": id,
            "secret": secret.as_str(),
            "alg": self.algorithm.as_str().to_ascii_lowercase(),
            "digits": self.digits,
        });
        match self.input {
            Input::Totp { time, period } => {
                line["kind"] = json!("totp");
                line["time"] = json!(time);
                line["period"] = json!(period);
            }
            Input::Hotp { counter } => {
                line["kind"] = json!("hotp");
                line["counter"] = json!(counter);
            }
        }
        line
    }

    /// Everything needed to rerun the case by hand (the secret is random test data).
    fn describe(&self) -> String {
        format!(
            "secret={} ({} bytes) algorithm={} digits={} {:?}",
            self.secret.to_base32().as_str(),
            self.secret.expose().len(),
            self.algorithm,
            self.digits,
            self.input
        )
    }
}

fn random_totp_cases(rng: &mut Rng, n: usize) -> Vec<Case> {
    (0..n)
        .map(|i| {
            let secret = rng.secret();
            let algorithm = rng.algorithm();
            let digits = rng.range(6, 10) as u32;
            // Alternate between pyotp's native interval range and the full range we support.
            let period = if i % 2 == 0 {
                rng.range(1, 120)
            } else {
                rng.range(1, 3600)
            };
            let time = match rng.range(0, 3) {
                // Step boundaries, where an off-by-one in T = time / period would show.
                0 => {
                    let step = rng.range(0, 4_000_000_000 / period - 1);
                    step * period + [0, period - 1][rng.range(0, 1) as usize]
                }
                _ => rng.range(0, 4_000_000_000),
            };
            Case {
                secret,
                algorithm,
                digits,
                input: Input::Totp { time, period },
            }
        })
        .collect()
}

fn random_hotp_cases(rng: &mut Rng, n: usize) -> Vec<Case> {
    (0..n)
        .map(|_| {
            let secret = rng.secret();
            let algorithm = rng.algorithm();
            let digits = rng.range(6, 10) as u32;
            let counter = match rng.range(0, 3) {
                0 => rng.range(0, 1000),
                1 => rng.range(0, u64::from(u32::MAX)),
                _ => rng.next(),
            };
            Case {
                secret,
                algorithm,
                digits,
                input: Input::Hotp { counter },
            }
        })
        .collect()
}

/// pyotp's answer to one case.
enum Answer {
    Code { code: String, native: bool },
    Refused(String),
}

fn python() -> String {
    std::env::var("KEYGATE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether the test should run. Fails loudly when pyotp is missing, unless explicitly skipped.
fn pyotp_available(test: &str) -> bool {
    if std::env::var("KEYGATE_SKIP_PYOTP").as_deref() == Ok("1") {
        println!("{test}: skipped because KEYGATE_SKIP_PYOTP=1 (pyotp agreement NOT checked)");
        return false;
    }
    let python = python();
    let probe = Command::new(&python)
        .args(["-c", "import pyotp"])
        .stdin(Stdio::null())
        .output();
    match probe {
        Err(err) => panic!(
            "cannot run `{python}` ({err}): install Python 3 and then `pip install pyotp` \
             (or point KEYGATE_PYTHON at an interpreter that has it; \
             KEYGATE_SKIP_PYOTP=1 skips these tests)"
        ),
        Ok(out) if !out.status.success() => panic!(
            "pyotp is not importable by `{python}`: run `pip install pyotp` \
             (or point KEYGATE_PYTHON at an interpreter that has it; \
             KEYGATE_SKIP_PYOTP=1 skips these tests)\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => true,
    }
}

/// Sends every case to the pyotp oracle and returns its answers in order, plus pyotp's version.
fn ask_pyotp(cases: &[Case]) -> (Vec<Answer>, String) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pyotp_oracle.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
    {
        // The oracle reads all of stdin before writing anything, so writing everything first
        // and then reading cannot deadlock.
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut input = String::new();
        for (id, case) in cases.iter().enumerate() {
            input.push_str(&case.to_json(id).to_string());
            input.push('\n');
        }
        stdin
            .write_all(input.as_bytes())
            .expect("write cases to the oracle");
    }
    let out = child.wait_with_output().expect("wait for the oracle");
    assert!(
        out.status.success(),
        "pyotp oracle failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("oracle output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle output is JSON lines"))
        .collect();
    assert_eq!(
        lines.len(),
        cases.len() + 1,
        "oracle must answer every case and then report done"
    );
    let (done, answers) = lines.split_last().expect("nonempty");
    assert_eq!(done["done"], json!(cases.len()), "oracle read every case");
    let version = done["pyotp"].as_str().unwrap_or("unknown").to_string();
    let answers = answers
        .iter()
        .enumerate()
        .map(|(id, a)| {
            assert_eq!(a["id"], json!(id), "oracle answers are in order");
            match (a["code"].as_str(), a["error"].as_str()) {
                (Some(code), None) => Answer::Code {
                    code: code.to_string(),
                    native: a["native"].as_bool().expect("native flag"),
                },
                (None, Some(error)) => Answer::Refused(error.to_string()),
                _ => panic!("malformed oracle answer {a}"),
            }
        })
        .collect();
    (answers, version)
}

/// Compares every code; returns how many pyotp computed through its own constructors.
fn assert_agreement(what: &str, cases: &[Case]) -> usize {
    let (answers, version) = ask_pyotp(cases);
    let mut mismatches = Vec::new();
    let mut native = 0;
    for (case, answer) in cases.iter().zip(&answers) {
        let ours = case.ours();
        match (&ours, answer) {
            (Ok(a), Answer::Code { code, native: n }) if a == code => native += usize::from(*n),
            _ => {
                let theirs = match answer {
                    Answer::Code { code, native } => format!("{code} (native: {native})"),
                    Answer::Refused(e) => format!("refused: {e}"),
                };
                mismatches.push(format!(
                    "  {}\n    keygate: {ours:?}\n    pyotp:   {theirs}",
                    case.describe()
                ));
            }
        }
    }
    println!(
        "{what}: {} cases agree with pyotp {version} ({native} through pyotp's own constructors)",
        cases.len() - mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} {what} cases disagree with pyotp {version} (seed {SEED:#x}); first ones:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    native
}

#[test]
fn totp_agrees_with_pyotp() {
    if !pyotp_available("totp_agrees_with_pyotp") {
        return;
    }
    let mut rng = Rng(SEED);
    let cases = random_totp_cases(&mut rng, TOTP_CASES);
    // The generator must actually cover the ranges it claims to.
    let short = cases
        .iter()
        .filter(|c| c.secret.expose().len() < 14)
        .count();
    let long_period = cases
        .iter()
        .filter(|c| matches!(c.input, Input::Totp { period, .. } if period > 120))
        .count();
    for d in 6..=10 {
        assert!(cases.iter().any(|c| c.digits == d), "no {d}-digit case");
    }
    assert!(short > 50 && long_period > 500, "{short} {long_period}");

    let native = assert_agreement("TOTP", &cases);
    assert!(
        native >= MIN_NATIVE_TOTP,
        "only {native} TOTP cases went through pyotp's own constructor (want {MIN_NATIVE_TOTP})"
    );
}

#[test]
fn hotp_agrees_with_pyotp() {
    if !pyotp_available("hotp_agrees_with_pyotp") {
        return;
    }
    let mut rng = Rng(SEED ^ 0x686f_7470);
    let cases = random_hotp_cases(&mut rng, HOTP_CASES);
    assert!(cases
        .iter()
        .any(|c| matches!(c.input, Input::Hotp { counter } if counter > u64::MAX / 2)));
    let native = assert_agreement("HOTP", &cases);
    assert!(
        native >= MIN_NATIVE_HOTP,
        "only {native} HOTP cases went through pyotp's own constructor (want {MIN_NATIVE_HOTP})"
    );
}

/// Both accept exactly 6..=10 digits, and the oracle reproduces a published vector (so it is
/// really computing codes, not echoing anything back).
#[test]
fn digit_range_and_known_vector_agree_with_pyotp() {
    if !pyotp_available("digit_range_and_known_vector_agree_with_pyotp") {
        return;
    }
    let rfc_secret = Secret::from_bytes(b"12345678901234567890".to_vec());
    let mut cases = Vec::new();
    for digits in [0, 4, 5, 6, 10, 11, 12] {
        for input in [
            Input::Hotp { counter: 1 },
            Input::Totp {
                time: 59,
                period: 30,
            },
        ] {
            cases.push(Case {
                secret: rfc_secret.clone(),
                algorithm: Algorithm::Sha1,
                digits,
                input,
            });
        }
    }
    let (answers, version) = ask_pyotp(&cases);
    for (case, answer) in cases.iter().zip(&answers) {
        let ours = case.ours();
        match answer {
            Answer::Code { code, .. } => {
                assert!(
                    (6..=10).contains(&case.digits),
                    "pyotp {version} accepted {}",
                    case.describe()
                );
                assert_eq!(ours.as_ref().ok(), Some(code), "{}", case.describe());
            }
            Answer::Refused(_) => {
                assert!(
                    ours.is_err(),
                    "pyotp {version} refused but keygate accepted {}",
                    case.describe()
                );
            }
        }
    }
    let accepted: Vec<u32> = cases
        .iter()
        .zip(&answers)
        .filter(|(_, a)| matches!(a, Answer::Code { .. }))
        .map(|(c, _)| c.digits)
        .collect();
    assert_eq!(accepted, [6, 6, 10, 10], "pyotp {version} digit range");
    // RFC 4226 appendix D, counter 1: truncated value 287082 (6 digits), 1094287082 (10 digits);
    // RFC 6238 appendix B, SHA1 at t=59 is the same HMAC (step 1).
    let codes: Vec<&str> = answers
        .iter()
        .filter_map(|a| match a {
            Answer::Code { code, .. } => Some(code.as_str()),
            Answer::Refused(_) => None,
        })
        .collect();
    assert_eq!(codes, ["287082", "287082", "1094287082", "1094287082"]);
}

//! The staff authenticator through the real `keygate` binary, on a real Secret Service and (for
//! screen and clipboard) a real X display: run under `scripts/with-keyring.sh` and `xvfb-run`,
//! as `scripts/test.sh` does.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use keygate_otp::{migration, uri, Account, Algorithm, Kind, Secret};

/// These tests are ignored by default; run with `--include-ignored`, they fail with what to do
/// when their Secret Service is missing, rather than pass without testing anything.
fn require_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run these tests under scripts/with-keyring.sh (scripts/test.sh does)"
    );
}

fn require_display() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no X display: run these tests under xvfb-run (scripts/test.sh does)"
    );
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_keygate"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err:?}");
        err
    }

    fn list(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["list", "--json"])).unwrap()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

fn keygate(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn write_qr(path: &str, text: &str) {
    std::fs::write(path, keygate_qr::encode_png(text, 6).unwrap()).unwrap();
}

const GITHUB: &str = "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn add_list_show_rename_remove() {
    require_keyring();
    let cli = Cli::new();
    assert!(cli
        .ok(&["add", GITHUB])
        .starts_with("added: GitHub (octocat)"));
    // The same account again is reported, not added twice.
    assert!(cli
        .ok(&["add", GITHUB])
        .starts_with("already present: GitHub (octocat)"));
    let rows = cli.list();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["issuer"], "GitHub");
    // The listed code is the one `keygate code` computes for the same secret at the same time
    // (retried across a period boundary).
    let same = (0..3).any(|_| {
        let listed = cli.list()[0]["code"].as_str().unwrap().to_string();
        let direct = keygate(&["code", "--secret", "JBSWY3DPEHPK3PXP"]);
        listed == direct || {
            sleep(Duration::from_secs(1));
            false
        }
    });
    assert!(same, "list and code disagree");
    let shown = cli.ok(&["show", "octo"]);
    assert_eq!(shown.trim().len(), 6);

    cli.ok(&[
        "rename",
        "github",
        "--issuer",
        "GitHub Enterprise",
        "--account",
        "hubot",
    ]);
    assert_eq!(cli.list()[0]["account"], "hubot");
    assert_eq!(cli.list()[0]["issuer"], "GitHub Enterprise");

    assert!(cli
        .fails(&["show", "nobody"])
        .contains("no account matches"));
    assert!(cli.ok(&["rm", "hubot"]).starts_with("removed:"));
    assert!(cli.list().is_empty());
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn hotp_advances_and_persists_the_counter() {
    require_keyring();
    let cli = Cli::new();
    cli.ok(&[
        "add",
        "otpauth://hotp/Bank:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0&issuer=Bank",
    ]);
    // No code until asked.
    assert_eq!(cli.list()[0]["code"], serde_json::Value::Null);
    // RFC 4226 codes, one per `show`, across separate processes.
    for want in ["755224", "287082", "359152"] {
        assert_eq!(cli.ok(&["show", "bank"]).trim(), want);
    }
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn qr_export_scans_back_and_imports() {
    require_keyring();
    let cli = Cli::new();
    cli.ok(&["add", GITHUB]);
    let png = cli.path("export.png");
    cli.ok(&["qr", "github", "--out", &png]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&png).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the picture holds the secret: owner only");
    }
    let scanned = cli.ok(&["scan", &png]);
    assert_eq!(
        uri::parse(scanned.trim()).unwrap(),
        uri::parse(GITHUB).unwrap()
    );
    // Refuses to overwrite; the SVG form works too.
    assert!(cli
        .fails(&["qr", "github", "--out", &png])
        .contains("cannot write"));
    cli.ok(&["qr", "github", "--out", &cli.path("export.svg")]);
    assert!(std::fs::read_to_string(cli.path("export.svg"))
        .unwrap()
        .contains("<svg"));
    // Imported into a second vault from the picture.
    let other = Cli::new();
    assert!(other
        .ok(&["add", "--scan", &png])
        .starts_with("added: GitHub (octocat)"));
}

fn export_accounts() -> Vec<Account> {
    (0..7u8)
        .map(|i| {
            Account::new(
                Kind::Totp,
                Secret::from_bytes(vec![i + 1; 20]),
                Some(format!("Service {i}")),
                format!("user{i}"),
                [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][usize::from(i % 3)],
                6,
                30,
                0,
            )
            .unwrap()
        })
        .collect()
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn google_export_pictures_add_every_account() {
    require_keyring();
    let cli = Cli::new();
    let links = migration::emit(&export_accounts(), 7).unwrap();
    let files: Vec<String> = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            let path = cli.path(&format!("export-{i}.png"));
            write_qr(&path, link);
            path
        })
        .collect();
    // Only the second picture: the missing one is named and nothing is added.
    assert!(cli
        .fails(&["add", "--scan", &files[1]])
        .contains("missing QR code(s) 1 of 2"));
    assert!(cli.list().is_empty());
    let mut args = vec!["add", "--scan"];
    args.extend(files.iter().map(String::as_str));
    let out = cli.ok(&args);
    assert_eq!(out.lines().filter(|l| l.starts_with("added:")).count(), 7);
    let rows = cli.list();
    let issuers: Vec<&str> = rows.iter().map(|r| r["issuer"].as_str().unwrap()).collect();
    assert_eq!(
        issuers,
        (0..7).map(|i| format!("Service {i}")).collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn bad_inputs_name_the_file_and_add_nothing() {
    require_keyring();
    let cli = Cli::new();
    let blank = cli.path("blank.png");
    image_blank(&blank);
    let text_file = cli.path("notes.png");
    std::fs::write(&text_file, "not an image").unwrap();
    let website = cli.path("website.png");
    write_qr(&website, "https://example.com/");
    let truncated = cli.path("truncated.png");
    let good = cli.path("good.png");
    write_qr(&good, GITHUB);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    for (file, reason) in [
        (&blank, "no QR code found"),
        (&text_file, "is not a readable image"),
        (&truncated, "is not a readable image"),
        (&website, "not an otpauth:// link"),
    ] {
        // With a good picture first: the bad one still stops everything.
        let err = cli.fails(&["add", "--scan", &good, file]);
        assert!(err.contains(file.as_str()), "{err}");
        assert!(err.contains(reason), "{err}");
        assert!(cli.list().is_empty(), "nothing may be added after {err}");
    }
    assert!(cli
        .fails(&["add", "otpauth://totp/x?secret=JBSW1"])
        .contains("link 1"));
    assert!(cli
        .fails(&["add", "--scan", &cli.path("missing.png")])
        .contains("missing.png"));
    assert!(cli.list().is_empty());
}

fn image_blank(path: &str) {
    // A light picture with a grey bar: an image, but no code.
    let picture = image::GrayImage::from_fn(200, 120, |x, y| {
        image::Luma([if (20..180).contains(&x) && (30..60).contains(&y) {
            128
        } else {
            250
        }])
    });
    picture.save(path).unwrap();
}

/// Shows `image` in a real viewer window on the X display until dropped.
struct Viewer(Child);

impl Viewer {
    fn show(image: &str) -> Self {
        let child = Command::new("feh")
            .args([
                "--geometry",
                "700x700+50+50",
                "--title",
                "keygate-test",
                image,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("feh (apt-get install feh) shows the QR code on the screen");
        Viewer(child)
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Retries while the window maps.
fn eventually(mut attempt: impl FnMut() -> Option<String>) -> String {
    let start = Instant::now();
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "gave up after 20 s"
        );
        sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs a Secret Service and an X display: run under scripts/with-keyring.sh and xvfb-run with --include-ignored (scripts/test.sh does)"]
fn screen_scan_reads_a_code_shown_by_a_viewer() {
    require_keyring();
    require_display();
    let cli = Cli::new();
    let png = cli.path("shown.png");
    write_qr(&png, GITHUB);
    let _viewer = Viewer::show(&png);
    let scanned = eventually(|| {
        let out = cli.run(&["scan", "--screen"]);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    });
    assert_eq!(scanned.trim(), GITHUB);
    assert!(cli
        .ok(&["add", "--screen"])
        .starts_with("added: GitHub (octocat)"));
    assert_eq!(cli.list().len(), 1);
}

fn xclip(args: &[&str], input: Option<&Path>) -> Output {
    let mut command = Command::new("xclip");
    command.args(args);
    if let Some(path) = input {
        command.arg("-i").arg(path);
    }
    command.output().expect("xclip (apt-get install xclip)")
}

#[test]
#[ignore = "needs a Secret Service and an X display: run under scripts/with-keyring.sh and xvfb-run with --include-ignored (scripts/test.sh does)"]
fn clipboard_image_is_scanned_and_copied_codes_are_cleared() {
    require_keyring();
    require_display();
    let cli = Cli::new();
    let png = cli.path("clip.png");
    write_qr(&png, GITHUB);
    // xclip keeps serving the image in the background until another owner takes over.
    let status = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i", &png])
        .status()
        .unwrap();
    assert!(status.success());
    let scanned = eventually(|| {
        let out = cli.run(&["scan", "--clipboard"]);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    });
    assert_eq!(scanned.trim(), GITHUB);
    cli.ok(&["add", "--clipboard"]);

    // Copy the code; it is on the clipboard, then cleared after the (shortened) delay.
    let out = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .arg("--data-dir")
        .arg(cli.dir.path())
        .args(["show", "github", "--copy"])
        .env("KEYGATE_CLIPBOARD_CLEAR_SECS", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let pasted = xclip(&["-selection", "clipboard", "-o"], None);
    assert_eq!(String::from_utf8_lossy(&pasted.stdout).trim(), code);
    sleep(Duration::from_secs(5));
    let after = xclip(&["-selection", "clipboard", "-o"], None);
    assert_ne!(
        String::from_utf8_lossy(&after.stdout).trim(),
        code,
        "the code must be cleared"
    );
}

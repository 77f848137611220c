//! One rule for the data directory: `--data-dir`, else `KEYGATE_DATA_DIR`, else the platform
//! directory, for every command. `keygate serve` and `keygate admin` once ignored the variable
//! and wrote the master key, the TLS key and the database under `~/.local/share/keygate` even
//! when it pointed elsewhere; two servers with different `KEYGATE_DATA_DIR`s shared one TLS key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `keygate` command with a private HOME (so the platform directory is inside `home`) and
/// `KEYGATE_DATA_DIR` set to `data`.
fn keygate(home: &Path, data: Option<&Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keygate"));
    command
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("KEYGATE_DATA_DIR")
        .env_remove("KEYGATE_SECRET_KEY")
        .env_remove("KEYGATE_SECRET_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(data) = data {
        command.env("KEYGATE_DATA_DIR", data);
    }
    command
}

fn platform_dir(home: &Path) -> PathBuf {
    home.join(".local/share/keygate")
}

/// Every file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `keygate serve` on a free loopback port and waits until it has written its TLS
/// certificate (it prints the fingerprint after that).
fn serve_until_ready(home: &Path, data: &Path) -> Killed {
    let mut child = Killed(
        keygate(home, Some(data))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .spawn()
            .expect("keygate serve starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !data.join("tls/cert.pem").exists() {
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!("keygate serve exited early: {status}");
        }
        assert!(Instant::now() < deadline, "no certificate after 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn serve_keeps_its_key_certificate_and_database_in_keygate_data_dir() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let (a, b) = (scratch.path().join("a"), scratch.path().join("b"));
    std::fs::create_dir_all(&home).unwrap();

    let server_a = serve_until_ready(&home, &a);
    let server_b = serve_until_ready(&home, &b);
    for dir in [&a, &b] {
        let found = files(dir);
        for expected in ["keygate.db", "secret.key", "tls/cert.pem", "tls/key.pem"] {
            assert!(
                found.iter().any(|f| f == expected),
                "{expected} missing in {}: {found:?}",
                dir.display()
            );
        }
    }
    assert_ne!(
        std::fs::read(a.join("tls/key.pem")).unwrap(),
        std::fs::read(b.join("tls/key.pem")).unwrap(),
        "two data directories, two TLS keys"
    );
    assert_ne!(
        std::fs::read(a.join("secret.key")).unwrap(),
        std::fs::read(b.join("secret.key")).unwrap(),
        "two data directories, two master keys"
    );
    drop((server_a, server_b));
    assert!(
        !platform_dir(&home).exists(),
        "nothing in the platform directory: {:?}",
        files(&platform_dir(&home))
    );
}

#[test]
fn admin_create_user_writes_the_database_in_keygate_data_dir() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let data = scratch.path().join("data");
    std::fs::create_dir_all(&home).unwrap();
    let mut child = keygate(&home, Some(&data))
        .args([
            "admin",
            "create-user",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ])
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough passphrase\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(data.join("keygate.db").exists(), "{:?}", files(&data));
    assert!(!platform_dir(&home).exists());

    // `--data-dir` still beats the variable, and without either the platform directory is used.
    let other = scratch.path().join("other");
    let output = keygate(&home, Some(&data))
        .args(["--data-dir"])
        .arg(&other)
        .args(["admin", "reset-2fa", "alice"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "alice is not in --data-dir's database"
    );
    assert!(other.join("keygate.db").exists(), "{:?}", files(&other));
    let output = keygate(&home, None)
        .args(["admin", "reset-2fa", "nobody"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(platform_dir(&home).join("keygate.db").exists());
}

//! Smoke tests of the real `keygate` process: `keygate serve` over HTTPS with a user made by
//! `keygate admin create-user --password-stdin`, a full sign-in with a TOTP code,
//! `keygate admin reset-2fa`, the lines printed at start-up, the refusal of plain HTTP on a
//! public address and `keygate check --deploy`.
//!
//! The server's behaviour is tested in-process in crates/server/tests; these check the
//! command-line wiring around it. They live here, not in the top-level tests/ folder, because
//! only the package that owns the binary gets `CARGO_BIN_EXE_keygate` (Cargo builds no binary
//! of a dependency).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Response, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_keygate");
const PASSWORD: &str = "correct horse battery staple";

/// A running `keygate serve` process on a free loopback port.
struct Server {
    _dir: TempDir,
    _key_dir: TempDir,
    url: String,
    db: PathBuf,
    log: PathBuf,
    cert: PathBuf,
    stdout: Arc<Mutex<String>>,
    child: Child,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let key_dir = tempfile::tempdir().unwrap();
        let key_file = key_dir.path().join("secret.key");
        let key: String = rand::random::<[u8; 32]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(&key_file, format!("{key}\n")).unwrap();
        let db = dir.path().join("keygate.db");
        let log = dir.path().join("server.log");
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("KEYGATE_SECRET_KEY_FILE", &key_file)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stdout.take().unwrap());
        let collected = stdout.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                let mut all = collected.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
                drop(all);
                // "listening on" is printed last, after every other start-up line.
                if let Some(url) = line.strip_prefix("keygate: listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let Ok(url) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!(
                "the server did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Server {
            cert: dir.path().join("tls").join("cert.pem"),
            _dir: dir,
            _key_dir: key_dir,
            url,
            db,
            log,
            stdout,
            child,
        }
    }

    /// `keygate admin …` on this server's database.
    fn admin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(BIN)
            .arg("admin")
            .arg(args[0])
            .arg("--db")
            .arg(&self.db)
            .args(&args[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "keygate admin {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// The value of the start-up line `keygate: {prefix}…`.
    fn printed(&self, prefix: &str) -> Option<String> {
        self.stdout()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("keygate: {prefix}")))
            .map(str::to_string)
    }

    fn client(&self) -> Client {
        Client::new(&self.url, &self.cert)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TLS config trusting exactly the server's certificate.
fn tls_config(cert: &Path) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(der.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An HTTPS client with a cookie jar that sends the CSRF token on every POST.
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(base: &str, cert: &Path) -> Client {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(cert))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            http,
            base: base.to_string(),
        }
    }

    async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        let csrf: Value = self.get("/api/v1/auth/csrf").await.json().await.unwrap();
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", csrf["token"].as_str().unwrap())
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn login(&self, username: &str) -> Value {
        let response = self
            .post(
                "/api/v1/auth/login",
                json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn sign_in_with_a_totp_code_as_a_user_made_by_the_command() {
    let server = Server::start(&[]);
    let output = server.admin(
        &[
            "create-user",
            "--password-stdin",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
            "--superuser",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created user admin"));

    // Password, then the TOTP setup, then a code from the otpauth URI.
    let client = server.client();
    assert_eq!(client.login("admin").await["next"], "setup");
    let setup: Value = client
        .post("/api/v1/auth/setup", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let account = keygate_otp::uri::parse(uri).unwrap();
    let code = account.code_at(keygate_otp::unix_now()).unwrap();
    let response = client
        .post("/api/v1/auth/setup/confirm", json!({ "token": code }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = client.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["user"]["is_superuser"], true);

    // The process prints no secret and logs none (the full check, database and responses
    // included, is in crates/server/tests/secrets_and_api_keys.rs).
    let base32 = account.secret.to_base32();
    let log = std::fs::read(&server.log).unwrap();
    assert!(!log.is_empty(), "the debug log is empty");
    for (name, secret) in [
        ("totp key", base32.as_bytes()),
        ("password", PASSWORD.as_bytes()),
    ] {
        assert!(
            !contains(server.stdout().as_bytes(), secret),
            "{name} printed"
        );
        assert!(!contains(&log, secret), "{name} in the log");
    }

    // `keygate admin reset-2fa` on the running server's database ends the session at once.
    let output = server.admin(&["reset-2fa", "Admin"], "");
    assert!(String::from_utf8_lossy(&output.stdout).contains("removed 1 device"));
    assert_eq!(
        client.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.client().login("admin").await["next"], "setup");
}

#[tokio::test]
async fn start_up_prints_the_served_certificate_and_the_redirect_address() {
    let server = Server::start(&["--redirect-http", "127.0.0.1:0"]);
    let printed = server
        .printed("certificate sha256 ")
        .expect("fingerprint printed");
    let pem = std::fs::read(&server.cert).unwrap();
    let der = CertificateDer::from_pem_slice(&pem).unwrap();
    let expected: Vec<String> = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(printed, expected.join(":"));
    assert_eq!(
        server.printed("certificate file ").map(PathBuf::from),
        Some(server.cert.clone())
    );
    // And the client that trusts exactly that certificate talks to the server.
    assert_eq!(
        server.client().get("/api/v1/auth/csrf").await.status(),
        StatusCode::OK
    );

    // --redirect-http reaches the server: the printed address answers with a 301 to HTTPS.
    let redirect = server
        .printed("redirecting http://")
        .expect("redirect address printed");
    let redirect = redirect.trim_end_matches(" to HTTPS");
    let response = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(&server.cert))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://{redirect}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        response.headers()["location"],
        format!("{}/login", server.url).as_str()
    );
}

#[test]
fn plain_http_is_refused_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--plain-http", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs TLS"), "{stderr}");
}

#[test]
fn check_deploy_fails_on_development_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["check", "--deploy", "--data-dir"])
        .arg(dir.path())
        .env_remove("KEYGATE_SECRET_KEY_FILE")
        .env_remove("KEYGATE_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("tls.self_signed"), "{stdout}");
    assert!(stdout.contains("key.development"), "{stdout}");
}

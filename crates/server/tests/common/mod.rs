//! Test harness: the server started inside the test process (`keygate_server::start`) on
//! 127.0.0.1 port 0 over real HTTPS with its self-signed certificate and a real SQLite file in
//! a temporary directory; a `reqwest` client that trusts exactly that certificate and keeps
//! cookies; a tiny SMTP sink; and the server's log captured in memory.
//!
//! Each test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use keygate_server::{admin, KeySource, Running, ServeConfig, SmtpConfig, SmtpSecurity, TlsMode};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, Response, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::{json, Value};
use tempfile::TempDir;
use zeroize::Zeroizing;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A server running in this process; it stops when the test's runtime ends.
pub(crate) struct Server {
    pub dir: TempDir,
    pub key_dir: TempDir,
    pub url: String,
    pub db: PathBuf,
    pub cert: PathBuf,
    pub running: Running,
}

/// Extra options for a server.
#[derive(Default, Clone)]
pub(crate) struct Options {
    pub smtp_port: Option<u16>,
    pub email_code_validity: Option<u64>,
    pub email_cooldown: Option<u64>,
    /// Also start the plain-HTTP redirect listener on a free loopback port.
    pub redirect_http: bool,
}

impl Server {
    pub(crate) async fn start() -> Server {
        Server::start_with(Options::default()).await
    }

    pub(crate) async fn start_with(options: Options) -> Server {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        // The key lives outside the data directory, as in production (and as the
        // no-secret-in-the-database check expects).
        let key_dir = tempfile::tempdir().unwrap();
        let key_file = key_dir.path().join("secret.key");
        let mut key = std::fs::File::create(&key_file).unwrap();
        writeln!(key, "{}", hex(&rand::random::<[u8; 32]>())).unwrap();

        let mut config = ServeConfig::new(dir.path());
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.tls = TlsMode::SelfSigned;
        config.key_source = KeySource::File(key_file);
        if options.redirect_http {
            config.redirect_http = Some("127.0.0.1:0".parse().unwrap());
        }
        if let Some(port) = options.smtp_port {
            config.smtp = Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port,
                security: SmtpSecurity::None,
                username: None,
                password: None,
                from: "Keygate <keygate@localhost>".into(),
            });
        }
        if let Some(v) = options.email_code_validity {
            config.settings.email_code_validity = v;
        }
        if let Some(v) = options.email_cooldown {
            config.settings.email_resend_cooldown = v;
        }
        let db = config.db.clone();
        let running = keygate_server::start(config)
            .await
            .unwrap_or_else(|e| panic!("the server did not start: {e}\n{}", log_text()));
        let url = running.url();
        assert!(url.starts_with("https://"), "{url}");
        let cert = dir.path().join("tls").join("cert.pem");
        Server {
            dir,
            key_dir,
            url,
            db,
            cert,
            running,
        }
    }

    /// Creates a user the way `keygate admin create-user` does: straight in the database,
    /// audited as the command line.
    pub(crate) fn create_user(&self, username: &str, superuser: bool) {
        let store = admin::open_store(&self.db).unwrap();
        let request = keygate_server::manage::CreateUser {
            username: username.into(),
            email: format!("{username}@example.com"),
            password: Zeroizing::new(PASSWORD.into()),
            display_name: String::new(),
            is_staff: superuser,
            is_superuser: superuser,
        };
        let user = admin::create_user(&store, &request).unwrap();
        assert_eq!(user.username, username);
    }

    /// `keygate admin reset-2fa USERNAME`: the number of devices removed.
    pub(crate) fn reset_2fa(&self, username: &str) -> u64 {
        let store = admin::open_store(&self.db).unwrap();
        admin::reset_2fa(&store, username).unwrap()
    }

    pub(crate) fn client(&self) -> Client {
        Client::new(&self.url, &self.cert)
    }

    /// The database file and its WAL, as bytes.
    pub(crate) fn db_bytes(&self) -> Vec<u8> {
        let mut bytes = std::fs::read(&self.db).unwrap();
        for suffix in ["-wal", "-shm"] {
            let mut path = self.db.clone().into_os_string();
            path.push(suffix);
            if let Ok(more) = std::fs::read(PathBuf::from(path)) {
                bytes.extend(more);
            }
        }
        bytes
    }

    pub(crate) fn host_port(&self) -> String {
        self.url.trim_start_matches("https://").to_string()
    }

    pub(crate) fn port(&self) -> u16 {
        self.running.addr.port()
    }
}

/// Everything logged at debug level and above by every server of this test binary (the
/// subscriber is process-wide), as `RUST_LOG=debug` would print it.
pub(crate) fn log_text() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(Vec::new()))
}

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A TLS config trusting exactly the server's certificate.
pub(crate) fn tls_config(cert: &Path) -> rustls::ClientConfig {
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

/// An HTTPS client with its own cookie jar.
pub(crate) struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

impl Client {
    pub(crate) fn new(base: &str, cert: &Path) -> Client {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(cert))
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            http,
            jar,
            base: base.to_string(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie's current value.
    pub(crate) fn session_cookie(&self) -> Option<String> {
        let url: reqwest::Url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|c| c.strip_prefix("__Host-keygate_session="))
            .map(str::to_string)
    }

    pub(crate) async fn csrf(&self) -> String {
        let response = self.get("/api/v1/auth/csrf").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// A state-changing request with a fresh CSRF token.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let token = self.csrf().await;
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("X-CSRF-Token", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    /// Step 1; returns the JSON body.
    pub(crate) async fn login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let response = self
            .post(
                "/api/v1/auth/login",
                json!({ "username": username, "password": password }),
            )
            .await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Step 2 with a token.
    pub(crate) async fn otp(&self, token: &str) -> Response {
        self.post("/api/v1/auth/otp", json!({ "token": token }))
            .await
    }

    /// Password, setup, confirm: a verified session; returns the otpauth URI.
    pub(crate) async fn enroll(&self, username: &str) -> String {
        let (status, body) = self.login(username, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["next"], "setup");
        let response = self.post("/api/v1/auth/setup", json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let uri = body["otpauth_uri"].as_str().unwrap().to_string();
        assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));
        let code = totp_at(&uri, now());
        let response = self
            .post("/api/v1/auth/setup/confirm", json!({ "token": code }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        uri
    }
}

pub(crate) fn now() -> u64 {
    keygate_otp::unix_now()
}

/// The TOTP code of an otpauth URI at `time`.
pub(crate) fn totp_at(uri: &str, time: u64) -> String {
    keygate_otp::uri::parse(uri).unwrap().code_at(time).unwrap()
}

/// The base32 secret of an otpauth URI.
pub(crate) fn secret_of(uri: &str) -> keygate_otp::Secret {
    keygate_otp::uri::parse(uri).unwrap().secret
}

/// A minimal SMTP server on 127.0.0.1 that accepts every message and keeps its body.
pub(crate) struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub(crate) fn start() -> SmtpSink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &store);
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// Waits for the `n`th message (1-based) and returns it. Asynchronous: the server runs on
    /// the test's own runtime and must keep going meanwhile.
    pub(crate) async fn wait_for(&self, n: usize) -> String {
        for _ in 0..200 {
            if let Some(m) = self.messages.lock().unwrap().get(n - 1) {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message number {n} arrived");
    }

    /// The six-digit code in the `n`th message.
    pub(crate) async fn code(&self, n: usize) -> String {
        let message = self.wait_for(n).await;
        let at = message.find("code is ").expect("message names a code") + 8;
        message[at..at + 6].to_string()
    }
}

fn smtp_session(stream: std::net::TcpStream, store: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        if verb.starts_with("EHLO") || verb.starts_with("HELO") {
            writer.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("DATA") {
            writer.write_all(b"354 go ahead\r\n")?;
            let mut body = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                body.push_str(&line);
            }
            store.lock().unwrap().push(body);
            writer.write_all(b"250 queued\r\n")?;
        } else if verb.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 ok\r\n")?;
        }
    }
}

/// A superuser signed in with a TOTP device: (client, otpauth URI).
pub(crate) async fn signed_in_admin(server: &Server, username: &str) -> (Client, String) {
    server.create_user(username, true);
    let client = server.client();
    let uri = client.enroll(username).await;
    (client, uri)
}

/// Every API route with a method and a sample path, except the sign-in steps.
pub(crate) const PROTECTED_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/1"),
    ("PATCH", "/api/v1/users/1"),
    ("POST", "/api/v1/users/1/reset-2fa"),
    ("GET", "/api/v1/users/1/devices"),
    ("POST", "/api/v1/users/1/devices"),
    ("GET", "/api/v1/users/1/sessions"),
    ("DELETE", "/api/v1/devices/1"),
    ("POST", "/api/v1/devices/1/confirm"),
    ("POST", "/api/v1/devices/1/send-code"),
    ("POST", "/api/v1/devices/1/regenerate"),
    ("DELETE", "/api/v1/sessions/1"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("DELETE", "/api/v1/api-keys/1"),
];

/// A plausible body for each protected route (so only authentication can refuse it).
pub(crate) fn sample_body(path: &str) -> Value {
    match path {
        "/api/v1/me/password" => json!({
            "current_password": PASSWORD,
            "new_password": "another long password here",
        }),
        "/api/v1/users" => json!({
            "username": "mallory", "email": "m@example.com",
            "password": "a long enough password", "is_staff": true,
        }),
        "/api/v1/users/1" => json!({ "is_superuser": true }),
        "/api/v1/users/1/devices" => json!({ "kind": "static", "name": "x" }),
        "/api/v1/devices/1/confirm" => json!({ "token": "123456" }),
        "/api/v1/api-keys" => json!({ "name": "x" }),
        _ => json!({}),
    }
}

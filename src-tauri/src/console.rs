//! The admin console's client side: the embedded Keygate server (started on 127.0.0.1 with its
//! own certificate, SQLite file and a master key kept in the OS keyring) or a remote one, and an
//! HTTPS client of the server's JSON API (`/api/v1/`). Every rule (2FA, throttling, who may do
//! what) is the server's; this module only carries requests and keeps the session cookie.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use keygate_server::crypto::MasterKey;
use keygate_server::{KeySource, Running, ServeConfig, TlsMode};
use reqwest::{Method, Url};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::app::AccountView;
use crate::error::DesktopError;

/// The name of the embedded server's master key among the vault's application secrets.
pub const EMBEDDED_KEY_NAME: &str = "embedded-server-key";
/// Length of that key in bytes.
pub const EMBEDDED_KEY_LEN: usize = 32;

/// How the client decides to trust the server's certificate.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The operating system's trust store (a certificate from a public or company CA).
    System,
    /// Exactly this certificate, by SHA-256 fingerprint (a self-signed one, chosen explicitly).
    Pinned([u8; 32]),
}

/// Parses a SHA-256 fingerprint as `keygate serve` prints it (`AB:CD:…`); case, colons and
/// spaces do not matter.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], DesktopError> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bad = || {
        DesktopError::Console(
            "the certificate fingerprint must be 64 hexadecimal digits (SHA-256), as `keygate serve` prints it".into(),
        )
    };
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts exactly one certificate, by fingerprint; the handshake signatures are still checked
/// with it, so only the holder of its private key gets through.
#[derive(Debug)]
struct PinnedCertificate {
    fingerprint: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Sha256::digest(end_entity.as_ref());
        if bool::from(seen.as_slice().ct_eq(&self.fingerprint)) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(PIN_MISMATCH.into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

const PIN_MISMATCH: &str = "the server's certificate does not match the pinned fingerprint";

fn tls_config(trust: &Trust) -> Result<rustls::ClientConfig, DesktopError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| DesktopError::Console(format!("TLS setup failed: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::System => Arc::new(
            rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
                .map_err(|e| DesktopError::Console(format!("TLS setup failed: {e}")))?,
        ),
        Trust::Pinned(fingerprint) => Arc::new(PinnedCertificate {
            fingerprint: *fingerprint,
            provider,
        }),
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// An HTTPS client of one Keygate server's JSON API: keeps the session cookie and the CSRF token
/// that goes with it.
pub struct ServerClient {
    base: Url,
    http: reqwest::Client,
    csrf: Mutex<Option<String>>,
}

impl ServerClient {
    /// A client for the server at `url` (`https://host[:port]`), trusting its certificate as
    /// `trust` says.
    pub fn new(url: &str, trust: &Trust) -> Result<Self, DesktopError> {
        let base = parse_server_url(url)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(trust)?)
            .cookie_store(true)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("keygate-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DesktopError::Console(format!("cannot create the HTTP client: {e}")))?;
        Ok(ServerClient {
            base,
            http,
            csrf: Mutex::new(None),
        })
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    async fn csrf_token(&self) -> Result<String, DesktopError> {
        if let Some(token) = self.csrf.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(token);
        }
        let answer = self
            .exchange(Method::GET, "/api/v1/auth/csrf", None, None)
            .await?;
        let token = answer["token"]
            .as_str()
            .ok_or_else(|| DesktopError::Console("the server sent no CSRF token".into()))?
            .to_string();
        self.set_csrf(Some(token.clone()));
        Ok(token)
    }

    fn set_csrf(&self, token: Option<String>) {
        *self.csrf.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// Sends one request; state-changing ones carry the CSRF token of the current cookie.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, DesktopError> {
        if method == Method::GET {
            return self.exchange(method, path, body, None).await;
        }
        let token = self.csrf_token().await?;
        let answer = self
            .exchange(method.clone(), path, body, Some(&token))
            .await;
        match answer {
            // The cookie changed under us (expired, revoked elsewhere): one fresh token, once.
            Err(DesktopError::Server { ref code, .. }) if code == "csrf_failed" => {
                self.set_csrf(None);
                let token = self.csrf_token().await?;
                self.exchange(method, path, body, Some(&token)).await
            }
            other => other,
        }
    }

    /// One HTTP exchange; a non-2xx answer becomes [`DesktopError::Server`] with the server's
    /// code and message.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        csrf: Option<&str>,
    ) -> Result<Value, DesktopError> {
        let url = self
            .base
            .join(path)
            .map_err(|_| DesktopError::Console(format!("invalid API path {path:?}")))?;
        let mut request = self.http.request(method, url);
        if let Some(token) = csrf {
            request = request.header("X-CSRF-Token", token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(network_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(network_error)?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            return Ok(value);
        }
        let code = value["error"].as_str().unwrap_or("").to_string();
        let message = value["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("the server answered {status}"));
        Err(DesktopError::Server {
            status: status.as_u16(),
            code,
            message,
        })
    }
}

/// A transport failure as one sentence, naming a certificate problem when there is one.
fn network_error(err: reqwest::Error) -> DesktopError {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        let part = e.to_string();
        if part.contains(PIN_MISMATCH) {
            return DesktopError::Console(PIN_MISMATCH.into());
        }
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        source = e.source();
    }
    DesktopError::Console(format!("cannot reach the server: {text}"))
}

/// Accepts `https://host[:port]` (a path is ignored); plain HTTP is refused.
fn parse_server_url(text: &str) -> Result<Url, DesktopError> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|_| {
        DesktopError::Console(format!(
            "{text:?} is not a server URL; expected https://host[:port]"
        ))
    })?;
    if url.scheme() != "https" {
        return Err(DesktopError::Console(
            "the console only connects over HTTPS (https://host[:port])".into(),
        ));
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(DesktopError::Console(format!(
            "{text:?} is not a server URL; expected https://host[:port]"
        )));
    }
    let mut base = url;
    base.set_path("/");
    base.set_query(None);
    base.set_fragment(None);
    Ok(base)
}

/// Checks a path for [`Console::call`]: the management part of the API only (the sign-in steps
/// have their own methods), no traversal, no other host.
fn checked_api_path(path: &str) -> Result<&str, DesktopError> {
    let ok = path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/auth/")
        && !path.contains("..")
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-?=&.%+".contains(&b));
    if ok {
        Ok(path)
    } else {
        Err(DesktopError::Console(format!("refused API path {path:?}")))
    }
}

fn checked_method(method: &str) -> Result<Method, DesktopError> {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        other => Err(DesktopError::Console(format!(
            "refused HTTP method {other:?}"
        ))),
    }
}

/// The embedded server: its handle and database.
struct Embedded {
    running: Running,
    db: PathBuf,
    fingerprint: String,
}

/// What the Console view shows about the connection.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleStatus {
    /// Connected to a server (embedded or remote).
    pub connected: bool,
    /// Its base URL.
    pub url: Option<String>,
    /// Whether it is the embedded server.
    pub embedded: bool,
    /// The embedded server's certificate fingerprint.
    pub fingerprint: Option<String>,
    /// The embedded server has no user yet: the app offers to create the first admin.
    pub needs_first_admin: bool,
    /// The signed-in user (both factors), if any.
    pub user: Option<Value>,
}

/// The console's connection: at most one server at a time.
#[derive(Default)]
pub struct Console {
    embedded: Option<Embedded>,
    client: Option<ServerClient>,
    /// Who is signing in, to find their code in the authenticator.
    username: Option<String>,
    /// The issuer the server puts in its otpauth links (learnt at setup), likewise.
    issuer: Option<String>,
    /// The otpauth link of the device being enrolled at sign-in: kept here, not in the webview.
    enrolment: Option<Zeroizing<String>>,
}

impl Console {
    /// Starts the embedded server (once) on 127.0.0.1 with a self-signed certificate and its
    /// SQLite file under `data_dir/server`, and connects to it with that certificate pinned.
    pub async fn start_embedded(
        &mut self,
        data_dir: &Path,
        master_key: MasterKey,
    ) -> Result<ConsoleStatus, DesktopError> {
        if self.embedded.is_none() {
            self.disconnect().await;
            let mut config = ServeConfig::new(data_dir.join("server"));
            config.bind = "127.0.0.1:0".parse().expect("a literal address");
            config.tls = TlsMode::SelfSigned;
            config.key_source = KeySource::Provided(master_key);
            let db = config.db.clone();
            let running = keygate_server::start(config).await.map_err(|e| {
                DesktopError::Console(format!("the embedded server did not start: {e}"))
            })?;
            let fingerprint = running
                .tls
                .as_ref()
                .map(|tls| tls.fingerprint.clone())
                .ok_or_else(|| DesktopError::Console("the embedded server has no TLS".into()))?;
            let client = ServerClient::new(
                &running.url(),
                &Trust::Pinned(parse_fingerprint(&fingerprint)?),
            )?;
            tracing::info!(url = %running.url(), "embedded server started");
            self.client = Some(client);
            self.embedded = Some(Embedded {
                running,
                db,
                fingerprint,
            });
        }
        self.status().await
    }

    /// Connects to a remote server; `fingerprint` pins a self-signed certificate, otherwise the
    /// system's trust store decides. The server is asked for a CSRF token at once, so a wrong
    /// URL or certificate fails here.
    pub async fn connect(
        &mut self,
        url: &str,
        fingerprint: Option<&str>,
    ) -> Result<ConsoleStatus, DesktopError> {
        let trust = match fingerprint.map(str::trim).filter(|f| !f.is_empty()) {
            Some(text) => Trust::Pinned(parse_fingerprint(text)?),
            None => Trust::System,
        };
        let client = ServerClient::new(url, &trust)?;
        client.csrf_token().await?;
        self.disconnect().await;
        self.client = Some(client);
        self.status().await
    }

    /// Signs out (best effort), stops the embedded server if it runs, and forgets the server.
    pub async fn disconnect(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = client
                .request(Method::POST, "/api/v1/auth/logout", None)
                .await;
        }
        self.username = None;
        if let Some(embedded) = self.embedded.take() {
            embedded.running.shutdown().await;
        }
    }

    fn client(&self) -> Result<&ServerClient, DesktopError> {
        self.client.as_ref().ok_or(DesktopError::NotConnected)
    }

    /// The connection and who is signed in.
    pub async fn status(&self) -> Result<ConsoleStatus, DesktopError> {
        let Some(client) = &self.client else {
            return Ok(ConsoleStatus {
                connected: false,
                url: None,
                embedded: false,
                fingerprint: None,
                needs_first_admin: false,
                user: None,
            });
        };
        let user = match client.request(Method::GET, "/api/v1/me", None).await {
            Ok(me) => Some(me["user"].clone()),
            Err(DesktopError::Server { status: 401, .. }) => None,
            Err(err) => return Err(err),
        };
        let needs_first_admin = match &self.embedded {
            Some(embedded) if user.is_none() => {
                let db = embedded.db.clone();
                tokio::task::spawn_blocking(move || count_users(&db))
                    .await
                    .map_err(|e| DesktopError::Console(e.to_string()))??
                    == 0
            }
            _ => false,
        };
        Ok(ConsoleStatus {
            connected: true,
            url: Some(client.url()),
            embedded: self.embedded.is_some(),
            fingerprint: self.embedded.as_ref().map(|e| e.fingerprint.clone()),
            needs_first_admin,
            user,
        })
    }

    /// Creates the first superuser of the embedded server; refused once it has any user (from
    /// then on admins create users through the console, with 2FA).
    pub async fn create_first_admin(
        &self,
        username: &str,
        email: &str,
        password: Zeroizing<String>,
    ) -> Result<(), DesktopError> {
        let embedded = self.embedded.as_ref().ok_or_else(|| {
            DesktopError::Console("only the embedded server's first admin is created here".into())
        })?;
        let db = embedded.db.clone();
        let request = keygate_server::manage::CreateUser {
            username: username.trim().to_string(),
            email: email.trim().to_string(),
            password,
            display_name: String::new(),
            is_staff: true,
            is_superuser: true,
        };
        tokio::task::spawn_blocking(move || {
            if count_users(&db)? != 0 {
                return Err(DesktopError::Console(
                    "the embedded server already has users: sign in instead".into(),
                ));
            }
            let store = keygate_server::admin::open_store(&db).map_err(server_error)?;
            keygate_server::admin::create_user(&store, &request).map_err(server_error)?;
            Ok(())
        })
        .await
        .map_err(|e| DesktopError::Console(e.to_string()))?
    }

    /// Step one: the password. Returns the next step: `otp` (enter a code) or `setup` (enrol a
    /// first device).
    pub async fn login(
        &mut self,
        username: &str,
        password: Zeroizing<String>,
    ) -> Result<String, DesktopError> {
        let client = self.client()?;
        let body = json!({ "username": username.trim(), "password": password.as_str() });
        let answer = client
            .request(Method::POST, "/api/v1/auth/login", Some(&body))
            .await?;
        let next = take_new_session(client, &answer);
        self.username = Some(username.trim().to_string());
        Ok(next)
    }

    /// Step two: a code from the user's device. Returns `done`.
    pub async fn verify_code(&self, token: &str) -> Result<String, DesktopError> {
        let client = self.client()?;
        let body = json!({ "token": token.trim() });
        let answer = client
            .request(Method::POST, "/api/v1/auth/otp", Some(&body))
            .await?;
        Ok(take_new_session(client, &answer))
    }

    /// Step two for a user without a device: a new TOTP device to enrol (`otpauth_uri`,
    /// `qr_svg`, `device_id`).
    pub async fn begin_setup(&mut self) -> Result<Value, DesktopError> {
        let answer = self
            .client()?
            .request(Method::POST, "/api/v1/auth/setup", None)
            .await?;
        if let Some(uri) = answer["otpauth_uri"].as_str() {
            if let Ok(account) = keygate_otp::uri::parse(uri) {
                self.issuer = account.issuer.clone();
            }
            self.enrolment = Some(Zeroizing::new(uri.to_string()));
        }
        Ok(answer)
    }

    /// The otpauth link of the device being enrolled at sign-in, to add it to the app's own
    /// authenticator.
    pub fn enrolment_link(&self) -> Option<&str> {
        self.enrolment.as_deref().map(String::as_str)
    }

    /// Confirms the enrolled device with its first code. Returns `done`.
    pub async fn confirm_setup(&self, token: &str) -> Result<String, DesktopError> {
        let client = self.client()?;
        let body = json!({ "token": token.trim() });
        let answer = client
            .request(Method::POST, "/api/v1/auth/setup/confirm", Some(&body))
            .await?;
        Ok(take_new_session(client, &answer))
    }

    /// Signs out of the server (the connection stays).
    pub async fn logout(&self) -> Result<(), DesktopError> {
        let client = self.client()?;
        client
            .request(Method::POST, "/api/v1/auth/logout", None)
            .await?;
        client.set_csrf(None);
        Ok(())
    }

    /// Any management call (`/api/v1/users`, `/devices/…`, `/sessions/…`, `/audit`, …) for the
    /// signed-in admin; the server decides what they may do.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DesktopError> {
        let method = checked_method(method)?;
        let path = checked_api_path(path)?;
        self.client()?.request(method, path, body.as_ref()).await
    }

    /// Who is signing in and the issuer their device carries, to find their code in the
    /// authenticator.
    pub fn signing_in(&self) -> Option<(String, Option<String>)> {
        self.username
            .clone()
            .map(|user| (user, self.issuer.clone()))
    }
}

/// A server answer as the webview may see it: without `otpauth_uri` (the secret in text form;
/// the QR picture is what a person scans, and the app adds its own enrolment link itself).
pub fn for_webview(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("otpauth_uri");
    }
    value
}

/// A rotated session's answer: keep its CSRF token, return its next step.
fn take_new_session(client: &ServerClient, answer: &Value) -> String {
    if let Some(token) = answer["csrf_token"].as_str() {
        client.set_csrf(Some(token.to_string()));
    }
    answer["next"].as_str().unwrap_or("done").to_string()
}

fn count_users(db: &Path) -> Result<i64, DesktopError> {
    let store = keygate_server::admin::open_store(db).map_err(server_error)?;
    use keygate_server::store::Store;
    let mut tx = store.read().map_err(server_error)?;
    Ok(tx.list_users("", 0, 1).map_err(server_error)?.total)
}

fn server_error(err: keygate_server::Error) -> DesktopError {
    match err {
        keygate_server::Error::BadRequest(m) | keygate_server::Error::Conflict(m) => {
            DesktopError::Console(m)
        }
        other => DesktopError::Console(other.to_string()),
    }
}

/// Picks the account named `username` (the issuer breaks ties) and returns its current code.
pub fn own_code(accounts: &[AccountView], username: &str, issuer: Option<&str>) -> Option<String> {
    let named: Vec<&AccountView> = accounts
        .iter()
        .filter(|a| a.code.is_some() && a.name.eq_ignore_ascii_case(username))
        .collect();
    let pick = match named.as_slice() {
        [one] => Some(*one),
        many => many.iter().copied().find(|a| {
            issuer.is_some_and(|i| {
                a.issuer
                    .as_deref()
                    .is_some_and(|ai| ai.eq_ignore_ascii_case(i))
            })
        }),
    };
    pick.and_then(|a| a.code.clone())
}

/// The embedded server's master key from the vault's application secrets.
pub fn master_key_from(secret: &keygate_otp::Secret) -> Result<MasterKey, DesktopError> {
    let bytes: [u8; EMBEDDED_KEY_LEN] = secret.expose().try_into().map_err(|_| {
        DesktopError::Console("the embedded server's key in the keyring is damaged".into())
    })?;
    Ok(MasterKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_as_printed() {
        let printed = (0..32)
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let parsed = parse_fingerprint(&printed).unwrap();
        assert_eq!(parsed[0], 0);
        assert_eq!(parsed[31], 31);
        assert_eq!(parse_fingerprint(&printed.to_lowercase()).unwrap(), parsed);
        assert!(parse_fingerprint("AB:CD").is_err());
        assert!(parse_fingerprint(&"ZZ".repeat(32)).is_err());
    }

    #[test]
    fn only_https_server_urls() {
        assert_eq!(
            parse_server_url(" https://kg.example.com:8443/console?x=1 ")
                .unwrap()
                .as_str(),
            "https://kg.example.com:8443/"
        );
        assert!(parse_server_url("http://kg.example.com").is_err());
        assert!(parse_server_url("https://user:pw@kg.example.com").is_err());
        assert!(parse_server_url("kg.example.com").is_err());
    }

    #[test]
    fn the_webview_gets_no_otpauth_link() {
        let answer =
            json!({"id": 3, "otpauth_uri": "otpauth://totp/x?secret=ABC", "qr_svg": "<svg/>"});
        let shown = for_webview(answer);
        assert_eq!(shown, json!({"id": 3, "qr_svg": "<svg/>"}));
        assert_eq!(for_webview(json!([1, 2])), json!([1, 2]));
    }

    #[test]
    fn api_paths_stay_in_the_management_api() {
        assert!(checked_api_path("/api/v1/users?query=al&page=2").is_ok());
        assert!(checked_api_path("/api/v1/devices/3/confirm").is_ok());
        assert!(checked_api_path("/api/v1/auth/login").is_err());
        assert!(checked_api_path("/api/v1/../admin").is_err());
        assert!(checked_api_path("//evil.example/api/v1/users").is_err());
        assert!(checked_api_path("https://evil.example/api/v1/users").is_err());
        assert!(checked_api_path("/api/v1/users#x").is_err());
        assert!(checked_method("TRACE").is_err());
        assert_eq!(checked_method("patch").unwrap(), Method::PATCH);
    }
}

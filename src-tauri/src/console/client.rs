//! The HTTPS client of a Keygate server's JSON API: certificate trust (the system's, or one
//! pinned certificate), the session cookie and its CSRF token, and typed request and answer
//! bodies.

use std::sync::{Arc, Mutex};

use reqwest::{Method, Url};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::DesktopError;
use keygate_server::api::{CsrfToken, ErrorBody};

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
/// that goes with it. Every request and answer body is one of the server's own typed structs
/// ([`keygate_server::api`]).
pub(crate) struct ServerClient {
    base: Url,
    http: reqwest::Client,
    csrf: Mutex<Option<String>>,
}

/// A request body, serialized once (a state-changing request may be sent twice, see
/// [`ServerClient::send`]); it may hold a password, so it is wiped when dropped.
type Body = Option<Zeroizing<Vec<u8>>>;

impl ServerClient {
    /// A client for the server at `url` (`https://host[:port]`), trusting its certificate as
    /// `trust` says.
    pub(crate) fn new(url: &str, trust: &Trust) -> Result<Self, DesktopError> {
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
    pub(crate) fn url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    /// The CSRF token of the current session cookie, asked for once per cookie.
    pub(crate) async fn csrf_token(&self) -> Result<String, DesktopError> {
        if let Some(token) = self.csrf.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(token);
        }
        let answer: CsrfToken = self
            .exchange(Method::GET, "/api/v1/auth/csrf", &[], &None, None)
            .await?;
        self.set_csrf(Some(answer.token.clone()));
        Ok(answer.token)
    }

    /// Keeps the CSRF token of a new session cookie (`None`: ask for one next time).
    pub(crate) fn set_csrf(&self, token: Option<String>) {
        *self.csrf.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// `GET path?query`.
    pub(crate) async fn get<R: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<R, DesktopError> {
        self.exchange(Method::GET, path, query, &None, None).await
    }

    /// A state-changing request (`POST`, `PATCH`, `DELETE`) with an optional JSON body.
    pub(crate) async fn send<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, DesktopError> {
        let body: Body = match body {
            Some(body) => Some(Zeroizing::new(serde_json::to_vec(body).map_err(|e| {
                DesktopError::Console(format!("cannot encode the request: {e}"))
            })?)),
            None => None,
        };
        let token = self.csrf_token().await?;
        let answer = self
            .exchange(method.clone(), path, &[], &body, Some(&token))
            .await;
        match answer {
            // The cookie changed under us (expired, revoked elsewhere): one fresh token, once.
            Err(DesktopError::Server { ref code, .. }) if code == "csrf_failed" => {
                self.set_csrf(None);
                let token = self.csrf_token().await?;
                self.exchange(method, path, &[], &body, Some(&token)).await
            }
            other => other,
        }
    }

    /// A state-changing request with no body (sign out, reset, delete, regenerate).
    pub(crate) async fn act<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<R, DesktopError> {
        self.send::<(), R>(method, path, None).await
    }

    /// One HTTP exchange; a non-2xx answer becomes [`DesktopError::Server`] with the server's
    /// code, message and `Retry-After`. An empty answer (204) reads as JSON `null`, which is
    /// what `()` expects.
    async fn exchange<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        csrf: Option<&str>,
    ) -> Result<R, DesktopError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|_| DesktopError::Console(format!("invalid API path {path:?}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(name, value)| (name, value)));
        }
        let mut request = self.http.request(method, url);
        if let Some(token) = csrf {
            request = request.header("X-CSRF-Token", token);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.map_err(network_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes = response.bytes().await.map_err(network_error)?;
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        if status.is_success() {
            // The parser's message may quote the answer (backup codes, say): position only.
            return serde_json::from_slice(bytes).map_err(|e| {
                DesktopError::Console(format!(
                    "the server's answer to {path} is not understood (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            });
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(body) => (body.error, body.message),
            Err(_) => (String::new(), format!("the server answered {status}")),
        };
        Err(DesktopError::Server {
            status: status.as_u16(),
            code,
            message,
            retry_after,
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
}

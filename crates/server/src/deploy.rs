//! `keygate check --deploy`: what is unsafe in a configuration, as Django's
//! `manage.py check --deploy` does. Any finding should make the command exit non-zero.

use std::path::Path;

use crate::config::{KeySource, ServeConfig, SmtpSecurity, TlsMode, GENERATED_KEY_FILE, KEY_ENV};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable identifier (`key.permissions`, `tls.plain_http`...).
    pub id: &'static str,
    /// What is wrong and what to do, in one or two sentences.
    pub message: String,
}

fn finding(id: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        id,
        message: message.into(),
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> Option<u32> {
    None
}

fn check_key_file(path: &Path, config: &ServeConfig, out: &mut Vec<Finding>) {
    match std::fs::read_to_string(path) {
        Err(e) => out.push(finding(
            "key.unreadable",
            format!(
                "The secret key file {} cannot be read: {e}.",
                path.display()
            ),
        )),
        Ok(text) => {
            if crate::crypto::MasterKey::parse(&text).is_err() {
                out.push(finding(
                    "key.invalid",
                    format!(
                        "The secret key file {} does not hold a 32-byte key (64 hex digits).",
                        path.display()
                    ),
                ));
            }
        }
    }
    if let Some(mode) = mode(path) {
        if mode & 0o077 != 0 {
            out.push(finding(
                "key.permissions",
                format!(
                    "The secret key file {} is readable by others (mode {:o}); chmod 600 it.",
                    path.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    let beside_db = config
        .db
        .parent()
        .is_some_and(|dir| path.parent() == Some(dir));
    if path.starts_with(&config.data_dir) || beside_db {
        out.push(finding(
            "key.beside_database",
            format!(
                "The secret key {} sits beside the database: a copy of the data directory \
                 yields both. Keep it elsewhere ({}).",
                path.display(),
                crate::config::KEY_FILE_ENV
            ),
        ));
    }
}

/// Everything unsafe about `config` (and the files it names, and `RUST_LOG`).
pub fn check_deploy(config: &ServeConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Err(e) = config.validate() {
        out.push(finding("config.invalid", e.to_string()));
    }
    match &config.tls {
        TlsMode::PlainHttp => out.push(finding(
            "tls.plain_http",
            "The server speaks plain HTTP: only run it so behind a TLS-terminating proxy that \
             also sends Strict-Transport-Security.",
        )),
        TlsMode::SelfSigned => out.push(finding(
            "tls.self_signed",
            "The certificate is self-signed: browsers will warn and clients must pin its \
             fingerprint. Use --tls-cert/--tls-key with a certificate from your CA.",
        )),
        TlsMode::Files { cert, key } => {
            for (what, path) in [("certificate", cert), ("private key", key)] {
                if !path.exists() {
                    out.push(finding(
                        "tls.missing",
                        format!("The TLS {what} {} does not exist.", path.display()),
                    ));
                }
            }
            if let Some(mode) = mode(key) {
                if mode & 0o077 != 0 {
                    out.push(finding(
                        "tls.key_permissions",
                        format!(
                            "The TLS private key {} is readable by others; chmod 600 it.",
                            key.display()
                        ),
                    ));
                }
            }
        }
    }
    match &config.key_source {
        KeySource::Provided(_) => {}
        KeySource::Env => out.push(finding(
            "key.environment",
            format!(
                "The secret key comes from {KEY_ENV}: environment variables leak to child \
                 processes and /proc. Prefer a 0600 file named by {}.",
                crate::config::KEY_FILE_ENV
            ),
        )),
        KeySource::File(path) => check_key_file(path, config, &mut out),
        KeySource::DataDir => {
            let path = config.data_dir.join(GENERATED_KEY_FILE);
            out.push(finding(
                "key.development",
                format!(
                    "No secret key is configured: a development key is generated at {} beside \
                     the database. Set {} to a 0600 file kept elsewhere.",
                    path.display(),
                    crate::config::KEY_FILE_ENV
                ),
            ));
            if path.exists() {
                if let Some(mode) = mode(&path) {
                    if mode & 0o077 != 0 {
                        out.push(finding(
                            "key.permissions",
                            format!("{} is readable by others; chmod 600 it.", path.display()),
                        ));
                    }
                }
            }
        }
    }
    let public = !config.bind.ip().is_loopback();
    if public {
        if config.allowed_hosts.is_empty() {
            out.push(finding(
                "hosts.none",
                format!(
                    "The server listens on {} but no --allowed-host is set: requests by name \
                     will be refused, and the allow-list is the DNS-rebinding defence.",
                    config.bind
                ),
            ));
        }
        if config.redirect_http.is_none() {
            out.push(finding(
                "tls.no_redirect",
                "No --redirect-http listener: plain-HTTP visitors are not sent to HTTPS.",
            ));
        }
    }
    if config.allowed_hosts.iter().any(|h| h == "*" || h == ".") {
        out.push(finding(
            "hosts.wildcard",
            "An allowed host matches every name; list the real host names.",
        ));
    }
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let filter = filter.to_ascii_lowercase();
        if filter.contains("debug") || filter.contains("trace") {
            out.push(finding(
                "logging.debug",
                "RUST_LOG enables debug or trace logging: request details end up in the logs. \
                 Use info or warn in production.",
            ));
        }
    }
    if let Some(mode) = mode(&config.db) {
        if mode & 0o077 != 0 {
            out.push(finding(
                "db.permissions",
                format!(
                    "The database {} is readable by others (mode {:o}); chmod 600 it.",
                    config.db.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    if let Some(smtp) = &config.smtp {
        let local = matches!(smtp.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if smtp.security == SmtpSecurity::None && !local {
            out.push(finding(
                "smtp.plaintext",
                format!(
                    "Email codes go to {} without TLS; use STARTTLS or TLS.",
                    smtp.host
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.id).collect()
    }

    #[test]
    fn development_defaults_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig::new(dir.path());
        config.key_source = KeySource::DataDir;
        let found = ids(&check_deploy(&config));
        assert!(found.contains(&"tls.self_signed"), "{found:?}");
        assert!(found.contains(&"key.development"), "{found:?}");
    }

    #[test]
    fn a_careful_configuration_passes() {
        let data = tempfile::tempdir().unwrap();
        let secrets = tempfile::tempdir().unwrap();
        let key = secrets.path().join("key");
        crate::config::write_private_file(
            &key,
            crate::crypto::MasterKey::generate().to_hex().as_bytes(),
        )
        .unwrap();
        let cert = secrets.path().join("cert.pem");
        let tls_key = secrets.path().join("tls.key");
        crate::config::write_private_file(&cert, b"x").unwrap();
        crate::config::write_private_file(&tls_key, b"x").unwrap();
        let mut config = ServeConfig::new(data.path());
        config.key_source = KeySource::File(key.clone());
        config.tls = TlsMode::Files { cert, key: tls_key };
        config.bind = "0.0.0.0:443".parse().unwrap();
        config.allowed_hosts = vec!["keygate.example.com".into()];
        config.redirect_http = Some("0.0.0.0:80".parse().unwrap());
        let found: Vec<_> = check_deploy(&config)
            .into_iter()
            .filter(|f| f.id != "logging.debug")
            .collect();
        assert!(found.is_empty(), "{found:?}");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(ids(&check_deploy(&config)).contains(&"key.permissions"));
        }
        config.allowed_hosts.clear();
        config.redirect_http = None;
        config.key_source = KeySource::File(data.path().join("k"));
        let found = ids(&check_deploy(&config));
        for id in [
            "hosts.none",
            "tls.no_redirect",
            "key.unreadable",
            "key.beside_database",
        ] {
            assert!(found.contains(&id), "{id} missing from {found:?}");
        }
    }

    #[test]
    fn plain_http_on_a_public_address_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig::new(dir.path());
        config.tls = TlsMode::PlainHttp;
        config.bind = "0.0.0.0:8080".parse().unwrap();
        let found = ids(&check_deploy(&config));
        assert!(found.contains(&"config.invalid"));
        assert!(found.contains(&"tls.plain_http"));
    }
}

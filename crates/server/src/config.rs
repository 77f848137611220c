//! What `keygate serve` is configured with, and where the master key comes from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::MasterKey;
use crate::error::{Error, Result};

/// Environment variable naming a file that holds the master key (64 hex digits; mode 0600).
pub(crate) const KEY_FILE_ENV: &str = "KEYGATE_SECRET_KEY_FILE";
/// Environment variable holding the master key itself (64 hex digits).
pub(crate) const KEY_ENV: &str = "KEYGATE_SECRET_KEY";
/// Name of the key file generated in the data directory for development.
pub(crate) const GENERATED_KEY_FILE: &str = "secret.key";

/// Longest validity of an email code (ASVS 2.7.2: at most 10 minutes).
pub(crate) const MAX_EMAIL_CODE_VALIDITY: u64 = 600;

/// Security timings and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// A session unused this long ends (ASVS 3.3.2).
    pub idle_timeout: u64,
    /// A session ends this long after sign-in whatever happens.
    pub absolute_timeout: u64,
    /// The second factor must follow the password within this time.
    pub second_step_window: u64,
    /// How long an email code is valid (at most 600 seconds).
    pub email_code_validity: u64,
    /// Minimum time between two email codes.
    pub email_resend_cooldown: u64,
    /// django-otp throttle factor (seconds; the wait doubles after each failure).
    pub throttle_factor: u64,
    /// Cap on failed attempts per account in any hour (ASVS 2.2.1).
    pub max_failures_per_hour: i64,
    /// Consecutive failures from one address before its own back-off starts (shared NATs).
    pub ip_free_failures: u32,
    /// Issuer shown in authenticator apps.
    pub issuer: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle_timeout: 15 * 60,
            absolute_timeout: 8 * 3600,
            second_step_window: 600,
            email_code_validity: 300,
            email_resend_cooldown: 60,
            throttle_factor: 1,
            max_failures_per_hour: 100,
            ip_free_failures: 10,
            issuer: "Keygate".into(),
        }
    }
}

impl Settings {
    /// Refuses settings that would weaken the guarantees.
    pub fn validate(&self) -> Result<()> {
        if self.email_code_validity == 0 || self.email_code_validity > MAX_EMAIL_CODE_VALIDITY {
            return Err(Error::Config(format!(
                "the email code validity must be 1 to {MAX_EMAIL_CODE_VALIDITY} seconds"
            )));
        }
        if self.max_failures_per_hour < 1 || self.max_failures_per_hour > 100 {
            return Err(Error::Config(
                "at most 100 failed attempts per hour may be allowed (ASVS 2.2.1)".into(),
            ));
        }
        if self.idle_timeout == 0 || self.absolute_timeout < self.idle_timeout {
            return Err(Error::Config(
                "the idle timeout must be positive and not longer than the absolute timeout".into(),
            ));
        }
        if self.second_step_window == 0 || self.second_step_window > 600 {
            return Err(Error::Config(
                "the second step window must be 1 to 600 seconds".into(),
            ));
        }
        Ok(())
    }
}

/// How the server speaks to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// HTTPS with a certificate generated once into the data directory.
    SelfSigned,
    /// HTTPS with these PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// Plain HTTP, for a TLS-terminating proxy in front; only on a loopback address.
    PlainHttp,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS (only sensible to a relay on localhost).
    None,
    /// STARTTLS after connecting.
    StartTls,
    /// TLS from the start (port 465).
    Tls,
}

/// Where email codes are sent through.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// Login, if the relay wants one.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<Zeroizing<String>>,
    /// Sender address (`Keygate <keygate@example.com>`).
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .finish()
    }
}

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Passed in by the embedding application (e.g. read from the OS keyring).
    Provided(MasterKey),
    /// A file holding the key (`KEYGATE_SECRET_KEY_FILE`).
    File(PathBuf),
    /// The `KEYGATE_SECRET_KEY` variable.
    Env,
    /// `secret.key` in the data directory, generated (mode 0600) when absent: for development.
    DataDir,
}

impl KeySource {
    /// The source the environment selects: the key file variable, else the key variable, else
    /// the data directory.
    pub fn from_env() -> Self {
        if let Some(path) = std::env::var_os(KEY_FILE_ENV).filter(|p| !p.is_empty()) {
            KeySource::File(PathBuf::from(path))
        } else if std::env::var_os(KEY_ENV).is_some_and(|v| !v.is_empty()) {
            KeySource::Env
        } else {
            KeySource::DataDir
        }
    }
}

/// Where the key actually came from, for the start-up log and `check --deploy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Passed in by the application.
    Provided,
    /// Read from this file.
    File(PathBuf),
    /// Read from the environment.
    Env,
    /// Generated just now into this file.
    Generated(PathBuf),
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Data directory (default database, generated certificate and key).
    pub data_dir: PathBuf,
    /// SQLite database file.
    pub db: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    pub bind: SocketAddr,
    /// TLS mode.
    pub tls: TlsMode,
    /// Host names accepted in the `Host` header (loopback names are always accepted when
    /// bound to loopback).
    pub allowed_hosts: Vec<String>,
    /// Also answer plain HTTP here with a 301 to the HTTPS origin.
    pub redirect_http: Option<SocketAddr>,
    /// Master key source.
    pub key_source: KeySource,
    /// SMTP relay for email codes; email devices are refused without one.
    pub smtp: Option<SmtpConfig>,
    /// Timings and limits.
    pub settings: Settings,
}

/// Default listening address.
pub(crate) const DEFAULT_BIND: &str = "127.0.0.1:8443";

impl ServeConfig {
    /// Defaults rooted at `data_dir`: `keygate.db` in it, 127.0.0.1:8443, self-signed HTTPS,
    /// the key source from the environment.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        ServeConfig {
            db: data_dir.join("keygate.db"),
            data_dir,
            bind: DEFAULT_BIND.parse().expect("default bind address parses"),
            tls: TlsMode::SelfSigned,
            allowed_hosts: Vec::new(),
            redirect_http: None,
            key_source: KeySource::from_env(),
            smtp: None,
            settings: Settings::default(),
        }
    }

    /// Whether the server speaks TLS itself.
    pub fn serves_tls(&self) -> bool {
        self.tls != TlsMode::PlainHttp
    }

    /// Refuses configurations the server must not run with.
    pub fn validate(&self) -> Result<()> {
        self.settings.validate()?;
        if !self.serves_tls() && !self.bind.ip().is_loopback() {
            return Err(Error::Config(format!(
                "refusing to serve plain HTTP on {}: a non-loopback address needs TLS",
                self.bind
            )));
        }
        if self.redirect_http.is_some() && !self.serves_tls() {
            return Err(Error::Config(
                "--redirect-http needs the server itself to serve HTTPS".into(),
            ));
        }
        for host in &self.allowed_hosts {
            if host.is_empty() || host.contains(['/', ' ', '@']) {
                return Err(Error::Config(format!("invalid allowed host {host:?}")));
            }
        }
        Ok(())
    }
}

/// Loads the master key from its source, generating the development key file when needed.
pub fn load_master_key(source: &KeySource, data_dir: &Path) -> Result<(MasterKey, KeyOrigin)> {
    match source {
        KeySource::Provided(key) => Ok((key.clone(), KeyOrigin::Provided)),
        KeySource::File(path) => Ok((read_key_file(path)?, KeyOrigin::File(path.clone()))),
        KeySource::Env => {
            let value =
                Zeroizing::new(std::env::var(KEY_ENV).map_err(|_| {
                    Error::Config(format!("{KEY_ENV} is not set or not valid UTF-8"))
                })?);
            Ok((MasterKey::parse(&value)?, KeyOrigin::Env))
        }
        KeySource::DataDir => {
            let path = data_dir.join(GENERATED_KEY_FILE);
            if path.exists() {
                return Ok((read_key_file(&path)?, KeyOrigin::File(path)));
            }
            let key = MasterKey::generate();
            write_private_file(&path, format!("{}\n", key.to_hex().as_str()).as_bytes())?;
            tracing::warn!(
                path = %path.display(),
                "generated a secret key next to the database; for production keep it elsewhere \
                 ({KEY_FILE_ENV})"
            );
            Ok((key, KeyOrigin::Generated(path)))
        }
    }
}

fn read_key_file(path: &Path) -> Result<MasterKey> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        Error::io(
            format!("cannot read the secret key file {}", path.display()),
            e,
        )
    })?);
    MasterKey::parse(&text)
        .map_err(|e| Error::Config(format!("the secret key file {}: {e}", path.display())))
}

/// Creates a file readable and writable by its owner only (0600), its directory 0700 when
/// created.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::io(format!("cannot create directory {}", parent.display()), e)
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
    file.write_all(contents)
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (key, origin) = load_master_key(&KeySource::DataDir, dir.path()).unwrap();
        let path = dir.path().join(GENERATED_KEY_FILE);
        assert_eq!(origin, KeyOrigin::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, origin) = load_master_key(&KeySource::DataDir, dir.path()).unwrap();
        assert_eq!(origin, KeyOrigin::File(path));
        assert_eq!(again.to_hex().as_str(), key.to_hex().as_str());
    }

    #[test]
    fn bad_key_files_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "tooshort").unwrap();
        let err = load_master_key(&KeySource::File(path.clone()), dir.path()).unwrap_err();
        assert!(err.to_string().contains("secret key"), "{err}");
        let missing = load_master_key(&KeySource::File(dir.path().join("nope")), dir.path());
        assert!(missing.is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let mut config = ServeConfig::new("/tmp/x");
        config.tls = TlsMode::PlainHttp;
        assert!(config.validate().is_ok());
        config.bind = "0.0.0.0:80".parse().unwrap();
        assert!(config.validate().is_err());
        config.tls = TlsMode::SelfSigned;
        assert!(config.validate().is_ok());
    }

    #[test]
    fn settings_cannot_exceed_the_asvs_limits() {
        let mut s = Settings {
            email_code_validity: 601,
            ..Settings::default()
        };
        assert!(s.validate().is_err());
        s.email_code_validity = 600;
        assert!(s.validate().is_ok());
        s.max_failures_per_hour = 101;
        assert!(s.validate().is_err());
    }
}

//! `keygate serve`, `keygate admin …` and `keygate check --deploy`: flags to a `ServeConfig`,
//! then the server library does the work.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use keygate_server::manage::CreateUser;
use keygate_server::{admin, check_deploy, ServeConfig, SmtpConfig, SmtpSecurity, TlsMode};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Environment variable with the SMTP password (kept off the command line).
pub(crate) const SMTP_PASSWORD_ENV: &str = "KEYGATE_SMTP_PASSWORD";

/// How the server is run; shared by `serve` and `check --deploy`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// SQLite database (default: keygate.db in the data directory).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8443; port 0 picks a free one).
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// PEM certificate chain for HTTPS (default: a self-signed certificate in the data dir).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP, for a TLS-terminating proxy in front (loopback addresses only).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    plain_http: bool,
    /// A host name clients use to reach the server (repeatable).
    #[arg(long = "allowed-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// Also listen here for plain HTTP and answer 301 to the HTTPS origin.
    #[arg(long, value_name = "ADDR")]
    redirect_http: Option<SocketAddr>,
    /// SMTP relay for email codes.
    #[arg(long, value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// SMTP transport security.
    #[arg(long, value_enum, default_value = "starttls", requires = "smtp")]
    smtp_security: SmtpMode,
    /// SMTP login (the password comes from $KEYGATE_SMTP_PASSWORD).
    #[arg(long, requires = "smtp")]
    smtp_user: Option<String>,
    /// Sender address of email codes.
    #[arg(long, default_value = "Keygate <keygate@localhost>", requires = "smtp")]
    smtp_from: String,
    /// Seconds an email code stays valid (at most 600).
    #[arg(long, value_name = "SECS")]
    email_code_validity: Option<u64>,
    /// Seconds between two email codes to the same device.
    #[arg(long, value_name = "SECS")]
    email_cooldown: Option<u64>,
}

/// SMTP transport security, as a flag value.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum SmtpMode {
    /// No TLS: only for a relay on this machine.
    None,
    /// STARTTLS after connecting (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl ServeArgs {
    fn config(self, data_dir: PathBuf) -> Result<ServeConfig, CliError> {
        let mut config = ServeConfig::new(data_dir);
        if let Some(db) = self.db {
            config.db = db;
        }
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        config.tls = match (self.plain_http, self.tls_cert, self.tls_key) {
            (true, _, _) => TlsMode::PlainHttp,
            (false, Some(cert), Some(key)) => TlsMode::Files { cert, key },
            _ => TlsMode::SelfSigned,
        };
        config.allowed_hosts = self.allowed_hosts;
        config.redirect_http = self.redirect_http;
        if let Some(relay) = self.smtp {
            let (host, port) = relay
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| CliError::Usage("--smtp takes HOST:PORT".into()))?;
            config.smtp = Some(SmtpConfig {
                host,
                port,
                security: match self.smtp_security {
                    SmtpMode::None => SmtpSecurity::None,
                    SmtpMode::Starttls => SmtpSecurity::StartTls,
                    SmtpMode::Tls => SmtpSecurity::Tls,
                },
                username: self.smtp_user,
                password: std::env::var(SMTP_PASSWORD_ENV).ok().map(Zeroizing::new),
                from: self.smtp_from,
            });
        }
        if let Some(seconds) = self.email_code_validity {
            config.settings.email_code_validity = seconds;
        }
        if let Some(seconds) = self.email_cooldown {
            config.settings.email_resend_cooldown = seconds;
        }
        Ok(config)
    }
}

/// `keygate serve`: runs until Ctrl-C or SIGTERM.
pub(crate) fn serve(data_dir: PathBuf, args: ServeArgs) -> Result<(), CliError> {
    keygate_server::init_logging();
    keygate_server::serve_blocking(args.config(data_dir)?)?;
    Ok(())
}

/// `keygate check --deploy`: lists what is unsafe; fails when anything is.
pub(crate) fn check(data_dir: PathBuf, args: ServeArgs) -> Result<(), CliError> {
    let findings = check_deploy(&args.config(data_dir)?);
    for finding in &findings {
        println!("{}: {}", finding.id, finding.message);
    }
    if findings.is_empty() {
        println!("no deployment problem found");
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{} deployment problem(s) found",
            findings.len()
        )))
    }
}

/// Subcommands of `keygate admin`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create a user (the first admin, typically): the password from a prompt or standard input.
    CreateUser {
        /// SQLite database (default: keygate.db in the data directory).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Login name (unique, case-insensitive).
        #[arg(long)]
        username: String,
        /// Email address.
        #[arg(long)]
        email: String,
        /// Full rights over users, devices and API keys.
        #[arg(long)]
        superuser: bool,
        /// May read the user list and the audit log.
        #[arg(long)]
        staff: bool,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove every 2FA device of a user and end their sessions (they set up 2FA again).
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// SQLite database (default: keygate.db in the data directory).
        #[arg(long)]
        db: Option<PathBuf>,
        /// The user.
        username: String,
    },
}

fn database(data_dir: PathBuf, db: Option<PathBuf>) -> PathBuf {
    db.unwrap_or_else(|| ServeConfig::new(data_dir).db)
}

fn read_password(from_stdin: bool) -> Result<Zeroizing<String>, CliError> {
    let io = |source| CliError::Io {
        what: "cannot read the password",
        source,
    };
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut password = Zeroizing::new(String::new());
        std::io::stdin().read_to_string(&mut password).map_err(io)?;
        return Ok(Zeroizing::new(
            password.trim_end_matches(['\r', '\n']).to_string(),
        ));
    }
    let first = Zeroizing::new(rpassword::prompt_password("Password: ").map_err(io)?);
    let again = Zeroizing::new(rpassword::prompt_password("Password (again): ").map_err(io)?);
    if *first != *again {
        return Err(CliError::Usage("the passwords do not match".into()));
    }
    Ok(first)
}

/// Runs a `keygate admin` subcommand.
pub(crate) fn admin(data_dir: PathBuf, command: AdminCommand) -> Result<(), CliError> {
    match command {
        AdminCommand::CreateUser {
            db,
            username,
            email,
            superuser,
            staff,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let store = admin::open_store(&database(data_dir, db))?;
            let user = admin::create_user(
                &store,
                &CreateUser {
                    username,
                    email,
                    password,
                    display_name: String::new(),
                    is_staff: staff || superuser,
                    is_superuser: superuser,
                },
            )?;
            println!("created user {} (id {})", user.username, user.id);
        }
        AdminCommand::Reset2fa { db, username } => {
            let store = admin::open_store(&database(data_dir, db))?;
            let removed = admin::reset_2fa(&store, &username)?;
            println!("removed {removed} device(s) of {username}; their sessions ended");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(flags: &[&str]) -> ServeConfig {
        let flags =
            Flags::try_parse_from(std::iter::once("serve").chain(flags.iter().copied())).unwrap();
        flags.serve.config("/data".into()).unwrap()
    }

    // The server's email flow is tested in-process with a `ServeConfig`; this is the half
    // that turns the command's flags into one.
    #[test]
    fn email_flags_reach_the_configuration() {
        let config = config(&[
            "--smtp",
            "127.0.0.1:2525",
            "--smtp-security",
            "none",
            "--email-code-validity",
            "5",
            "--email-cooldown",
            "2",
        ]);
        let smtp = config.smtp.expect("smtp configured");
        assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
        assert_eq!(smtp.security, SmtpSecurity::None);
        assert_eq!(smtp.from, "Keygate <keygate@localhost>");
        assert_eq!(config.settings.email_code_validity, 5);
        assert_eq!(config.settings.email_resend_cooldown, 2);

        let config = self::config(&["--smtp", "mail.example.com:587"]);
        assert_eq!(config.smtp.unwrap().security, SmtpSecurity::StartTls);
        assert!(self::config(&[]).smtp.is_none());
        let bad = Flags::try_parse_from(["serve", "--smtp", "no-port"]).unwrap();
        assert!(bad.serve.config("/data".into()).is_err());
    }

    #[test]
    fn serve_flags_reach_the_configuration() {
        let config = config(&[
            "--db",
            "/elsewhere/k.db",
            "--bind",
            "127.0.0.1:0",
            "--redirect-http",
            "127.0.0.1:8080",
            "--allowed-host",
            "keygate.example.com",
        ]);
        assert_eq!(config.data_dir, PathBuf::from("/data"));
        assert_eq!(config.db, PathBuf::from("/elsewhere/k.db"));
        assert_eq!(config.bind.to_string(), "127.0.0.1:0");
        assert_eq!(config.redirect_http.unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(config.allowed_hosts, ["keygate.example.com"]);
        assert_eq!(config.tls, TlsMode::SelfSigned);
        assert_eq!(self::config(&["--plain-http"]).tls, TlsMode::PlainHttp);
    }
}

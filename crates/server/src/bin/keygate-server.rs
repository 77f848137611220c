//! A thin front over the library for integration tests and benchmarks; `keygate serve` and
//! `keygate admin` call the same functions.
//!
//! ```text
//! keygate-server serve --data-dir DIR [--db PATH] [--bind ADDR] [--plain-http]
//!     [--tls-cert F --tls-key F] [--allowed-host H]... [--redirect-http ADDR]
//!     [--smtp HOST:PORT] [--email-code-validity SECS] [--email-cooldown SECS]
//! keygate-server create-user --db PATH --username U --email E [--superuser] [--staff]
//!     (password on standard input)
//! keygate-server reset-2fa --db PATH USERNAME
//! keygate-server check-deploy --data-dir DIR [same options as serve]
//! ```

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use keygate_server::manage::CreateUser;
use keygate_server::{admin, check_deploy, ServeConfig, SmtpConfig, SmtpSecurity, TlsMode};
use zeroize::Zeroizing;

fn usage() -> ExitCode {
    eprintln!(
        "usage: keygate-server serve|create-user|reset-2fa|check-deploy [options] \
         (see the source header)"
    );
    ExitCode::from(2)
}

struct Args(Vec<String>);

impl Args {
    fn flag(&mut self, name: &str) -> bool {
        match self.0.iter().position(|a| a == name) {
            Some(i) => {
                self.0.remove(i);
                true
            }
            None => false,
        }
    }

    fn value(&mut self, name: &str) -> Result<Option<String>, String> {
        match self.0.iter().position(|a| a == name) {
            Some(i) if i + 1 < self.0.len() => {
                let value = self.0.remove(i + 1);
                self.0.remove(i);
                Ok(Some(value))
            }
            Some(_) => Err(format!("{name} needs a value")),
            None => Ok(None),
        }
    }

    fn values(&mut self, name: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        while let Some(v) = self.value(name)? {
            out.push(v);
        }
        Ok(out)
    }

    fn finish(self) -> Result<Vec<String>, String> {
        match self.0.iter().find(|a| a.starts_with("--")) {
            Some(unknown) => Err(format!("unknown option {unknown}")),
            None => Ok(self.0),
        }
    }
}

fn parse<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<Option<T>, String> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| format!("{name}: invalid value {v:?}"))
        })
        .transpose()
}

fn serve_config(args: &mut Args) -> Result<ServeConfig, String> {
    let data_dir = args
        .value("--data-dir")?
        .map(PathBuf::from)
        .unwrap_or_else(ServeConfig::default_data_dir);
    let mut config = ServeConfig::new(data_dir);
    if let Some(db) = args.value("--db")? {
        config.db = PathBuf::from(db);
    }
    if let Some(bind) = parse("--bind", args.value("--bind")?)? {
        config.bind = bind;
    }
    let cert = args.value("--tls-cert")?;
    let key = args.value("--tls-key")?;
    config.tls = match (args.flag("--plain-http"), cert, key) {
        (true, None, None) => TlsMode::PlainHttp,
        (false, Some(cert), Some(key)) => TlsMode::Files {
            cert: cert.into(),
            key: key.into(),
        },
        (false, None, None) => TlsMode::SelfSigned,
        _ => return Err("use --plain-http, or both --tls-cert and --tls-key, or neither".into()),
    };
    config.allowed_hosts = args.values("--allowed-host")?;
    config.redirect_http = parse("--redirect-http", args.value("--redirect-http")?)?;
    if let Some(smtp) = args.value("--smtp")? {
        let (host, port) = smtp.rsplit_once(':').ok_or("--smtp takes HOST:PORT")?;
        config.smtp = Some(SmtpConfig {
            host: host.to_string(),
            port: port.parse().map_err(|_| "--smtp: invalid port")?,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Keygate <keygate@localhost>".into(),
        });
    }
    if let Some(v) = parse(
        "--email-code-validity",
        args.value("--email-code-validity")?,
    )? {
        config.settings.email_code_validity = v;
    }
    if let Some(v) = parse("--email-cooldown", args.value("--email-cooldown")?)? {
        config.settings.email_resend_cooldown = v;
    }
    Ok(config)
}

fn run(mut args: Args, command: &str) -> Result<ExitCode, String> {
    match command {
        "serve" => {
            let config = serve_config(&mut args)?;
            args.finish()?;
            keygate_server::serve_blocking(config).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        "check-deploy" => {
            let config = serve_config(&mut args)?;
            args.finish()?;
            let findings = check_deploy(&config);
            for f in &findings {
                println!("{}: {}", f.id, f.message);
            }
            Ok(if findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "create-user" => {
            let db = args.value("--db")?.ok_or("--db is required")?;
            let username = args.value("--username")?.ok_or("--username is required")?;
            let email = args.value("--email")?.ok_or("--email is required")?;
            let is_superuser = args.flag("--superuser");
            let is_staff = args.flag("--staff");
            args.finish()?;
            let mut password = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password = Zeroizing::new(password.trim_end_matches(['\r', '\n']).to_string());
            let store = admin::open_store(db.as_ref()).map_err(|e| e.to_string())?;
            let user = admin::create_user(
                &store,
                &CreateUser {
                    username,
                    email,
                    password,
                    display_name: String::new(),
                    is_staff,
                    is_superuser,
                },
            )
            .map_err(|e| e.to_string())?;
            println!("created user {} (id {})", user.username, user.id);
            Ok(ExitCode::SUCCESS)
        }
        "reset-2fa" => {
            let db = args.value("--db")?.ok_or("--db is required")?;
            let rest = args.finish()?;
            let [username] = rest.as_slice() else {
                return Err("reset-2fa takes one username".into());
            };
            let store = admin::open_store(db.as_ref()).map_err(|e| e.to_string())?;
            let removed = admin::reset_2fa(&store, username).map_err(|e| e.to_string())?;
            println!("removed {removed} device(s) of {username}; their sessions ended");
            Ok(ExitCode::SUCCESS)
        }
        _ => Ok(usage()),
    }
}

fn main() -> ExitCode {
    keygate_server::init_logging();
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        return usage();
    }
    let command = argv.remove(0);
    match run(Args(argv), &command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("keygate-server: {message}");
            ExitCode::from(2)
        }
    }
}

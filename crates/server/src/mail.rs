//! Email codes over SMTP (`lettre`).

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpSecurity};
use crate::error::{Error, Result};

/// Sends email codes through one relay.
#[derive(Clone)]
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for the relay in `config`.
    pub(crate) fn new(config: &SmtpConfig) -> Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| Error::Config(format!("invalid sender address: {e}")))?;
        let builder = match config.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| Error::Config(format!("SMTP relay: {e}")))?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| Error::Config(format!("SMTP relay: {e}")))?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(std::time::Duration::from_secs(15)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Sends a sign-in code valid for `validity` seconds.
    pub(crate) async fn send_code(&self, to: &str, code: &str, validity: u64) -> Result<()> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| Error::BadRequest("The account's email address is not usable.".into()))?;
        let minutes = validity.div_ceil(60);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("Your Keygate sign-in code")
            .body(format!(
                "Your sign-in code is {code}\n\nIt is valid for {minutes} minute(s) and works \
                 once. If you did not try to sign in, change your password.\n"
            ))
            .map_err(|e| Error::Mail(format!("building the message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Error::Mail(e.to_string()))
    }
}

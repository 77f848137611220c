//! The shared core every operation works on, and who is asking.

use std::sync::Arc;

use crate::auth::Authenticated;
use crate::config::Settings;
use crate::crypto::{Keys, PasswordHasher};
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::store::{NewAudit, Session, Store, Tx, User};

/// Storage, keys and rules: what the login flow and the management operations need.
pub(crate) struct Core {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Keys derived from the master key.
    pub keys: Keys,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Timings and limits.
    pub settings: Settings,
    /// SMTP, when configured: without it there are no email devices and no email codes.
    pub mailer: Option<Mailer>,
}

impl Core {
    /// The mailer; what needs email is refused when the server sends none (the one place
    /// this rule lives).
    pub(crate) fn mailer(&self) -> Result<&Mailer> {
        self.mailer
            .as_ref()
            .ok_or_else(|| Error::BadRequest("Email is not configured on this server.".into()))
    }

    /// Refuses what needs email when the server sends none.
    pub(crate) fn require_email(&self) -> Result<()> {
        self.mailer().map(|_| ())
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The client of a request, for throttling and the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Client {
    /// Peer address (no port).
    pub ip: String,
    /// User-Agent, truncated.
    pub user_agent: String,
}

impl Client {
    /// A client with a truncated User-Agent.
    pub(crate) fn new(ip: impl Into<String>, user_agent: &str) -> Self {
        Client {
            ip: ip.into(),
            user_agent: user_agent.chars().take(200).collect(),
        }
    }

    /// The client of a command-line operation.
    pub(crate) fn local() -> Self {
        Client::new("local", "keygate cli")
    }
}

/// Who asks, from where, and when: what every operation is given besides the core.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The session and its user; `None` for the command line and API-key requests.
    pub auth: Option<Authenticated>,
    /// The client.
    pub client: Client,
    /// The time of the request.
    pub now: i64,
}

impl Caller {
    /// The command line, now.
    pub(crate) fn local() -> Self {
        Caller {
            auth: None,
            client: Client::local(),
            now: now(),
        }
    }

    /// The signed-in user.
    pub(crate) fn user(&self) -> Result<&User> {
        self.auth
            .as_ref()
            .map(|a| &a.user)
            .ok_or(Error::Unauthenticated)
    }

    /// The caller's session.
    pub(crate) fn session(&self) -> Result<&Session> {
        self.auth
            .as_ref()
            .map(|a| &a.session)
            .ok_or(Error::Unauthenticated)
    }

    /// Audit records attributed to the caller (`cli` without a user).
    pub(crate) fn audit(&self) -> Audit<'_> {
        match &self.auth {
            Some(auth) => Audit::by(&auth.user, &self.client, self.now),
            None => Audit {
                now: self.now,
                client: &self.client,
                actor_id: None,
                actor: "cli",
            },
        }
    }
}

/// Who an audit record is attributed to, when and from where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Audit<'a> {
    /// Time.
    pub now: i64,
    /// Client.
    pub client: &'a Client,
    /// Acting user id.
    pub actor_id: Option<i64>,
    /// Acting user name (or the name typed at a failed login).
    pub actor: &'a str,
}

impl<'a> Audit<'a> {
    /// Attributed to `user`.
    pub(crate) fn by(user: &'a User, client: &'a Client, now: i64) -> Self {
        Audit {
            now,
            client,
            actor_id: Some(user.id),
            actor: &user.username,
        }
    }

    /// Appends one record.
    pub(crate) fn log(
        &self,
        tx: &mut dyn Tx,
        action: &str,
        target: &str,
        detail: impl Into<String>,
    ) -> Result<()> {
        tx.append_audit(&NewAudit {
            at: self.now,
            actor_id: self.actor_id,
            actor: self.actor.chars().take(150).collect(),
            action: action.into(),
            target: target.chars().take(150).collect(),
            ip: self.client.ip.clone(),
            detail: detail.into(),
        })
    }
}

/// The current Unix time in seconds.
pub(crate) fn now() -> i64 {
    i64::try_from(keygate_otp::unix_now()).unwrap_or(i64::MAX)
}

//! The shared core every operation works on, and who is asking.

use std::sync::Arc;

use crate::config::Settings;
use crate::crypto::{Keys, PasswordHasher};
use crate::error::Result;
use crate::store::{NewAudit, Store, Tx, User};

/// Storage, keys and rules: what the login flow and the management operations need.
pub struct Core {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Keys derived from the master key.
    pub keys: Keys,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Timings and limits.
    pub settings: Settings,
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
pub struct Client {
    /// Peer address (no port).
    pub ip: String,
    /// User-Agent, truncated.
    pub user_agent: String,
}

impl Client {
    /// A client with a truncated User-Agent.
    pub fn new(ip: impl Into<String>, user_agent: &str) -> Self {
        Client {
            ip: ip.into(),
            user_agent: user_agent.chars().take(200).collect(),
        }
    }

    /// The client of a command-line operation.
    pub fn local() -> Self {
        Client::new("local", "keygate cli")
    }
}

/// Who an audit record is attributed to, when and from where.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
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
    pub fn by(user: &'a User, client: &'a Client, now: i64) -> Self {
        Audit {
            now,
            client,
            actor_id: Some(user.id),
            actor: &user.username,
        }
    }

    /// Appends one record.
    pub fn log(
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
pub fn now() -> i64 {
    i64::try_from(keygate_otp::unix_now()).unwrap_or(i64::MAX)
}

//! Storage behind a trait, so that a PostgreSQL backend can follow without touching handlers.
//!
//! Everything goes through a transaction ([`Tx`]): a caller opens one with [`Store::write`],
//! reads and changes what it needs, and commits. A security decision (device step and counter,
//! throttle, session rotation, audit) is therefore made and recorded atomically; dropping a
//! transaction without committing rolls it back.
//!
//! Times are Unix seconds (`i64`). Secrets never reach this layer in plaintext: device keys are
//! AEAD ciphertexts, codes, session identifiers and API keys are hashes.

mod sqlite;

use keygate_otp::throttle::Throttle;
use keygate_otp::Algorithm;
use serde::Serialize;

use crate::error::Result;

pub use sqlite::SqliteStore;

/// A database that hands out transactions.
pub trait Store: Send + Sync + 'static {
    /// A read-only transaction (a consistent snapshot).
    fn read(&self) -> Result<Box<dyn Tx + '_>>;
    /// A read-write transaction; writers are serialized.
    fn write(&self) -> Result<Box<dyn Tx + '_>>;
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// As entered at creation.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Name shown in the console.
    pub display_name: String,
    /// May sign in.
    pub is_active: bool,
    /// May use the console beyond their own account.
    pub is_staff: bool,
    /// May manage other users, their devices and API keys.
    pub is_superuser: bool,
    /// PHC Argon2id hash; never serialized.
    #[serde(skip)]
    pub password_hash: String,
    /// Last password change.
    pub password_changed_at: i64,
    /// Creation time.
    pub created_at: i64,
    /// Last completed (two-factor) sign-in.
    pub last_login: Option<i64>,
    /// Replayed codes not yet shown to the user (ASVS 2.8.5).
    #[serde(skip)]
    pub replay_notices: i64,
}

/// What creating a user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Username (validated by the caller).
    pub username: String,
    /// Lookup key: the username lower-cased.
    pub username_key: String,
    /// Email address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Staff flag.
    pub is_staff: bool,
    /// Superuser flag.
    pub is_superuser: bool,
    /// PHC hash.
    pub password_hash: String,
}

/// The fields of a user an administrator may change.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New email.
    pub email: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
    /// Staff flag.
    pub is_staff: Option<bool>,
    /// Superuser flag.
    pub is_superuser: Option<bool>,
}

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// Authenticator app, time-based.
    Totp,
    /// Authenticator or hardware token, counter-based.
    Hotp,
    /// Ten single-use backup codes.
    Static,
    /// A code sent by email.
    Email,
}

impl DeviceKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Totp => "totp",
            DeviceKind::Hotp => "hotp",
            DeviceKind::Static => "static",
            DeviceKind::Email => "email",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "totp" => DeviceKind::Totp,
            "hotp" => DeviceKind::Hotp,
            "static" => DeviceKind::Static,
            "email" => DeviceKind::Email,
            _ => return None,
        })
    }
}

/// A pending email code: only its salted hash is kept (ASVS 2.7.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCode {
    /// Random salt.
    pub salt: Vec<u8>,
    /// Keyed hash of the code.
    pub hash: Vec<u8>,
    /// Not accepted after this time.
    pub expires_at: i64,
}

/// A second-factor device with its django-otp state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Row id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Kind.
    pub kind: DeviceKind,
    /// Name chosen by the user.
    pub name: String,
    /// Usable for sign-in (a correct code was entered once).
    pub confirmed: bool,
    /// AEAD ciphertext of the key (TOTP/HOTP).
    pub secret: Option<Vec<u8>>,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: u32,
    /// TOTP step in seconds.
    pub step: u64,
    /// TOTP t0.
    pub t0: u64,
    /// TOTP window (steps each side) or HOTP look-ahead.
    pub tolerance: u64,
    /// TOTP drift in steps.
    pub drift: i64,
    /// TOTP last accepted step (-1 before the first).
    pub last_t: i64,
    /// HOTP next counter.
    pub counter: u64,
    /// Failure throttle.
    pub throttle: Throttle,
    /// Pending email code.
    pub email_code: Option<EmailCode>,
    /// Last time an email code was sent (resend cooldown).
    pub code_sent_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last successful use.
    pub last_used_at: Option<i64>,
}

impl Device {
    /// A new device of `kind` with django-otp's defaults, not yet stored (`id` 0).
    pub fn new(user_id: i64, kind: DeviceKind, name: String, now: i64) -> Self {
        Device {
            id: 0,
            user_id,
            kind,
            name,
            confirmed: false,
            secret: None,
            algorithm: Algorithm::Sha1,
            digits: 6,
            step: 30,
            t0: 0,
            tolerance: if kind == DeviceKind::Hotp { 5 } else { 1 },
            drift: 0,
            last_t: -1,
            counter: 0,
            throttle: Throttle::default(),
            email_code: None,
            code_sent_at: None,
            created_at: now,
            last_used_at: None,
        }
    }
}

/// One hashed backup code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticToken {
    /// Row id.
    pub id: i64,
    /// Device.
    pub device_id: i64,
    /// Random salt.
    pub salt: Vec<u8>,
    /// Keyed hash.
    pub hash: Vec<u8>,
}

/// A server-side session. The cookie value is known only to the client; its hash is the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Public row id (shown in the session list; not a credential).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// The device that verified it (deleting the device deletes the session).
    pub device_id: Option<i64>,
    /// Both factors passed.
    pub verified: bool,
    /// Creation (absolute timeout).
    pub created_at: i64,
    /// Last request (idle timeout).
    pub last_seen: i64,
    /// When the password step passed (the second step must follow within a window).
    pub password_at: i64,
    /// Client address at creation.
    pub ip: String,
    /// Client User-Agent at creation.
    pub user_agent: String,
}

/// What creating a session needs.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie value.
    pub token_hash: Vec<u8>,
    /// Owner.
    pub user_id: i64,
    /// Verifying device.
    pub device_id: Option<i64>,
    /// Both factors passed.
    pub verified: bool,
    /// Creation time.
    pub created_at: i64,
    /// When the password step passed.
    pub password_at: i64,
    /// Client address.
    pub ip: String,
    /// Client User-Agent.
    pub user_agent: String,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// Time.
    pub at: i64,
    /// Acting user id, if any.
    pub actor_id: Option<i64>,
    /// Acting user name (or what was typed, for failed logins).
    pub actor: String,
    /// What happened (`login.password.failed`, `device.removed`...).
    pub action: String,
    /// What it happened to.
    pub target: String,
    /// Client address.
    pub ip: String,
    /// Details (never a secret).
    pub detail: String,
}

/// What appending to the audit log needs.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    /// Time.
    pub at: i64,
    /// Acting user id.
    pub actor_id: Option<i64>,
    /// Acting user name.
    pub actor: String,
    /// Action.
    pub action: String,
    /// Target.
    pub target: String,
    /// Client address.
    pub ip: String,
    /// Details.
    pub detail: String,
}

/// Audit log filter; empty fields match everything.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditFilter {
    /// Substring of the actor name.
    pub actor: Option<String>,
    /// Prefix of the action.
    pub action: Option<String>,
    /// Substring of the target.
    pub target: Option<String>,
}

/// An API key for `POST /api/v1/verify`; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Row id.
    pub id: i64,
    /// Name given at creation.
    pub name: String,
    /// First characters of the key, to recognize it.
    pub prefix: String,
    /// Creator.
    pub created_by: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    pub last_used_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
}

/// A page of results and the total count.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// All matching items.
    pub total: i64,
}

/// The operations of one transaction.
pub trait Tx {
    /// Commits; without it, dropping the transaction rolls back.
    fn commit(self: Box<Self>) -> Result<()>;

    // Users.
    /// Inserts a user; a taken username is [`crate::Error::Conflict`].
    fn insert_user(&mut self, user: &NewUser, now: i64) -> Result<i64>;
    /// A user by id.
    fn user(&mut self, id: i64) -> Result<Option<User>>;
    /// A user by lower-cased username.
    fn user_by_key(&mut self, username_key: &str) -> Result<Option<User>>;
    /// Users whose username, email or display name contains `query`, by username.
    fn list_users(&mut self, query: &str, offset: i64, limit: i64) -> Result<Page<User>>;
    /// Applies changes.
    fn update_user(&mut self, id: i64, changes: &UserChanges) -> Result<()>;
    /// Stores a new password hash.
    fn set_password_hash(&mut self, id: i64, hash: &str, changed_at: Option<i64>) -> Result<()>;
    /// Records a completed sign-in.
    fn set_last_login(&mut self, id: i64, at: i64) -> Result<()>;
    /// Adds one replay notice.
    fn add_replay_notice(&mut self, id: i64) -> Result<()>;
    /// Returns and clears the replay notices.
    fn take_replay_notices(&mut self, id: i64) -> Result<i64>;
    /// Number of users.
    fn count_users(&mut self) -> Result<i64>;

    // Devices.
    /// Inserts a device (its `id` is ignored) and returns the new id.
    fn insert_device(&mut self, device: &Device) -> Result<i64>;
    /// A device by id.
    fn device(&mut self, id: i64) -> Result<Option<Device>>;
    /// A user's devices, oldest first.
    fn devices_of(&mut self, user_id: i64) -> Result<Vec<Device>>;
    /// Stores every mutable field of a device.
    fn update_device(&mut self, device: &Device) -> Result<()>;
    /// Deletes a device, its backup codes and every session it verified.
    fn delete_device(&mut self, id: i64) -> Result<()>;
    /// Deletes all of a user's devices (and the sessions they verified).
    fn delete_devices_of(&mut self, user_id: i64) -> Result<u64>;

    // Backup codes.
    /// Adds a hashed backup code.
    fn insert_static_token(&mut self, device_id: i64, salt: &[u8], hash: &[u8]) -> Result<()>;
    /// The unused backup codes of a device.
    fn static_tokens(&mut self, device_id: i64) -> Result<Vec<StaticToken>>;
    /// Uses up a backup code.
    fn delete_static_token(&mut self, id: i64) -> Result<()>;
    /// Removes all backup codes of a device.
    fn delete_static_tokens(&mut self, device_id: i64) -> Result<()>;

    // Sessions.
    /// Inserts a session.
    fn insert_session(&mut self, session: &NewSession) -> Result<i64>;
    /// The session whose cookie hashes to `token_hash`.
    fn session_by_token(&mut self, token_hash: &[u8]) -> Result<Option<Session>>;
    /// A session by its public id.
    fn session(&mut self, id: i64) -> Result<Option<Session>>;
    /// A user's sessions, newest first.
    fn sessions_of(&mut self, user_id: i64) -> Result<Vec<Session>>;
    /// Records activity.
    fn touch_session(&mut self, id: i64, now: i64) -> Result<()>;
    /// Ends a session.
    fn delete_session(&mut self, id: i64) -> Result<()>;
    /// Ends a user's sessions except `keep`; returns how many ended.
    fn delete_sessions_of(&mut self, user_id: i64, keep: Option<i64>) -> Result<u64>;
    /// Deletes sessions idle since `idle_before` or created before `created_before`.
    fn delete_stale_sessions(&mut self, idle_before: i64, created_before: i64) -> Result<u64>;

    // Throttles.
    /// The throttle of a subject (user, username, address); default when absent.
    fn throttle(&mut self, subject: &str) -> Result<Throttle>;
    /// Stores a throttle (a default throttle deletes the row).
    fn set_throttle(&mut self, subject: &str, throttle: &Throttle) -> Result<()>;
    /// Logs one failed attempt for the hourly cap.
    fn record_failure(&mut self, subject: &str, at: i64) -> Result<()>;
    /// Failures of a subject since `since`, and the oldest of them.
    fn failures_since(&mut self, subject: &str, since: i64) -> Result<(i64, Option<i64>)>;
    /// Forgets failures and throttles older than `before`.
    fn prune_failures(&mut self, before: i64) -> Result<()>;

    // Audit.
    /// Appends to the audit log.
    fn append_audit(&mut self, entry: &NewAudit) -> Result<()>;
    /// Audit records matching `filter`, newest first.
    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<AuditEntry>>;

    // API keys.
    /// Stores an API key hash.
    fn insert_api_key(
        &mut self,
        name: &str,
        prefix: &str,
        key_hash: &[u8],
        created_by: i64,
        now: i64,
    ) -> Result<i64>;
    /// The unrevoked key with this hash.
    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> Result<Option<ApiKey>>;
    /// All keys.
    fn list_api_keys(&mut self) -> Result<Vec<ApiKey>>;
    /// Records a use.
    fn touch_api_key(&mut self, id: i64, now: i64) -> Result<()>;
    /// Revokes a key; false when there was none to revoke.
    fn revoke_api_key(&mut self, id: i64, now: i64) -> Result<bool>;
}

//! The server's JSON API as the desktop client reads and writes it: one struct per request and
//! answer body of the `/api/v1/` operations the console uses, mirroring the server's wire format.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// `GET /api/v1/auth/csrf`: the CSRF token of the session cookie.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfToken {
    pub(crate) token: String,
}

/// `POST /api/v1/auth/login`.
#[derive(Serialize)]
pub(crate) struct LoginRequest<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
}

/// A code for `/auth/otp`, `/auth/setup/confirm` and `/devices/{id}/confirm`.
#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub(crate) token: &'a str,
}

/// A sign-in step passed: the session was rotated.
#[derive(Debug, Deserialize)]
pub(crate) struct NewSession {
    /// `otp`, `setup` or `done`.
    pub(crate) next: String,
    /// The CSRF token of the new session cookie.
    pub(crate) csrf_token: String,
}

/// `POST /api/v1/auth/setup`: a first device to enrol at sign-in.
#[derive(Deserialize)]
pub(crate) struct SetupAnswer {
    pub(crate) device_id: i64,
    /// Holds the device's secret: kept on the Rust side, never sent to the webview.
    pub(crate) otpauth_uri: Zeroizing<String>,
    pub(crate) qr_svg: String,
}

/// `GET /api/v1/me` (only the part the app reads).
#[derive(Debug, Deserialize)]
pub(crate) struct Me {
    pub(crate) user: User,
}

/// A user account as the server shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Last password change (Unix seconds).
    pub password_changed_at: i64,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last completed two-factor sign-in (Unix seconds).
    pub last_login: Option<i64>,
}

/// `GET /api/v1/users`: one page of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPage {
    /// The users on this page.
    pub users: Vec<User>,
    /// Users matching the search.
    pub total: i64,
    /// This page (1 first).
    pub page: i64,
    /// Users per page.
    pub per_page: i64,
}

/// `POST /api/v1/users`: a new user (the password is wiped once sent).
#[derive(Deserialize, Serialize)]
pub struct NewUser {
    /// Username.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Initial password.
    pub password: Zeroizing<String>,
    /// May use the console.
    #[serde(default)]
    pub is_staff: bool,
    /// May manage users (implies staff).
    #[serde(default)]
    pub is_superuser: bool,
}

/// `PATCH /api/v1/users/{id}`: the fields to change (absent ones stay).
#[derive(Serialize)]
pub(crate) struct UserPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) is_active: Option<bool>,
}

/// `POST /api/v1/users/{id}/reset-2fa`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reset2fa {
    /// How many devices were removed.
    pub devices_removed: u64,
}

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A second-factor device as the server shows it (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last successful use (Unix seconds).
    pub last_used_at: Option<i64>,
    /// Unused backup codes (backup code devices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_codes: Option<u64>,
}

/// `POST /api/v1/users/{id}/devices`.
#[derive(Serialize)]
pub(crate) struct NewDevice<'a> {
    pub(crate) kind: DeviceKind,
    pub(crate) name: &'a str,
}

/// What adding a device answers: enrolment material or backup codes, shown once.
#[derive(Deserialize)]
pub(crate) struct DeviceCreated {
    pub(crate) device: Device,
    /// Holds the device's secret: never sent to the webview.
    #[serde(default)]
    pub(crate) otpauth_uri: Option<Zeroizing<String>>,
    #[serde(default)]
    pub(crate) qr_svg: Option<String>,
    #[serde(default)]
    pub(crate) backup_codes: Option<Vec<String>>,
}

/// `POST /api/v1/devices/{id}/regenerate`: a new set of backup codes, shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupCodes {
    /// The codes.
    pub backup_codes: Vec<String>,
}

/// A session as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Public row id (not a credential).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// The device that verified it.
    pub device_id: Option<i64>,
    /// Both factors passed.
    pub verified: bool,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last request (Unix seconds).
    pub last_seen: i64,
    /// Client address at creation.
    pub ip: String,
    /// Client User-Agent at creation.
    pub user_agent: String,
    /// The session of this request.
    pub current: bool,
}

/// The filter of `GET /api/v1/audit` (blank fields match everything).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Acting user name.
    #[serde(default)]
    pub actor: String,
    /// Action, e.g. `user.created`.
    #[serde(default)]
    pub action: String,
    /// What it happened to.
    #[serde(default)]
    pub target: String,
    /// Page (1 first; 0 means 1).
    #[serde(default)]
    pub page: u32,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// Time (Unix seconds).
    pub at: i64,
    /// Acting user id, if any.
    pub actor_id: Option<i64>,
    /// Acting user name (or what was typed, for failed sign-ins).
    pub actor: String,
    /// What happened (`login.password.failed`, `device.removed`, ...).
    pub action: String,
    /// What it happened to.
    pub target: String,
    /// Client address.
    pub ip: String,
    /// Details (never a secret).
    pub detail: String,
}

/// `GET /api/v1/audit`: one page of records, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditPage {
    /// The records on this page.
    pub entries: Vec<AuditEntry>,
    /// Records matching the filter.
    pub total: i64,
    /// This page (1 first).
    pub page: i64,
    /// Records per page.
    pub per_page: i64,
}

/// The body of every error answer.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: String,
    pub(crate) message: String,
}

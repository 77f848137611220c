//! The JSON API's wire types: one request or response struct per body of every route under
//! `/api/v1/`, shared by the server's handlers, the HTML console, the OpenAPI document and the
//! desktop app's HTTPS client.
//!
//! Every type serializes and deserializes, so a client reads the server's answers with the same
//! structs the server writes them with. Secrets a client sends stay in [`Zeroizing`] strings,
//! and no type holding a secret prints it in its `Debug` output.
//!
//! Times are Unix seconds. Every error answer is an [`ErrorBody`].
//!
//! [`Zeroizing`]: zeroize::Zeroizing

mod account;
mod api_keys;
mod audit;
mod auth;
mod devices;
mod sessions;
mod users;

pub use account::{ChangePasswordRequest, Me, PasswordChanged};
pub use api_keys::{ApiKey, ApiKeyCreated, CreateApiKeyRequest, Verdict, VerifyRequest};
pub use audit::{AuditEntry, AuditPage, AuditQuery};
pub use auth::{CodeRequest, CodesSent, CsrfToken, Enrollment, LoginRequest, SignInStep};
pub use devices::{AddDeviceRequest, BackupCodes, Device, DeviceCreated};
pub use sessions::{Session, SessionEntry};
pub use users::{CreateUserRequest, TwoFactorReset, UpdateUserRequest, User, UserPage, UserQuery};

pub use crate::auth::Next;
pub use crate::store::DeviceKind;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Shown instead of a secret in `Debug` output.
const REDACTED: &str = "<redacted>";

/// The body of every error answer: a stable machine code and a sentence safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The machine code: `bad_request`, `invalid_credentials`, `unauthenticated`,
    /// `invalid_code`, `expired_code`, `login_expired`, `forbidden`, `csrf_failed`, `bad_host`,
    /// `not_found`, `conflict`, `throttled`, `mail_failed` or `internal`.
    pub error: String,
    /// What went wrong, in words meant for the user.
    pub message: String,
}

#[cfg(test)]
mod tests;

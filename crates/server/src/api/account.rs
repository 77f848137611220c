//! The caller's own account under `/api/v1/me`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::{Device, Session, User, REDACTED};

/// `GET /api/v1/me`: who is signed in, with which session, and their devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The signed-in user.
    pub user: User,
    /// The session of this request.
    pub session: Session,
    /// The user's devices.
    pub devices: Vec<Device>,
}

/// `POST /api/v1/me/password`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// The password now.
    #[schema(value_type = String)]
    pub current_password: Zeroizing<String>,
    /// The new password.
    #[schema(value_type = String)]
    pub new_password: Zeroizing<String>,
    /// End every other session of the user too.
    #[serde(default)]
    pub end_other_sessions: bool,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("current_password", &REDACTED)
            .field("new_password", &REDACTED)
            .field("end_other_sessions", &self.end_other_sessions)
            .finish()
    }
}

/// The answer to `POST /api/v1/me/password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordChanged {
    /// How many other sessions ended.
    pub sessions_ended: u64,
}

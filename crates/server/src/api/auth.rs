//! The sign-in steps under `/api/v1/auth/`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::{Next, REDACTED};

/// `GET /api/v1/auth/csrf`: the CSRF token of the session cookie (set when there was none).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CsrfToken {
    /// The value for the `X-CSRF-Token` header of state-changing requests.
    pub token: String,
}

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfToken")
            .field("token", &REDACTED)
            .finish()
    }
}

/// `POST /api/v1/auth/login`: the password step.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The login name (case-insensitive).
    pub username: String,
    /// The password.
    #[schema(value_type = String)]
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .finish()
    }
}

/// The answer to each sign-in step (`login`, `otp`, `setup/confirm`): the session was rotated
/// (a new cookie is set) and this is where to go next.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct SignInStep {
    /// The next step.
    pub next: Next,
    /// The CSRF token of the new session cookie.
    pub csrf_token: String,
    /// What to tell the user on arrival (e.g. refused replays of their codes).
    pub notices: Vec<String>,
}

impl std::fmt::Debug for SignInStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInStep")
            .field("next", &self.next)
            .field("csrf_token", &REDACTED)
            .field("notices", &self.notices)
            .finish()
    }
}

/// `POST /api/v1/auth/setup`: a new authenticator (TOTP) device for a user without one.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct Enrollment {
    /// The new, unconfirmed device.
    pub device_id: i64,
    /// The `otpauth://` URI (it carries the device's secret).
    #[schema(value_type = String)]
    pub otpauth_uri: Zeroizing<String>,
    /// The URI as an inline SVG QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("device_id", &self.device_id)
            .field("otpauth_uri", &REDACTED)
            .finish_non_exhaustive()
    }
}

/// A one-time code: `POST /api/v1/auth/otp`, `POST /api/v1/auth/setup/confirm` and
/// `POST /api/v1/devices/{id}/confirm`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// The code (TOTP, HOTP, backup or email code).
    #[schema(value_type = String)]
    pub token: Zeroizing<String>,
}

impl std::fmt::Debug for CodeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRequest")
            .field("token", &REDACTED)
            .finish()
    }
}

/// `202` of `POST /api/v1/auth/otp/email` and `POST /api/v1/devices/{id}/send-code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodesSent {
    /// How many emails were sent.
    pub sent: u64,
}

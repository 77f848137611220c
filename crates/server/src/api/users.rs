//! Users under `/api/v1/users`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zeroize::Zeroizing;

use super::REDACTED;
use crate::store;

/// A user account as clients see it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name, as entered at creation.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Name shown in the console.
    pub display_name: String,
    /// May sign in.
    pub is_active: bool,
    /// May read the user list and the audit log.
    pub is_staff: bool,
    /// May manage every user, device and API key.
    pub is_superuser: bool,
    /// Last password change.
    pub password_changed_at: i64,
    /// Creation time.
    pub created_at: i64,
    /// Last completed (two-factor) sign-in.
    #[schema(required = true)]
    pub last_login: Option<i64>,
}

impl From<&store::User> for User {
    fn from(user: &store::User) -> Self {
        User {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            is_active: user.is_active,
            is_staff: user.is_staff,
            is_superuser: user.is_superuser,
            password_changed_at: user.password_changed_at,
            created_at: user.created_at,
            last_login: user.last_login,
        }
    }
}

impl From<store::User> for User {
    fn from(user: store::User) -> Self {
        User::from(&user)
    }
}

/// The query of `GET /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a username, email or display name (empty: everyone).
    #[serde(default)]
    pub query: String,
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<i64>,
}

/// The answer to `GET /api/v1/users`: one page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    /// The users on this page, by username.
    pub users: Vec<User>,
    /// Users matching the query, on all pages.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Users per page.
    pub per_page: i64,
}

/// `POST /api/v1/users` (and the command line's `admin create-user`).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    /// Login name (unique, case-insensitive).
    pub username: String,
    /// Email address.
    pub email: String,
    /// Initial password.
    #[schema(value_type = String)]
    pub password: Zeroizing<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Staff flag.
    #[serde(default)]
    pub is_staff: bool,
    /// Superuser flag (implies staff).
    #[serde(default)]
    pub is_superuser: bool,
}

impl std::fmt::Debug for CreateUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUserRequest")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("display_name", &self.display_name)
            .field("is_staff", &self.is_staff)
            .field("is_superuser", &self.is_superuser)
            .finish()
    }
}

/// `PATCH /api/v1/users/{id}`: the fields to change; absent ones stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    /// New email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Activate or deactivate (deactivating ends the user's sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Staff flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_staff: Option<bool>,
    /// Superuser flag (implies staff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_superuser: Option<bool>,
}

/// The answer to `POST /api/v1/users/{id}/reset-2fa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorReset {
    /// How many devices were removed.
    pub devices_removed: u64,
}

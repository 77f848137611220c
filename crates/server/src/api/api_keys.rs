//! API keys under `/api/v1/api-keys`, and `/api/v1/verify` which they open.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::REDACTED;
use crate::store;

/// An API key as listed (only its hash is stored; the prefix helps recognise it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// Name given at creation.
    pub name: String,
    /// First characters of the key.
    pub prefix: String,
    /// Creator.
    #[schema(required = true)]
    pub created_by: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    /// Revocation time.
    #[schema(required = true)]
    pub revoked_at: Option<i64>,
}

impl From<store::ApiKey> for ApiKey {
    fn from(k: store::ApiKey) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateApiKeyRequest {
    /// Name.
    pub name: String,
}

/// `201` of `POST /api/v1/api-keys`: the key, shown once.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key, for `Authorization: Bearer` on `POST /api/v1/verify`.
    #[schema(value_type = String)]
    pub key: Zeroizing<String>,
    /// The key as it will be listed.
    pub api_key: ApiKey,
}

impl std::fmt::Debug for ApiKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyCreated")
            .field("key", &REDACTED)
            .field("api_key", &self.api_key)
            .finish()
    }
}

/// `POST /api/v1/verify` (with `Authorization: Bearer <API key>`): checks a user's code for
/// another application.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The user's login name.
    pub username: String,
    /// The code they gave.
    #[schema(value_type = String)]
    pub token: Zeroizing<String>,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("username", &self.username)
            .field("token", &REDACTED)
            .finish()
    }
}

/// The answer to `POST /api/v1/verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    /// The code is valid (and now used up).
    pub ok: bool,
}

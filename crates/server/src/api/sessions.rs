//! Sessions under `/api/v1/users/{id}/sessions` and `/api/v1/sessions/`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store;

/// A server-side session (its cookie value is known only to its client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// Id (not a credential).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// The device that verified it.
    #[schema(required = true)]
    pub device_id: Option<i64>,
    /// Both factors passed.
    pub verified: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last request.
    pub last_seen: i64,
    /// When the password step passed.
    pub password_at: i64,
    /// Client address at creation.
    pub ip: String,
    /// Client User-Agent at creation.
    pub user_agent: String,
}

impl From<store::Session> for Session {
    fn from(s: store::Session) -> Self {
        Session {
            id: s.id,
            user_id: s.user_id,
            device_id: s.device_id,
            verified: s.verified,
            created_at: s.created_at,
            last_seen: s.last_seen,
            password_at: s.password_at,
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

/// One item of `GET /api/v1/users/{id}/sessions`: a session and whether it is the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionEntry {
    /// The session (its fields sit at the top level of the item).
    #[serde(flatten)]
    pub session: Session,
    /// The session of this request.
    pub current: bool,
}

//! The audit log under `/api/v1/audit`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store;

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Id.
    pub id: i64,
    /// Time.
    pub at: i64,
    /// Acting user id, if any.
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    /// Acting user name (or what was typed, for a failed sign-in; `cli` for the command line).
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

impl From<store::AuditEntry> for AuditEntry {
    fn from(e: store::AuditEntry) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor: e.actor,
            action: e.action,
            target: e.target,
            ip: e.ip,
            detail: e.detail,
        }
    }
}

/// The query of `GET /api/v1/audit`; absent filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Start of the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Part of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Page number, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

/// The answer to `GET /api/v1/audit`: one page of records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The records on this page.
    pub entries: Vec<AuditEntry>,
    /// Records matching the filters, on all pages.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Records per page.
    pub per_page: i64,
}

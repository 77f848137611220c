//! `/api/v1/audit`: the audit log.

use axum::Json;

use crate::api::{AuditPage, AuditQuery, ErrorBody};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::QueryOf;

/// The audit log, filtered, newest first (staff).
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, description = "A page", body = AuditPage),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
    ))]
pub(super) async fn list(ctx: Ctx, QueryOf(query): QueryOf<AuditQuery>) -> Result<Json<AuditPage>> {
    ctx.run(move |core, c| manage::list_audit(core, c, &query))
        .await
        .map(Json)
}

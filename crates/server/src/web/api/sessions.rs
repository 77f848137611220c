//! Sessions: `/api/v1/users/{id}/sessions` and `/api/v1/sessions/{id}`.

use axum::response::Response;
use axum::Json;

use super::devices::no_content;
use crate::api::{ErrorBody, SessionEntry};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::IdPath;

/// A user's sessions, the caller's own marked `current`.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", operation_id = "list_sessions", tag = "sessions",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Sessions", body = Vec<SessionEntry>),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody),
    ))]
pub(super) async fn list(ctx: Ctx, IdPath(id): IdPath) -> Result<Json<Vec<SessionEntry>>> {
    ctx.run(move |core, c| manage::list_sessions(core, c, id))
        .await
        .map(Json)
}

/// Ends a session (the cookie is cleared when it is the caller's own).
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", operation_id = "revoke_session", tag = "sessions",
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn revoke(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    let own = ctx.auth().session.id == id;
    ctx.run(move |core, c| manage::revoke_session(core, c, id))
        .await?;
    Ok(no_content(own))
}

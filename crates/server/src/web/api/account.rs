//! `/api/v1/me`: the caller's own account.

use axum::Json;

use crate::api::{ChangePasswordRequest, ErrorBody, Me, PasswordChanged};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::JsonBody;

/// Who is signed in, with which session, and their devices.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses(
        (status = 200, description = "Me", body = Me),
        (status = 401, description = "No verified session", body = ErrorBody),
    ))]
pub(super) async fn me(ctx: Ctx) -> Result<Json<Me>> {
    ctx.run(manage::me).await.map(Json)
}

/// Changes the caller's password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account", request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed", body = PasswordChanged),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No verified session, or the current password is wrong", body = ErrorBody),
    ))]
pub(super) async fn change_password(
    ctx: Ctx,
    JsonBody(body): JsonBody<ChangePasswordRequest>,
) -> Result<Json<PasswordChanged>> {
    ctx.run_hashing(move |core, c| manage::change_password(core, c, &body))
        .await
        .map(Json)
}

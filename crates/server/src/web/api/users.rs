//! `/api/v1/users`: user accounts.

use axum::http::StatusCode;
use axum::Json;

use crate::api::{
    CreateUserRequest, ErrorBody, TwoFactorReset, UpdateUserRequest, User, UserPage, UserQuery,
};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{IdPath, JsonBody, QueryOf};

/// Users matching a query, one page (staff).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", tag = "users", params(UserQuery),
    responses(
        (status = 200, description = "A page", body = UserPage),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
    ))]
pub(super) async fn list(ctx: Ctx, QueryOf(query): QueryOf<UserQuery>) -> Result<Json<UserPage>> {
    ctx.run(move |core, c| manage::list_users(core, c, &query))
        .await
        .map(Json)
}

/// Creates a user (superuser).
#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", tag = "users", request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser, or the CSRF check failed", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
    ))]
pub(super) async fn create(
    ctx: Ctx,
    JsonBody(body): JsonBody<CreateUserRequest>,
) -> Result<(StatusCode, Json<User>)> {
    let user = ctx
        .run_hashing(move |core, c| manage::create_user(&*core.store, &core.hasher, c, &body))
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One user (staff, or the user themself).
#[utoipa::path(get, path = "/api/v1/users/{id}", operation_id = "get_user", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "User", body = User),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn get(ctx: Ctx, IdPath(id): IdPath) -> Result<Json<User>> {
    ctx.run(move |core, c| manage::get_user(core, c, id))
        .await
        .map(Json)
}

/// Changes a user (superuser).
#[utoipa::path(patch, path = "/api/v1/users/{id}", operation_id = "update_user", tag = "users", request_body = UpdateUserRequest,
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "User", body = User),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser, or the CSRF check failed", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn update(
    ctx: Ctx,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<UpdateUserRequest>,
) -> Result<Json<User>> {
    ctx.run(move |core, c| manage::update_user(core, c, id, body))
        .await
        .map(Json)
}

/// Removes every device of a user and ends their sessions (superuser).
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-2fa", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Reset", body = TwoFactorReset),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser, or the CSRF check failed", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn reset_2fa(ctx: Ctx, IdPath(id): IdPath) -> Result<Json<TwoFactorReset>> {
    ctx.run(move |core, c| manage::reset_2fa(&*core.store, c, id))
        .await
        .map(Json)
}

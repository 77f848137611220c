//! `/api/v1/api-keys` and `/api/v1/verify`, which API keys open.

use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use zeroize::Zeroizing;

use crate::api::{ApiKey, ApiKeyCreated, CreateApiKeyRequest, ErrorBody, Verdict, VerifyRequest};
use crate::error::{Error, Result};
use crate::manage;
use crate::web::context::{Anyone, Ctx};
use crate::web::extract::{IdPath, JsonBody};

/// All API keys (superuser).
#[utoipa::path(get, path = "/api/v1/api-keys", operation_id = "list_api_keys", tag = "api-keys",
    responses(
        (status = 200, description = "Keys", body = Vec<ApiKey>),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser", body = ErrorBody),
    ))]
pub(super) async fn list(ctx: Ctx) -> Result<Json<Vec<ApiKey>>> {
    ctx.run(manage::list_api_keys).await.map(Json)
}

/// Creates an API key (superuser), shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", operation_id = "create_api_key", tag = "api-keys", request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created", body = ApiKeyCreated),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser, or the CSRF check failed", body = ErrorBody),
    ))]
pub(super) async fn create(
    ctx: Ctx,
    JsonBody(body): JsonBody<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>)> {
    let created = ctx
        .run(move |core, c| manage::create_api_key(core, c, &body))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revokes an API key (superuser).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", operation_id = "revoke_api_key", tag = "api-keys",
    params(("id" = i64, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Not a superuser, or the CSRF check failed", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn revoke(ctx: Ctx, IdPath(id): IdPath) -> Result<StatusCode> {
    ctx.run(move |core, c| manage::revoke_api_key(core, c, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The `Authorization: Bearer` key.
fn bearer(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| Zeroizing::new(key.trim().to_string()))
}

/// Checks a user's code for another application (with an API key, no session).
#[utoipa::path(post, path = "/api/v1/verify", tag = "api-keys", request_body = VerifyRequest,
    security(("apiKey" = [])),
    responses(
        (status = 200, description = "Verdict", body = Verdict),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
    ))]
pub(super) async fn verify(
    ctx: Ctx<Anyone>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<VerifyRequest>,
) -> Result<Json<Verdict>> {
    let key = bearer(&headers).ok_or(Error::Unauthenticated)?;
    ctx.run(move |core, c| manage::verify_with_api_key(core, c, &key, &body))
        .await
        .map(Json)
}

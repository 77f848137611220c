//! Devices: `/api/v1/users/{id}/devices` and `/api/v1/devices/{id}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::api::{
    AddDeviceRequest, BackupCodes, CodeRequest, CodesSent, Device, DeviceCreated, ErrorBody,
};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{clear_session_cookie, IdPath, JsonBody};

/// A user's devices (the user, or a superuser).
#[utoipa::path(get, path = "/api/v1/users/{id}/devices", operation_id = "list_devices", tag = "devices",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Devices", body = Vec<Device>),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn list(ctx: Ctx, IdPath(id): IdPath) -> Result<Json<Vec<Device>>> {
    ctx.run(move |core, c| manage::list_devices(core, c, id))
        .await
        .map(Json)
}

/// Adds a device; its enrolment material or backup codes are shown once.
#[utoipa::path(post, path = "/api/v1/users/{id}/devices", operation_id = "add_device", tag = "devices", request_body = AddDeviceRequest,
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 201, description = "Created", body = DeviceCreated),
        (status = 400, description = "Invalid input, or email is not configured", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 403, description = "Forbidden, or the CSRF check failed", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn add(
    ctx: Ctx,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<AddDeviceRequest>,
) -> Result<(StatusCode, Json<DeviceCreated>)> {
    let (created, outbox) = ctx
        .run(move |core, c| manage::add_device(core, c, id, &body))
        .await?;
    ctx.state.send_new_device_codes(outbox).await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Confirms a new device with a code from it.
#[utoipa::path(post, path = "/api/v1/devices/{id}/confirm", operation_id = "confirm_device", tag = "devices", request_body = CodeRequest,
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 200, description = "Confirmed", body = Device),
        (status = 400, description = "Already confirmed", body = ErrorBody),
        (status = 401, description = "No verified session, or invalid_code", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
    ))]
pub(super) async fn confirm(
    ctx: Ctx,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<Json<Device>> {
    ctx.run(move |core, c| manage::confirm_device(core, c, id, &body))
        .await
        .map(Json)
}

/// Sends a new code to an unconfirmed email device.
#[utoipa::path(post, path = "/api/v1/devices/{id}/send-code", operation_id = "send_device_code", tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 202, description = "Sent", body = CodesSent),
        (status = 400, description = "Not an unconfirmed email device, or email is not configured", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
        (status = 502, description = "mail_failed", body = ErrorBody),
    ))]
pub(super) async fn send_code(
    ctx: Ctx,
    IdPath(id): IdPath,
) -> Result<(StatusCode, Json<CodesSent>)> {
    let outbox = ctx
        .run(move |core, c| manage::resend_device_code(core, c, id))
        .await?;
    let sent = ctx.state.send_codes(outbox).await?;
    Ok((StatusCode::ACCEPTED, Json(CodesSent { sent })))
}

/// Ten new backup codes for a backup-code device, shown once.
#[utoipa::path(post, path = "/api/v1/devices/{id}/regenerate", operation_id = "regenerate_backup_codes", tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 200, description = "Codes", body = BackupCodes),
        (status = 400, description = "Not a backup-code device", body = ErrorBody),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn regenerate(ctx: Ctx, IdPath(id): IdPath) -> Result<Json<BackupCodes>> {
    let (codes, _owner) = ctx
        .run(move |core, c| manage::regenerate_backup_codes(core, c, id))
        .await?;
    Ok(Json(codes))
}

/// Removes a device; the sessions it verified end.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", operation_id = "delete_device", tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 204, description = "Removed (the cookie is cleared if the caller's own session ended)"),
        (status = 401, description = "No verified session", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
    ))]
pub(super) async fn delete(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    let removed = ctx
        .run(move |core, c| manage::delete_device(core, c, id))
        .await?;
    Ok(no_content(removed.own_session_ended))
}

/// `204`, clearing the cookie when the caller's own session has ended.
pub(super) fn no_content(own_session_ended: bool) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if own_session_ended {
        let cookie: HeaderValue = clear_session_cookie();
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

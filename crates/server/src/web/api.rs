//! The JSON API under `/api/v1/` (described by `/api/openapi.json`).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use super::extract::{
    clear_session_cookie, set_session_cookie, ClientInfo, IdPath, JsonBody, PreAuth, QueryOf,
    Verified, Visitor,
};
use super::AppState;
use crate::auth::{self, NewSessionToken};
use crate::crypto::random_token;
use crate::error::{Error, Result};
use crate::manage::{self, CreateUser, PAGE_SIZE};
use crate::state::now;
use crate::store::{AuditFilter, DeviceKind, UserChanges};

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/csrf", get(csrf))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/setup", post(setup))
        .route("/api/v1/auth/setup/confirm", post(setup_confirm))
        .route("/api/v1/auth/otp", post(otp))
        .route("/api/v1/auth/otp/email", post(otp_email))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/users/{id}/reset-2fa", post(reset_2fa))
        .route(
            "/api/v1/users/{id}/devices",
            get(list_devices).post(add_device),
        )
        .route("/api/v1/users/{id}/sessions", get(list_sessions))
        .route("/api/v1/devices/{id}", delete(delete_device))
        .route("/api/v1/devices/{id}/confirm", post(confirm_device))
        .route("/api/v1/devices/{id}/send-code", post(send_device_code))
        .route("/api/v1/devices/{id}/regenerate", post(regenerate_codes))
        .route("/api/v1/sessions/{id}", delete(revoke_session))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api/v1/api-keys/{id}", delete(revoke_api_key))
        .route("/api/v1/verify", post(verify))
}

/// `{"token": T}`: the CSRF token of the current session cookie, creating an anonymous cookie
/// when there is none (nothing is stored for it).
async fn csrf(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let existing = super::extract::session_cookie(&headers);
    let cookie = existing.clone().unwrap_or_else(random_token);
    let token = state.core.keys.csrf_token(&cookie);
    let mut response = Json(json!({ "token": token })).into_response();
    if existing.is_none() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_session_cookie(&cookie));
    }
    response
}

/// A rotated session: the new cookie and, for convenience, its CSRF token.
fn with_new_session(state: &AppState, issued: NewSessionToken) -> Response {
    let csrf = state.core.keys.csrf_token(&issued.token);
    let mut response = Json(json!({
        "next": issued.next,
        "csrf_token": csrf,
        "notices": issued.notices(),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_session_cookie(&issued.token));
    response
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: Zeroizing<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response> {
    let previous = super::extract::session_cookie(&headers);
    let issued = state
        .hashing(move |core| {
            auth::login(
                core,
                &body.username,
                &body.password,
                previous.as_deref(),
                &client,
                now(),
            )
        })
        .await?;
    Ok(with_new_session(&state, issued))
}

async fn setup(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    PreAuth(auth): PreAuth,
) -> Result<Response> {
    let enrollment = state
        .blocking(move |core| auth::setup_begin(core, &auth.session, &client, now()))
        .await?;
    Ok(Json(json!({
        "device_id": enrollment.device_id,
        "otpauth_uri": enrollment.otpauth_uri.as_str(),
        "qr_svg": enrollment.qr_svg,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    token: Zeroizing<String>,
}

async fn setup_confirm(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    PreAuth(auth): PreAuth,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response> {
    let issued = state
        .blocking(move |core| auth::setup_confirm(core, &auth.session, &body.token, &client, now()))
        .await?;
    Ok(with_new_session(&state, issued))
}

async fn otp(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    PreAuth(auth): PreAuth,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response> {
    let issued = state
        .blocking(move |core| auth::verify_otp(core, &auth.session, &body.token, &client, now()))
        .await?;
    Ok(with_new_session(&state, issued))
}

async fn otp_email(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    PreAuth(auth): PreAuth,
) -> Result<Response> {
    if state.mailer.is_none() {
        return Err(Error::BadRequest(
            "Email is not configured on this server.".into(),
        ));
    }
    let outbox = state
        .blocking(move |core| auth::request_email_code(core, &auth.session, &client, now()))
        .await?;
    let sent = state.send_codes(outbox).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "sent": sent }))).into_response())
}

async fn logout(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    visitor: Visitor,
) -> Result<Response> {
    if let Some(auth) = visitor.auth {
        state
            .blocking(move |core| auth::logout(core, &auth, &client, now()))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie());
    Ok(response)
}

async fn me(State(state): State<AppState>, Verified(auth): Verified) -> Result<Response> {
    let user_id = auth.user.id;
    let actor = auth.user.clone();
    let devices = state
        .blocking(move |core| manage::list_devices(core, &actor, user_id))
        .await?;
    Ok(Json(json!({
        "user": auth.user,
        "session": auth.session,
        "devices": devices,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
    #[serde(default)]
    end_other_sessions: bool,
}

async fn change_password(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Response> {
    let ended = state
        .hashing(move |core| {
            manage::change_password(
                core,
                &auth,
                &body.current_password,
                &body.new_password,
                body.end_other_sessions,
                &client,
                now(),
            )
        })
        .await?;
    Ok(Json(json!({ "sessions_ended": ended })).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    query: String,
    #[serde(default)]
    page: Option<i64>,
}

async fn list_users(
    State(state): State<AppState>,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Response> {
    let page = q.page.unwrap_or(1).max(1);
    let users = state
        .blocking(move |core| manage::list_users(core, &auth.user, &q.query, page))
        .await?;
    Ok(Json(json!({
        "users": users.items,
        "total": users.total,
        "page": page,
        "per_page": PAGE_SIZE,
    }))
    .into_response())
}

async fn create_user(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<Response> {
    let user = state
        .hashing(move |core| {
            manage::create_user(
                &*core.store,
                &core.hasher,
                Some(&auth.user),
                &body,
                &client,
                now(),
            )
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn get_user(
    State(state): State<AppState>,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let user = state
        .blocking(move |core| manage::get_user(core, &auth.user, id))
        .await?;
    Ok(Json(user).into_response())
}

#[derive(Deserialize)]
struct UserPatch {
    email: Option<String>,
    display_name: Option<String>,
    is_active: Option<bool>,
    is_staff: Option<bool>,
    is_superuser: Option<bool>,
}

async fn update_user(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<UserPatch>,
) -> Result<Response> {
    let changes = UserChanges {
        email: body.email,
        display_name: body.display_name,
        is_active: body.is_active,
        is_staff: body.is_staff,
        is_superuser: body.is_superuser,
    };
    let user = state
        .blocking(move |core| manage::update_user(core, &auth.user, id, changes, &client, now()))
        .await?;
    Ok(Json(user).into_response())
}

async fn reset_2fa(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let removed = state
        .blocking(move |core| manage::reset_2fa(&*core.store, Some(&auth.user), id, &client, now()))
        .await?;
    Ok(Json(json!({ "devices_removed": removed })).into_response())
}

async fn list_devices(
    State(state): State<AppState>,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let devices = state
        .blocking(move |core| manage::list_devices(core, &auth.user, id))
        .await?;
    Ok(Json(devices).into_response())
}

#[derive(Deserialize)]
struct NewDeviceBody {
    kind: DeviceKind,
    name: String,
}

async fn add_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<NewDeviceBody>,
) -> Result<Response> {
    if body.kind == DeviceKind::Email && state.mailer.is_none() {
        return Err(Error::BadRequest(
            "Email is not configured on this server.".into(),
        ));
    }
    let (created, outbox) = state
        .blocking(move |core| {
            manage::add_device(core, &auth.user, id, body.kind, &body.name, &client, now())
        })
        .await?;
    state.send_codes(outbox).await.ok();
    let device = &created.device;
    let mut body = json!({
        "id": device.id,
        "device": device,
    });
    if let Some(uri) = &created.otpauth_uri {
        body["otpauth_uri"] = json!(uri);
    }
    if let Some(svg) = &created.qr_svg {
        body["qr_svg"] = json!(svg);
    }
    if let Some(codes) = &created.backup_codes {
        body["backup_codes"] = json!(codes);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn confirm_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response> {
    let device = state
        .blocking(move |core| {
            manage::confirm_device(core, &auth.user, id, &body.token, &client, now())
        })
        .await?;
    Ok(Json(device).into_response())
}

async fn send_device_code(
    State(state): State<AppState>,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let outbox = state
        .blocking(move |core| manage::resend_device_code(core, &auth.user, id, now()))
        .await?;
    let sent = state.send_codes(outbox).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "sent": sent }))).into_response())
}

async fn regenerate_codes(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let codes = state
        .blocking(move |core| manage::regenerate_backup_codes(core, &auth.user, id, &client, now()))
        .await?;
    Ok(Json(json!({ "backup_codes": codes })).into_response())
}

async fn delete_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let removed = state
        .blocking(move |core| manage::delete_device(core, &auth, id, &client, now()))
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if removed.own_session_ended {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, clear_session_cookie());
    }
    Ok(response)
}

async fn list_sessions(
    State(state): State<AppState>,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let current = auth.session.id;
    let sessions = state
        .blocking(move |core| manage::list_sessions(core, &auth.user, id))
        .await?;
    let sessions: Vec<_> = sessions
        .into_iter()
        .map(|s| {
            let mut v = json!(s);
            v["current"] = json!(s.id == current);
            v
        })
        .collect();
    Ok(Json(sessions).into_response())
}

async fn revoke_session(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let own = auth.session.id == id;
    state
        .blocking(move |core| manage::revoke_session(core, &auth.user, id, &client, now()))
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if own {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, clear_session_cookie());
    }
    Ok(response)
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    page: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Result<Response> {
    let page = q.page.unwrap_or(1).max(1);
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        target: q.target,
    };
    let entries = state
        .blocking(move |core| manage::list_audit(core, &auth.user, &filter, page))
        .await?;
    Ok(Json(json!({
        "entries": entries.items,
        "total": entries.total,
        "page": page,
        "per_page": PAGE_SIZE,
    }))
    .into_response())
}

async fn list_api_keys(
    State(state): State<AppState>,
    Verified(auth): Verified,
) -> Result<Response> {
    let keys = state
        .blocking(move |core| manage::list_api_keys(core, &auth.user))
        .await?;
    Ok(Json(keys).into_response())
}

#[derive(Deserialize)]
struct ApiKeyBody {
    name: String,
}

async fn create_api_key(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    JsonBody(body): JsonBody<ApiKeyBody>,
) -> Result<Response> {
    let (key, secret) = state
        .blocking(move |core| manage::create_api_key(core, &auth.user, &body.name, &client, now()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": secret.as_str(), "api_key": key })),
    )
        .into_response())
}

async fn revoke_api_key(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    state
        .blocking(move |core| manage::revoke_api_key(core, &auth.user, id, &client, now()))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct VerifyBody {
    username: String,
    token: Zeroizing<String>,
}

fn bearer(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| Zeroizing::new(key.trim().to_string()))
}

async fn verify(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Response> {
    let key = bearer(&headers).ok_or(Error::Unauthenticated)?;
    let ok = state
        .blocking(move |core| {
            manage::verify_with_api_key(core, &key, &body.username, &body.token, &client, now())
        })
        .await?;
    Ok(Json(json!({ "ok": ok })).into_response())
}

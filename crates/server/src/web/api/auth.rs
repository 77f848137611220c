//! `/api/v1/auth/`: the sign-in steps.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::api::{
    CodeRequest, CodesSent, CsrfToken, Enrollment, ErrorBody, LoginRequest, SignInStep,
};
use crate::auth::{self, NewSessionToken};
use crate::crypto::random_token;
use crate::error::Result;
use crate::web::context::{Anyone, Ctx};
use crate::web::extract::{clear_session_cookie, set_session_cookie, JsonBody, PreAuth, Visitor};

/// A response that sets (or clears) the session cookie.
type WithCookie<T> = ([(header::HeaderName, HeaderValue); 1], T);

/// A rotated session: the new cookie, and its CSRF token for the next requests.
fn signed_in<A>(ctx: &Ctx<A>, issued: NewSessionToken) -> WithCookie<Json<SignInStep>> {
    let step = SignInStep {
        next: issued.next,
        csrf_token: ctx.state.core.keys.csrf_token(&issued.token),
        notices: issued.notices(),
    };
    (
        [(header::SET_COOKIE, set_session_cookie(&issued.token))],
        Json(step),
    )
}

/// The CSRF token of the current session cookie; an anonymous cookie (nothing stored for it)
/// is created when there is none.
#[utoipa::path(get, path = "/api/v1/auth/csrf", tag = "auth",
    responses((status = 200, description = "The token (and a new cookie when there was none)", body = CsrfToken)))]
pub(super) async fn csrf(ctx: Ctx<Anyone>) -> impl IntoResponse {
    let cookie = ctx.cookie.clone().unwrap_or_else(random_token);
    let body = Json(CsrfToken {
        token: ctx.state.core.keys.csrf_token(&cookie),
    });
    let mut response = body.into_response();
    if ctx.cookie.is_none() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_session_cookie(&cookie));
    }
    response
}

/// The password step: a new session past it, and where to go next.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Next step", body = SignInStep),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "invalid_credentials", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
    ))]
pub(super) async fn login(
    ctx: Ctx<Anyone>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<WithCookie<Json<SignInStep>>> {
    let previous = ctx.cookie.clone();
    let issued = ctx
        .run_hashing(move |core, c| auth::login(core, c, &body, previous.as_deref()))
        .await?;
    Ok(signed_in(&ctx, issued))
}

/// Starts setting up a first authenticator device.
#[utoipa::path(post, path = "/api/v1/auth/setup", tag = "auth",
    responses(
        (status = 200, description = "Enrolment", body = Enrollment),
        (status = 401, description = "No session past the password step", body = ErrorBody),
        (status = 403, description = "The user has a device already, or the CSRF check failed", body = ErrorBody),
    ))]
pub(super) async fn setup(ctx: Ctx<PreAuth>) -> Result<Json<Enrollment>> {
    ctx.run(auth::setup_begin).await.map(Json)
}

/// Confirms the first device with a code from it: signed in.
#[utoipa::path(post, path = "/api/v1/auth/setup/confirm", tag = "auth", request_body = CodeRequest,
    responses(
        (status = 200, description = "Signed in", body = SignInStep),
        (status = 401, description = "invalid_code or login_expired", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
    ))]
pub(super) async fn setup_confirm(
    ctx: Ctx<PreAuth>,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<WithCookie<Json<SignInStep>>> {
    let issued = ctx
        .run(move |core, c| auth::setup_confirm(core, c, &body))
        .await?;
    Ok(signed_in(&ctx, issued))
}

/// The code step: signed in.
#[utoipa::path(post, path = "/api/v1/auth/otp", tag = "auth", request_body = CodeRequest,
    responses(
        (status = 200, description = "Signed in", body = SignInStep),
        (status = 401, description = "invalid_code, expired_code or login_expired", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
    ))]
pub(super) async fn otp(
    ctx: Ctx<PreAuth>,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<WithCookie<Json<SignInStep>>> {
    let issued = ctx
        .run(move |core, c| auth::verify_otp(core, c, &body))
        .await?;
    Ok(signed_in(&ctx, issued))
}

/// Emails a code to the user's confirmed email devices.
#[utoipa::path(post, path = "/api/v1/auth/otp/email", tag = "auth",
    responses(
        (status = 202, description = "Sent", body = CodesSent),
        (status = 400, description = "No email device, or email is not configured", body = ErrorBody),
        (status = 401, description = "No session past the password step", body = ErrorBody),
        (status = 429, description = "Throttled (Retry-After says for how long)", body = ErrorBody),
        (status = 502, description = "mail_failed", body = ErrorBody),
    ))]
pub(super) async fn otp_email(ctx: Ctx<PreAuth>) -> Result<(StatusCode, Json<CodesSent>)> {
    let outbox = ctx.run(auth::request_email_code).await?;
    let sent = ctx.state.send_codes(outbox).await?;
    Ok((StatusCode::ACCEPTED, Json(CodesSent { sent })))
}

/// Ends the session (if any) and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub(super) async fn logout(ctx: Ctx<Visitor>) -> Result<WithCookie<StatusCode>> {
    ctx.run(auth::logout).await?;
    Ok((
        [(header::SET_COOKIE, clear_session_cookie())],
        StatusCode::NO_CONTENT,
    ))
}

//! The server-rendered HTML console (minijinja templates, no scripts, no inline styles).
//!
//! Every page but the sign-in steps needs a verified session; refusals are redirected to the
//! sign-in page, other errors rendered as a page (see [`html_errors`]). Forms carry the CSRF
//! token in a hidden `csrf_token` field, checked by the CSRF layer before any handler runs.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use minijinja::{context, Environment, Value};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::extract::{
    clear_session_cookie, session_cookie, set_session_cookie, ClientInfo, FormBody, IdPath,
    PreAuth, QueryOf, Verified, Visitor,
};
use super::AppState;
use crate::auth::{self, Authenticated, Enrollment, NewSessionToken, Next};
use crate::crypto::random_token;
use crate::error::{Error, ErrorInfo, Result};
use crate::manage::{self, CreateUser, PAGE_SIZE};
use crate::state::now;
use crate::store::{AuditFilter, DeviceKind, UserChanges};

/// The console's only stylesheet (no inline styles anywhere: the CSP forbids them).
const CSS: &str = include_str!("../../static/console.css");

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("otp.html", include_str!("../../templates/otp.html")),
    ("setup.html", include_str!("../../templates/setup.html")),
    ("devices.html", include_str!("../../templates/devices.html")),
    (
        "sessions.html",
        include_str!("../../templates/sessions.html"),
    ),
    ("account.html", include_str!("../../templates/account.html")),
    ("users.html", include_str!("../../templates/users.html")),
    ("user.html", include_str!("../../templates/user.html")),
    ("audit.html", include_str!("../../templates/audit.html")),
    (
        "api_keys.html",
        include_str!("../../templates/api_keys.html"),
    ),
    (
        "shown_once.html",
        include_str!("../../templates/shown_once.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
];

/// Unix time as `2026-05-01 14:03 UTC`; nothing as "never".
fn datetime(value: Option<i64>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    value
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "never".into())
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("the console templates parse");
        }
        env.add_filter("datetime", datetime);
        env
    })
}

/// Renders a template; `.html` templates escape every value unless marked `safe`.
fn render(name: &str, ctx: Value) -> Result<Html<String>> {
    templates()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| Error::Internal(format!("template {name}: {e}")))
}

fn page(status: StatusCode, name: &str, ctx: Value) -> Result<Response> {
    Ok((status, render(name, ctx)?).into_response())
}

/// The console routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/login/otp", get(otp_page).post(otp_submit))
        .route("/login/otp/email", post(otp_email))
        .route("/login/setup", get(setup_page).post(setup_submit))
        .route("/logout", post(logout))
        .route("/account/password", post(change_password))
        .route("/sessions/{id}/revoke", post(revoke_session))
        .route("/users", get(users_page).post(create_user))
        .route("/users/{id}", get(user_page))
        .route("/users/{id}/devices", post(add_device))
        .route("/users/{id}/reset-2fa", post(reset_2fa))
        .route("/users/{id}/active", post(set_active))
        .route("/devices/{id}/confirm", post(confirm_device))
        .route("/devices/{id}/delete", post(delete_device))
        .route("/devices/{id}/regenerate", post(regenerate_codes))
        .route("/audit", get(audit_page))
        .route("/api-keys", get(api_keys_page).post(create_api_key))
        .route("/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/static/console.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

/// Turns the JSON error responses of everything outside `/api/` into pages (whatever layer
/// produced them: CSRF, Host, routing, handlers): a missing session goes to the sign-in page,
/// anything else is shown with its status.
pub async fn html_errors(request: axum::extract::Request, next: middleware::Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if api {
        return response;
    }
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    if matches!(info.code, "unauthenticated" | "login_expired") {
        return Redirect::to("/login").into_response();
    }
    let status = response.status();
    let ctx = context! {
        status => format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
        message => info.message,
        back => "/",
    };
    match render("error.html", ctx) {
        Ok(html) => {
            let mut page = (status, html).into_response();
            if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, retry.clone());
            }
            page
        }
        Err(_) => response,
    }
}

/// The CSRF token for forms on a page, bound to the current cookie.
fn csrf(state: &AppState, headers: &HeaderMap) -> String {
    session_cookie(headers)
        .map(|c| state.core.keys.csrf_token(&c))
        .unwrap_or_default()
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "password_changed" => "Your password was changed.",
        "session_ended" => "The session was ended.",
        "device_removed" => "The device was removed; the sessions it verified have ended.",
        "device_confirmed" => "The device is confirmed and can be used to sign in.",
        "user_created" => "The user was created. They set up their device at first sign-in.",
        "user_updated" => "The user was updated.",
        "2fa_reset" => "Two-factor authentication was reset: devices removed, sessions ended.",
        "key_revoked" => "The API key was revoked.",
        "code_sent" => "A code was sent to your email address.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct Notice {
    notice: Option<String>,
    replayed: Option<i64>,
}

impl Notice {
    fn text(&self) -> Option<String> {
        if let Some(n) = self.replayed.filter(|n| *n > 0) {
            return Some(auth::replay_notice(n));
        }
        self.notice
            .as_deref()
            .and_then(notice_text)
            .map(str::to_string)
    }
}

fn kinds() -> Value {
    context! {
        totp => "Authenticator app",
        hotp => "Counter token",
        static => "Backup codes",
        email => "Email",
    }
}

/// Where a signed-in visitor lands after a rotated session (with the replay notice, if any).
fn signed_in(issued: NewSessionToken) -> Response {
    let target = match issued.replays {
        0 => "/".to_string(),
        n => format!("/?replayed={n}"),
    };
    with_cookie(Redirect::to(&target).into_response(), &issued.token)
}

fn with_cookie(mut response: Response, token: &str) -> Response {
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_session_cookie(token));
    response
}

fn signed_out(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie());
    response
}

// Sign-in.

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    visitor: Visitor,
) -> Result<Response> {
    match &visitor.auth {
        Some(auth) if auth.session.verified => return Ok(Redirect::to("/").into_response()),
        Some(_) => return Ok(Redirect::to("/login/otp").into_response()),
        None => {}
    }
    // Forms need a cookie to bind their token to; an anonymous one stores nothing.
    let cookie = visitor.cookie.clone().unwrap_or_else(random_token);
    let mut response = page(
        StatusCode::OK,
        "login.html",
        context! { csrf => state.core.keys.csrf_token(&cookie), username => "" },
    )?;
    if session_cookie(&headers).is_none() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_session_cookie(&cookie));
    }
    Ok(response)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: Zeroizing<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    FormBody(form): FormBody<LoginForm>,
) -> Result<Response> {
    let previous = session_cookie(&headers);
    let username = form.username.clone();
    let result = state
        .hashing(move |core| {
            auth::login(
                core,
                &form.username,
                &form.password,
                previous.as_deref(),
                &client,
                now(),
            )
        })
        .await;
    match result {
        Ok(issued) => {
            let to = match issued.next {
                Next::Setup => "/login/setup",
                _ => "/login/otp",
            };
            Ok(with_cookie(Redirect::to(to).into_response(), &issued.token))
        }
        Err(e @ (Error::BadCredentials | Error::Throttled { .. } | Error::BadRequest(_))) => {
            let (status, _) = e.status_and_code();
            let response = page(
                status,
                "login.html",
                context! {
                    csrf => csrf(&state, &headers),
                    username => username.chars().take(150).collect::<String>(),
                    error => e.public_message(),
                },
            )?;
            Ok(with_retry_after(response, &e))
        }
        Err(e) => Err(e),
    }
}

/// The code form again after a refusal `e`, with its status and message.
async fn otp_form_refused(
    state: &AppState,
    headers: &HeaderMap,
    auth: &Authenticated,
    e: &Error,
) -> Result<Response> {
    let (status, _) = e.status_and_code();
    let form = otp_form(state, headers, auth, status, None, Some(e.public_message())).await?;
    Ok(with_retry_after(form, e))
}

/// A form shown again after a refusal tells a throttled client when to retry, as the error's
/// own response does.
fn with_retry_after(mut response: Response, e: &Error) -> Response {
    if let Error::Throttled { retry_after } = e {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, (*retry_after).max(1).into());
    }
    response
}

async fn has_email_device(state: &AppState, auth: &Authenticated) -> Result<bool> {
    let user_id = auth.user.id;
    state
        .blocking(move |core| {
            Ok(core
                .store
                .read()?
                .devices_of(user_id)?
                .iter()
                .any(|d| d.confirmed && d.kind == DeviceKind::Email))
        })
        .await
}

async fn otp_form(
    state: &AppState,
    headers: &HeaderMap,
    auth: &Authenticated,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let has_email = has_email_device(state, auth).await? && state.mailer.is_some();
    page(
        status,
        "otp.html",
        context! { csrf => csrf(state, headers), has_email, notice, error },
    )
}

async fn otp_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PreAuth(auth): PreAuth,
    QueryOf(q): QueryOf<Notice>,
) -> Result<Response> {
    let user_id = auth.user.id;
    let has_device = state
        .blocking(move |core| {
            Ok(core
                .store
                .read()?
                .devices_of(user_id)?
                .iter()
                .any(|d| d.confirmed))
        })
        .await?;
    if !has_device {
        return Ok(Redirect::to("/login/setup").into_response());
    }
    otp_form(&state, &headers, &auth, StatusCode::OK, q.text(), None).await
}

#[derive(Deserialize)]
struct TokenForm {
    token: Zeroizing<String>,
}

async fn otp_submit(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    PreAuth(auth): PreAuth,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response> {
    let session = auth.session.clone();
    let result = state
        .blocking(move |core| auth::verify_otp(core, &session, &form.token, &client, now()))
        .await;
    match result {
        Ok(issued) => Ok(signed_in(issued)),
        Err(
            e @ (Error::InvalidCode
            | Error::ExpiredCode
            | Error::Throttled { .. }
            | Error::BadRequest(_)),
        ) => otp_form_refused(&state, &headers, &auth, &e).await,
        Err(e) => Err(e),
    }
}

async fn otp_email(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    PreAuth(auth): PreAuth,
) -> Result<Response> {
    let session = auth.session.clone();
    let sent = async {
        let outbox = state
            .blocking(move |core| auth::request_email_code(core, &session, &client, now()))
            .await?;
        state.send_codes(outbox).await
    }
    .await;
    match sent {
        Ok(_) => Ok(Redirect::to("/login/otp?notice=code_sent").into_response()),
        Err(e @ (Error::Throttled { .. } | Error::BadRequest(_) | Error::Mail(_))) => {
            otp_form_refused(&state, &headers, &auth, &e).await
        }
        Err(e) => Err(e),
    }
}

fn setup_context(state: &AppState, headers: &HeaderMap, enrollment: &Enrollment) -> Value {
    let secret = keygate_otp::uri::parse(&enrollment.otpauth_uri)
        .map(|a| a.secret.to_base32().to_string())
        .unwrap_or_default();
    context! {
        csrf => csrf(state, headers),
        qr_svg => enrollment.qr_svg.clone(),
        secret,
        action => "/login/setup",
    }
}

async fn setup_page(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    PreAuth(auth): PreAuth,
) -> Result<Response> {
    let session = auth.session.clone();
    match state
        .blocking(move |core| auth::setup_enrollment(core, &session, &client, now()))
        .await
    {
        Ok(enrollment) => page(
            StatusCode::OK,
            "setup.html",
            setup_context(&state, &headers, &enrollment),
        ),
        Err(Error::Forbidden) => Ok(Redirect::to("/login/otp").into_response()),
        Err(e) => Err(e),
    }
}

async fn setup_submit(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    PreAuth(auth): PreAuth,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response> {
    let session = auth.session.clone();
    let confirm_client = client.clone();
    let result = state
        .blocking(move |core| {
            auth::setup_confirm(core, &session, &form.token, &confirm_client, now())
        })
        .await;
    match result {
        Ok(issued) => Ok(signed_in(issued)),
        Err(e @ (Error::InvalidCode | Error::Throttled { .. } | Error::BadRequest(_))) => {
            let (status, _) = e.status_and_code();
            let session = auth.session.clone();
            let enrollment = state
                .blocking(move |core| auth::setup_enrollment(core, &session, &client, now()))
                .await?;
            let ctx = setup_context(&state, &headers, &enrollment);
            let ctx = context! { error => e.public_message(), ..ctx };
            Ok(with_retry_after(page(status, "setup.html", ctx)?, &e))
        }
        Err(e) => Err(e),
    }
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
    Ok(signed_out("/login"))
}

// Own account.

fn sessions_value(sessions: Vec<crate::store::Session>, current: i64) -> Vec<Value> {
    sessions
        .into_iter()
        .map(|s| {
            let is_current = s.id == current;
            context! { current => is_current, ..Value::from_serialize(&s) }
        })
        .collect()
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<Notice>,
) -> Result<Response> {
    account_page(&state, &headers, auth, StatusCode::OK, q.text(), None).await
}

async fn account_page(
    state: &AppState,
    headers: &HeaderMap,
    auth: Authenticated,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let me = auth.user.clone();
    let current = auth.session.id;
    let (devices, sessions) = state
        .blocking(move |core| {
            Ok((
                manage::list_devices(core, &me, me.id)?,
                manage::list_sessions(core, &me, me.id)?,
            ))
        })
        .await?;
    page(
        status,
        "account.html",
        context! {
            me => auth.user,
            csrf => csrf(state, headers),
            devices,
            sessions => sessions_value(sessions, current),
            kinds => kinds(),
            email_enabled => state.mailer.is_some(),
            notice,
            error,
        },
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
    end_other_sessions: Option<String>,
}

async fn change_password(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    Verified(auth): Verified,
    FormBody(form): FormBody<PasswordForm>,
) -> Result<Response> {
    let who = auth.clone();
    let result = state
        .hashing(move |core| {
            manage::change_password(
                core,
                &who,
                &form.current_password,
                &form.new_password,
                form.end_other_sessions.is_some(),
                &client,
                now(),
            )
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to("/?notice=password_changed").into_response()),
        Err(e @ (Error::BadRequest(_) | Error::BadCredentials)) => {
            let (status, _) = e.status_and_code();
            let message = match e {
                Error::BadCredentials => "The current password is wrong.".to_string(),
                other => other.public_message(),
            };
            account_page(&state, &headers, auth, status, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

async fn revoke_session(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let me = auth.user.clone();
    let owner = state
        .blocking(move |core| manage::revoke_session(core, &me, id, &client, now()))
        .await?;
    Ok(if id == auth.session.id {
        signed_out("/login")
    } else if owner == auth.user.id {
        Redirect::to("/?notice=session_ended").into_response()
    } else {
        Redirect::to(&format!("/users/{owner}?notice=session_ended")).into_response()
    })
}

// Users.

#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    query: String,
    page: Option<i64>,
    notice: Option<String>,
}

fn page_count(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

async fn users_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<UsersQuery>,
) -> Result<Response> {
    let page_no = q.page.unwrap_or(1).max(1);
    let me = auth.user.clone();
    let query = q.query.clone();
    let users = state
        .blocking(move |core| manage::list_users(core, &me, &query, page_no))
        .await?;
    page(
        StatusCode::OK,
        "users.html",
        context! {
            me => auth.user,
            csrf => csrf(&state, &headers),
            users => users.items,
            total => users.total,
            page => page_no,
            pages => page_count(users.total),
            query => q.query,
            notice => q.notice.as_deref().and_then(notice_text),
        },
    )
}

#[derive(Deserialize)]
struct NewUserForm {
    username: String,
    email: String,
    password: Zeroizing<String>,
    is_staff: Option<String>,
    is_superuser: Option<String>,
}

async fn create_user(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    FormBody(form): FormBody<NewUserForm>,
) -> Result<Response> {
    let request = CreateUser {
        username: form.username,
        email: form.email,
        password: form.password,
        display_name: String::new(),
        is_staff: form.is_staff.is_some(),
        is_superuser: form.is_superuser.is_some(),
    };
    let user = state
        .hashing(move |core| {
            manage::create_user(
                &*core.store,
                &core.hasher,
                Some(&auth.user),
                &request,
                &client,
                now(),
            )
        })
        .await?;
    Ok(Redirect::to(&format!("/users/{}?notice=user_created", user.id)).into_response())
}

async fn user_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    QueryOf(q): QueryOf<Notice>,
) -> Result<Response> {
    let me = auth.user.clone();
    let current = auth.session.id;
    let manage = me.id == id || me.is_superuser;
    let (subject, devices, sessions) = state
        .blocking(move |core| {
            let subject = manage::get_user(core, &me, id)?;
            if !manage {
                return Ok((subject, Vec::new(), Vec::new()));
            }
            Ok((
                subject,
                manage::list_devices(core, &me, id)?,
                manage::list_sessions(core, &me, id)?,
            ))
        })
        .await?;
    page(
        StatusCode::OK,
        "user.html",
        context! {
            me => auth.user,
            csrf => csrf(&state, &headers),
            subject,
            manage,
            devices,
            sessions => sessions_value(sessions, current),
            kinds => kinds(),
            email_enabled => state.mailer.is_some(),
            notice => q.text(),
        },
    )
}

fn back_to(auth: &Authenticated, user_id: i64) -> String {
    if user_id == auth.user.id {
        "/".into()
    } else {
        format!("/users/{user_id}")
    }
}

#[derive(Deserialize)]
struct NewDeviceForm {
    kind: DeviceKind,
    name: String,
}

async fn add_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    FormBody(form): FormBody<NewDeviceForm>,
) -> Result<Response> {
    if form.kind == DeviceKind::Email && state.mailer.is_none() {
        return Err(Error::BadRequest(
            "Email is not configured on this server.".into(),
        ));
    }
    let me = auth.user.clone();
    let (created, outbox) = state
        .blocking(move |core| {
            manage::add_device(core, &me, id, form.kind, &form.name, &client, now())
        })
        .await?;
    let email = outbox.first().map(|(to, _)| to.clone());
    let email_sent = !outbox.is_empty() && state.send_codes(outbox).await.is_ok();
    let secret = created
        .otpauth_uri
        .as_deref()
        .and_then(|uri| keygate_otp::uri::parse(uri).ok())
        .map(|a| a.secret.to_base32().to_string());
    page(
        StatusCode::OK,
        "shown_once.html",
        context! {
            me => auth.user.clone(),
            csrf => csrf(&state, &headers),
            heading => format!("New device \"{}\"", created.device.name),
            device_id => created.device.id,
            qr_svg => created.qr_svg,
            secret,
            codes => created.backup_codes,
            email_sent,
            email,
            back => back_to(&auth, id),
        },
    )
}

async fn confirm_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response> {
    let me = auth.user.clone();
    let device = state
        .blocking(move |core| manage::confirm_device(core, &me, id, &form.token, &client, now()))
        .await?;
    let to = back_to(&auth, device.user_id);
    let sep = if to.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{to}{sep}notice=device_confirmed")).into_response())
}

async fn delete_device(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let who = auth.clone();
    let removed = state
        .blocking(move |core| manage::delete_device(core, &who, id, &client, now()))
        .await?;
    if removed.own_session_ended {
        return Ok(signed_out("/login"));
    }
    Ok(Redirect::to(&format!(
        "{}?notice=device_removed",
        back_to(&auth, removed.user_id)
    ))
    .into_response())
}

async fn regenerate_codes(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let me = auth.user.clone();
    let (codes, owner) = state
        .blocking(move |core| {
            let codes = manage::regenerate_backup_codes(core, &me, id, &client, now())?;
            let owner = core.store.read()?.device(id)?.map_or(me.id, |d| d.user_id);
            Ok((codes, owner))
        })
        .await?;
    page(
        StatusCode::OK,
        "shown_once.html",
        context! {
            me => auth.user.clone(),
            csrf => csrf(&state, &headers),
            heading => "New backup codes",
            codes,
            back => back_to(&auth, owner),
        },
    )
}

async fn reset_2fa(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
) -> Result<Response> {
    let me = auth.user.clone();
    state
        .blocking(move |core| manage::reset_2fa(&*core.store, Some(&me), id, &client, now()))
        .await?;
    if id == auth.user.id {
        return Ok(signed_out("/login"));
    }
    Ok(Redirect::to(&format!("/users/{id}?notice=2fa_reset")).into_response())
}

#[derive(Deserialize)]
struct ActiveForm {
    active: bool,
}

async fn set_active(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    Verified(auth): Verified,
    IdPath(id): IdPath,
    FormBody(form): FormBody<ActiveForm>,
) -> Result<Response> {
    let changes = UserChanges {
        is_active: Some(form.active),
        ..UserChanges::default()
    };
    state
        .blocking(move |core| manage::update_user(core, &auth.user, id, changes, &client, now()))
        .await?;
    Ok(Redirect::to(&format!("/users/{id}?notice=user_updated")).into_response())
}

// Audit log and API keys.

#[derive(Deserialize, serde::Serialize, Default)]
struct AuditQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(skip_serializing)]
    page: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Result<Response> {
    let page_no = q.page.unwrap_or(1).max(1);
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        target: nonempty(&q.target),
    };
    let me = auth.user.clone();
    let lookup = filter.clone();
    let entries = state
        .blocking(move |core| manage::list_audit(core, &me, &lookup, page_no))
        .await?;
    let query = serde_urlencoded::to_string(AuditQuery {
        actor: filter.actor.clone(),
        action: filter.action.clone(),
        target: filter.target.clone(),
        page: None,
    })
    .unwrap_or_default();
    page(
        StatusCode::OK,
        "audit.html",
        context! {
            me => auth.user,
            csrf => csrf(&state, &headers),
            entries => entries.items,
            total => entries.total,
            page => page_no,
            pages => page_count(entries.total),
            filter => context! { actor => filter.actor, action => filter.action, target => filter.target },
            query,
        },
    )
}

async fn api_keys_view(
    state: &AppState,
    headers: &HeaderMap,
    auth: Authenticated,
    new_key: Option<(String, Zeroizing<String>)>,
    notice: Option<&'static str>,
) -> Result<Response> {
    let me = auth.user.clone();
    let keys = state
        .blocking(move |core| manage::list_api_keys(core, &me))
        .await?;
    let (new_name, new_key) = match new_key {
        Some((name, key)) => (Some(name), Some(key.to_string())),
        None => (None, None),
    };
    page(
        StatusCode::OK,
        "api_keys.html",
        context! {
            me => auth.user,
            csrf => csrf(state, headers),
            keys,
            new_name,
            new_key,
            notice,
        },
    )
}

async fn api_keys_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Verified(auth): Verified,
    QueryOf(q): QueryOf<Notice>,
) -> Result<Response> {
    let notice = q.notice.as_deref().and_then(notice_text);
    api_keys_view(&state, &headers, auth, None, notice).await
}

#[derive(Deserialize)]
struct ApiKeyForm {
    name: String,
}

async fn create_api_key(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    Verified(auth): Verified,
    FormBody(form): FormBody<ApiKeyForm>,
) -> Result<Response> {
    let me = auth.user.clone();
    let (key, secret) = state
        .blocking(move |core| manage::create_api_key(core, &me, &form.name, &client, now()))
        .await?;
    api_keys_view(&state, &headers, auth, Some((key.name, secret)), None).await
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
    Ok(Redirect::to("/api-keys?notice=key_revoked").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_escapes() {
        let env = templates();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
        let html = render(
            "login.html",
            context! { csrf => "t", username => "<script>alert(1)</script>" },
        )
        .unwrap()
        .0;
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("style="), "inline style in {html}");
    }

    #[test]
    fn no_template_has_inline_script_or_style() {
        for (name, source) in TEMPLATES {
            for banned in [
                "<script",
                "style=",
                "<style",
                "onclick",
                "onsubmit",
                "javascript:",
            ] {
                assert!(!source.contains(banned), "{name} contains {banned}");
            }
        }
    }

    #[test]
    fn datetimes_render_in_utc() {
        assert_eq!(datetime(Some(0)), "1970-01-01 00:00 UTC");
        assert_eq!(datetime(None), "never");
    }
}

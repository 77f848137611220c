//! The server-rendered HTML console (minijinja templates, no scripts, no inline styles), by
//! area like the JSON API, calling the same operations.
//!
//! Every page but the sign-in steps needs a verified session; refusals are redirected to the
//! sign-in page, other errors rendered as a page (see [`html_errors`]). Forms carry the CSRF
//! token in a hidden `csrf_token` field, checked by the CSRF layer before any handler runs.

mod account;
mod api_keys;
mod audit;
mod auth;
mod devices;
mod sessions;
mod users;

use std::sync::OnceLock;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use minijinja::{context, Environment, Value};
use serde::Deserialize;

use super::extract::{clear_session_cookie, set_session_cookie};
use super::AppState;
use crate::auth::{self as signin, NewSessionToken};
use crate::error::{Error, ErrorInfo, Result};
use crate::manage::PAGE_SIZE;

/// The console's only stylesheet (no inline styles anywhere: the CSP forbids them).
const CSS: &str = include_str!("../../../static/console.css");

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("login.html", include_str!("../../../templates/login.html")),
    ("otp.html", include_str!("../../../templates/otp.html")),
    ("setup.html", include_str!("../../../templates/setup.html")),
    (
        "devices.html",
        include_str!("../../../templates/devices.html"),
    ),
    (
        "sessions.html",
        include_str!("../../../templates/sessions.html"),
    ),
    (
        "account.html",
        include_str!("../../../templates/account.html"),
    ),
    ("users.html", include_str!("../../../templates/users.html")),
    ("user.html", include_str!("../../../templates/user.html")),
    ("audit.html", include_str!("../../../templates/audit.html")),
    (
        "api_keys.html",
        include_str!("../../../templates/api_keys.html"),
    ),
    (
        "shown_once.html",
        include_str!("../../../templates/shown_once.html"),
    ),
    ("error.html", include_str!("../../../templates/error.html")),
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
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::home))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/login/otp", get(auth::otp_page).post(auth::otp_submit))
        .route("/login/otp/email", post(auth::otp_email))
        .route(
            "/login/setup",
            get(auth::setup_page).post(auth::setup_submit),
        )
        .route("/logout", post(auth::logout))
        .route("/account/password", post(account::change_password))
        .route("/sessions/{id}/revoke", post(sessions::revoke))
        .route("/users", get(users::list_page).post(users::create))
        .route("/users/{id}", get(users::user_page))
        .route("/users/{id}/devices", post(devices::add))
        .route("/users/{id}/reset-2fa", post(users::reset_2fa))
        .route("/users/{id}/active", post(users::set_active))
        .route("/devices/{id}/confirm", post(devices::confirm))
        .route("/devices/{id}/delete", post(devices::delete))
        .route("/devices/{id}/regenerate", post(devices::regenerate))
        .route("/audit", get(audit::list_page))
        .route("/api-keys", get(api_keys::list_page).post(api_keys::create))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/static/console.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

/// Turns the JSON error responses of everything outside `/api/` into pages (whatever layer
/// produced them: CSRF, Host, routing, handlers): a missing session goes to the sign-in page,
/// anything else is shown with its status. The page keeps the error's [`ErrorInfo`], for the
/// layer that logs it.
pub(super) async fn html_errors(
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if api {
        return response;
    }
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    let mut page = if matches!(info.code, "unauthenticated" | "login_expired") {
        Redirect::to("/login").into_response()
    } else {
        let status = response.status();
        let ctx = context! {
            status => format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
            message => info.message.clone(),
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
            Err(_) => return response,
        }
    };
    page.extensions_mut().insert(info);
    page
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

/// A notice to show on arrival, from the query of a redirect.
#[derive(Deserialize, Default)]
struct Notice {
    notice: Option<String>,
    replayed: Option<i64>,
}

impl Notice {
    fn text(&self) -> Option<String> {
        if let Some(n) = self.replayed.filter(|n| *n > 0) {
            return Some(signin::replay_notice(n));
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

fn page_count(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
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

/// Where to go back to after changing something of `user_id`'s.
fn back_to(me: &crate::store::User, user_id: i64) -> String {
    if user_id == me.id {
        "/".into()
    } else {
        format!("/users/{user_id}")
    }
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

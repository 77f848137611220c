//! Sign-in pages: password, code, first device setup, sign-out.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};

use super::{page, signed_in, signed_out, with_cookie, with_retry_after, Notice};
use crate::api::{CodeRequest, Enrollment, LoginRequest, Next};
use crate::auth;
use crate::crypto::random_token;
use crate::error::{Error, Result};
use crate::store::DeviceKind;
use crate::web::context::{Anyone, Ctx};
use crate::web::extract::{set_session_cookie, FormBody, PreAuth, QueryOf, Visitor};

pub(super) async fn login_page(ctx: Ctx<Visitor>) -> Result<Response> {
    match &ctx.who.auth {
        Some(auth) if auth.session.verified => return Ok(Redirect::to("/").into_response()),
        Some(_) => return Ok(Redirect::to("/login/otp").into_response()),
        None => {}
    }
    // Forms need a cookie to bind their token to; an anonymous one stores nothing.
    let cookie = ctx.cookie.clone().unwrap_or_else(random_token);
    let mut response = page(
        StatusCode::OK,
        "login.html",
        context! { csrf => ctx.state.core.keys.csrf_token(&cookie), username => "" },
    )?;
    if ctx.cookie.is_none() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_session_cookie(&cookie));
    }
    Ok(response)
}

pub(super) async fn login_submit(
    ctx: Ctx<Anyone>,
    FormBody(form): FormBody<LoginRequest>,
) -> Result<Response> {
    let previous = ctx.cookie.clone();
    let username = form.username.clone();
    let result = ctx
        .run_hashing(move |core, c| auth::login(core, c, &form, previous.as_deref()))
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
                    csrf => ctx.csrf(),
                    username => username.chars().take(150).collect::<String>(),
                    error => e.public_message(),
                },
            )?;
            Ok(with_retry_after(response, &e))
        }
        Err(e) => Err(e),
    }
}

/// The user's confirmed devices: any at all, and any email one.
async fn confirmed_devices(ctx: &Ctx<PreAuth>) -> Result<(bool, bool)> {
    ctx.run(|core, c| {
        let devices = core.store.read()?.devices_of(c.user()?.id)?;
        let confirmed = devices.iter().filter(|d| d.confirmed);
        Ok((
            confirmed.clone().next().is_some(),
            confirmed.clone().any(|d| d.kind == DeviceKind::Email),
        ))
    })
    .await
}

async fn otp_form(
    ctx: &Ctx<PreAuth>,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let (_, has_email) = confirmed_devices(ctx).await?;
    let has_email = has_email && ctx.state.core.require_email().is_ok();
    page(
        status,
        "otp.html",
        context! { csrf => ctx.csrf(), has_email, notice, error },
    )
}

/// The code form again after a refusal `e`, with its status and message.
async fn otp_form_refused(ctx: &Ctx<PreAuth>, e: &Error) -> Result<Response> {
    let (status, _) = e.status_and_code();
    let form = otp_form(ctx, status, None, Some(e.public_message())).await?;
    Ok(with_retry_after(form, e))
}

pub(super) async fn otp_page(ctx: Ctx<PreAuth>, QueryOf(q): QueryOf<Notice>) -> Result<Response> {
    let (has_device, _) = confirmed_devices(&ctx).await?;
    if !has_device {
        return Ok(Redirect::to("/login/setup").into_response());
    }
    otp_form(&ctx, StatusCode::OK, q.text(), None).await
}

pub(super) async fn otp_submit(
    ctx: Ctx<PreAuth>,
    FormBody(form): FormBody<CodeRequest>,
) -> Result<Response> {
    let result = ctx
        .run(move |core, c| auth::verify_otp(core, c, &form))
        .await;
    match result {
        Ok(issued) => Ok(signed_in(issued)),
        Err(
            e @ (Error::InvalidCode
            | Error::ExpiredCode
            | Error::Throttled { .. }
            | Error::BadRequest(_)),
        ) => otp_form_refused(&ctx, &e).await,
        Err(e) => Err(e),
    }
}

pub(super) async fn otp_email(ctx: Ctx<PreAuth>) -> Result<Response> {
    let sent = async {
        let outbox = ctx.run(auth::request_email_code).await?;
        ctx.state.send_codes(outbox).await
    }
    .await;
    match sent {
        Ok(_) => Ok(Redirect::to("/login/otp?notice=code_sent").into_response()),
        Err(e @ (Error::Throttled { .. } | Error::BadRequest(_) | Error::Mail(_))) => {
            otp_form_refused(&ctx, &e).await
        }
        Err(e) => Err(e),
    }
}

fn setup_context(ctx: &Ctx<PreAuth>, enrollment: &Enrollment) -> Value {
    let secret = keygate_otp::uri::parse(&enrollment.otpauth_uri)
        .map(|a| a.secret.to_base32().to_string())
        .unwrap_or_default();
    context! {
        csrf => ctx.csrf(),
        qr_svg => enrollment.qr_svg.clone(),
        secret,
        action => "/login/setup",
    }
}

pub(super) async fn setup_page(ctx: Ctx<PreAuth>) -> Result<Response> {
    match ctx.run(auth::setup_enrollment).await {
        Ok(enrollment) => page(
            StatusCode::OK,
            "setup.html",
            setup_context(&ctx, &enrollment),
        ),
        Err(Error::Forbidden) => Ok(Redirect::to("/login/otp").into_response()),
        Err(e) => Err(e),
    }
}

pub(super) async fn setup_submit(
    ctx: Ctx<PreAuth>,
    FormBody(form): FormBody<CodeRequest>,
) -> Result<Response> {
    let result = ctx
        .run(move |core, c| auth::setup_confirm(core, c, &form))
        .await;
    match result {
        Ok(issued) => Ok(signed_in(issued)),
        Err(e @ (Error::InvalidCode | Error::Throttled { .. } | Error::BadRequest(_))) => {
            let (status, _) = e.status_and_code();
            let enrollment = ctx.run(auth::setup_enrollment).await?;
            let form = setup_context(&ctx, &enrollment);
            let form = context! { error => e.public_message(), ..form };
            Ok(with_retry_after(page(status, "setup.html", form)?, &e))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn logout(ctx: Ctx<Visitor>) -> Result<Response> {
    ctx.run(auth::logout).await?;
    Ok(signed_out("/login"))
}

//! Devices: adding (with what is shown once), confirming, removing, new backup codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::{back_to, page, signed_out};
use crate::api::{self, AddDeviceRequest, CodeRequest};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{FormBody, IdPath};

pub(super) async fn add(
    ctx: Ctx,
    IdPath(id): IdPath,
    FormBody(form): FormBody<AddDeviceRequest>,
) -> Result<Response> {
    let (created, outbox) = ctx
        .run(move |core, c| manage::add_device(core, c, id, &form))
        .await?;
    let email = outbox.first().map(|(to, _)| to.clone());
    let email_sent = ctx.state.send_new_device_codes(outbox).await;
    let secret = created
        .otpauth_uri
        .as_deref()
        .and_then(|uri| keygate_otp::uri::parse(uri).ok())
        .map(|a| a.secret.to_base32().to_string());
    let me = &ctx.auth().user;
    page(
        StatusCode::OK,
        "shown_once.html",
        context! {
            me => api::User::from(me),
            csrf => ctx.csrf(),
            heading => format!("New device \"{}\"", created.device.name),
            device_id => created.device.id,
            qr_svg => created.qr_svg,
            secret,
            codes => created.backup_codes,
            email_sent,
            email,
            back => back_to(me, id),
        },
    )
}

pub(super) async fn confirm(
    ctx: Ctx,
    IdPath(id): IdPath,
    FormBody(request): FormBody<CodeRequest>,
) -> Result<Response> {
    let device = ctx
        .run(move |core, c| manage::confirm_device(core, c, id, &request))
        .await?;
    let to = back_to(&ctx.auth().user, device.user_id);
    let sep = if to.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{to}{sep}notice=device_confirmed")).into_response())
}

pub(super) async fn delete(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    let removed = ctx
        .run(move |core, c| manage::delete_device(core, c, id))
        .await?;
    if removed.own_session_ended {
        return Ok(signed_out("/login"));
    }
    Ok(Redirect::to(&format!(
        "{}?notice=device_removed",
        back_to(&ctx.auth().user, removed.user_id)
    ))
    .into_response())
}

pub(super) async fn regenerate(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    let (codes, owner) = ctx
        .run(move |core, c| manage::regenerate_backup_codes(core, c, id))
        .await?;
    let me = &ctx.auth().user;
    page(
        StatusCode::OK,
        "shown_once.html",
        context! {
            me => api::User::from(me),
            csrf => ctx.csrf(),
            heading => "New backup codes",
            codes => codes.backup_codes,
            back => back_to(me, owner),
        },
    )
}

//! The caller's own account: the home page and the password form.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{kinds, page, Notice};
use crate::api::{self, ChangePasswordRequest};
use crate::error::{Error, Result};
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{FormBody, QueryOf};

pub(super) async fn home(ctx: Ctx, QueryOf(q): QueryOf<Notice>) -> Result<Response> {
    account_page(&ctx, StatusCode::OK, q.text(), None).await
}

async fn account_page(
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response> {
    let (devices, sessions) = ctx
        .run(|core, c| {
            let me = c.user()?.id;
            Ok((
                manage::list_devices(core, c, me)?,
                manage::list_sessions(core, c, me)?,
            ))
        })
        .await?;
    page(
        status,
        "account.html",
        context! {
            me => api::User::from(&ctx.auth().user),
            csrf => ctx.csrf(),
            devices,
            sessions,
            kinds => kinds(),
            email_enabled => ctx.state.core.require_email().is_ok(),
            notice,
            error,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
    end_other_sessions: Option<String>,
}

pub(super) async fn change_password(
    ctx: Ctx,
    FormBody(form): FormBody<PasswordForm>,
) -> Result<Response> {
    let request = ChangePasswordRequest {
        current_password: form.current_password,
        new_password: form.new_password,
        end_other_sessions: form.end_other_sessions.is_some(),
    };
    let result = ctx
        .run_hashing(move |core, c| manage::change_password(core, c, &request))
        .await;
    match result {
        Ok(_) => Ok(Redirect::to("/?notice=password_changed").into_response()),
        Err(e @ (Error::BadRequest(_) | Error::BadCredentials)) => {
            let (status, _) = e.status_and_code();
            let message = match e {
                Error::BadCredentials => "The current password is wrong.".to_string(),
                other => other.public_message(),
            };
            account_page(&ctx, status, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

//! Users: the list, one user's page, and what a superuser changes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{kinds, notice_text, page, page_count, signed_out, Notice};
use crate::api::{self, CreateUserRequest, UpdateUserRequest, UserQuery};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{FormBody, IdPath, QueryOf};

#[derive(Deserialize)]
pub(super) struct UsersQuery {
    #[serde(default)]
    query: String,
    page: Option<i64>,
    notice: Option<String>,
}

pub(super) async fn list_page(ctx: Ctx, QueryOf(q): QueryOf<UsersQuery>) -> Result<Response> {
    let query = UserQuery {
        query: q.query.clone(),
        page: q.page,
    };
    let users = ctx
        .run(move |core, c| manage::list_users(core, c, &query))
        .await?;
    page(
        StatusCode::OK,
        "users.html",
        context! {
            me => api::User::from(&ctx.auth().user),
            csrf => ctx.csrf(),
            users => users.users,
            total => users.total,
            page => users.page,
            pages => page_count(users.total),
            query => q.query,
            notice => q.notice.as_deref().and_then(notice_text),
        },
    )
}

#[derive(Deserialize)]
pub(super) struct NewUserForm {
    username: String,
    email: String,
    password: Zeroizing<String>,
    is_staff: Option<String>,
    is_superuser: Option<String>,
}

pub(super) async fn create(ctx: Ctx, FormBody(form): FormBody<NewUserForm>) -> Result<Response> {
    let request = CreateUserRequest {
        username: form.username,
        email: form.email,
        password: form.password,
        display_name: String::new(),
        is_staff: form.is_staff.is_some(),
        is_superuser: form.is_superuser.is_some(),
    };
    let user = ctx
        .run_hashing(move |core, c| manage::create_user(&*core.store, &core.hasher, c, &request))
        .await?;
    Ok(Redirect::to(&format!("/users/{}?notice=user_created", user.id)).into_response())
}

pub(super) async fn user_page(
    ctx: Ctx,
    IdPath(id): IdPath,
    QueryOf(q): QueryOf<Notice>,
) -> Result<Response> {
    let me = &ctx.auth().user;
    let manage = me.id == id || me.is_superuser;
    let (subject, devices, sessions) = ctx
        .run(move |core, c| {
            let subject = manage::get_user(core, c, id)?;
            if !manage {
                return Ok((subject, Vec::new(), Vec::new()));
            }
            Ok((
                subject,
                manage::list_devices(core, c, id)?,
                manage::list_sessions(core, c, id)?,
            ))
        })
        .await?;
    page(
        StatusCode::OK,
        "user.html",
        context! {
            me => api::User::from(me),
            csrf => ctx.csrf(),
            subject,
            manage,
            devices,
            sessions,
            kinds => kinds(),
            email_enabled => ctx.state.core.require_email().is_ok(),
            notice => q.text(),
        },
    )
}

pub(super) async fn reset_2fa(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    ctx.run(move |core, c| manage::reset_2fa(&*core.store, c, id))
        .await?;
    if id == ctx.auth().user.id {
        return Ok(signed_out("/login"));
    }
    Ok(Redirect::to(&format!("/users/{id}?notice=2fa_reset")).into_response())
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    active: bool,
}

pub(super) async fn set_active(
    ctx: Ctx,
    IdPath(id): IdPath,
    FormBody(form): FormBody<ActiveForm>,
) -> Result<Response> {
    let request = UpdateUserRequest {
        is_active: Some(form.active),
        ..UpdateUserRequest::default()
    };
    ctx.run(move |core, c| manage::update_user(core, c, id, request))
        .await?;
    Ok(Redirect::to(&format!("/users/{id}?notice=user_updated")).into_response())
}

//! API keys: the list, a new key (shown once), revoking.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::{notice_text, page, Notice};
use crate::api::{self, ApiKeyCreated, CreateApiKeyRequest};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::{FormBody, IdPath, QueryOf};

async fn keys_page(
    ctx: &Ctx,
    created: Option<ApiKeyCreated>,
    notice: Option<&'static str>,
) -> Result<Response> {
    let keys = ctx.run(manage::list_api_keys).await?;
    let (new_name, new_key) = match created {
        Some(created) => (Some(created.api_key.name), Some(created.key.to_string())),
        None => (None, None),
    };
    page(
        StatusCode::OK,
        "api_keys.html",
        context! {
            me => api::User::from(&ctx.auth().user),
            csrf => ctx.csrf(),
            keys,
            new_name,
            new_key,
            notice,
        },
    )
}

pub(super) async fn list_page(ctx: Ctx, QueryOf(q): QueryOf<Notice>) -> Result<Response> {
    let notice = q.notice.as_deref().and_then(notice_text);
    keys_page(&ctx, None, notice).await
}

pub(super) async fn create(
    ctx: Ctx,
    FormBody(form): FormBody<CreateApiKeyRequest>,
) -> Result<Response> {
    let created = ctx
        .run(move |core, c| manage::create_api_key(core, c, &form))
        .await?;
    keys_page(&ctx, Some(created), None).await
}

pub(super) async fn revoke(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    ctx.run(move |core, c| manage::revoke_api_key(core, c, id))
        .await?;
    Ok(Redirect::to("/api-keys?notice=key_revoked").into_response())
}

//! Ending sessions.

use axum::response::{IntoResponse, Redirect, Response};

use super::signed_out;
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::IdPath;

pub(super) async fn revoke(ctx: Ctx, IdPath(id): IdPath) -> Result<Response> {
    let owner = ctx
        .run(move |core, c| manage::revoke_session(core, c, id))
        .await?;
    let auth = ctx.auth();
    Ok(if id == auth.session.id {
        signed_out("/login")
    } else if owner == auth.user.id {
        Redirect::to("/?notice=session_ended").into_response()
    } else {
        Redirect::to(&format!("/users/{owner}?notice=session_ended")).into_response()
    })
}

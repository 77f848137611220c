//! The audit log page.

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::{page, page_count};
use crate::api::{self, AuditQuery};
use crate::error::Result;
use crate::manage;
use crate::web::context::Ctx;
use crate::web::extract::QueryOf;

pub(super) async fn list_page(ctx: Ctx, QueryOf(q): QueryOf<AuditQuery>) -> Result<Response> {
    let filter = manage::audit_filter(&q);
    let query = q.clone();
    let entries = ctx
        .run(move |core, c| manage::list_audit(core, c, &query))
        .await?;
    // The filters of the page links: the ones given, without the page number.
    let links = serde_urlencoded::to_string(AuditQuery {
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
            me => api::User::from(&ctx.auth().user),
            csrf => ctx.csrf(),
            entries => entries.entries,
            total => entries.total,
            page => entries.page,
            pages => page_count(entries.total),
            filter => context! { actor => filter.actor, action => filter.action, target => filter.target },
            query => links,
        },
    )
}

//! Logs each failed request once, from the [`ErrorInfo`] its response carries, whichever
//! handler or layer produced it (axum's error-handling pattern: the error travels in a
//! response extension and one layer logs it).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorInfo;

/// The logging layer: our failures at error level with their cause, client refusals at debug.
pub(super) async fn errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(info) = response.extensions().get::<ErrorInfo>() {
        let status = response.status().as_u16();
        if info.failure {
            tracing::error!(%method, %path, status, code = info.code, error = %info.detail, "request failed");
        } else {
            tracing::debug!(%method, %path, status, code = info.code, error = %info.detail, "request refused");
        }
    }
    response
}

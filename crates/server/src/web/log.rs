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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::web::app;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn each_refusal_is_logged_once_whichever_face_answered() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let dir = tempfile::tempdir().unwrap();
        let router = app(crate::web::openapi::tests::state(&dir));
        for (uri, status) in [
            ("/api/v1/me", StatusCode::UNAUTHORIZED),
            // The console turns the refusal into a redirect to the sign-in page.
            ("/users", StatusCode::SEE_OTHER),
            ("/api/v1/nope", StatusCode::NOT_FOUND),
        ] {
            let request = Request::builder()
                .uri(uri)
                .header("host", "localhost")
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status, "{uri}");
        }
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("request")).collect();
        assert_eq!(lines.len(), 3, "{log}");
        for (line, (path, code)) in lines.iter().zip([
            ("/api/v1/me", "unauthenticated"),
            ("/users", "unauthenticated"),
            ("/api/v1/nope", "not_found"),
        ]) {
            assert!(line.contains("request refused"), "{line}");
            assert!(line.contains(&format!("path={path} ")), "{line}");
            assert!(line.contains(&format!("code=\"{code}\"")), "{line}");
        }
    }
}

//! The OpenAPI document of the JSON API, served at `/api/openapi.json`.

use axum::http::header;
use axum::response::IntoResponse;

/// The document (OpenAPI 3.1), kept beside the routes it describes.
const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::DOCUMENT;
    use crate::config::Settings;
    use crate::crypto::{random_token, Keys, MasterKey, PasswordHasher};
    use crate::state::Core;
    use crate::store::SqliteStore;
    use crate::web::{app, AppState, WebConfig};

    #[tokio::test]
    async fn every_documented_operation_is_routed() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core {
            store: Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap()),
            keys: Keys::new(&MasterKey::generate()),
            hasher: PasswordHasher::owasp(),
            settings: Settings::default(),
        };
        let state = AppState::new(
            core,
            None,
            WebConfig::for_bind("127.0.0.1".parse().unwrap(), &[], true),
        );
        let cookie = random_token();
        let csrf = state.core.keys.csrf_token(&cookie);
        let router = app(state);
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut operations = 0;
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                let uri = path.replace("{id}", "1");
                let request = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri)
                    .header("host", "localhost")
                    .header("cookie", format!("__Host-keygate_session={cookie}"))
                    .header("x-csrf-token", &csrf)
                    .header("content-type", "application/json")
                    .body(Body::from("{}"))
                    .unwrap();
                let response = router.clone().oneshot(request).await.unwrap();
                let status = response.status();
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but answers {status}"
                );
                operations += 1;
            }
        }
        assert_eq!(operations, 27, "the API has 27 operations");
        // And an undocumented path really is a 404.
        let request = Request::builder()
            .uri("/api/v1/nope")
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

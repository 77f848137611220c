//! The OpenAPI document of the JSON API, served at `/api/openapi.json`: generated from the
//! handlers' `#[utoipa::path]` attributes and the [`crate::api`] types, never kept by hand.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::api::ApiDoc;

/// The document (OpenAPI 3.1) as JSON, built once.
fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

/// `GET /api/openapi.json`.
pub(super) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::config::Settings;
    use crate::crypto::{random_token, Keys, MasterKey, PasswordHasher};
    use crate::state::Core;
    use crate::store::SqliteStore;
    use crate::web::{api, app, AppState, WebConfig};

    /// A state over a fresh database in `dir`, without mail.
    pub(in crate::web) fn state(dir: &tempfile::TempDir) -> AppState {
        let core = Core {
            store: Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap()),
            keys: Keys::new(&MasterKey::generate()),
            hasher: PasswordHasher::owasp(),
            settings: Settings::default(),
            mailer: None,
        };
        AppState::new(
            core,
            WebConfig::for_bind("127.0.0.1".parse().unwrap(), &[], true),
        )
    }

    /// The document as the server serves it.
    async fn served(router: &axum::Router) -> Value {
        let request = Request::builder()
            .uri("/api/openapi.json")
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn operations(doc: &Value) -> BTreeSet<(String, String)> {
        let mut operations = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
        operations
    }

    #[tokio::test]
    async fn the_document_and_the_router_have_the_same_operations() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir);
        let cookie = random_token();
        let csrf = state.core.keys.csrf_token(&cookie);
        let router = app(state);
        let doc = served(&router).await;
        let routed: BTreeSet<(String, String)> = api::routes()
            .table
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(operations(&doc), routed);
        assert_eq!(routed.len(), 27, "the API has 27 operations");
        for (method, path) in &routed {
            let uri = path.replace("{id}", "1");
            let request = Request::builder()
                .method(method.as_str())
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
        }
        // A method the document does not list for a path is not routed either.
        let request = Request::builder()
            .method(Method::PUT)
            .uri("/api/v1/me")
            .header("host", "localhost")
            .header("cookie", format!("__Host-keygate_session={cookie}"))
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        // And an undocumented path really is a 404.
        let request = Request::builder()
            .uri("/api/v1/nope")
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    /// Follows a `$ref` into `components.schemas`.
    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        let schema = &doc["components"]["schemas"][name];
        assert!(schema.is_object(), "no schema {name}");
        schema
    }

    fn required(schema: &Value) -> BTreeSet<&str> {
        schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn the_document_describes_the_types() {
        let dir = tempfile::tempdir().unwrap();
        let doc = served(&app(state(&dir))).await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["info"]["title"], "Keygate admin API");
        // Every `$ref` resolves.
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            schema(&doc, name);
        }
        // Request bodies: what a client must send, and what it may leave out.
        assert_eq!(
            required(schema(&doc, "LoginRequest")),
            BTreeSet::from(["username", "password"])
        );
        assert_eq!(
            required(schema(&doc, "ChangePasswordRequest")),
            BTreeSet::from(["current_password", "new_password"])
        );
        assert_eq!(
            required(schema(&doc, "CreateUserRequest")),
            BTreeSet::from(["username", "email", "password"])
        );
        assert!(required(schema(&doc, "UpdateUserRequest")).is_empty());
        // Responses: optional enrolment material is not required; nullable times are.
        let created = schema(&doc, "DeviceCreated");
        assert_eq!(required(created), BTreeSet::from(["id", "device"]));
        let device = schema(&doc, "Device");
        assert!(required(device).contains("last_used_at"));
        assert!(!required(device).contains("remaining_codes"));
        assert_eq!(
            schema(&doc, "DeviceKind")["enum"],
            serde_json::json!(["totp", "hotp", "static", "email"])
        );
        assert_eq!(
            schema(&doc, "Next")["enum"],
            serde_json::json!(["otp", "setup", "done"])
        );
        assert_eq!(
            required(schema(&doc, "ErrorBody")),
            BTreeSet::from(["error", "message"])
        );
        // The routes point at the right bodies.
        let login = &doc["paths"]["/api/v1/auth/login"]["post"];
        assert_eq!(
            login["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/LoginRequest"
        );
        assert_eq!(
            login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SignInStep"
        );
        let users = &doc["paths"]["/api/v1/users"]["get"]["parameters"];
        let names: BTreeSet<&str> = users
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, BTreeSet::from(["query", "page"]));
        assert!(doc["components"]["securitySchemes"]["session"].is_object());
        // Operation ids are unique (clients generate one function per operation).
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "{ids:?}"
        );
    }
}

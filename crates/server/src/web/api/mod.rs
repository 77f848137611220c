//! The JSON API under `/api/v1/`, by area (the console mirrors it). Each handler extracts the
//! request context and its typed body, calls one operation, and answers with its typed
//! result; its `#[utoipa::path]` attribute is what `/api/openapi.json` says about it.

mod account;
mod api_keys;
mod audit;
mod auth;
mod devices;
mod sessions;
mod users;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::AppState;
use crate::api;

/// The API's routes, and the method and path of each (for the document's test).
pub(super) struct Routes {
    /// The routes.
    pub(super) router: Router<AppState>,
    /// Method and path of every operation, in registration order.
    pub(super) table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .expect("the API uses only GET, POST, PATCH and DELETE");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path));
        self
    }
}

/// The API routes.
pub(super) fn routes() -> Routes {
    use Method as M;
    Routes {
        router: Router::new(),
        table: Vec::new(),
    }
    .add(M::GET, "/api/v1/auth/csrf", auth::csrf)
    .add(M::POST, "/api/v1/auth/login", auth::login)
    .add(M::POST, "/api/v1/auth/setup", auth::setup)
    .add(M::POST, "/api/v1/auth/setup/confirm", auth::setup_confirm)
    .add(M::POST, "/api/v1/auth/otp", auth::otp)
    .add(M::POST, "/api/v1/auth/otp/email", auth::otp_email)
    .add(M::POST, "/api/v1/auth/logout", auth::logout)
    .add(M::GET, "/api/v1/me", account::me)
    .add(M::POST, "/api/v1/me/password", account::change_password)
    .add(M::GET, "/api/v1/users", users::list)
    .add(M::POST, "/api/v1/users", users::create)
    .add(M::GET, "/api/v1/users/{id}", users::get)
    .add(M::PATCH, "/api/v1/users/{id}", users::update)
    .add(M::POST, "/api/v1/users/{id}/reset-2fa", users::reset_2fa)
    .add(M::GET, "/api/v1/users/{id}/devices", devices::list)
    .add(M::POST, "/api/v1/users/{id}/devices", devices::add)
    .add(M::GET, "/api/v1/users/{id}/sessions", sessions::list)
    .add(M::DELETE, "/api/v1/devices/{id}", devices::delete)
    .add(M::POST, "/api/v1/devices/{id}/confirm", devices::confirm)
    .add(
        M::POST,
        "/api/v1/devices/{id}/send-code",
        devices::send_code,
    )
    .add(
        M::POST,
        "/api/v1/devices/{id}/regenerate",
        devices::regenerate,
    )
    .add(M::DELETE, "/api/v1/sessions/{id}", sessions::revoke)
    .add(M::GET, "/api/v1/audit", audit::list)
    .add(M::GET, "/api/v1/api-keys", api_keys::list)
    .add(M::POST, "/api/v1/api-keys", api_keys::create)
    .add(M::DELETE, "/api/v1/api-keys/{id}", api_keys::revoke)
    .add(M::POST, "/api/v1/verify", api_keys::verify)
}

/// The OpenAPI document, generated from the handlers' attributes and the [`api`] types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keygate admin API",
        version = "1",
        description = "Every route but the sign-in steps needs a session verified by both \
            factors. Times are Unix seconds. Every POST, PUT, PATCH and DELETE carries \
            X-CSRF-Token (except /api/v1/verify, which uses an API key). Every error answer is \
            an ErrorBody."
    ),
    paths(
        auth::csrf,
        auth::login,
        auth::setup,
        auth::setup_confirm,
        auth::otp,
        auth::otp_email,
        auth::logout,
        account::me,
        account::change_password,
        users::list,
        users::create,
        users::get,
        users::update,
        users::reset_2fa,
        devices::list,
        devices::add,
        sessions::list,
        devices::delete,
        devices::confirm,
        devices::send_code,
        devices::regenerate,
        sessions::revoke,
        audit::list,
        api_keys::list,
        api_keys::create,
        api_keys::revoke,
        api_keys::verify,
    ),
    components(schemas(api::ErrorBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "The sign-in steps"),
        (name = "account", description = "The caller's own account"),
        (name = "users", description = "User accounts"),
        (name = "devices", description = "Second-factor devices"),
        (name = "sessions", description = "Sessions"),
        (name = "audit", description = "The audit log"),
        (name = "api-keys", description = "API keys and the verify endpoint they open"),
    )
)]
pub(super) struct ApiDoc;

/// The two ways in: the session cookie, and an API key for `/api/v1/verify`.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                super::extract::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

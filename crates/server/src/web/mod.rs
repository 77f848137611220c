//! HTTP: the router, the shared state, and the layers every request passes through.

mod api;
mod console;
mod context;
mod extract;
mod log;
mod openapi;
pub(crate) mod security;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

use crate::error::{Error, Result};
use crate::state::Core;

/// Largest request body accepted.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;
/// Longest time a request may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP layer needs to know about how it is reached.
#[derive(Debug, Clone)]
pub(crate) struct WebConfig {
    /// Host names accepted in `Host` (exact, or `.example.com` for it and its subdomains).
    pub allowed_hosts: Vec<String>,
    /// The server itself speaks TLS (HSTS is sent).
    pub tls: bool,
}

impl WebConfig {
    /// The allowed hosts for a server bound to `bind`: the configured ones, plus the loopback
    /// names when bound to loopback and the bound address itself when it is specific.
    pub(crate) fn for_bind(bind: IpAddr, configured: &[String], tls: bool) -> Self {
        let mut allowed_hosts: Vec<String> =
            configured.iter().map(|h| h.to_ascii_lowercase()).collect();
        if bind.is_loopback() {
            for name in ["localhost", "127.0.0.1", "[::1]"] {
                allowed_hosts.push(name.into());
            }
        } else if !bind.is_unspecified() {
            allowed_hosts.push(match bind {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        allowed_hosts.dedup();
        WebConfig { allowed_hosts, tls }
    }
}

/// The one state shared by every handler (cheap to clone). Opaque outside the crate: build it
/// with [`crate::build_state`] and serve it with [`app`].
#[derive(Clone)]
pub struct AppState {
    /// Storage, keys, rules, mail.
    pub(crate) core: Arc<Core>,
    /// Hosts and TLS.
    pub(crate) web: Arc<WebConfig>,
    /// Bounds concurrent Argon2 work (19 MiB each) so a flood of logins cannot exhaust memory.
    hashing: Arc<Semaphore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("web", &self.web)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Bundles the parts.
    pub(crate) fn new(core: Core, web: WebConfig) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            core: Arc::new(core),
            web: Arc::new(web),
            hashing: Arc::new(Semaphore::new(cores * 2)),
        }
    }

    /// Runs blocking work (SQLite, Argon2) off the async threads.
    pub(crate) async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T> + Send + 'static,
    {
        let core = Arc::clone(&self.core);
        tokio::task::spawn_blocking(move || work(&core)).await?
    }

    /// Like [`AppState::blocking`], holding one of the password-hashing slots.
    pub(crate) async fn hashing<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T> + Send + 'static,
    {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| Error::Internal("hashing semaphore closed".into()))?;
        self.blocking(work).await
    }

    /// Sends the email codes an operation issued; returns how many went out.
    pub(crate) async fn send_codes(&self, outbox: crate::auth::Outbox) -> Result<u64> {
        if outbox.is_empty() {
            return Ok(0);
        }
        let mailer = self.core.mailer()?;
        let mut sent = 0;
        for (to, code) in outbox {
            mailer
                .send_code(&to, &code, self.core.settings.email_code_validity)
                .await?;
            sent += 1;
        }
        Ok(sent)
    }
}

impl AppState {
    /// Sends the confirmation code of a device just added. The device exists either way (the
    /// user asks for the code again), so a failure is logged here and reported as not sent.
    pub(crate) async fn send_new_device_codes(&self, outbox: crate::auth::Outbox) -> bool {
        if outbox.is_empty() {
            return false;
        }
        match self.send_codes(outbox).await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(error = %e, "the new device's code was not sent");
                false
            }
        }
    }
}

/// The whole application: console, API, static files, with the security layers around them.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::routes().router)
        .merge(console::routes())
        .route("/api/openapi.json", axum::routing::get(openapi::document))
        .fallback(|| async { Error::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::csrf_and_origin,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(console::html_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::allowed_host,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(middleware::from_fn(log::errors))
        .with_state(state)
}

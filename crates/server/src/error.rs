//! The server's one error type and its one mapping to HTTP.
//!
//! Clients only ever see a stable machine code and a generic sentence; the cause (SQL error,
//! I/O error, SMTP reply) goes to the log, never into a response.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use thiserror::Error;

use crate::api::ErrorBody;

/// Result with the server's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the server.
#[derive(Debug, Error)]
pub enum Error {
    /// The request is malformed or a field is invalid; the message is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// Any failed credential (unknown user, wrong password, inactive account): one generic answer.
    #[error("invalid credentials")]
    BadCredentials,
    /// No session, or a session that does not allow this request.
    #[error("authentication required")]
    Unauthenticated,
    /// A one-time code that matched nothing (or was replayed: the user is told at next login).
    #[error("invalid code")]
    InvalidCode,
    /// A one-time code that was right but is past its validity (email codes).
    #[error("expired code")]
    ExpiredCode,
    /// The second step came more than the allowed time after the first.
    #[error("login expired")]
    LoginExpired,
    /// Authenticated, but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// Missing or wrong CSRF token, or a cross-origin state-changing request.
    #[error("CSRF check failed")]
    Csrf,
    /// The Host header is not in the allowed list.
    #[error("host not allowed")]
    BadHost,
    /// No such object (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The object already exists (e.g. a username); the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts, retry in {retry_after} s")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The database failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// Sending mail failed.
    #[error("mail error: {0}")]
    Mail(String),
    /// The configuration is unusable; the message is safe to show to the operator.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::Io`] with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The HTTP status and the stable machine code clients see.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::BadCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::InvalidCode => (StatusCode::UNAUTHORIZED, "invalid_code"),
            Error::ExpiredCode => (StatusCode::UNAUTHORIZED, "expired_code"),
            Error::LoginExpired => (StatusCode::UNAUTHORIZED, "login_expired"),
            Error::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Error::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            Error::BadHost => (StatusCode::BAD_REQUEST, "bad_host"),
            Error::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            Error::Mail(_) => (StatusCode::BAD_GATEWAY, "mail_failed"),
            Error::Storage(_) | Error::Config(_) | Error::Io { .. } | Error::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }

    /// The sentence a client sees: the message for errors whose text is safe, a generic one
    /// for the rest.
    pub fn public_message(&self) -> String {
        match self {
            Error::BadRequest(m) | Error::Conflict(m) => m.clone(),
            Error::BadCredentials => "Invalid username or password.".into(),
            Error::Unauthenticated => "Please sign in.".into(),
            Error::InvalidCode => "Invalid code.".into(),
            Error::ExpiredCode => "This code has expired; request a new one.".into(),
            Error::LoginExpired => "The sign-in took too long; start again.".into(),
            Error::Forbidden => "You are not allowed to do this.".into(),
            Error::Csrf => "The request was refused (CSRF check failed).".into(),
            Error::BadHost => "Unknown host.".into(),
            Error::NotFound => "Not found.".into(),
            Error::Throttled { retry_after } => {
                format!("Too many attempts; try again in {retry_after} seconds.")
            }
            Error::Mail(_) => "The email could not be sent.".into(),
            Error::Storage(_) | Error::Config(_) | Error::Io { .. } | Error::Internal(_) => {
                "Internal error.".into()
            }
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<keygate_otp::Error> for Error {
    fn from(e: keygate_otp::Error) -> Self {
        Error::Internal(format!("otp engine: {e}"))
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("blocking task failed: {e}"))
    }
}

/// Rides on an error response: the console renders it as a page (see `web::console`), and
/// the logging layer logs it, cause included (see `web::log`), once per request.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    /// The machine code.
    pub code: &'static str,
    /// The public sentence.
    pub message: String,
    /// The whole error, cause included: for the log only, never for the client.
    pub detail: String,
    /// Our fault (or the mail relay's), not the client's: logged as an error.
    pub failure: bool,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = self.public_message();
        let mut response = (
            status,
            Json(ErrorBody {
                error: code.into(),
                message: message.clone(),
            }),
        )
            .into_response();
        if let Error::Throttled { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
        }
        response.extensions_mut().insert(ErrorInfo {
            code,
            message,
            detail: self.to_string(),
            failure: status.is_server_error() || matches!(self, Error::Mail(_)),
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_causes_never_reach_the_body() {
        let e = Error::Storage("no such table: users at /var/lib/keygate.db".into());
        assert_eq!(e.public_message(), "Internal error.");
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // The cause rides along for the log, and only there.
        let info = response.extensions().get::<ErrorInfo>().unwrap();
        assert!(info.failure);
        assert!(info.detail.contains("no such table"));
        assert_eq!(info.message, "Internal error.");
    }

    #[test]
    fn throttled_carries_retry_after() {
        let response = Error::Throttled { retry_after: 7 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}

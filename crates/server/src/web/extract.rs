//! Extractors: who is calling (address, session, user) and request bodies, all rejecting with
//! the one [`Error`] so every refusal looks the same.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use super::AppState;
use crate::auth::{self, Authenticated};
use crate::error::Error;
use crate::state::{now, Client};

/// The session cookie. `__Host-` makes browsers insist on Secure, Path=/ and no Domain.
pub(super) const SESSION_COOKIE: &str = "__Host-keygate_session";

/// The session cookie's value, if present and well-formed (43 URL-safe base64 characters).
pub(super) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `Set-Cookie` for a session value.
pub(super) fn set_session_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"
    ))
    .expect("a base64url token is a valid header value")
}

/// `Set-Cookie` that deletes the session cookie.
pub(super) fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-keygate_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// The caller's address and User-Agent.
#[derive(Debug, Clone)]
pub(super) struct ClientInfo(pub Client);

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(ClientInfo(Client::new(ip, agent)))
    }
}

/// Anyone, with the live session behind their cookie (if any).
#[derive(Debug, Clone)]
pub(super) struct Visitor {
    /// The session and user, when the cookie names a live session.
    pub auth: Option<Authenticated>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(visitor) = parts.extensions.get::<Visitor>() {
            return Ok(visitor.clone());
        }
        let cookie = session_cookie(&parts.headers);
        let auth = match cookie {
            Some(token) => {
                state
                    .blocking(move |core| auth::authenticate(core, &token, now()))
                    .await?
            }
            None => None,
        };
        let visitor = Visitor { auth };
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// A session past the password step but not yet verified: may only reach the code step and
/// setup.
#[derive(Debug, Clone)]
pub(super) struct PreAuth(pub Authenticated);

impl FromRequestParts<AppState> for PreAuth {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Visitor::from_request_parts(parts, state).await?.auth {
            Some(auth) if !auth.session.verified => Ok(PreAuth(auth)),
            Some(_) => Err(Error::BadRequest("You are already signed in.".into())),
            None => Err(Error::Unauthenticated),
        }
    }
}

/// A session verified by both factors: the only key to the console and the API.
#[derive(Debug, Clone)]
pub(super) struct Verified(pub Authenticated);

impl FromRequestParts<AppState> for Verified {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Visitor::from_request_parts(parts, state).await?.auth {
            Some(auth) if auth.session.verified => Ok(Verified(auth)),
            _ => Err(Error::Unauthenticated),
        }
    }
}

/// A JSON body; malformed JSON is a generic 400.
#[derive(Debug, Clone)]
pub(super) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(v)| JsonBody(v))
            .map_err(|e| {
                tracing::debug!(error = %e, "JSON body refused");
                Error::BadRequest("The request body is not the expected JSON.".into())
            })
    }
}

/// A form body; malformed forms are a generic 400.
#[derive(Debug, Clone)]
pub(super) struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(v)| FormBody(v))
            .map_err(|e| {
                tracing::debug!(error = %e, "form body refused");
                Error::BadRequest("The form is incomplete or malformed.".into())
            })
    }
}

/// A numeric path parameter.
#[derive(Debug, Clone, Copy)]
pub(super) struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| IdPath(id))
            .map_err(|_| Error::NotFound)
    }
}

/// Query parameters; malformed ones are a generic 400.
#[derive(Debug, Clone)]
pub(super) struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryOf<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| QueryOf(v))
            .map_err(|_| Error::BadRequest("Invalid query parameters.".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_session_cookies_are_read() {
        let token = crate::crypto::random_token();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {SESSION_COOKIE}={token}; c=d")).unwrap(),
        );
        assert_eq!(session_cookie(&headers), Some(token));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-keygate_session=short"),
        );
        assert_eq!(session_cookie(&headers), None);
        let set = set_session_cookie("abc");
        let set = set.to_str().unwrap();
        for attr in ["__Host-", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(set.contains(attr), "{set}");
        }
    }
}

//! The layers every request passes: security headers on every response, the Host allow-list,
//! and CSRF (token bound to the session cookie + Origin/Sec-Fetch-Site checks) on every
//! state-changing request.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::session_cookie;
use super::AppState;
use crate::error::Error;

/// The console needs its own stylesheet and nothing else: no script, no inline style, no
/// frames, forms only to itself.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Two years, subdomains included (Observatory wants at least six months).
pub(crate) const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Browser features the console never uses.
pub(crate) const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), \
     display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), \
     midi=(), payment=(), usb=(), interest-cohort=()";

/// The CSRF header clients send.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// The CSRF form field the console's forms carry.
pub(crate) const CSRF_FIELD: &str = "csrf_token";

/// Adds the security headers to every response, whatever produced it.
pub(crate) async fn headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("cross-origin-embedder-policy"),
        "require-corp",
    );
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    if state.web.tls {
        set(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // Everything but the stylesheet may carry personal or security data: never cache it.
    if is_static {
        set(h, header::CACHE_CONTROL, "public, max-age=3600");
    } else {
        set(h, header::CACHE_CONTROL, "no-store");
        set(h, header::PRAGMA, "no-cache");
    }
    h.remove(header::SERVER);
    response
}

/// The host a request names (`Host`, or the URI authority under HTTP/2), lower-cased,
/// without the port.
pub(crate) fn request_host(request: &Request) -> Option<String> {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))?;
    Some(strip_port(&raw).to_ascii_lowercase())
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [::1]:8443
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Whether `host` (no port) is in the list (`.example.com` also covers its subdomains).
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|pattern| {
        if let Some(domain) = pattern.strip_prefix('.') {
            host == domain || host.ends_with(pattern.as_str())
        } else {
            host == pattern
        }
    })
}

/// Refuses requests for a host not in the allowed list (DNS rebinding, cache poisoning).
pub(crate) async fn allowed_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match request_host(&request) {
        Some(host) if host_allowed(&host, &state.web.allowed_hosts) => next.run(request).await,
        other => {
            tracing::warn!(host = ?other, "request for a host not in the allowed list");
            Error::BadHost.into_response()
        }
    }
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Routes authenticated by a bearer API key rather than the cookie: not exposed to CSRF.
fn bearer_route(path: &str) -> bool {
    path == "/api/v1/verify"
}

fn same_origin(request: &Request, tls: bool) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Non-browser clients send no Origin; the token still has to match.
        return true;
    };
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
    else {
        return false;
    };
    let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
    if origin == "null" {
        // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` even for a
        // same-origin form post; `Sec-Fetch-Site` (which pages cannot forge) then decides.
        return headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes() == b"same-origin");
    }
    let host = host.to_ascii_lowercase();
    // Behind a TLS-terminating proxy the browser's origin is https even though we speak http.
    origin == format!("https://{host}") || (!tls && origin == format!("http://{host}"))
}

/// CSRF protection for every state-changing request: same origin, and a token equal to the
/// MAC of the session cookie, in `X-CSRF-Token` or (console forms) the `csrf_token` field.
pub(crate) async fn csrf_and_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !is_state_changing(request.method()) {
        return next.run(request).await;
    }
    if !same_origin(&request, state.web.tls) {
        tracing::warn!(path = %request.uri().path(), "cross-origin state-changing request refused");
        return Error::Csrf.into_response();
    }
    if bearer_route(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(cookie) = session_cookie(request.headers()) else {
        return Error::Csrf.into_response();
    };
    if let Some(token) = request.headers().get(CSRF_HEADER) {
        let ok = token
            .to_str()
            .is_ok_and(|t| state.core.keys.csrf_matches(&cookie, t));
        return if ok {
            next.run(request).await
        } else {
            Error::Csrf.into_response()
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Error::Csrf.into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, super::BODY_LIMIT).await else {
        return Error::BadRequest("The request body is too large.".into()).into_response();
    };
    let presented = form_urlencoded_field(&bytes, CSRF_FIELD);
    if !presented.is_some_and(|t| state.core.keys.csrf_matches(&cookie, &t)) {
        return Error::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_exactly_or_by_domain() {
        let allowed = vec!["kg.example.com".to_string(), ".corp.example".to_string()];
        assert!(host_allowed("kg.example.com", &allowed));
        assert!(!host_allowed("evil.com", &allowed));
        assert!(!host_allowed("kg.example.com.evil.com", &allowed));
        assert!(host_allowed("corp.example", &allowed));
        assert!(host_allowed("a.corp.example", &allowed));
        assert!(!host_allowed("xcorp.example", &allowed));
        assert_eq!(strip_port("[::1]:8443"), "[::1]");
        assert_eq!(strip_port("127.0.0.1:8443"), "127.0.0.1");
        assert_eq!(strip_port("localhost"), "localhost");
    }

    #[test]
    fn form_fields_are_found() {
        assert_eq!(
            form_urlencoded_field(b"a=1&csrf_token=x%2By", CSRF_FIELD).as_deref(),
            Some("x+y")
        );
        assert_eq!(form_urlencoded_field(b"a=1", CSRF_FIELD), None);
    }
}

//! No route is reachable without a verified session; CSRF and Host checks; security headers
//! and cookie attributes on every response.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn call(client: &Client, method: &str, path: &str) -> reqwest::Response {
    let method: Method = method.parse().unwrap();
    if method == Method::GET {
        client.get(path).await
    } else {
        client.send(method, path, Some(sample_body(path))).await
    }
}

#[tokio::test]
async fn every_route_is_refused_before_the_second_factor() {
    let server = Server::start().await;
    server.create_user("root", true);
    let (admin, _) = signed_in_admin(&server, "admin").await;

    // Anonymous.
    let anonymous = server.client();
    for (method, path) in PROTECTED_ROUTES {
        let status = call(&anonymous, method, path).await.status();
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
    }

    // Past the password, before the code (root has no device: setup pending).
    let pre_auth = server.client();
    let (status, body) = pre_auth.login("root", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["next"], "setup");
    for (method, path) in PROTECTED_ROUTES {
        let status = call(&pre_auth, method, path).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "pre-auth {method} {path}");
    }

    // A user with a device, past the password only.
    let half = server.client();
    let (status, body) = half.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["next"], "otp");
    for (method, path) in PROTECTED_ROUTES {
        let status = call(&half, method, path).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "pre-auth {method} {path}");
    }
    // Nothing above changed anything: the admin's session still works, no user was made.
    let users: Value = admin.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(users["total"], 2);
    let me: Value = admin.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["is_superuser"], true);
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token_and_same_origin() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let url = admin.url("/api/v1/api-keys");
    let body = json!({ "name": "ci" });

    // No token.
    let r = admin.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let error: Value = r.json().await.unwrap();
    assert_eq!(error["error"], "csrf_failed");

    // A token of another session.
    let other = server.client();
    let foreign = other.csrf().await;
    let r = admin
        .http
        .post(&url)
        .header("X-CSRF-Token", foreign)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The right token from a foreign origin, or a cross-site fetch.
    let token = admin.csrf().await;
    for (name, value) in [
        ("Origin", "https://evil.example".to_string()),
        ("Origin", "null".to_string()),
        ("Origin", format!("http://{}", server.host_port())),
        ("Sec-Fetch-Site", "cross-site".to_string()),
    ] {
        let r = admin
            .http
            .post(&url)
            .header("X-CSRF-Token", &token)
            .header(name, &value)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }

    // `Origin: null` (what browsers send under Referrer-Policy: no-referrer) counts as same
    // origin only with the browser's own `Sec-Fetch-Site: same-origin`.
    for site in ["cross-site", "same-site"] {
        let r = admin
            .http
            .post(&url)
            .header("X-CSRF-Token", &token)
            .header("Origin", "null")
            .header("Sec-Fetch-Site", site)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "null origin, {site}");
    }
    let r = admin
        .http
        .post(&url)
        .header("X-CSRF-Token", &token)
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // The right token, same origin: accepted.
    let r = admin
        .http
        .post(&url)
        .header("X-CSRF-Token", &token)
        .header("Origin", format!("https://{}", server.host_port()))
        .header("Sec-Fetch-Site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Logging in needs it too (login CSRF).
    let fresh = server.client();
    let r = fresh
        .http
        .post(fresh.url("/api/v1/auth/login"))
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_hosts_are_refused() {
    let server = Server::start().await;
    let client = server.client();
    let r = client
        .http
        .get(client.url("/api/v1/auth/csrf"))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let port = server.host_port().rsplit_once(':').unwrap().1.to_string();
    let r = client
        .http
        .get(client.url("/api/v1/auth/csrf"))
        .header("Host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let h = response.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}");
    assert!(!csp.contains('*'), "{what}");
    let hsts = h["strict-transport-security"].to_str().unwrap();
    let max_age: u64 = hsts
        .split(';')
        .find_map(|p| p.trim().strip_prefix("max-age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age >= 31_536_000, "{what}: {hsts}");
    assert!(hsts.contains("includeSubDomains"), "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{what}");
    assert_eq!(h["cross-origin-resource-policy"], "same-origin", "{what}");
    assert_eq!(h["cross-origin-embedder-policy"], "require-corp", "{what}");
    assert!(h.contains_key("permissions-policy"), "{what}");
    assert!(!h.contains_key("server"), "{what}: Server header present");
    assert!(!h.contains_key("access-control-allow-origin"), "{what}");
}

#[tokio::test]
async fn security_headers_and_cookie_attributes_on_every_route() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let anonymous = server.client();

    let mut checked = 0;
    for (method, path) in PROTECTED_ROUTES {
        for (who, client) in [("admin", &admin), ("anonymous", &anonymous)] {
            if *method != "GET" && who == "admin" {
                // Changing things as the admin is covered elsewhere; GETs are enough here.
                continue;
            }
            let response = call(client, method, path).await;
            assert_security_headers(&response, &format!("{who} {method} {path}"));
            let cache = response.headers()["cache-control"].to_str().unwrap();
            assert!(cache.contains("no-store"), "{method} {path}: {cache}");
            checked += 1;
        }
    }
    for path in ["/", "/users", "/users/1", "/audit", "/api-keys"] {
        let response = admin.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_security_headers(&response, &format!("console {path}"));
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        checked += 1;
    }
    for path in [
        "/login",
        "/",
        "/api/v1/auth/csrf",
        "/api/openapi.json",
        "/static/console.css",
        "/no/such/page",
        "/api/v1/users/not-a-number",
    ] {
        let response = anonymous.get(path).await;
        assert_security_headers(&response, path);
        checked += 1;
    }
    assert!(checked > 25);

    // Cookies: __Host- prefix, Secure, HttpOnly, SameSite=Strict, Path=/ (ASVS 3.4).
    let fresh = server.client();
    let response = fresh.get("/api/v1/auth/csrf").await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["__Host-", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Domain="), "{set_cookie}");
    let (status, _) = fresh.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bodies_are_bounded_and_errors_are_generic() {
    let server = Server::start().await;
    let client = server.client();
    let token = client.csrf().await;
    let huge = "x".repeat(200 * 1024);
    let r = client
        .http
        .post(client.url("/api/v1/auth/login"))
        .header("X-CSRF-Token", &token)
        .header("Content-Type", "application/json")
        .body(format!("{{\"username\":\"{huge}\",\"password\":\"p\"}}"))
        .send()
        .await;
    match r {
        Ok(r) => assert!(
            r.status() == StatusCode::PAYLOAD_TOO_LARGE || r.status() == StatusCode::BAD_REQUEST,
            "{}",
            r.status()
        ),
        // The server may answer 413 and close before the client has written the whole body:
        // the client then sees its write fail. Either way the body was not read.
        Err(e) => assert!(
            format!("{e:?}").contains("BodyWrite"),
            "unexpected error: {e:?}"
        ),
    }
    // The server closes a connection whose body it refused to read: start a new one.
    let client = server.client();
    let token = client.csrf().await;
    let r = client
        .http
        .post(client.url("/api/v1/auth/login"))
        .header("X-CSRF-Token", &token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let text = body.to_string();
    assert!(!text.contains("line") && !text.contains("column"), "{text}");
}
